import { type AttemptOutcome, dialAllowed } from '../../domain/callbacks/callback-policy.js';
import type { EngineEvent } from '../../domain/routing/engine-types.js';
import type { CallRecordService } from '../../services/call-record.service.js';
import type { CallbackService } from '../../services/callback.service.js';
import type { RoutingService } from '../../services/routing.service.js';
import { telephonyContext } from '../call-session.js';
import { participantsOf, type TwilioRestClient } from './twilio-conference.js';

/**
 * Callbacks of Twilio calls, dialed through Twilio (the SIP path is telephony/callback-dialer.ts): when an agent
 * accepts a callback's try, the node that claims it puts the agent's phone in a room of the try's own
 * (`sb-cb-<task>`); once the agent answers — the case on their screen — it adds the caller's number as the second
 * participant, from the center's caller ID, after checking the allow-list. How the try ended comes back as the legs'
 * status callbacks (`callback-status`), at any node: what a try needs between them is kept with the callback
 * (`callbacks.dialing_state`), and its outcome is reported once. The outbound call has its own record.
 */

export type TwilioCallbackDeps = {
  callbacks: CallbackService;
  calls: CallRecordService;
  routing: RoutingService;
  rest: TwilioRestClient;
  outbound: { callerId: string; allow: readonly RegExp[]; ringSeconds: number };
  node: string;
  clock: () => Date;
  timeZone: string;
  log: (event: string, details: Record<string, unknown>) => void;
};

type TryState = {
  room?: string;
  workerId?: string;
  startedAt?: string;
  agent?: string | null;
  caller?: string | null;
  record?: string | null;
  agentAnswered?: boolean;
};

const ENDED = new Set(['completed', 'canceled', 'busy', 'failed', 'no-answer']);
const ANSWERED = new Set(['in-progress', 'answered']);

/** How a try ended when the number did not answer, by the leg's final call status. */
const outcomeOfCallStatus = (status: string): AttemptOutcome =>
  status === 'busy' ? 'busy' : status === 'no-answer' || status === 'canceled' ? 'no_answer' : 'failed';

