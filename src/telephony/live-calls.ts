import { dialAllowed } from '../domain/callbacks/callback-policy.js';
import { AppError } from '../domain/errors/app-error.js';
import type { LiveCallRelay } from '../services/live-call-relay.service.js';
import { type ConferenceMode, type ConsultPhase, SipConference } from './adapters/sip-conference.js';
import { SipLeg } from './adapters/sip-leg.js';
import type { CallControl } from './call-control.js';
import type { CallSession } from './call-session.js';
import type { MediaGateway } from './media/media-gateway.js';
import { readPcm } from './media/prompts.js';
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

/** Where a call is: its adapter, and for SIP the node that holds its media. */
export type CallWhereabouts = { adapter: string; node: string };

/**
 * Every live call this node can help on: its own SIP calls, the SIP calls other nodes hold (each act relayed to the
 * holder through the database), and Twilio's (their state is in the call record, so any node acts on them). Each
 * act goes to the desk of the call's adapter and holder.
 */
export class LiveCallDesks {
  constructor(
    private readonly o: {
      /** Where a call record's call is (undefined: no such call). */
      locate: (recordId: string) => Promise<CallWhereabouts | undefined>;
      /** This node's SIP calls, and its call-control node's name (null: no telephony here). */
      sip: () => LiveCallDesk | null;
      node: () => string | null;
      twilio: () => LiveCallDesk | null;
      /** Acts on SIP calls of other nodes; null: only this node's. */
      relay: LiveCallRelay | null;
    },
  ) {}

  /** Every node's connected calls: this node's, each other live node's (asked, a node that does not answer is left out), Twilio's. */
  async list(): Promise<LiveCall[]> {
    const { relay } = this.o;
    const remote = relay
      ? await Promise.all(
          (await relay.otherNodes(this.o.node())).map(
            (node) => relay.ask(node, 'list', null, {}, 3_000).catch(() => []) as Promise<LiveCall[]>,
          ),
        )
      : [];
    return [...((await this.o.sip()?.list()) ?? []), ...remote.flat(), ...((await this.o.twilio()?.list()) ?? [])];
  }

  /**
   * One connected call, asked of its own desk only (this node, its holder, or Twilio's records): what the agent's
   * desktop polls and a supervisor's act checks, without asking every node for all of theirs.
   */
  async find(recordId: string): Promise<LiveCall | undefined> {
    const desk = await this.desk(recordId).catch(() => null);
    return desk ? (await desk.list()).find((c) => c.recordId === recordId) : undefined;
  }

  async desk(recordId: string): Promise<LiveCallDesk> {
    const where = await this.o.locate(recordId);
    if (where?.adapter === 'twilio') {
      const twilio = this.o.twilio();
      if (!twilio)
        throw new AppError('unprocessable', 'Twilio calls cannot be helped on: the REST API is not configured (TWILIO_ACCOUNT_SID).');
      return twilio;
    }
    const local = this.o.sip();
    if (!where || (local && where.node === this.o.node())) {
      if (!local) throw new AppError('unprocessable', 'This node runs no telephony: there are no live calls here.');
      return local;
    }
    if (!this.o.relay) throw new AppError('conflict', 'That call is held by another node.');
    return new RelayedDesk(this.o.relay, where.node);
  }
}

/** The acts on a SIP call another node holds, relayed to it; ringing a phone may take a while, hence the longer waits. */
class RelayedDesk implements LiveCallDesk {
  constructor(
    private readonly relay: LiveCallRelay,
    private readonly node: string,
  ) {}

  private ask(act: string, recordId: string, args: Record<string, unknown> = {}, timeoutMs = 15_000) {
    return this.relay.ask(this.node, act, recordId, args, timeoutMs);
  }

