import type { AgentEvents, CallLeg } from '../call-session.js';
import type { MediaCall, MediaGateway } from '../media/media-gateway.js';
import type { RtpCapture } from '../media/rtp-capture.js';
import type { AdoptedDialog, DialogState } from '../sip/adopted-dialog.js';
import { IncomingCall, type SipEndpoint } from '../sip/endpoint.js';
import type { OutgoingCall } from '../sip/outgoing-call.js';
import { mirrorDirection } from '../sip/sdp.js';

/**
 * A SIP call as a call leg: the signalling is the user agent's IncomingCall
 * (or, for a call adopted from a node that died, the caller's dialog rebuilt
 * from its saved state), the media rtpengine's (through the media gateway).
 * Keys come as RFC 4733 events (rtpengine) or SIP INFO; the caller's BYE or
 * CANCEL ends the leg. `saved()` is what another node needs to carry the call
 * on; `onChange` fires whenever that changes.
 */

/** The caller's dialog: the one that arrived here, or one adopted from another node. */
export type CallerDialog = Pick<
  IncomingCall,
  'callId' | 'fromTag' | 'localTag' | 'caller' | 'hangup' | 'refer' | 'dialogState' | 'detach'
> & {
  readonly state: IncomingCall['state'] | AdoptedDialog['state'];
  handlers: Pick<IncomingCall['handlers'], 'onInfoDigit' | 'onReinvite'> & { onEnd?: (reason: 'remote_bye') => void };
};

/** What another node needs to carry a SIP call on. */
export type SipLegState = { caller: DialogState; agent: DialogState | null; media: MediaCall; sideB: string };

export class SipLeg implements CallLeg {
  readonly adapter = 'sip' as const;
  onDigit: ((digit: string) => void) | null = null;
  onEnd: (() => void) | null = null;
  readonly media: MediaCall;
  private playTimer: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private released = false;

  private agent: OutgoingCall | AdoptedDialog | null = null;
  /** Fires when what `saved()` returns has changed (answered, an agent on the line or gone). */
  onChange: (() => void) | null = null;

  constructor(
    readonly call: CallerDialog,
    private readonly gateway: MediaGateway,
    readonly line: string,
    /** Where agents' phones are registered (the edge), and the user agent to call them from; none: no phones. */
    private readonly phones: { endpoint: SipEndpoint; edge: { address: string; port: number } } | null = null,
    /** A call adopted from another node: its media as that node left it (already anchored in rtpengine). */
    adopted: { media: MediaCall; sideB: string } | null = null,
  ) {
    this.media = adopted
      ? { ...adopted.media }
      : { callId: call.callId, callerTag: call.fromTag, localTag: call.localTag, callerSdp: (call as IncomingCall).invite.body };
    if (adopted) {
      this.sideB = adopted.sideB;
      this.gateway.listen(this.media, (d) => this.onDigit?.(d));
      this.handleReinvites();
    }
    call.handlers.onInfoDigit = (d) => this.onDigit?.(d);
    call.handlers.onEnd = () => {
      this.finishPlay();
      this.releaseAgent();
      void this.release();
      this.onEnd?.();
    };
  }

  /** What another node needs to carry this call on. */
  saved(): SipLegState {
    return { caller: this.call.dialogState(), agent: this.agent?.dialogState() ?? null, media: { ...this.media }, sideB: this.sideB };
  }

  /** The agent's dialog, when it was placed by this node (an adopted one cannot be re-invited into a conference). */
  get agentCall(): OutgoingCall | null {
    return this.agent && 'reinvite' in this.agent ? this.agent : null;
  }

  /** The caller's side B now answered by a conference port (the call is conferenced): saved with the call. */
  movedToConference(sideB: string): void {
    this.sideB = sideB;
    this.onChange?.();
  }

  /** Forgets the call without a word: another node has adopted it. */
  detach(): void {
    this.call.handlers.onEnd = undefined;
    this.finishPlay();
    this.gateway.forget(this.media);
    this.released = true;
    if (this.agent && 'detach' in this.agent) this.agent.detach();
    this.agent = null;
    this.call.detach();
  }

