/**
 * The little of SDP (RFC 4566) call control needs: is the offer usable — an
 * audio stream on a connection address with a codec we can play (PCMU/PCMA)
 * — and does it offer RFC 4733 telephone events. Media itself is rtpengine's.
 */

export type SdpSummary = { address: string; audioPort: number; payloads: number[]; telephoneEvent: number | null; codecs: string[] };
export type SdpCheck = { ok: true; sdp: SdpSummary } | { ok: false; reason: string };

const MAX_SDP = 8_192;

export function checkOffer(body: string): SdpCheck {
  if (!body.trim()) return { ok: false, reason: 'no SDP offer' };
  if (body.length > MAX_SDP) return { ok: false, reason: 'SDP too large' };
  const lines = body.split(/\r?\n/).filter((l) => l !== '');
  if (!lines[0]?.startsWith('v=0')) return { ok: false, reason: 'SDP must start with v=0' };
  if (lines.some((l) => !/^[a-z]=/.test(l))) return { ok: false, reason: 'malformed SDP line' };
  let address: string | null = null;
  let audio: { port: number; payloads: number[] } | null = null;
  const rtpmap = new Map<number, string>();
  for (const line of lines) {
    const c = /^c=IN IP[46] (\S+)/.exec(line);
    if (c) address ??= c[1] as string;
    const m = /^m=audio (\d{1,5})(?:\/\d+)? RTP\/S?AVPF? ([\d ]+)$/.exec(line);
    if (m && !audio) audio = { port: Number(m[1]), payloads: (m[2] as string).trim().split(/\s+/).map(Number) };
    const r = /^a=rtpmap:(\d{1,3}) ([^/\s]+)\//.exec(line);
    if (r) rtpmap.set(Number(r[1]), (r[2] as string).toUpperCase());
  }
  if (!address) return { ok: false, reason: 'no connection address (c=)' };
  if (!audio) return { ok: false, reason: 'no audio stream (m=audio)' };
  if (audio.port === 0 || audio.port > 65_535) return { ok: false, reason: 'audio stream is disabled' };
  const name = (pt: number) =>
    rtpmap.get(pt) ?? ({ 0: 'PCMU', 8: 'PCMA', 9: 'G722', 18: 'G729' } as Record<number, string>)[pt] ?? `PT${pt}`;
  const codecs = audio.payloads.map(name);
  if (!codecs.some((c) => c === 'PCMU' || c === 'PCMA'))
    return { ok: false, reason: `no supported codec (offered ${codecs.join(', ')}; PCMU or PCMA needed)` };
  const te = audio.payloads.find((pt) => name(pt) === 'TELEPHONE-EVENT') ?? null;
  return { ok: true, sdp: { address, audioPort: audio.port, payloads: audio.payloads, telephoneEvent: te, codecs } };
}

/** An SDP for a local endpoint (an RTP sink, or a bare answering server). */
export function localSdp(address: string, port: number, sessionId: number): string {
  return [
    'v=0',
    `o=switchboard ${sessionId} ${sessionId} IN IP4 ${address}`,
    's=switchboard',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const MIRROR: Readonly<Record<string, string>> = { sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive', sendrecv: 'sendrecv' };

/**
 * An answer's direction follows the offer's (RFC 3264 §6.1): an offer to send only (the caller holding) is answered
 * receive only, inactive with inactive. Returns `answer` with its direction set accordingly.
 */
export function mirrorDirection(offer: string, answer: string): string {
  const offered = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(offer)?.[1] ?? 'sendrecv';
  const direction = MIRROR[offered] ?? 'sendrecv';
  const lines = answer.split(/\r?\n/).filter((l) => !/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.test(l) && l !== '');
  return `${[...lines, `a=${direction}`].join('\r\n')}\r\n`;
}

/** An offer that puts its sender's party on hold (RFC 3264 §8.4): it sends only, or nothing. */
export function holdOffered(offer: string): boolean {
  const offered = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(offer)?.[1] ?? 'sendrecv';
  return offered === 'sendonly' || offered === 'inactive';
}
