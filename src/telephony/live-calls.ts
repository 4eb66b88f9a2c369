import { dialAllowed } from '../domain/callbacks/callback-policy.js';
import { AppError } from '../domain/errors/app-error.js';
import { type ConferenceMode, type ConsultPhase, SipConference } from './adapters/sip-conference.js';
import { SipLeg } from './adapters/sip-leg.js';
import type { CallControl } from './call-control.js';
import type { CallSession } from './call-session.js';
import type { MediaGateway } from './media/media-gateway.js';
import type { SipEndpoint } from './sip/endpoint.js';

/**
 * The connected calls of this node, for the people who help on them: a supervisor listens (monitor), coaches the
 * agent unheard by the caller (whisper) or joins (barge) from their own phone; a caller who asked for another
 * language gets an interpreter on the line from the start (an outbound leg to the language line through the carrier
 * trunk, the language in a header), whom the agent can drop. Each is a party of the call's conference
 * (adapters/sip-conference.ts). Calls of another node answer `not_here` (the HTTP layer says which).
 */

export type LiveCall = {
  recordId: string;
  unit: 'general' | 'uac';
  line: string;
  taskId: string | null;
  connectedAt: string | null;
  language: string;
  interpreter: boolean;
  parties: string[];
  mode: ConferenceMode | null;
  consult: ConsultPhase | null;
};

export type InterpreterLine = { number: string; callerId: string };

/** The acts of help on a live call, as the HTTP layer asks for them: on SIP (this node's calls) or Twilio (any node's). */
export interface LiveCallDesk {
  list(): LiveCall[] | Promise<LiveCall[]>;
  supervise(recordId: string, phone: string, mode: ConferenceMode): Promise<LiveCall>;
  leave(recordId: string): Promise<void>;
  interpreter(recordId: string, language: string): Promise<boolean>;
  dropInterpreter(recordId: string): Promise<void>;
  consult(recordId: string, target: { phone: string } | { number: string }): Promise<boolean>;
  consultConference(recordId: string): Promise<void>;
  consultTransfer(recordId: string): Promise<void>;
  consultCancel(recordId: string): Promise<void>;
}

/**
 * Every live call this node can help on: its own SIP calls, and Twilio's (their state is in the call record, so any
 * node acts on them). Each act goes to the desk of the call's adapter.
 */
export class LiveCallDesks {
  constructor(
    /** The adapter of a call record (undefined: no such call). */
    private readonly adapterOf: (recordId: string) => Promise<string | undefined>,
    private readonly sip: () => LiveCallDesk | null,
    private readonly twilio: () => LiveCallDesk | null,
  ) {}

  async list(): Promise<LiveCall[]> {
    return [...((await this.sip()?.list()) ?? []), ...((await this.twilio()?.list()) ?? [])];
  }

  async desk(recordId: string): Promise<LiveCallDesk> {
    const adapter = await this.adapterOf(recordId);
    const desk = adapter === 'twilio' ? this.twilio() : this.sip();
    if (!desk)
      throw new AppError(
        'unprocessable',
        adapter === 'twilio'
          ? 'Twilio calls cannot be helped on: the REST API is not configured (TWILIO_ACCOUNT_SID).'
          : 'This node runs no telephony: there are no live calls here.',
      );
    return desk;
  }
}

export class LiveCalls implements LiveCallDesk {
  private readonly conferences = new Map<string, SipConference>();
  private readonly starting = new Map<string, Promise<SipConference>>();

  constructor(
    private readonly control: CallControl,
    private readonly gateway: MediaGateway,
    private readonly endpoint: SipEndpoint,
    private readonly edge: { address: string; port: number },
    private readonly interpreterLine: InterpreterLine | null,
    /** Outbound calling (a consultation with a number): the caller ID and the allow-list. */
    private readonly outbound: { callerId: string; allow: readonly RegExp[] } | null,
    private readonly log: (event: string, details: Record<string, unknown>) => void,
  ) {
    control.onSessionEnd = (session) => {
      const id = session.recordId;
      const conference = id ? this.conferences.get(id) : undefined;
      if (id && conference) {
        this.conferences.delete(id);
        void conference.end();
      }
    };
  }

  /** The calls connected to an agent on this node. */
  list(): LiveCall[] {
    return this.control
      .liveSessions()
      .filter((s) => s.phase === 'connected' && s.recordId)
      .map((s) => {
        const conference = this.conferences.get(s.recordId as string);
        return {
          recordId: s.recordId as string,
          unit: s.vars.topic === 'uac' || s.flow.unit === 'uac' ? ('uac' as const) : ('general' as const),
          line: s.flow.line,
          taskId: s.taskId,
          connectedAt: s.connectedAt?.toISOString() ?? null,
          language: typeof s.vars.language === 'string' ? s.vars.language : 'en',
          interpreter: s.vars.interpreter === true,
          parties: conference?.parties() ?? ['caller', 'agent'],
          mode: conference?.mode ?? null,
          consult: conference?.consult ?? null,
        };
      });
  }

