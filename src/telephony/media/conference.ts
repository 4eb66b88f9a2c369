import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import alawmulaw from 'alawmulaw';
import { checkOffer, localSdp } from '../sip/sdp.js';
import { parseRtp } from './rtp.js';

/**
 * A small G.711 conference bridge for the calls that need more than two parties — a supervisor listening,
 * whispering or barging, an interpreter on the line. rtpengine 10.5 relays and records but cannot mix (its mixer
 * came in 11.3; docs/ARCHITECTURE.md, "Media"), and the only mixing server Debian 12 ships, Janus's AudioBridge,
 * mixes one room for everyone: it has no way to let the agent hear a supervisor whom the caller must not hear.
 * So each party here is a UDP port facing rtpengine (media stays anchored there), and every 20 ms each listener
 * is sent the sum of the parties it may hear — never itself — encoded in its own codec (PCMU or PCMA, as its
 * side agreed). Who hears whom is a matrix the call changes at once (monitor → whisper → barge). Each party has a
 * small jitter buffer (at most 5 frames; late frames replace the oldest). 8 kHz mono, 160 samples a frame.
 */

const FRAME = 160;
const TICK_MS = 20;
const MAX_QUEUE = 5;

type Party = {
  id: string;
  socket: Socket;
  port: number;
  /** Where its audio goes (rtpengine's port facing this party), and in which payload type. */
  remote: { address: string; port: number } | null;
  pt: 0 | 8;
  queue: Int16Array[];
  hears: Set<string>;
  seq: number;
  ts: number;
  ssrc: number;
  /** Frames received and sent (for the call's record and tests). */
  received: number;
  sent: number;
  /** The last RTP header fields this party sent (its stream, as the other side of the call was hearing it). */
  last: { ssrc: number; seq: number; ts: number } | null;
  /** The party whose stream this listener heard before the conference: the mix continues that stream. */
  continues: string | null;
  started: boolean;
  /** Ticks waited for the continued stream to arrive here before starting a stream of its own. */
  waited: number;
  /** Audio this party hears besides the parties, looped (the hold message), and where in it the next frame starts. */
  feed: { pcm: Int16Array; at: number } | null;
};

export class Conference {
  private readonly parties = new Map<string, Party>();
  private timer: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(private readonly address = '127.0.0.1') {}

