import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { localSdp } from '../sip/sdp.js';
import { RtpCapture } from './rtp-capture.js';
import { type Bencodable, bdecodeAt, type RtpengineClient } from './rtpengine.js';

/**
 * Media for SIP calls, through rtpengine. Call control anchors every call's
 * media itself (the SIP edge never asks rtpengine for calls to or from call
 * control): the caller's stream is offered to rtpengine under the caller's
 * Call-ID and tag, and answered, while no agent is on the line, by a local
 * sink that discards what arrives. Prompts and hold audio are "play media"
 * towards the caller's tag; RFC 4733 keys come back as JSON datagrams on the
 * port rtpengine's --dtmf-log-dest names, one per key — or, when several
 * nodes share one rtpengine, as "onDTMF" notifications to every client of its
 * TCP ng port (--listen-tcp-ng with --dtmf-log-ng-tcp), so that the node that
 * adopts a call hears its keys too; bridging to an agent
 * re-offers side B of the same rtpengine call to the agent's phone
 * (port-latching keeps the caller's port where it was).
 */

const FLAGS = { replace: ['origin', 'session-connection'], ICE: 'remove', flags: ['trust-address', 'port-latching'] } satisfies Record<
  string,
  Bencodable
>;
/**
 * Every offer: the side it goes to (the sink, an agent's phone, a conference, a carrier) speaks plain RTP. A caller who
 * offers SRTP (RTP/SAVP with SDES keys, from a TLS trunk or phone) is answered in SRTP by rtpengine, which translates:
 * the answer keeps the offerer's protocol and gets rtpengine's own keys.
 */
const OFFER_FLAGS = { ...FLAGS, 'transport-protocol': 'RTP/AVP' } satisfies Record<string, Bencodable>;
const DTMF_EVENTS = '0123456789*#ABCD';

export type MediaCall = { callId: string; callerTag: string; localTag: string; callerSdp: string };
/** An outbound call's media in rtpengine: the agent's side and the called party's. */
export type OutboundMedia = { callId: string; agentTag: string; partyTag: string };

export class MediaGateway {
  private sink: Socket | undefined;
  private dtmf: Socket | undefined;
  private readonly digitListeners = new Map<string, (digit: string) => void>();
  private dtmfStream: TcpSocket | undefined;
  private dtmfStreamRetry: NodeJS.Timeout | undefined;
  private closed = false;
  sinkPort = 0;
  dtmfPort = 0;

  private constructor(
    readonly rtpengine: RtpengineClient,
    private readonly address: string,
  ) {}

  /**
   * Binds the sink and the DTMF listener (dtmfPort 0 = any: pass the port to rtpengine's --dtmf-log-dest); with
   * `dtmfTcp`, also hears keys from rtpengine's TCP ng port (every node sharing the rtpengine hears every key).
   */
  static async open(
    rtpengine: RtpengineClient,
    options: { address?: string; dtmfPort?: number; dtmfTcp?: { host: string; port: number } } = {},
  ): Promise<MediaGateway> {
    const g = new MediaGateway(rtpengine, options.address ?? '127.0.0.1');
    g.sink = createSocket('udp4');
    g.sink.on('message', () => undefined);
    g.sink.on('error', () => undefined);
    await new Promise<void>((resolve) => g.sink?.bind(0, g.address, resolve));
    g.sinkPort = g.sink.address().port;
    g.dtmf = createSocket('udp4');
    g.dtmf.on('message', (msg) => g.onDtmf(msg));
    g.dtmf.on('error', () => undefined);
    await new Promise<void>((resolve) => g.dtmf?.bind(options.dtmfPort ?? 0, g.address, resolve));
    g.dtmfPort = g.dtmf.address().port;
    if (options.dtmfTcp) await g.hearKeysFrom(options.dtmfTcp);
    return g;
  }

  private onDtmf(msg: Buffer): void {
    let event: { callid?: unknown; source_tag?: unknown; event?: unknown };
    try {
      event = JSON.parse(msg.toString('utf8')) as typeof event;
    } catch {
      return;
    }
    this.key(event);
  }

  private key(event: { callid?: unknown; source_tag?: unknown; event?: unknown }): void {
    if (typeof event.callid !== 'string' || typeof event.source_tag !== 'string' || typeof event.event !== 'number') return;
    const digit = DTMF_EVENTS[event.event];
    if (digit) this.digitListeners.get(`${event.callid}|${event.source_tag}`)?.(digit);
  }