export class TwilioCallbackDialer {
  private unsubscribe: (() => void) | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: TwilioCallbackDeps) {}

  start(): void {
    this.unsubscribe ??= this.deps.routing.subscribe((events: EngineEvent[]) => {
      for (const event of events) {
        if (event.type === 'task.assigned' && this.deps.routing.engine.task(event.taskId)?.attributes.callback === true)
          this.track(this.dial(event.taskId, event.workerId));
        // The agent finished the try from the desktop while it rang: the legs hang up, the try failed.
        if ((event.type === 'task.wrapping' || event.type === 'task.completed' || event.type === 'task.canceled') && 'taskId' in event)
          this.track(this.abandon(event.taskId));
      }
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.allSettled([...this.running]);
  }

  private track(run: Promise<void>): void {
    const p = run
      .catch((error: unknown) => this.deps.log('twilio_callback_failed', { error: String(error) }))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private ctx() {
    return telephonyContext(this.deps);
  }

  private statusUrl(callbackId: string, taskId: string, leg: 'agent' | 'caller'): string {
    return this.deps.rest.webhook(`callback-status?callback=${callbackId}&task=${encodeURIComponent(taskId)}&leg=${leg}`);
  }

  private async finishTask(taskId: string): Promise<void> {
    if (this.deps.routing.engine.task(taskId)?.status === 'assigned')
      await this.deps.routing.execute({ type: 'complete', taskId }, this.ctx()).catch(() => undefined);
  }

  /** Reports how the try ended, once (the first webhook about its end does). */
  private async report(
    callbackId: string,
    taskId: string,
    state: TryState,
    outcome: AttemptOutcome,
    extra: { callId?: string | null; sipStatus?: number | null } = {},
  ): Promise<void> {
    if (!(await this.deps.callbacks.takeTryStep(callbackId, taskId, 'reported'))) return;
    await this.deps.callbacks.attemptEnded(this.ctx(), callbackId, {
      taskId,
      workerId: state.workerId ?? null,
      callId: extra.callId ?? null,
      outcome,
      sipStatus: extra.sipStatus ?? null,
      startedAt: state.startedAt ? new Date(state.startedAt) : this.deps.clock(),
      endedAt: this.deps.clock(),
    });
  }

  /** One try: claimed, then the agent's phone rung into the try's room. */
  private async dial(taskId: string, workerId: string): Promise<void> {
    const started = this.deps.clock();
    const callback = await this.deps.callbacks.claim(taskId, this.deps.node, started, 'twilio');
    if (!callback) return; // another node dials it, it is not a Twilio call's, or it is closed
    const room = `sb-cb-${taskId}`;
    const state: TryState = { room, workerId, startedAt: started.toISOString() };
    await this.deps.callbacks.dialingState(callback.id, taskId, state);
    if (!dialAllowed(callback.number, this.deps.outbound.allow)) {
      this.deps.log('callback_number_not_allowed', { callback: callback.id });
      await this.report(callback.id, taskId, state, 'not_allowed');
      await this.finishTask(taskId);
      return;
    }
    const sipUser = this.deps.routing.engine.worker(workerId)?.attributes.sipUser;
    try {
      if (typeof sipUser !== 'string') throw new Error('the agent has no phone (sipUser)');
      const agent = await this.deps.rest.post(participantsOf(room), {
        From: this.deps.outbound.callerId,
        To: this.deps.rest.phone(sipUser),
        Label: 'agent',
        Timeout: 20,
        Beep: 'false',
        StartConferenceOnEnter: true,
        EndConferenceOnExit: true,
        StatusCallback: this.statusUrl(callback.id, taskId, 'agent'),
        StatusCallbackMethod: 'POST',
        StatusCallbackEvent: ['answered', 'completed'],
      });
      await this.deps.callbacks.dialingState(callback.id, taskId, { agent: typeof agent.call_sid === 'string' ? agent.call_sid : null });
    } catch (error) {
      this.deps.log('callback_agent_not_reached', { callback: callback.id, error: error instanceof Error ? error.message : String(error) });
      await this.report(callback.id, taskId, state, 'agent_unreachable');
    }
  }

  /** A leg's status callback: the agent answered (the number is dialed), the number answered or not, a leg ended. */
  async legStatus(q: { callback: string; task: string; leg: 'agent' | 'caller' }, callSid: string, status: string): Promise<void> {
    const callback = await this.deps.callbacks.findCallback(q.callback);
    if (!callback) return;
    if (callback.status !== 'dialing' || callback.task_id !== q.task) {
      // The try was reported (the caller answered): a leg ending now ends the conversation.
      if (ENDED.has(status)) {
        if (q.leg === 'caller') {
          const record = await this.deps.calls.findByExternalId('twilio', callSid);
          if (record && !record.ended_at) await this.deps.calls.ended(record.id, 'completed', undefined, this.deps.clock());
        }
        await this.finishTask(q.task);
      }
      return;
    }
    const state = (callback.dialing_state ?? {}) as TryState;
    const room = state.room ?? `sb-cb-${q.task}`;
    if (q.leg === 'agent') {
      if (ANSWERED.has(status)) {
        // Once: the same news twice (a retried webhook) dials the number once.
        if (!(await this.deps.callbacks.takeTryStep(callback.id, q.task, 'agentAnswered'))) return;
        const caller = await this.deps.rest.post(participantsOf(room), {
          From: this.deps.outbound.callerId,
          To: callback.number,
          Label: 'caller',
          Timeout: this.deps.outbound.ringSeconds,
          Beep: 'false',
          StartConferenceOnEnter: true,
          EndConferenceOnExit: true,
          StatusCallback: this.statusUrl(callback.id, q.task, 'caller'),
          StatusCallbackMethod: 'POST',
          StatusCallbackEvent: ['answered', 'completed'],
        });
        const sid = typeof caller.call_sid === 'string' ? caller.call_sid : `pending-${q.task}`;
        const record = await this.deps.calls.dialed({
          adapter: 'twilio',
          externalId: sid,
          node: this.deps.node,
          line: callback.line,
          unit: callback.unit,
          number: callback.number,
          language: callback.language,
          taskId: q.task,
          workerId: state.workerId ?? '',
          at: this.deps.clock(),
        });
        await this.deps.callbacks.dialingState(callback.id, q.task, { caller: sid, record });
        return;
      }
      if (!ENDED.has(status)) return;
      // The agent's phone did not answer, or hung up while the number rang: the try ends (the number stops ringing).
      if (!state.agentAnswered) await this.report(callback.id, q.task, state, 'agent_unreachable');
      else {
        await this.deps.rest.delete(participantsOf(room, 'caller')).catch(() => undefined);
        if (state.record) await this.deps.calls.ended(state.record, 'failed', undefined, this.deps.clock());
        await this.report(callback.id, q.task, state, 'failed', { callId: state.record ?? null });
      }
      await this.finishTask(q.task);
      return;
    }
    // The number's leg.
    if (ANSWERED.has(status)) {
      if (state.record) await this.deps.calls.answered(state.record, state.workerId ?? null, this.deps.clock());
      await this.report(callback.id, q.task, state, 'answered', { callId: state.record ?? null, sipStatus: 200 });
      this.deps.log('callback_connected', { callback: callback.id, task: q.task });
      return;
    }
    if (!ENDED.has(status)) return;
    const outcome = outcomeOfCallStatus(status);
    if (state.record)
      await this.deps.calls.ended(
        state.record,
        outcome === 'busy' ? 'busy' : outcome === 'no_answer' ? 'no_answer' : 'failed',
        undefined,
        this.deps.clock(),
      );
    // The agent's phone leaves the room (it ends with them) and the try's task goes to wrap-up.
    await this.deps.rest.delete(participantsOf(room, 'agent')).catch(() => undefined);
    await this.report(callback.id, q.task, state, outcome, { callId: state.record ?? null });
    await this.finishTask(q.task);
  }

  /** The try's task ended while the try still rang (the agent finished it from the desktop): its legs hang up. */
  private async abandon(taskId: string): Promise<void> {
    const task = this.deps.routing.engine.task(taskId);
    if (task?.attributes.callback !== true) return;
    const callback = await this.deps.callbacks.findCallbackOfTry(taskId);
    if (callback?.status !== 'dialing' || callback.task_id !== taskId || !callback.dialing_state) return;
    const state = callback.dialing_state as TryState;
    const room = state.room ?? `sb-cb-${taskId}`;
    for (const label of ['caller', 'agent']) await this.deps.rest.delete(participantsOf(room, label)).catch(() => undefined);
    if (state.record) await this.deps.calls.ended(state.record, 'failed', undefined, this.deps.clock());
    await this.report(callback.id, taskId, state, state.agentAnswered ? 'failed' : 'agent_unreachable', { callId: state.record ?? null });
  }
}
