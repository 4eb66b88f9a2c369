import twilio from 'twilio';
import type { Flow } from '../../domain/ivr/flow.js';
import {
  advance,
  type EnqueueNode,
  type Input,
  type Instruction,
  type IvrState,
  initialState,
  type Validators,
} from '../../domain/ivr/machine.js';
import { estimatedWaitSeconds } from '../../domain/routing/statistics.js';
import type { RequestContext } from '../../services/audit.service.js';
import type { CallEndReason, CallRecordService } from '../../services/call-record.service.js';
import type { CallbackService } from '../../services/callback.service.js';
import type { RoutingService } from '../../services/routing.service.js';
import { normalizeNumber } from '../call-control.js';
import type { InterpreterLine } from '../live-calls.js';
import type { Language, PromptLibrary } from '../media/prompts.js';
import { TwilioCallbackDialer } from './twilio-callbacks.js';
import { BASE, type Party, TwilioConference, type TwilioRest, TwilioRestClient } from './twilio-conference.js';

export type { TwilioRest } from './twilio-conference.js';

/**
 * The cloud-voice adapter (Twilio Programmable Voice): the same IVR flows and
 * the same ACD, one webhook at a time. Each webhook's X-Twilio-Signature is
 * checked by the access guard (src/http/access-guard.ts) with the official
 * `twilio` package before anything here runs. The IVR's state lives in the
 * call record, so any node can answer the next webhook; TwiML is built with
 * the package's VoiceResponse. Prompts are spoken by Twilio (<Say>) from the
 * same catalogue the SIP adapter renders to sound.
 */

export type TwilioConfig = { authToken: string; baseUrl: string };
export type Params = Record<string, string>;

const SAY_LANGUAGE: Record<Language, 'en-US' | 'es-MX'> = { en: 'en-US', es: 'es-MX' };

/** Twilio's request validation (HMAC-SHA1 over the full URL and the sorted POST parameters), by the official package. */
export function verifyTwilioSignature(config: TwilioConfig, signature: string | undefined, pathAndQuery: string, params: Params): boolean {
  if (!signature) return false;
  return twilio.validateRequest(config.authToken, signature, `${config.baseUrl.replace(/\/$/, '')}${pathAndQuery}`, params);
}

type Stored = {
  ivr: IvrState;
  /** The flow the call started in: a version saved from the admin console meanwhile is for the calls after it. */
  flow?: Flow;
  taskId?: string;
  callbackOffer?: boolean;
  callbackTaskId?: string;
  reservationId?: string;
};

export class TwilioCalls {
  /** The calls' conferences (agent, interpreter, supervisor, consultation); null without the REST API. */
  readonly conference: TwilioConference | null;
  /** Callbacks of Twilio calls, dialed through Twilio; null without the REST API, outbound calling or the callbacks. */
  readonly callbackDialer: TwilioCallbackDialer | null;
  private readonly rest: TwilioRestClient | null;

  constructor(
    private readonly deps: {
      /** The call record: every milestone and the adapter's state between webhooks are written through it. */
      calls: CallRecordService;
      routing: RoutingService;
      flows: Map<string, Flow>;
      prompts: PromptLibrary;
      validators: Validators;
      node: string;
      clock: () => Date;
      timeZone: string;
      /** Without it, queued Twilio calls wait for an agent the adapter cannot connect: set TWILIO_ACCOUNT_SID. */
      rest?: TwilioRest;
      /** The interpreter service (INTERPRETER_NUMBER) and outbound calling (OUTBOUND_CALLER_ID, OUTBOUND_ALLOW). */
      interpreter?: InterpreterLine | null;
      outbound?: { callerId: string; allow: readonly RegExp[]; ringSeconds?: number } | null;
      /** Callbacks kept: with `rest` and `outbound`, the callbacks of Twilio calls are dialed through Twilio. */
      callbacks?: CallbackService;
      log?: (event: string, details: Record<string, unknown>) => void;
    },
  ) {
    const rest = deps.rest ? new TwilioRestClient(deps.rest) : null;
    this.rest = rest;
    this.conference = rest
      ? new TwilioConference({
          calls: deps.calls,
          rest,
          interpreter: deps.interpreter ?? null,
          outbound: deps.outbound ?? null,
          handedOver: async (taskId) => {
            if (this.deps.routing.engine.task(taskId)?.status === 'assigned')
              await this.deps.routing.execute({ type: 'complete', taskId }, this.ctx());
          },
          clock: deps.clock,
          log: (event, details) => deps.log?.(event, details),
        })
      : null;
    this.callbackDialer =
      rest && deps.outbound && deps.callbacks
        ? new TwilioCallbackDialer({
            callbacks: deps.callbacks,
            calls: deps.calls,
            routing: deps.routing,
            rest,
            outbound: { callerId: deps.outbound.callerId, allow: deps.outbound.allow, ringSeconds: deps.outbound.ringSeconds ?? 30 },
            node: deps.node,
            clock: deps.clock,
            timeZone: deps.timeZone,
            log: (event, details) => deps.log?.(event, details),
          })
        : null;
  }