  list(): Promise<LiveCall[]> {
    return this.relay.ask(this.node, 'list', null, {}, 3_000) as Promise<LiveCall[]>;
  }
  async supervise(recordId: string, phone: string, mode: ConferenceMode): Promise<LiveCall> {
    return (await this.ask('supervise', recordId, { phone, mode }, 60_000)) as LiveCall;
  }
  async leave(recordId: string): Promise<void> {
    await this.ask('leave', recordId);
  }
  async interpreter(recordId: string, language: string): Promise<boolean> {
    return (await this.ask('interpreter', recordId, { language }, 60_000)) === true;
  }
  async dropInterpreter(recordId: string): Promise<void> {
    await this.ask('drop_interpreter', recordId);
  }
  async consult(recordId: string, target: { phone: string } | { number: string }): Promise<boolean> {
    return (await this.ask('consult', recordId, { target }, 60_000)) === true;
  }
  async consultConference(recordId: string): Promise<void> {
    await this.ask('consult_conference', recordId);
  }
  async consultTransfer(recordId: string): Promise<void> {
    await this.ask('consult_transfer', recordId);
  }
  async consultCancel(recordId: string): Promise<void> {
    await this.ask('consult_cancel', recordId);
  }
}

const MODES: readonly ConferenceMode[] = ['monitor', 'whisper', 'barge'];
const text = (v: unknown): string => {
  if (typeof v !== 'string' || v === '') throw new AppError('malformed_request', 'A relayed act is missing a field.');
  return v;
};

/** The holder's side: the requests other nodes relay for this node's calls, carried out on `desk`. */
export function serveLiveCalls(
  relay: LiveCallRelay,
  node: string,
  desk: LiveCallDesk,
  log: (event: string, details: Record<string, unknown>) => void,
): Promise<() => Promise<void>> {
  return relay.serve(
    node,
    async (act, recordId, args) => {
      if (act === 'list') return desk.list();
      const id = text(recordId);
      switch (act) {
        case 'supervise': {
          const mode = MODES.find((m) => m === args.mode);
          if (!mode) throw new AppError('malformed_request', 'A relayed act is missing a field.');
          return desk.supervise(id, text(args.phone), mode);
        }
        case 'leave':
          return desk.leave(id);
        case 'interpreter':
          return desk.interpreter(id, text(args.language));
        case 'drop_interpreter':
          return desk.dropInterpreter(id);
        case 'consult': {
          const target = (args.target ?? {}) as { phone?: unknown; number?: unknown };
          return desk.consult(id, typeof target.number === 'string' ? { number: target.number } : { phone: text(target.phone) });
        }
        case 'consult_conference':
          return desk.consultConference(id);
        case 'consult_transfer':
          return desk.consultTransfer(id);
        case 'consult_cancel':
          return desk.consultCancel(id);
        default:
          throw new AppError('malformed_request', `Not an act on a live call: ${act}.`);
      }
    },
    log,
  );
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
    await this.hold(session, conference, true);
    conference.setConsult('consulting');
    const answered = await conference.addParty('consult', { user, ...(outbound ? { outbound } : {}) });
    if (!answered) {
      conference.setConsult(null);
      await this.hold(session, conference, false);
    }
    this.log(answered ? 'consult_started' : 'consult_not_answered', { record: recordId });
    return answered;
  }

  /** The consultation becomes a three-way call: the caller back from hold, everyone hears everyone. */
  async consultConference(recordId: string): Promise<void> {
    const { session, conference } = this.consulting(recordId);
    await this.hold(session, conference, false);
    conference.setConsult('conferenced');
  }

  /** Warm transfer: the agent leaves; the caller and the consulted party go on (the task goes to wrap-up). */
  async consultTransfer(recordId: string): Promise<void> {
    const { session, conference } = this.consulting(recordId);
    await this.hold(session, conference, false);
    await conference.agentLeaves();
    // The agent's task is in wrap-up when this returns.
    await session.handedOver();
  }

  /** The consulted party hangs up; the caller comes back from hold to the agent. */
  async consultCancel(recordId: string): Promise<void> {
    const { session, conference } = this.consulting(recordId);
    await conference.drop('consult');
    await this.hold(session, conference, false);
  }

  /** The caller on hold hears the hold message, looped, in the conference's own stream to them (the mix goes on after it). */
  private async hold(session: CallSession, conference: SipConference, on: boolean): Promise<void> {
    session.markHold(on);
    if (!on) {
      conference.holdCaller(null);
      return;
    }
    const file = await session.holdMessage();
    let pcm = this.holdAudio.get(file);
    if (!pcm) {
      pcm = await readPcm(file);
      this.holdAudio.set(file, pcm);
    }
    conference.holdCaller(pcm);
  }

  private readonly holdAudio = new Map<string, Int16Array>();

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
