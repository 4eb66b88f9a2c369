import twilio from 'twilio';
import { dialAllowed } from '../../domain/callbacks/callback-policy.js';
import { AppError } from '../../domain/errors/app-error.js';
import type { CallRecordService } from '../../services/call-record.service.js';
import type { InterpreterLine, LiveCall, LiveCallDesk } from '../live-calls.js';
import type { ConferenceMode, ConsultPhase } from './sip-conference.js';

/**
 * Twilio calls in a <Conference>, Twilio's conference-based call control: the ACD moves the caller into a room of
 * their own (`sb-<call record>`) and adds the agent's phone as a participant through the REST API; the interpreter
 * service, a supervisor (muted to monitor, `Coaching` with `CallSidToCoach` = the agent to whisper, neither to barge)
 * and a consulted colleague or number are participants of the same room. Each leg's progress comes back as its
 * status callback (`participant-status`); the room's legs live in the call record (`adapter_state.conference`,
 * changed key by key), so any node answers any webhook and any node can act on any Twilio call.
 */

/** Twilio's REST API (to move a queued call to the agent the ACD chose) and where agents' SIP phones answer. */
export type TwilioRest = {
  accountSid: string;
  authToken: string;
  apiBaseUrl: string;
  agentSipDomain: string;
  /** The public base of the webhooks (TWILIO_WEBHOOK_BASE_URL): TwiML given through the REST API has no base of its own. */
  webhookBaseUrl: string;
};

export type Party = 'agent' | 'interpreter' | 'supervisor' | 'consult';
type Leg = { sid: string | null; status: 'ringing' | 'joined' };
export type ConferenceState = {
  room?: string;
  mode?: ConferenceMode | null;
  phase?: ConsultPhase | null;
  language?: string;
} & { [P in Party]?: Leg | null };

export const PARTIES: readonly Party[] = ['agent', 'interpreter', 'supervisor', 'consult'];
const ENDED = new Set(['completed', 'canceled', 'busy', 'failed', 'no-answer']);
export const BASE = '/api/telephony/twilio';

type Param = string | number | boolean | string[] | undefined;

/** A room's participants (to add one), or one of them by call SID or label (to update or remove it): REST paths. */
export const participantsOf = (room: string, participant?: string): string =>
  `Conferences/${encodeURIComponent(room)}/Participants${participant ? `/${participant}` : ''}.json`;

/** Twilio's REST API as documented: form-encoded bodies, Basic auth with the account SID and auth token. */
export class TwilioRestClient {
  constructor(readonly config: TwilioRest) {}

  /** The absolute address of one of our webhooks. */
  webhook(pathAndQuery: string): string {
    return `${this.config.webhookBaseUrl.replace(/\/$/, '')}${BASE}/${pathAndQuery}`;
  }

  /** An agent's or supervisor's SIP phone at the configured domain. */
  phone(sipUser: string): string {
    return `sip:${sipUser.replace(/^sips?:/, '').split('@')[0]}@${this.config.agentSipDomain}`;
  }