  private unsubscribe: (() => void) | undefined;

  /**
   * Follows the ACD: when it reserves an agent for a task of a Twilio call, the call is moved (REST: update the call
   * with new TwiML) from Twilio's queue to a <Dial> of the agent's SIP phone. Answer → the reservation is accepted;
   * no answer → rejected, and the caller goes back to the queue, same place.
   */
  start(): void {
    this.callbackDialer?.start();
    this.unsubscribe ??= this.deps.routing.subscribe((events) => {
      for (const e of events)
        if (e.type === 'reservation.created')
          this.offer(e.taskId, e.reservationId, e.workerId).catch((error) =>
            this.deps.log?.('twilio_offer_failed', { error: String(error) }),
          );
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    void this.callbackDialer?.stop();
  }

  /** A callback try's leg (the agent's phone, the number called back) answered or ended. */
  async callbackStatus(p: Params, q: { callback?: string; task?: string; leg?: 'agent' | 'caller' }): Promise<string> {
    if (this.callbackDialer && q.callback && q.task && q.leg)
      await this.callbackDialer.legStatus({ callback: q.callback, task: q.task, leg: q.leg }, p.CallSid ?? '', p.CallStatus ?? '');
    return new twilio.twiml.VoiceResponse().toString();
  }

  private async offer(taskId: string, reservationId: string, workerId: string): Promise<void> {
    const row = await this.deps.calls.findOpenByTask('twilio', taskId);
    if (!row) return;
    await this.deps.calls.offered(row.id, workerId, this.deps.clock());
    const sipUser = this.deps.routing.engine.worker(workerId)?.attributes.sipUser;
    if (!this.conference || typeof sipUser !== 'string') return; // the agent answers on the desktop; nothing to connect here
    await this.save(row.id, { ...(row.adapter_state as Stored), reservationId });
    // The phone rings a little less long than the offer lasts: it gives up before the ACD moves on, so an agent never
    // answers an offer that has already gone to someone else.
    const timeoutAt = this.deps.routing.engine.reservation(reservationId)?.timeoutAt;
    const ringSeconds = timeoutAt ? Math.min(60, Math.max(5, Math.floor((timeoutAt - this.deps.clock().getTime()) / 1000) - 3)) : 15;
    try {
      await this.conference.connectAgent(row, reservationId, sipUser, ringSeconds);
    } catch (error) {
      this.deps.log?.('twilio_connect_refused', { error: error instanceof Error ? error.message : String(error) });
      await this.deps.routing.execute({ type: 'reject', reservationId }, this.ctx()).catch(() => undefined);
      await this.requeue(row.external_id, taskId);
    }
  }

  /** The caller back in Twilio's queue for the same task (same place: the task kept its arrival time). */
  private async requeue(callSid: string, taskId: string): Promise<void> {
    const rest = this.rest;
    if (!rest) return;
    const response = new twilio.twiml.VoiceResponse();
    response.enqueue(
      { waitUrl: rest.webhook('wait'), waitUrlMethod: 'POST', action: rest.webhook('queue-result'), method: 'POST' },
      taskId,
    );
    await rest
      .post(`Calls/${callSid}.json`, { Twiml: response.toString() })
      .catch((error) => this.deps.log?.('twilio_requeue_refused', { error: error instanceof Error ? error.message : String(error) }));
  }

  /**
   * A conference leg's status callback. The agent's phone answered: the reservation is accepted. It did not (or
   * failed): the reservation is rejected and the caller goes back to the queue, same place.
   */
  async participantStatus(p: Params, q: { record?: string; party?: Party; reservation?: string }): Promise<string> {
    const empty = new twilio.twiml.VoiceResponse().toString();
    if (!this.conference || !q.record || !q.party) return empty;
    const offer = q.reservation ? this.deps.routing.engine.reservation(q.reservation) : undefined;
    if (q.party === 'agent' && offer?.status !== 'pending' && offer?.status !== 'accepted') {
      // A leg of an offer that has ended (timed out, withdrawn, or rejected when it rang out): it is not the room's
      // agent. Answering late, it is taken off the call; its other news changes nothing.
      if (p.CallStatus === 'in-progress' || p.CallStatus === 'answered')
        await this.conference
          .dropLeg(q.record, p.CallSid ?? '')
          .catch((error) => this.deps.log?.('twilio_drop_failed', { error: String(error) }));
      return empty;
    }
    const result = await this.conference.legStatus(q.record, q.party, p.CallSid ?? '', p.CallStatus ?? '');
    if (q.party !== 'agent' || !q.reservation || result === 'ignored' || offer?.status !== 'pending') return empty;
    if (result === 'joined') await this.deps.calls.acceptAndAnswer(this.ctx(), q.record, q.reservation);
    else {
      await this.deps.routing.execute({ type: 'reject', reservationId: q.reservation }, this.ctx()).catch(() => undefined);
      const row = await this.deps.calls.findById(q.record);
      if (row && !row.ended_at) await this.requeue(row.external_id, offer.taskId);
    }
    return empty;
  }

  /** What the interpreter hears once their leg answers: the language needed. */
  announce(language: string): string {
    return TwilioConference.announce(language);
  }

  /** After the caller's <Dial> to the agent's room: they talked (the call ends, wrap-up), or not (back to the queue). */
  async dialResult(p: Params, reservationId: string): Promise<string> {
    const row = await this.load(p.CallSid ?? '');
    const response = new twilio.twiml.VoiceResponse();
    const stored = row?.adapter_state as Stored | null;
    if (!row || !stored?.taskId) return response.hangup().toString();
    const task = this.deps.routing.engine.task(stored.taskId);
    if (p.DialCallStatus === 'completed' || p.DialCallStatus === 'answered' || task?.status === 'assigned') {
      // They talked. If the answered callback never came, the reservation is accepted now, so the task cannot go
      // back to the queue for a caller who is gone; then it goes to wrap-up.
      const reservation = this.deps.routing.engine.reservation(reservationId);
      if (reservation?.status === 'pending')
        await this.deps.routing.execute({ type: 'accept', reservationId }, this.ctx()).catch(() => undefined);
      if (this.deps.routing.engine.task(stored.taskId)?.status === 'assigned')
        await this.deps.routing.execute({ type: 'complete', taskId: stored.taskId }, this.ctx()).catch(() => undefined);
      await this.end(row.id, 'completed', stored);
      return response.hangup().toString();
    }
    const reservation = this.deps.routing.engine.reservation(reservationId);
    if (reservation?.status === 'pending') await this.deps.routing.execute({ type: 'reject', reservationId }, this.ctx());
    // Back in the queue, in the same place (the task kept its arrival time).
    response.enqueue({ waitUrl: `${BASE}/wait`, waitUrlMethod: 'POST', action: `${BASE}/queue-result`, method: 'POST' }, stored.taskId);
    return response.toString();
  }

  private ctx(): RequestContext {
    return {
      actor: null,
      system: `telephony.twilio.${this.deps.node}`,
      sourceIp: null,
      requestId: null,
      now: this.deps.clock(),
      timeZone: this.deps.timeZone,
    };
  }

  private flowOf(to: string): Flow | undefined {
    const line = normalizeNumber(to);
    return line ? this.deps.flows.get(line) : undefined;
  }

  private load(callSid: string) {
    return this.deps.calls.findByExternalId('twilio', callSid);
  }

  private save(id: string, stored: Stored): Promise<void> {
    return this.deps.calls.saveAdapterState(id, { ...stored }, stored.ivr.path);
  }

  private lang(state: IvrState): Language {
    return state.vars.language === 'es' ? 'es' : 'en';
  }

  private say(
    r: twilio.twiml.VoiceResponse | ReturnType<twilio.twiml.VoiceResponse['gather']>,
    id: string,
    language: Language,
    params = {},
  ) {
    r.say({ language: SAY_LANGUAGE[language] }, this.deps.prompts.text(id, language, params));
  }

  /** A new call: the call record, then the flow's first steps. */
  async incoming(p: Params): Promise<string> {
    const flow = this.flowOf(p.To ?? '');
    const response = new twilio.twiml.VoiceResponse();
    if (!flow || !p.CallSid) {
      response.reject({ reason: 'rejected' });
      return response.toString();
    }
    const existing = await this.load(p.CallSid);
    let id = existing?.id;
    const started = (existing?.adapter_state as Stored | null)?.flow ?? flow;
    let state = initialState(started);
    if (!existing) {
      id = await this.deps.calls.arrived({
        adapter: 'twilio',
        externalId: p.CallSid,
        node: this.deps.node,
        line: flow.line,
        unit: flow.unit,
        caller: p.From ?? null,
        arrivedAt: this.deps.clock(),
      });
    } else state = (existing.adapter_state as Stored | null)?.ivr ?? state;
    return this.step(id as string, started, { ivr: state, flow: started }, null);
  }

  /** Keys from a <Gather>, or none (the redirect after its timeout). */
  async gather(p: Params, timedOut: boolean): Promise<string> {
    const row = await this.load(p.CallSid ?? '');
    const saved = row?.adapter_state as Stored | null | undefined;
    const flow = saved?.flow ?? (row && this.flowOf(row.line));
    if (!row || !flow || row.ended_at) return new twilio.twiml.VoiceResponse().hangup().toString();
    const stored = saved ?? { ivr: initialState(flow), flow };
    const digits = (p.Digits ?? '').replace(/[^0-9*#]/g, '');
    return this.step(row.id, flow, stored, timedOut || digits === '' ? { timeout: true } : { digits });
  }

  private async step(id: string, flow: Flow, stored: Stored, input: Input): Promise<string> {
    const result = await advance(flow, stored.ivr, input, { now: this.deps.clock(), validators: this.deps.validators });
    const next: Stored = { ...stored, ivr: result.state };
    const language = this.lang(result.state);
    const response = new twilio.twiml.VoiceResponse();
    for (const i of result.instructions) await this.render(response, i, id, flow, next, language);
    await this.save(id, next);
    return response.toString();
  }

  private async render(response: twilio.twiml.VoiceResponse, i: Instruction, id: string, flow: Flow, stored: Stored, language: Language) {
    switch (i.kind) {
      case 'play':
        this.say(response, i.prompt, language);
        return;
      case 'gather': {
        const gather = response.gather({
          input: ['dtmf'],
          numDigits: i.maxDigits,
          timeout: Math.ceil(i.timeoutMs / 1000),
          finishOnKey: i.terminator ?? '',
          action: `${BASE}/gather`,
          method: 'POST',
        });
        this.say(gather, i.prompt, language);
        response.redirect({ method: 'POST' }, `${BASE}/gather?timedOut=1`);
        return;
      }
      case 'hangup':
        await this.end(
          id,
          i.reason === 'emergency_guidance' ? 'emergency_guidance' : i.reason === 'closed' ? 'closed' : 'completed',
          stored,
        );
        response.hangup();
        return;
      case 'transfer':
        await this.end(id, 'transferred', stored);
        response.dial(i.to);
        return;
      case 'voicemail':
        await this.finishIvr(id, stored);
        this.say(response, i.prompt, language);
        response.record({ maxLength: i.maxSeconds, action: `${BASE}/status?voicemail=1`, method: 'POST', playBeep: true });
        return;
      case 'enqueue':
        await this.enqueue(response, id, flow, stored, i.node, i.attributes, i.priority, language);
        return;
    }
  }

  private finishIvr(id: string, stored: Stored) {
    return this.deps.calls.ivrDone(id, stored.ivr.vars, stored.ivr.path, this.deps.clock());
  }

  private async enqueue(
    response: twilio.twiml.VoiceResponse,
    id: string,
    flow: Flow,
    stored: Stored,
    node: EnqueueNode,
    vars: Record<string, string | boolean>,
    priority: number,
    language: Language,
  ) {
    await this.finishIvr(id, stored);
    const taskId = this.deps.routing.newTaskId();
    await this.deps.calls.queued(this.ctx(), { taskId, recordId: id, line: flow.line, language, vars, priority });
    stored.taskId = taskId;
    stored.callbackOffer = node.callbackOffer;
    this.say(response, 'queue-entry', language);
    response.enqueue({ waitUrl: `${BASE}/wait`, waitUrlMethod: 'POST', action: `${BASE}/queue-result`, method: 'POST' }, taskId);
  }

  /** Twilio's wait music: our own place and wait, the callback offer, a pause. */
  async wait(p: Params): Promise<string> {
    const row = await this.load(p.CallSid ?? '');
    const response = new twilio.twiml.VoiceResponse();
    const stored = row?.adapter_state as Stored | null;
    if (!row || !stored?.taskId) return response.leave().toString();
    const language = this.lang(stored.ivr);
    const ewt = estimatedWaitSeconds(this.deps.routing.engine, stored.taskId);
    if (ewt && ewt.position > 0)
      this.say(response, 'queue-position', language, { position: ewt.position, minutes: Math.max(1, Math.round(ewt.seconds / 60)) });
    if (stored.callbackOffer) {
      const gather = response.gather({ input: ['dtmf'], numDigits: 1, timeout: 5, action: `${BASE}/wait-key`, method: 'POST' });
      this.say(gather, 'callback-offer', language);
    }
    this.say(response, 'hold-music', language);
    response.pause({ length: 20 });
    return response.toString();
  }

  /** A key in the queue: 1 is the callback (the task keeps its place); the caller leaves the queue. */
  async waitKey(p: Params): Promise<string> {
    const row = await this.load(p.CallSid ?? '');
    const response = new twilio.twiml.VoiceResponse();
    const stored = row?.adapter_state as Stored | null;
    if (!row || !stored?.taskId || p.Digits !== '1' || !stored.callbackOffer) return response.toString();
    const task = this.deps.routing.engine.task(stored.taskId);
    if (task?.status !== 'pending') return response.toString();
    const callbackTaskId = this.deps.routing.newTaskId();
    await this.deps.calls.callbackRequested(this.ctx(), {
      recordId: row.id,
      taskId: stored.taskId,
      callbackTaskId,
      attributes: { callback: true, callRecord: row.id },
    });
    stored.callbackTaskId = callbackTaskId;
    await this.save(row.id, stored);
    return response.leave().toString();
  }

  /** After <Enqueue>: the caller left (callback), hung up (abandoned), or the queue failed. */
  async queueResult(p: Params): Promise<string> {
    const row = await this.load(p.CallSid ?? '');
    const response = new twilio.twiml.VoiceResponse();
    const stored = row?.adapter_state as Stored | null;
    if (!row || !stored) return response.hangup().toString();
    const language = this.lang(stored.ivr);
    if (stored.callbackTaskId) {
      await this.end(row.id, 'callback', stored);
      this.say(response, 'callback-confirmed', language);
      return response.hangup().toString();
    }
    // Moved to the agent's <Dial> by the ACD: the call goes on there.
    if (p.QueueResult === 'redirected' || p.QueueResult === 'bridged') return response.toString();
    if (p.QueueResult === 'hangup') await this.abandon(row.id, stored);
    else await this.end(row.id, 'failed', stored);
    return response.hangup().toString();
  }

  /** The call's status callback: a call that ended anywhere ends its record (and a waiting task is abandoned). */
  async status(p: Params): Promise<string> {
    const row = await this.load(p.CallSid ?? '');
    if (row && !row.ended_at) {
      const stored = (row.adapter_state as Stored | null) ?? undefined;
      if (p.RecordingUrl) await this.deps.calls.recording(row.id, p.RecordingUrl);
      if (['completed', 'canceled', 'busy', 'failed', 'no-answer'].includes(p.CallStatus ?? '') || p.RecordingUrl) {
        if (p.RecordingUrl) await this.end(row.id, 'voicemail', stored);
        else if (stored?.taskId) await this.abandon(row.id, stored);
        else await this.end(row.id, row.ivr_done_at ? 'completed' : 'abandoned_ivr', stored);
      }
    }
    return new twilio.twiml.VoiceResponse().toString();
  }

  /** The caller left: a waiting task is canceled as abandoned, a connected one goes to wrap-up; the record ends either way. */
  private async abandon(id: string, stored: Stored) {
    // The routing command and the record's end are stored in one transaction; if the command is refused (the task
    // moved on meanwhile), the record still ends.
    const taskId = stored.taskId;
    const status = taskId ? this.deps.routing.engine.task(taskId)?.status : undefined;
    const path = stored.ivr.path;
    if (taskId && (status === 'pending' || status === 'reserved')) {
      const canceled = await this.deps.calls.abandoned(this.ctx(), { taskId, recordId: id, reason: 'abandoned_queue', path }).then(
        () => true,
        () => false,
      );
      if (canceled) return;
    }
    if (taskId && this.deps.routing.engine.task(taskId)?.status === 'assigned') {
      const completed = await this.deps.calls.completed(this.ctx(), { taskId, recordId: id, path }).then(
        () => true,
        () => false,
      );
      if (!completed) await this.end(id, 'completed', stored);
      return;
    }
    await this.end(id, status === 'assigned' ? 'completed' : 'abandoned_queue', stored);
  }

  private end(id: string, reason: CallEndReason, stored: Stored | undefined) {
    return this.deps.calls.ended(id, reason, stored?.ivr.path, this.deps.clock());
  }
}