  /** The agent's dialog of an adopted call: the agent's BYE ends their part, as on the node that rang them. */
  adoptAgent(dialog: AdoptedDialog, events: Pick<AgentEvents, 'onAgentHangup' | 'onAgentHold'>): void {
    this.agent = dialog;
    dialog.handlers.onHold = (held) => events.onAgentHold?.(held);
    dialog.handlers.onEnd = (reason) => {
      if (this.agent === dialog) this.agent = null;
      if (reason === 'remote_bye') events.onAgentHangup();
      this.onChange?.();
    };
  }

  private handleReinvites(): void {
    // A re-INVITE (the caller's phone holding, resuming or moving) is offered to rtpengine against side B as it is now.
    this.call.handlers.onReinvite = async (offer) => {
      if (this.ended) return null;
      this.media.callerSdp = offer;
      return this.gateway.renegotiate(this.media, mirrorDirection(offer, this.sideB)).catch(() => null);
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

  /** What answers the caller's media in rtpengine: the sink while no agent is on the line, then the agent's phone. */
  private sideB = '';

  /** Anchors the media and answers the call (200 OK with rtpengine's SDP). */
  async answer(): Promise<void> {
    this.sideB = this.gateway.sinkSdp(Date.now() % 1_000_000_000);
    const sdp = await this.gateway.anchor(this.media, this.sideB, (d) => this.onDigit?.(d));
    if (this.ended) {
      // The caller gave up (CANCEL) while rtpengine answered: what anchoring made is released now.
      await this.gateway.release(this.media);
      return;
    }
    this.handleReinvites();
    if (!(this.call instanceof IncomingCall)) throw new Error('only a call that arrived here is answered');
    this.call.answer(sdp);
    this.onChange?.();
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

  private ringSeq = 0;

  async ringAgent(address: string, events: AgentEvents): Promise<void> {
    if (!this.phones) throw new Error('no SIP edge for agents’ phones');
    this.releaseAgent();
    const ring = ++this.ringSeq;
    const sdp = await this.gateway.offerToAgent(this.media);
    // Another ring (or a release) came while rtpengine answered: this one is stale and places no call.
    if (ring !== this.ringSeq || this.ended) {
      events.onFailed(487);
      return;
    }
    const user = address.replace(/^sips?:/, '').split('@')[0] ?? address;
    const edge = this.phones.edge;
    const agent = this.phones.endpoint.invite(`sip:${user}@${edge.address}:${edge.port}`, edge, sdp, 'switchboard');
    this.agent = agent;
    agent.handlers = {
      onAnswer: (agentSdp) => {
        if (this.ended || this.agent !== agent) {
          agent.hangup();
          return;
        }
        this.sideB = agentSdp;
        this.gateway
          .bridge(this.media, agentSdp)
          .then(() => {
            events.onAnswered();
            this.onChange?.();
          })
          .catch(() => {
            agent.hangup();
            events.onFailed(500);
          });
      },
      onFailure: (status) => {
        if (this.agent === agent) this.agent = null;
        events.onFailed(status);
      },
      onEnd: (reason) => {
        if (this.agent === agent) this.agent = null;
        if (reason === 'remote_bye') events.onAgentHangup();
        this.onChange?.();
      },
      onHold: (held) => events.onAgentHold?.(held),
    };
  }

  /** Blind transfer: REFER the caller to the number through the edge (which routes it to the carrier); 2xx → we hang up. */
  async transfer(to: string): Promise<boolean> {
    if (this.ended) return false;
    const target = this.phones ? `sip:${to}@${this.phones.edge.address}:${this.phones.edge.port}` : `tel:${to}`;
    const status = await this.call.refer(target);
    return status !== null && status >= 200 && status < 300;
  }

  releaseAgent(): void {
    this.ringSeq += 1;
    const agent = this.agent;
    this.agent = null;
    agent?.hangup();
  }

  async hangup(): Promise<void> {
    this.releaseAgent();
    this.finishPlay();
    this.call.hangup();
    await this.release();
  }

  async captureVoicemail(maxSeconds: number): Promise<RtpCapture | null> {
    if (this.ended) return null;
    const { capture, sideB } = await this.gateway.capture(this.media, maxSeconds);
    this.sideB = sideB;
    this.onChange?.();
    return capture;
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