  /**
   * Keys from rtpengine's TCP ng port: each notification is a cookie, a space and a bencoded dictionary, back to back
   * on the stream. Connected again a second after it closes (rtpengine restarted). Resolves once first connected.
   */
  hearKeysFrom(at: { host: string; port: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      let first = true;
      const open = () => {
        if (this.closed) return;
        let buffer: Buffer = Buffer.alloc(0);
        const socket = connect(at.port, at.host);
        this.dtmfStream = socket;
        socket.on('connect', () => {
          if (first) resolve();
          first = false;
        });
        socket.on('data', (chunk: Buffer) => {
          buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
          for (;;) {
            const space = buffer.indexOf(0x20);
            if (space < 0 || space + 1 >= buffer.length) break;
            let decoded: ReturnType<typeof bdecodeAt>;
            try {
              decoded = bdecodeAt(buffer, space + 1);
            } catch {
              // Incomplete: wait for the rest (a runaway buffer is dropped).
              if (buffer.length > 65_536) buffer = Buffer.alloc(0);
              break;
            }
            buffer = buffer.subarray(decoded.end);
            const message = decoded.value as { notify?: unknown; data?: Record<string, unknown> };
            if (message && message.notify === 'onDTMF' && message.data) this.key(message.data);
          }
        });
        socket.on('error', (error) => {
          if (first) {
            first = false;
            reject(error);
          }
        });
        socket.on('close', () => {
          if (this.closed || first) return;
          this.dtmfStreamRetry = setTimeout(open, 1_000);
          this.dtmfStreamRetry.unref();
        });
      };
      open();
    });
  }

  /** The sink as an SDP answer: what answers the caller's media while no agent is on the line. */
  sinkSdp(sessionId: number): string {
    return localSdp(this.address, this.sinkPort, sessionId);
  }

  /** Anchors the caller's media and returns the SDP for our 200 OK; `sideB` is what answers for now (the sink). */
  async anchor(call: MediaCall, sideB: string, onDigit: (digit: string) => void): Promise<string> {
    const sdp = await this.renegotiate(call, sideB);
    this.listen(call, onDigit);
    return sdp;
  }

  /** Keys from a call anchored by another node (now adopted here): listened for without anchoring it again. */
  listen(call: MediaCall, onDigit: (digit: string) => void): void {
    this.digitListeners.set(`${call.callId}|${call.callerTag}`, onDigit);
  }

  /** Stops listening for a call's keys, leaving its media as it is (another node holds the call now). */
  forget(call: MediaCall): void {
    this.digitListeners.delete(`${call.callId}|${call.callerTag}`);
  }

  /** Whether rtpengine still has the call (a call adopted from a dead node: its media lives on in rtpengine, or it is gone). */
  async has(call: MediaCall): Promise<boolean> {
    return this.rtpengine.command('query', { 'call-id': call.callId, 'from-tag': call.callerTag }).then(
      () => true,
      () => false,
    );
  }

  /** The caller's offer (first, or a re-INVITE: hold, resume, a new address) against side B's current SDP; returns the SDP for the caller. */
  async renegotiate(call: MediaCall, sideB: string): Promise<string> {
    await this.rtpengine.command('offer', { 'call-id': call.callId, 'from-tag': call.callerTag, sdp: call.callerSdp, ...OFFER_FLAGS });
    const answer = await this.rtpengine.command('answer', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      'to-tag': call.localTag,
      sdp: sideB,
      ...FLAGS,
    });
    return String(answer.sdp);
  }

  /** Plays a file to the caller; resolves with its length in ms (rtpengine's answer). */
  async play(call: MediaCall, file: string, repeat = 1): Promise<number> {
    const r = await this.rtpengine.command('play media', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      file,
      ...(repeat > 1 ? { 'repeat-times': repeat } : {}),
    });
    return Number(r.duration ?? 0);
  }

  async stop(call: MediaCall): Promise<void> {
    await this.rtpengine.command('stop media', { 'call-id': call.callId, 'from-tag': call.callerTag }).catch(() => undefined);
  }

  /**
   * Side B of the caller's call answered by a capture of its own (a voicemail): the caller's audio is kept from now
   * until the capture is finished. Returns the capture and side B's new SDP.
   */
  async capture(call: MediaCall, maxSeconds: number): Promise<{ capture: RtpCapture; sideB: string }> {
    const capture = await RtpCapture.open(this.address, maxSeconds);
    const sideB = localSdp(capture.address, capture.port, Date.now() % 1_000_000_000);
    try {
      await this.renegotiate(call, sideB);
    } catch (error) {
      await capture.finish();
      throw error;
    }
    return { capture, sideB };
  }

  async startRecording(call: MediaCall): Promise<string> {
    await this.rtpengine.command('start recording', { 'call-id': call.callId });
    return `rtpengine:${call.callId}`;
  }

  /** Side B of the caller's rtpengine call, offered to an agent's phone: the SDP for the INVITE to the agent. */
  async offerToAgent(call: MediaCall): Promise<string> {
    const r = await this.rtpengine.command('offer', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      'to-tag': call.localTag,
      sdp: call.callerSdp,
      ...OFFER_FLAGS,
    });
    return String(r.sdp);
  }

  /** The agent answered: their SDP replaces the sink, and caller and agent hear each other. */
  async bridge(call: MediaCall, agentSdp: string): Promise<void> {
    await this.stop(call);
    await this.rtpengine.command('answer', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      'to-tag': call.localTag,
      sdp: agentSdp,
      ...FLAGS,
    });
  }

  /**
   * An outbound pair (a callback): one rtpengine call, the agent's side (`agentTag`) and the called party's
   * (`partyTag`). The agent is rung first, against the sink standing in for the party; then the party is offered
   * the agent's side, and their answer replaces the sink.
   */
  async offerToAgentFirst(pair: OutboundMedia): Promise<string> {
    const r = await this.rtpengine.command('offer', {
      'call-id': pair.callId,
      'from-tag': pair.partyTag,
      sdp: this.sinkSdp(Date.now() % 1_000_000_000),
      ...OFFER_FLAGS,
    });
    return String(r.sdp);
  }

  async agentAnswered(pair: OutboundMedia, agentSdp: string): Promise<void> {
    await this.rtpengine.command('answer', {
      'call-id': pair.callId,
      'from-tag': pair.partyTag,
      'to-tag': pair.agentTag,
      sdp: agentSdp,
      ...FLAGS,
    });
  }

  /** The agent's side offered to the party (the INVITE to their number). */
  async offerToParty(pair: OutboundMedia, agentSdp: string): Promise<string> {
    const r = await this.rtpengine.command('offer', {
      'call-id': pair.callId,
      'from-tag': pair.agentTag,
      'to-tag': pair.partyTag,
      sdp: agentSdp,
      ...OFFER_FLAGS,
    });
    return String(r.sdp);
  }

  async partyAnswered(pair: OutboundMedia, partySdp: string): Promise<void> {
    await this.rtpengine.command('answer', {
      'call-id': pair.callId,
      'from-tag': pair.agentTag,
      'to-tag': pair.partyTag,
      sdp: partySdp,
      ...FLAGS,
    });
  }

  /**
   * Side B of a caller's call answered by a conference port (`sideB`); returns rtpengine's SDP facing side B (where the
   * conference sends what the caller is to hear).
   */
  async sideBTo(call: MediaCall, sideB: string): Promise<string> {
    const offered = await this.rtpengine.command('offer', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      sdp: call.callerSdp,
      ...OFFER_FLAGS,
    });
    await this.rtpengine.command('answer', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      'to-tag': call.localTag,
      sdp: sideB,
      ...FLAGS,
    });
    return String(offered.sdp);
  }

  /** A conference port's leg to a phone: one rtpengine call, the conference (from-tag `mix`) offering; the SDP for the phone. */
  async offerFromConference(leg: OutboundMedia, conferenceSdp: string): Promise<string> {
    const r = await this.rtpengine.command('offer', {
      'call-id': leg.callId,
      'from-tag': leg.partyTag,
      sdp: conferenceSdp,
      ...OFFER_FLAGS,
    });
    return String(r.sdp);
  }

  /** The phone answered: returns rtpengine's SDP facing the conference (where the conference sends the phone's mix). */
  async conferenceLegAnswered(leg: OutboundMedia, phoneSdp: string): Promise<string> {
    const r = await this.rtpengine.command('answer', {
      'call-id': leg.callId,
      'from-tag': leg.partyTag,
      'to-tag': leg.agentTag,
      sdp: phoneSdp,
      ...FLAGS,
    });
    return String(r.sdp);
  }

  async releasePair(pair: OutboundMedia): Promise<void> {
    await this.rtpengine.command('delete', { 'call-id': pair.callId }).catch(() => undefined);
  }

  async release(call: MediaCall): Promise<void> {
    this.forget(call);
    await this.rtpengine.command('delete', { 'call-id': call.callId, 'from-tag': call.callerTag }).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.dtmfStreamRetry);
    this.dtmfStream?.destroy();
    for (const s of [this.sink, this.dtmf]) if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    this.sink = undefined;
    this.dtmf = undefined;
  }
}