  post(resource: string, params: Record<string, Param>): Promise<Record<string, unknown>> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) body.append(key, String(v));
    }
    return this.send('POST', resource, body);
  }

  delete(resource: string): Promise<Record<string, unknown>> {
    return this.send('DELETE', resource);
  }

  private async send(method: 'POST' | 'DELETE', resource: string, body?: URLSearchParams): Promise<Record<string, unknown>> {
    const { accountSid, authToken, apiBaseUrl } = this.config;
    const res = await fetch(`${apiBaseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${accountSid}/${resource}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body: body.toString() } : {}),
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => {
      throw new AppError(
        'not_ready',
        `Twilio could not be reached (${error instanceof Error ? error.name : 'error'}): nothing was changed.`,
      );
    });
    // A participant already gone is what a removal wanted.
    if (method === 'DELETE' && res.status === 404) return {};
    const json = res.status === 204 ? {} : ((await res.json().catch(() => ({}))) as Record<string, unknown>);
    if (!res.ok) {
      const code = typeof json.code === 'number' ? `, error ${json.code}` : '';
      throw new AppError(
        res.status >= 500 ? 'not_ready' : 'unprocessable',
        `Twilio refused the request (HTTP ${res.status}${code}): nothing was changed.`,
      );
    }
    return json;
  }
}

export type ConferenceDeps = {
  calls: CallRecordService;
  rest: TwilioRestClient;
  interpreter: InterpreterLine | null;
  /** Outbound calling (a consultation with a number): the caller ID and the allow-list. */
  outbound: { callerId: string; allow: readonly RegExp[] } | null;
  /** Warm transfer: the agent's task goes to wrap-up. */
  handedOver: (taskId: string) => Promise<void>;
  /** When a hold starts and ends, for the call record. */
  clock: () => Date;
  log: (event: string, details: Record<string, unknown>) => void;
};

type Row = NonNullable<Awaited<ReturnType<CallRecordService['findById']>>>;

export class TwilioConference implements LiveCallDesk {
  constructor(private readonly deps: ConferenceDeps) {}

  static room(recordId: string): string {
    return `sb-${recordId}`;
  }

  private participants(recordId: string, label?: string): string {
    return participantsOf(TwilioConference.room(recordId), label);
  }

  private status(recordId: string, party: Party, extra = ''): string {
    return this.deps.rest.webhook(`participant-status?record=${recordId}&party=${party}${extra}`);
  }

  /**
   * The ACD reserved an agent: the caller waits in the room (music) and the agent's phone rings as its first
   * participant; the room starts when the agent answers. Fails (the caller left where they were) if Twilio refuses.
   */
  async connectAgent(row: Row, reservationId: string, sipUser: string, ringSeconds = 15): Promise<void> {
    const room = TwilioConference.room(row.id);
    await this.deps.calls.patchConference(row.id, { room, mode: null, phase: null });
    const caller = new twilio.twiml.VoiceResponse();
    caller
      .dial({ action: this.deps.rest.webhook(`dial-result?reservation=${reservationId}`), method: 'POST' })
      .conference({ beep: 'false', startConferenceOnEnter: false, endConferenceOnExit: true, participantLabel: 'caller' }, room);
    await this.deps.rest.post(`Calls/${row.external_id}.json`, { Twiml: caller.toString() });
    await this.addLeg(row.id, 'agent', {
      from: row.line,
      to: this.deps.rest.phone(sipUser),
      timeout: ringSeconds,
      params: { StartConferenceOnEnter: true },
      statusQuery: `&reservation=${reservationId}`,
    });
  }

  /**
   * A participant dialed into the call's room, labelled by its party, its status callbacks (answered, ended) sent to
   * `participant-status`; the room ends with it only if it is the agent. Recorded as ringing.
   */
  private async addLeg(
    recordId: string,
    party: Party,
    o: { from: string; to: string; timeout: number; params?: Record<string, Param>; statusQuery?: string },
  ): Promise<void> {
    await this.deps.calls.ringLeg(recordId, party, async () => {
      const created = await this.deps.rest.post(this.participants(recordId), {
        From: o.from,
        To: o.to,
        Label: party,
        Timeout: o.timeout,
        Beep: 'false',
        EndConferenceOnExit: party === 'agent',
        ...o.params,
        StatusCallback: this.status(recordId, party, o.statusQuery),
        StatusCallbackMethod: 'POST',
        StatusCallbackEvent: ['answered', 'completed'],
      });
      return typeof created.call_sid === 'string' ? created.call_sid : null;
    });
  }

  /**
   * A leg's status callback. Answered: the leg joined (the interpreter hears which language is needed). Ended: the
   * leg is gone (a consultation not answered puts the caller back with the agent; a supervisor gone ends the mode).
   * Returns what happened to the leg, for the adapter to follow (an agent who did not answer).
   */
  async legStatus(recordId: string, party: Party, callSid: string, callStatus: string): Promise<'joined' | 'ended' | 'ignored'> {
    const row = await this.deps.calls.findById(recordId);
    if (row?.adapter !== 'twilio' || row.ended_at) return 'ignored';
    if (callStatus === 'in-progress' || callStatus === 'answered') {
      const conference = await this.deps.calls.patchConference(recordId, { [party]: { sid: callSid, status: 'joined' } });
      if (party === 'interpreter') {
        const language = typeof conference?.language === 'string' ? conference.language : 'en';
        await this.deps.rest
          .post(this.participants(recordId, 'interpreter'), {
            AnnounceUrl: this.deps.rest.webhook(`announce?language=${encodeURIComponent(language)}`),
            AnnounceMethod: 'POST',
          })
          .catch((error) => this.deps.log('twilio_announce_failed', { record: recordId, error: String(error) }));
      }
      this.deps.log(`twilio_${party}_joined`, { record: recordId });
      return 'joined';
    }
    if (!ENDED.has(callStatus)) return 'ignored';
    const state = this.state(row);
    const patch: Record<string, unknown> = { [party]: null };
    if (party === 'supervisor') patch.mode = null;
    if (party === 'consult' && state.phase === 'consulting') {
      patch.phase = null;
      await this.hold(recordId, false).catch(() => undefined);
    }
    await this.deps.calls.patchConference(recordId, patch);
    this.deps.log(`twilio_${party}_left`, { record: recordId, status: callStatus });
    return 'ended';
  }

  /** What the interpreter hears once they answer: the language the caller needs. */
  static announce(language: string): string {
    let name: string | undefined;
    try {
      name = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' }).of(language);
    } catch {
      name = undefined;
    }
    const code = `Language code ${language.replace(/-/g, ' ').split('').join(' ').replace(/ {3}/g, ', ')}.`;
    const response = new twilio.twiml.VoiceResponse();
    response.say({ language: 'en-US' }, name ? `An interpreter is needed for ${name}. ${code}` : `An interpreter is needed. ${code}`);
    return response.toString();
  }

  private state(row: Row): ConferenceState {
    const stored = row.adapter_state as { conference?: ConferenceState } | null;
    return stored?.conference ?? {};
  }

  /** The Twilio calls connected to an agent now (any node's: their state is in the call record). */
  async list(): Promise<LiveCall[]> {
    return (await this.deps.calls.connected('twilio')).map((row) => this.liveCall(row));
  }

  private liveCall(row: Row): LiveCall {
    const state = this.state(row);
    return {
      recordId: row.id,
      unit: row.unit,
      line: row.line,
      taskId: row.task_id,
      connectedAt: row.answered_at?.toISOString() ?? null,
      language: row.language ?? 'en',
      interpreter: row.interpreter,
      parties: ['caller', ...PARTIES.filter((p) => state[p]?.status === 'joined')],
      mode: state.mode ?? null,
      consult: state.phase ?? null,
    };
  }

  private async connected(recordId: string): Promise<{ row: Row; state: ConferenceState }> {
    const row = await this.deps.calls.findById(recordId);
    const state = row ? this.state(row) : {};
    if (row?.adapter !== 'twilio' || row.ended_at || !row.answered_at || !state.room)
      throw new AppError('conflict', 'That call is not connected to an agent (it may have ended).');
    return { row, state };
  }

  private modeParams(mode: ConferenceMode, agentSid: string | null | undefined): Record<string, Param> {
    if (mode === 'whisper') {
      if (!agentSid) throw new AppError('conflict', 'The agent’s leg is not known yet: whisper needs it. Try again in a moment.');
      return { Muted: false, Coaching: true, CallSidToCoach: agentSid };
    }
    return { Muted: mode === 'monitor', Coaching: false };
  }

  async supervise(recordId: string, phone: string, mode: ConferenceMode): Promise<LiveCall> {
    const { row, state } = await this.connected(recordId);
    const params = this.modeParams(mode, state.agent?.sid);
    if (state.supervisor) await this.deps.rest.post(this.participants(recordId, 'supervisor'), params);
    else {
      await this.addLeg(recordId, 'supervisor', { from: row.line, to: this.deps.rest.phone(phone), timeout: 20, params });
    }
    await this.deps.calls.patchConference(recordId, { mode });
    this.deps.log('call_supervised', { record: recordId, mode });
    return this.liveCall((await this.deps.calls.findById(recordId)) as Row);
  }

  async leave(recordId: string): Promise<void> {
    await this.drop(recordId, 'supervisor', { mode: null });
  }

  /** The interpreter service on the call; it hears the language once it answers (true: the leg is ringing). */
  async interpreter(recordId: string, language: string): Promise<boolean> {
    const line = this.deps.interpreter;
    if (!line) throw new AppError('unprocessable', 'No interpreter line is configured (INTERPRETER_NUMBER).');
    const { state } = await this.connected(recordId);
    if (state.interpreter) return true;
    await this.deps.calls.patchConference(recordId, { language });
    await this.addLeg(recordId, 'interpreter', { from: line.callerId, to: line.number, timeout: 30 });
    this.deps.log('interpreter_called', { record: recordId, language });
    return true;
  }

  /** One leg taken off the call by its call SID (a phone that answered an offer that had ended). */
  async dropLeg(recordId: string, callSid: string): Promise<void> {
    if (!/^CA[0-9a-fA-F]{32}$/.test(callSid)) return;
    await this.deps.rest.delete(this.participants(recordId, callSid));
  }

  async dropInterpreter(recordId: string): Promise<void> {
    await this.drop(recordId, 'interpreter', {});
  }

  private async drop(recordId: string, party: Party, patch: Record<string, unknown>): Promise<void> {
    const { state } = await this.connected(recordId);
    if (state[party]) await this.deps.rest.delete(this.participants(recordId, party));
    await this.deps.calls.patchConference(recordId, { [party]: null, ...patch });
  }

  private async hold(recordId: string, on: boolean): Promise<void> {
    await this.deps.rest.post(this.participants(recordId, 'caller'), { Hold: on });
    // Counted once Twilio has done it; a failed write is not the caller's problem.
    await this.deps.calls.hold(recordId, on, this.deps.clock()).catch(() => undefined);
  }

  /** The caller holds (Twilio's hold music) while the agent's colleague or a number rings (true: ringing). */
  async consult(recordId: string, target: { phone: string } | { number: string }): Promise<boolean> {
    const { row, state } = await this.connected(recordId);
    if (state.consult) throw new AppError('conflict', 'A consultation is already under way on this call.');
    let to: string;
    let from = row.line;
    if ('number' in target) {
      if (!this.deps.outbound) throw new AppError('unprocessable', 'Outbound calls are not configured (OUTBOUND_CALLER_ID).');
      if (!dialAllowed(target.number, this.deps.outbound.allow))
        throw new AppError('unprocessable', 'That number may not be dialed from the center (OUTBOUND_ALLOW).');
      to = target.number;
      from = this.deps.outbound.callerId;
    } else to = this.deps.rest.phone(target.phone);
    await this.hold(recordId, true);
    try {
      await this.addLeg(recordId, 'consult', { from, to, timeout: 25 });
      await this.deps.calls.patchConference(recordId, { phase: 'consulting' });
    } catch (error) {
      await this.hold(recordId, false).catch(() => undefined);
      throw error;
    }
    this.deps.log('consult_started', { record: recordId });
    return true;
  }

  private async consulting(recordId: string): Promise<{ row: Row; state: ConferenceState }> {
    const found = await this.connected(recordId);
    if (!found.state.consult) throw new AppError('conflict', 'There is no consultation under way on this call.');
    return found;
  }

  async consultConference(recordId: string): Promise<void> {
    await this.consulting(recordId);
    await this.hold(recordId, false);
    await this.deps.calls.patchConference(recordId, { phase: 'conferenced' });
  }

  /** Warm transfer: the room no longer ends with the agent but with the consulted party; the agent leaves. */
  async consultTransfer(recordId: string): Promise<void> {
    const { row } = await this.consulting(recordId);
    await this.hold(recordId, false);
    await this.deps.rest.post(this.participants(recordId, 'consult'), { EndConferenceOnExit: true });
    await this.deps.rest.post(this.participants(recordId, 'agent'), { EndConferenceOnExit: false });
    await this.deps.rest.delete(this.participants(recordId, 'agent'));
    await this.deps.calls.patchConference(recordId, { agent: null, phase: 'transferred' });
    if (row.task_id) await this.deps.handedOver(row.task_id);
  }

  async consultCancel(recordId: string): Promise<void> {
    await this.consulting(recordId);
    await this.deps.rest.delete(this.participants(recordId, 'consult'));
    await this.deps.calls.patchConference(recordId, { consult: null, phase: null });
    await this.hold(recordId, false);
  }
}
