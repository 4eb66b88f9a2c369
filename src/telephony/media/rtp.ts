/**
 * One RTP packet's header fields and payload (RFC 3550 §5.1): version 2, CSRCs and a header extension skipped,
 * padding removed. Null for anything that is not RTP or has no payload. Shared by what reads callers' media here:
 * the voicemail capture, the conference bridge and the recording mixer.
 */
export type RtpPacket = { pt: number; seq: number; ts: number; ssrc: number; payload: Buffer };

export function parseRtp(msg: Buffer, start = 0, end = msg.length): RtpPacket | null {
  if (end - start < 12) return null;
  const b0 = msg[start] as number;
  if (b0 >> 6 !== 2) return null;
  let offset = start + 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (offset + 4 > end) return null;
    offset += 4 + msg.readUInt16BE(offset + 2) * 4;
  }
  const last = b0 & 0x20 ? end - (msg[end - 1] ?? 0) : end;
  if (last <= offset) return null;
  return {
    pt: (msg[start + 1] as number) & 0x7f,
    seq: msg.readUInt16BE(start + 2),
    ts: msg.readUInt32BE(start + 4),
    ssrc: msg.readUInt32BE(start + 8),
    payload: msg.subarray(offset, last),
  };
}
