import alawmulaw from 'alawmulaw';
import wavefile from 'wavefile';
import { parseRtp, type RtpPacket } from './rtp.js';

/**
 * A call's recording as people hear it: rtpengine 10.5 records in userspace only as a pcap of the RTP it
 * receives from each party (--recording-method=pcap; its recording daemon, which mixes, needs the kernel module —
 * docs/ARCHITECTURE.md, "Media"). This reads that pcap (LINKTYPE_RAW IPv4 or Ethernet, microsecond or nanosecond
 * timestamps), splits it into streams by SSRC, decodes G.711 (μ-law PT 0, A-law PT 8; key events and other
 * payloads skipped), places each stream on one timeline (its first packet's capture time, then its RTP clock), and
 * sums them into one 16-bit mono WAV at 8 kHz. The pcap format is 24 bytes of header and 16 per record, unchanged
 * since 1998; no npm reader of it is maintained, so it is read here.
 */

const RATE = 8_000;
/** At most four hours of audio: a recording longer than that is cut (and says so in its length). */
const MAX_SAMPLES = 4 * 3_600 * RATE;

type CapturedRtp = RtpPacket & { atUs: number };

export type MixedRecording = { wav: Buffer; durationMs: number; streams: number };

/** The RTP packets of a pcap (UDP over IPv4), in capture order. */
export function rtpPackets(pcap: Buffer): CapturedRtp[] {
  if (pcap.length < 24) throw new Error('not a pcap: too short');
  const magic = pcap.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const big = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!little && !big) throw new Error('not a pcap: bad magic number');
  const u32 = (at: number) => (little ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const linktype = u32(20) & 0xffff;
  const linkHeader = linktype === 101 || linktype === 228 ? 0 : linktype === 1 ? 14 : linktype === 113 ? 16 : -1;
  if (linkHeader < 0) throw new Error(`pcap link type ${linktype} is not supported`);
  const packets: CapturedRtp[] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const seconds = u32(at);
    const fraction = u32(at + 4);
    const captured = u32(at + 8);
    const start = at + 16;
    at = start + captured;
    if (at > pcap.length) break; // a record cut short (the file still being written)
    const ip = start + linkHeader;
    const version = (pcap[ip] ?? 0) >> 4;
    if (version !== 4 || pcap[ip + 9] !== 17) continue; // IPv4 UDP only
    const udp = ip + ((pcap[ip] ?? 0) & 0x0f) * 4;
    const rtp = parseRtp(pcap, udp + 8, at);
    if (rtp) packets.push({ ...rtp, atUs: seconds * 1_000_000 + (nano ? Math.floor(fraction / 1_000) : fraction) });
  }
  return packets;
}

/** The parties' audio mixed into one WAV; null when the pcap holds no G.711 audio. */
export function mixPcap(pcap: Buffer): MixedRecording | null {
  const audio = rtpPackets(pcap).filter((p) => p.pt === 0 || p.pt === 8);
  if (audio.length === 0) return null;
  const t0 = Math.min(...audio.map((p) => p.atUs));
  const streams = new Map<number, CapturedRtp[]>();
  for (const p of audio) streams.set(p.ssrc, [...(streams.get(p.ssrc) ?? []), p]);
  const placed: { at: number; samples: Int16Array }[] = [];
  for (const packets of streams.values()) {
    const first = packets[0] as CapturedRtp;
    const base = Math.round(((first.atUs - t0) * RATE) / 1_000_000);
    for (const p of packets) {
      // The RTP clock (8 kHz for G.711) from the stream's first packet, across a 32-bit wrap.
      const delta = (p.ts - first.ts + 0x1_0000_0000) % 0x1_0000_0000;
      if (delta > MAX_SAMPLES) continue;
      placed.push({ at: base + delta, samples: p.pt === 0 ? alawmulaw.mulaw.decode(p.payload) : alawmulaw.alaw.decode(p.payload) });
    }
  }
  const length = Math.min(MAX_SAMPLES, Math.max(...placed.map((p) => p.at + p.samples.length)));
  const sum = new Int32Array(length);
  for (const { at, samples } of placed)
    for (let i = 0; i < samples.length && at + i < length; i++) sum[at + i] = (sum[at + i] as number) + (samples[i] as number);
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.max(-32_768, Math.min(32_767, sum[i] as number));
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, RATE, '16', out);
  return { wav: Buffer.from(wav.toBuffer()), durationMs: Math.round((length / RATE) * 1_000), streams: streams.size };
}

/**
 * The mixed recording of an rtpengine call, once rtpengine has closed it: its metadata file (metadata/, named after
 * the call) names the pcap and gains "call end time" when the call is deleted. Waits up to `waitMs` for that; null
 * when there is no recording of the call.
 */
export async function mixedRecordingOf(recordingDir: string, callId: string, waitMs = 10_000): Promise<MixedRecording | null> {
  const { readdir, readFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const prefix = `rtpengine-meta-${encodeURIComponent(callId)}-`;
  const deadline = performance.now() + waitMs;
  for (;;) {
    const names = await readdir(path.join(recordingDir, 'metadata')).catch(() => [] as string[]);
    const name = names.find((n) => n.startsWith(prefix));
    const meta = name ? await readFile(path.join(recordingDir, 'metadata', name), 'utf8').catch(() => '') : '';
    if (meta.includes('call end time')) {
      const pcap = meta.split('\n')[0]?.trim() ?? '';
      if (!pcap.startsWith(recordingDir)) throw new Error('the recording metadata names a file outside the recording folder');
      return mixPcap(await readFile(pcap));
    }
    if (performance.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
