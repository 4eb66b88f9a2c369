import { randomBytes } from 'node:crypto';
import { Conference } from '../media/conference.js';
import type { MediaGateway, OutboundMedia } from '../media/media-gateway.js';
import type { SipEndpoint } from '../sip/endpoint.js';
import type { OutgoingCall } from '../sip/outgoing-call.js';
import type { SipLeg } from './sip-leg.js';

/**
 * A SIP call moved into a conference (src/telephony/media/conference.ts) so that a third party can join: the
 * caller's side B is answered by a conference port; the agent is re-invited onto a leg of their own from another
 * port; each party added (a supervisor's phone, an interpreter's line through the carrier trunk) gets a port and a
 * leg. All media stays anchored in rtpengine; the conference only mixes. Who hears whom is the mode:
 *
 * - monitor: the supervisor hears caller and agent; no one hears the supervisor;
 * - whisper: the agent hears the supervisor too; the caller does not;
 * - barge and three-way (an interpreter): everyone hears everyone.
 *
 * A conferenced call is not carried on by another node if this one dies (the mix runs here): it ends with it.
 */

export type ConferenceMode = 'monitor' | 'whisper' | 'barge';
/** A consultation: the agent talks to a colleague or a number while the caller holds, then joins them or hands over. */
export type ConsultPhase = 'consulting' | 'conferenced' | 'transferred';

type Added = { id: string; call: OutgoingCall; leg: OutboundMedia };

export class SipConference {
  private readonly conference = new Conference();
  private readonly added = new Map<string, Added>();
  private agentLeg: OutboundMedia | null = null;
  mode: ConferenceMode | null = null;
  private closed = false;

  private constructor(
    private readonly call: SipLeg,
    private readonly gateway: MediaGateway,
    private readonly endpoint: SipEndpoint,
    private readonly edge: { address: string; port: number },
  ) {}

  /** Moves a connected call (caller and agent) into a conference; throws if the agent's leg cannot be re-invited. */
  static async start(
    call: SipLeg,
    gateway: MediaGateway,
    endpoint: SipEndpoint,
    edge: { address: string; port: number },
  ): Promise<SipConference> {
    const agent = call.agentCall;
    if (!agent || call.ended) throw new Error('the call has no agent on a line this node placed');
    const c = new SipConference(call, gateway, endpoint, edge);
    try {
      // Until the matrix is set, the two hear each other as before.
      c.conference.setHearing({ caller: ['agent'], agent: ['caller'] });
      const callerPort = await c.conference.add('caller');
      // Each keeps hearing the other's stream go on (same SSRC, next sequence numbers) as the mix takes over.
      c.conference.continueStream('caller', 'agent');
      c.conference.connect('caller', await gateway.sideBTo(call.media, callerPort.sdp));
      call.movedToConference(callerPort.sdp);
      const agentPort = await c.conference.add('agent');
      c.conference.continueStream('agent', 'caller');
      const leg: OutboundMedia = {
        callId: `conf-${randomBytes(8).toString('hex')}`,
        partyTag: 'mix',
        agentTag: agent.remoteTag || 'agent',
      };
      c.agentLeg = leg;
      const offer = await gateway.offerFromConference(leg, agentPort.sdp);
      const answer = await agent.reinvite(offer);
      if (!answer) throw new Error('the agent’s phone refused to move into the conference');
      c.conference.connect('agent', await gateway.conferenceLegAnswered(leg, answer));
      c.conference.setHearing({ caller: ['agent'], agent: ['caller'] });
      return c;
    } catch (error) {
      await c.end();
      throw error;
    }
  }

