import type { CallLeg } from '../call-session.js';
import type { MediaCall, MediaGateway } from '../media/media-gateway.js';
import type { IncomingCall } from '../sip/endpoint.js';

/**
 * A SIP call as a call leg: the signalling is the user agent's IncomingCall,
 * the media rtpengine's (through the media gateway). Keys come as RFC 4733
 * events (rtpengine) or SIP INFO; the caller's BYE or CANCEL ends the leg.
 */
export class SipLeg implements CallLeg {
  readonly adapter = 'sip' as const;
  onDigit: ((digit: string) => void) | null = null;
  onEnd: (() => void) | null = null;
  readonly media: MediaCall;
  private playTimer: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private released = false;

  constructor(
    readonly call: IncomingCall,
    private readonly gateway: MediaGateway,
    readonly line: string,
  ) {
    this.media = { callId: call.callId, callerTag: call.fromTag, localTag: call.localTag, callerSdp: call.invite.body };
    call.handlers.onInfoDigit = (d) => this.onDigit?.(d);
    call.handlers.onEnd = () => {
      this.finishPlay();
      void this.release();
      this.onEnd?.();
    };
  }

  get externalId(): string {
    return this.call.callId;
  }
  get caller(): string {
    return this.call.caller;
  }
  get ended(): boolean {
    return this.call.state === 'ended';
  }

  /** Anchors the media and answers the call (200 OK with rtpengine's SDP). */
  async answer(): Promise<void> {
    const sdp = await this.gateway.anchor(this.media, (d) => this.onDigit?.(d));
    this.call.answer(sdp);
  }

  private finishPlay(): void {
    const p = this.playTimer;
    this.playTimer = null;
    if (p) {
      clearTimeout(p.timer);
      p.resolve();
    }
  }

  async play(file: string): Promise<void> {
    if (this.ended) return;
    const ms = await this.gateway.play(this.media, file);
    await new Promise<void>((resolve) => {
      this.finishPlay();
      this.playTimer = { timer: setTimeout(() => this.finishPlay(), ms + 100), resolve };
    });
  }

  async loop(file: string): Promise<void> {
    if (this.ended) return;
    await this.gateway.play(this.media, file, 1_000);
  }

  async stop(): Promise<void> {
    this.finishPlay();
    if (!this.ended) await this.gateway.stop(this.media);
  }

  async hangup(): Promise<void> {
    this.finishPlay();
    this.call.hangup();
    await this.release();
  }

  async record(): Promise<string | null> {
    return this.ended ? null : this.gateway.startRecording(this.media);
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.gateway.release(this.media);
  }
}