  private connected(recordId: string): CallSession & { leg: SipLeg } {
    const session = this.control.sessionByRecord(recordId);
    if (session?.phase !== 'connected' || !(session.leg instanceof SipLeg) || session.leg.ended)
      throw new AppError('conflict', 'That call is not connected to an agent on this node (it may have ended).');
    return session as CallSession & { leg: SipLeg };
  }

  private conference(session: CallSession & { leg: SipLeg }): Promise<SipConference> {
    const id = session.recordId as string;
    const known = this.conferences.get(id);
    if (known) return Promise.resolve(known);
    const pending = this.starting.get(id);
    if (pending) return pending;
    const started = SipConference.start(session.leg, this.gateway, this.endpoint, this.edge)
      .then((c) => {
        this.conferences.set(id, c);
        return c;
      })
      .finally(() => this.starting.delete(id));
    this.starting.set(id, started);
    return started;
  }

  /** A supervisor on the call from their phone, in a mode; a second call changes the mode. */
  async supervise(recordId: string, phone: string, mode: ConferenceMode): Promise<LiveCall> {
    const session = this.connected(recordId);
    const conference = await this.conference(session);
    conference.setMode(mode);
    if (!conference.parties().includes('supervisor')) {
      const answered = await conference.addParty('supervisor', { user: phone });
      if (!answered) throw new AppError('unprocessable', 'Your phone did not answer: nothing was joined.');
    }
    this.log('call_supervised', { record: recordId, mode });
    return this.list().find((c) => c.recordId === recordId) as LiveCall;
  }

  async leave(recordId: string): Promise<void> {
    await this.conferences.get(recordId)?.drop('supervisor');
  }

  /** The interpreter service on the call (the language passed in X-Interpreter-Language), for everyone to hear. */
  async interpreter(recordId: string, language: string): Promise<boolean> {
    if (!this.interpreterLine) throw new AppError('unprocessable', 'No interpreter line is configured (INTERPRETER_NUMBER).');
    const session = this.connected(recordId);
    const conference = await this.conference(session);
    if (conference.parties().includes('interpreter')) return true;
    const answered = await conference.addParty('interpreter', {
      user: this.interpreterLine.number,
      outbound: { callerId: this.interpreterLine.callerId, headers: [['X-Interpreter-Language', language]] },
    });
    this.log(answered ? 'interpreter_joined' : 'interpreter_not_reached', { record: recordId, language });
    return answered;
  }

  async dropInterpreter(recordId: string): Promise<void> {
    await this.conferences.get(recordId)?.drop('interpreter');
  }

  /**
   * The agent consults someone — a colleague's phone, or a number through the carrier trunk (allow-listed) — while
   * the caller holds; resolves once they answered (false if not).
   */
  async consult(recordId: string, target: { phone: string } | { number: string }): Promise<boolean> {
    const session = this.connected(recordId);
    const conference = await this.conference(session);
    if (conference.parties().includes('consult')) throw new AppError('conflict', 'A consultation is already under way on this call.');
    let user: string;
    let outbound: { callerId: string; headers: [string, string][] } | undefined;
    if ('number' in target) {
      if (!this.outbound) throw new AppError('unprocessable', 'Outbound calls are not configured (OUTBOUND_CALLER_ID).');
      if (!dialAllowed(target.number, this.outbound.allow))
        throw new AppError('unprocessable', 'That number may not be dialed from the center (OUTBOUND_ALLOW).');
      user = target.number;
      outbound = { callerId: this.outbound.callerId, headers: [] };
    } else user = target.phone;
    await session.hold(true);
    conference.setConsult('consulting');
    const answered = await conference.addParty('consult', { user, ...(outbound ? { outbound } : {}) });
    if (!answered) {
      conference.setConsult(null);
      await session.hold(false);
    }
    this.log(answered ? 'consult_started' : 'consult_not_answered', { record: recordId });
    return answered;
  }

  /** The consultation becomes a three-way call: the caller back from hold, everyone hears everyone. */
  async consultConference(recordId: string): Promise<void> {
    const { session, conference } = this.consulting(recordId);
    await session.hold(false);
    conference.setConsult('conferenced');
  }

  /** Warm transfer: the agent leaves; the caller and the consulted party go on (the task goes to wrap-up). */
  async consultTransfer(recordId: string): Promise<void> {
    const { session, conference } = this.consulting(recordId);
    await session.hold(false);
    await conference.agentLeaves();
    // The agent's task is in wrap-up when this returns.
    await session.handedOver();
  }

  /** The consulted party hangs up; the caller comes back from hold to the agent. */
  async consultCancel(recordId: string): Promise<void> {
    const { session, conference } = this.consulting(recordId);
    await conference.drop('consult');
    await session.hold(false);
  }

  private consulting(recordId: string): { session: CallSession & { leg: SipLeg }; conference: SipConference } {
    const session = this.connected(recordId);
    const conference = this.conferences.get(recordId);
    if (!conference?.parties().includes('consult')) throw new AppError('conflict', 'There is no consultation under way on this call.');
    return { session, conference };
  }

  /** For tests and the call's record: frames a party of a conferenced call received and was sent. */
  stats(recordId: string, party: string): { received: number; sent: number } | undefined {
    return this.conferences.get(recordId)?.stats(party);
  }
}