  /** Rings a phone or a number through the edge and adds it as `id`; resolves once it answered (false if it did not). */
  async addParty(id: string, target: { user: string; outbound?: { callerId: string; headers: [string, string][] } }): Promise<boolean> {
    if (this.closed) return false;
    const port = await this.conference.add(id);
    const leg: OutboundMedia = { callId: `conf-${randomBytes(8).toString('hex')}`, partyTag: 'mix', agentTag: '' };
    const offer = await this.gateway.offerFromConference(leg, port.sdp);
    const headers: [string, string][] = target.outbound
      ? [
          ['P-Asserted-Identity', `<sip:${target.outbound.callerId}@${this.edge.address}>`],
          ['X-Switchboard-Outbound', '1'],
          ...target.outbound.headers,
        ]
      : [];
    const call = this.endpoint.invite(
      `sip:${target.user}@${this.edge.address}:${this.edge.port}`,
      this.edge,
      offer,
      target.outbound?.callerId ?? 'switchboard',
      headers,
    );
    const answered = await new Promise<string | null>((resolve) => {
      call.handlers = {
        onAnswer: (sdp) => resolve(sdp),
        onFailure: () => resolve(null),
        onEnd: () => {
          // The party hung up: out of the mix.
          void this.drop(id);
        },
      };
    });
    if (!answered || this.closed) {
      call.hangup();
      await this.conference.remove(id);
      await this.gateway.releasePair(leg);
      return false;
    }
    leg.agentTag = call.remoteTag;
    this.conference.connect(id, await this.gateway.conferenceLegAnswered(leg, answered));
    this.added.set(id, { id, call, leg });
    this.apply();
    return true;
  }

  /** Sets the supervisor's mode (monitor, whisper, barge); the matrix changes at once. */
  setMode(mode: ConferenceMode): void {
    this.mode = mode;
    this.apply();
  }

  private apply(): void {
    const present = this.parties();
    const hearing: Record<string, string[]> = {};
    for (const listener of present)
      hearing[listener] = present.filter((speaker) => speaker !== listener && this.audible(listener, speaker));
    this.conference.setHearing(hearing);
  }

  /**
   * Who hears whom. The supervisor is heard per mode (monitor: no one; whisper: the agent; barge: everyone). While
   * the agent consults, the caller holds (hearing the hold message, not the conference) and is heard by no one but
   * a supervisor. Everyone else hears everyone.
   */
  private audible(listener: string, speaker: string): boolean {
    if (speaker === 'supervisor') return this.mode === 'barge' || (this.mode === 'whisper' && listener === 'agent');
    if (this.consult === 'consulting') {
      if (listener === 'caller') return false;
      if (speaker === 'caller') return listener === 'supervisor';
    }
    return true;
  }

  /** The caller on hold hears this (the hold message, looped) in the mix's own stream; null: back to the call. */
  holdCaller(pcm: Int16Array | null): void {
    this.conference.setFeed('caller', pcm);
  }

  /** The consultation's phase (null: none). */
  consult: ConsultPhase | null = null;
  private agentGone = false;

  setConsult(phase: ConsultPhase | null): void {
    this.consult = phase;
    this.apply();
  }

  /** Warm transfer: the agent's phone hangs up and leaves the mix; the caller and the consulted party go on. */
  async agentLeaves(): Promise<void> {
    this.agentGone = true;
    this.consult = 'transferred';
    this.call.releaseAgent();
    await this.conference.remove('agent');
    if (this.agentLeg) await this.gateway.releasePair(this.agentLeg);
    this.agentLeg = null;
    this.apply();
  }

  parties(): string[] {
    return ['caller', ...(this.agentGone ? [] : ['agent']), ...this.added.keys()];
  }

  stats(id: string): { received: number; sent: number } | undefined {
    return this.conference.stats(id);
  }

  /** Hangs up on one added party (the supervisor leaves, the agent drops the interpreter). */
  async drop(id: string): Promise<void> {
    const party = this.added.get(id);
    if (!party) return;
    this.added.delete(id);
    party.call.hangup();
    await this.conference.remove(id);
    await this.gateway.releasePair(party.leg);
    if (id === 'supervisor') this.mode = null;
    if (id === 'consult') {
      // The party the caller was handed to hung up: the call is over. Before the handover: back to the agent.
      if (this.agentGone && !this.closed) void this.call.hangup();
      this.consult = null;
    }
    this.apply();
  }

  /** The call is over: every added party hung up, every leg released, the mix stopped. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.added.keys()]) await this.drop(id);
    if (this.agentLeg) await this.gateway.releasePair(this.agentLeg);
    await this.conference.close();
  }
}