  /** A new party: a port of its own. Returns the SDP that offers it (PCMU and PCMA). */
  async add(id: string): Promise<{ port: number; sdp: string }> {
    if (this.parties.has(id)) throw new Error(`party ${id} is already in the conference`);
    const socket = createSocket('udp4');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, this.address, resolve));
    const party: Party = {
      id,
      socket,
      port: socket.address().port,
      remote: null,
      pt: 0,
      queue: [],
      hears: new Set(),
      seq: randomBytes(2).readUInt16BE(0),
      ts: randomBytes(4).readUInt32BE(0),
      ssrc: randomBytes(4).readUInt32BE(0),
      received: 0,
      sent: 0,
      last: null,
      continues: null,
      started: false,
      waited: 0,
      feed: null,
    };
    socket.on('message', (msg, from) => this.receive(party, msg, from));
    this.parties.set(id, party);
    this.start();
    return { port: party.port, sdp: localSdp(this.address, party.port, Date.now() % 1_000_000_000) };
  }

  /** Where a party's audio is sent and in which codec: the SDP of rtpengine's side facing it. */
  connect(id: string, remoteSdp: string): void {
    const party = this.parties.get(id);
    const checked = checkOffer(remoteSdp);
    if (!party || !checked.ok) throw new Error(`cannot connect ${id}: ${checked.ok ? 'no such party' : checked.reason}`);
    party.remote = { address: checked.sdp.address, port: checked.sdp.audioPort };
    const first = checked.sdp.payloads.find((p) => p === 0 || p === 8);
    party.pt = first === 8 ? 8 : 0;
  }

  /** Whom each party hears, by id (itself never). Parties not named hear nobody. */
  setHearing(matrix: Record<string, readonly string[]>): void {
    for (const party of this.parties.values()) party.hears = new Set((matrix[party.id] ?? []).filter((p) => p !== party.id));
  }

  /**
   * The listener was hearing `speaker`'s stream until now (the caller heard the agent, and the reverse): the mix it
   * is sent continues that stream — same SSRC, next sequence number and timestamp — so that its phone's jitter
   * buffer sees one stream go on, not a new one starting (some phones drop a new stream's packets as late).
   */
  continueStream(listener: string, speaker: string): void {
    const party = this.parties.get(listener);
    if (party) party.continues = speaker;
  }

  /**
   * Audio a party hears, looped, besides whom it hears (null: none): the hold message for a caller on hold, in the
   * same stream as the mix, so their phone plays it and goes on playing the mix after it.
   */
  setFeed(id: string, pcm: Int16Array | null): void {
    const party = this.parties.get(id);
    if (party) party.feed = pcm && pcm.length > 0 ? { pcm, at: 0 } : null;
  }

  stats(id: string): { received: number; sent: number } | undefined {
    const p = this.parties.get(id);
    return p ? { received: p.received, sent: p.sent } : undefined;
  }

  has(id: string): boolean {
    return this.parties.has(id);
  }

  async remove(id: string): Promise<void> {
    const party = this.parties.get(id);
    if (!party) return;
    this.parties.delete(id);
    for (const other of this.parties.values()) other.hears.delete(id);
    await new Promise<void>((resolve) => party.socket.close(() => resolve()));
    if (this.parties.size === 0) this.stop();
  }

  async close(): Promise<void> {
    for (const id of [...this.parties.keys()]) await this.remove(id);
    this.stop();
  }

  private receive(party: Party, msg: Buffer, from: { address: string; port: number }): void {
    const rtp = parseRtp(msg);
    if (!rtp || (rtp.pt !== 0 && rtp.pt !== 8)) return;
    // Symmetric RTP: until connected, answer where the party's audio comes from.
    party.remote ??= { address: from.address, port: from.port };
    party.last = { ssrc: rtp.ssrc, seq: rtp.seq, ts: rtp.ts };
    party.queue.push(rtp.pt === 0 ? alawmulaw.mulaw.decode(rtp.payload) : alawmulaw.alaw.decode(rtp.payload));
    if (party.queue.length > MAX_QUEUE) party.queue.shift();
    party.received += 1;
  }

  private start(): void {
    if (this.timer) return;
    this.next = performance.now() + TICK_MS;
    const loop = () => {
      // Catch up on ticks missed (a busy event loop) without sending a burst of more than a few frames.
      let ticks = 0;
      while (performance.now() >= this.next && ticks < 3) {
        this.tick();
        this.next += TICK_MS;
        ticks += 1;
      }
      if (performance.now() >= this.next) this.next = performance.now() + TICK_MS;
      this.timer = setTimeout(loop, Math.max(1, this.next - performance.now()));
    };
    this.timer = setTimeout(loop, TICK_MS);
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const frames = new Map<string, Int16Array>();
    for (const p of this.parties.values()) {
      const frame = p.queue.shift();
      if (frame) frames.set(p.id, frame);
    }
    for (const listener of this.parties.values()) {
      if (!listener.remote) continue;
      if (!listener.started) {
        const before = listener.continues ? this.parties.get(listener.continues)?.last : null;
        // Until the stream it heard reaches the conference (the other phone moved over), the listener still hears
        // it directly; wait for it (a second at most) to continue it rather than start a second stream.
        if (listener.continues && !before && listener.waited < 50) {
          listener.waited += 1;
          continue;
        }
        listener.started = true;
        if (before) {
          listener.ssrc = before.ssrc;
          listener.seq = (before.seq + 1) & 0xffff;
          listener.ts = (before.ts + FRAME) >>> 0;
        }
      }
      const mix = new Int32Array(FRAME);
      for (const speaker of listener.hears) {
        const frame = frames.get(speaker);
        if (!frame) continue;
        for (let i = 0; i < FRAME && i < frame.length; i++) mix[i] = (mix[i] as number) + (frame[i] as number);
      }
      const feed = listener.feed;
      if (feed) {
        for (let i = 0; i < FRAME; i++) mix[i] = (mix[i] as number) + (feed.pcm[(feed.at + i) % feed.pcm.length] as number);
        feed.at = (feed.at + FRAME) % feed.pcm.length;
      }
      const pcm = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++) pcm[i] = Math.max(-32_768, Math.min(32_767, mix[i] as number));
      const payload = listener.pt === 0 ? alawmulaw.mulaw.encode(pcm) : alawmulaw.alaw.encode(pcm);
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = listener.pt;
      header.writeUInt16BE(listener.seq, 2);
      header.writeUInt32BE(listener.ts >>> 0, 4);
      header.writeUInt32BE(listener.ssrc, 8);
      listener.seq = (listener.seq + 1) & 0xffff;
      listener.ts = (listener.ts + FRAME) >>> 0;
      listener.socket.send(Buffer.concat([header, Buffer.from(payload)]), listener.remote.port, listener.remote.address);
      listener.sent += 1;
    }
  }
}
