import { createSocket, type Socket } from 'node:dgram';
import alawmulaw from 'alawmulaw';
import wavefile from 'wavefile';
import { parseRtp } from './rtp.js';

/**
 * What a caller says into a voicemail, captured as it arrives: rtpengine sends
 * the caller's RTP to this socket (it answers side B of the call while the
 * caller records), and `finish()` turns the G.711 payloads (μ-law or A-law,
 * per packet: PT 0 or 8; key events and anything else skipped) into a 16-bit
 * PCM WAV any browser plays. Packets are put in sequence order (wrapping at
 * 65,536); a lost packet is a 20 ms gap of silence. Bounded: at most
 * `maxSeconds` of audio is kept.
 */

const SAMPLE_RATE = 8_000;

export type CapturedAudio = { wav: Buffer; durationMs: number; packets: number };

export class RtpCapture {
  private readonly packets = new Map<number, { seq: number; pt: number; payload: Buffer }>();
  private firstSeq: number | null = null;
  private bytes = 0;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly port: number,
    private readonly maxBytes: number,
  ) {
    socket.on('message', (msg) => this.onPacket(msg));
  }

  static async open(address: string, maxSeconds: number): Promise<RtpCapture> {
    const socket = createSocket('udp4');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    return new RtpCapture(socket, address, socket.address().port, maxSeconds * SAMPLE_RATE);
  }

  private onPacket(msg: Buffer): void {
    const rtp = this.closed ? null : parseRtp(msg);
    if (!rtp || (rtp.pt !== 0 && rtp.pt !== 8) || this.bytes >= this.maxBytes) return;
    this.firstSeq ??= rtp.seq;
    // Unwrapped sequence number relative to the first packet (a 16-bit counter).
    const rel = (rtp.seq - this.firstSeq + 65_536) % 65_536;
    if (this.packets.has(rel)) return;
    const payload = Buffer.from(rtp.payload);
    this.packets.set(rel, { seq: rel, pt: rtp.pt, payload });
    this.bytes += payload.length;
  }

  /** Stops listening and returns the audio (null if nothing arrived). */
  async finish(): Promise<CapturedAudio | null> {
    if (!this.closed) {
      this.closed = true;
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    }
    if (this.packets.size === 0) return null;
    const ordered = [...this.packets.values()].sort((a, b) => a.seq - b.seq);
    const frame = ordered[0]?.payload.length ?? 160;
    const chunks: Int16Array[] = [];
    let expected = 0;
    for (const p of ordered) {
      // A lost packet (a gap in the sequence, at most a second of it) is silence.
      const missing = Math.min(p.seq - expected, 50);
      if (missing > 0) chunks.push(new Int16Array(missing * frame));
      chunks.push(p.pt === 0 ? alawmulaw.mulaw.decode(p.payload) : alawmulaw.alaw.decode(p.payload));
      expected = p.seq + 1;
    }
    const samples = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      samples.set(c, at);
      at += c.length;
    }
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, SAMPLE_RATE, '16', samples);
    return { wav: Buffer.from(wav.toBuffer()), durationMs: Math.round((samples.length / SAMPLE_RATE) * 1000), packets: ordered.length };
  }
}
