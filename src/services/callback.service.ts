import type { Transaction } from 'kysely';
import type { Actor } from '../domain/access/access-control.js';
import { isTimeZone } from '../domain/calendar/calendar-day.js';
import {
  type AttemptOutcome,
  type CallbackPolicy,
  maskNumber,
  nextAttemptAt,
  nextCallingTime,
  withinCallingHours,
} from '../domain/callbacks/callback-policy.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import * as repo from '../storage/repositories/callback.repository.js';
import type { CallbackStatus, Database } from '../storage/schema.js';

type Tx = Transaction<Database>;

import { appendAudit, type RequestContext } from './audit.service.js';
import type { RoutingService } from './routing.service.js';

/**
 * Callbacks kept. A caller who pressed 1 (or whose wait overflowed to a callback, or whose agent scheduled one)
 * is owed a call: each try is an ACD task an agent accepts, and call control then rings the agent and dials the
 * caller (src/telephony/callback-dialer.ts). A try that does not reach the caller — no answer, busy, their
 * voicemail — schedules the next after the policy's spacing, inside calling hours in the caller's time zone (else
 * the center's); after the last, the callback waits on a supervisor's list, who may grant another try or close it.
 * A scheduled callback is released to the ACD at its time, ahead of ordinary calls. The number is the caller's
 * personal data: agents and supervisors see it masked — the center dials, not the person — and it is never logged.
 */

export type CallbackDeps = { db: Db; routing: RoutingService; policy: CallbackPolicy };

/** A callback released from schedule goes ahead of ordinary calls in its queue (a promise made earlier). */
export const SCHEDULED_PRIORITY = 10;
/** A try not finished after this long was lost with its node (a try rings for at most a minute and talks for hours: generous). */
const STUCK_AFTER_MS = 6 * 60 * 60 * 1000;
/** A dialing node silent this long (it beats every second) is dead: its try is given back. */
const DEAD_NODE_MS = 10_000;
/** A try claimed this recently is left alone whatever the beats say (a node that has just started dialing). */
const CLAIM_GRACE_MS = 30_000;

/** A case a callback is about, as the agent making the try sees it. */
export type CallbackCase = { id: string; caseNumber: string; summary: string; status: string; type: string };

export type CallbackView = {
  id: string;
  callId: string | null;
  number: string | null;
  line: string;
  unit: 'general' | 'uac';
  language: string;
  origin: 'ivr' | 'overflow' | 'scheduled';
  status: CallbackStatus;
  taskId: string | null;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastOutcome: string | null;
  createdAt: string;
  updatedAt: string;
  tries: { outcome: string; counted: boolean; sipStatus: number | null; workerId: string | null; startedAt: string; endedAt: string }[];
};

const view = (row: repo.CallbackRow, tries: repo.CallbackAttemptRow[]): CallbackView => ({
  id: row.id,
  callId: row.call_id,
  number: maskNumber(row.number),
  line: row.line,
  unit: row.unit,
  language: row.language,
  origin: row.origin,
  status: row.status,
  taskId: row.task_id,
  attempts: row.attempts,
  maxAttempts: row.max_attempts,
  nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
  lastOutcome: row.last_outcome,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  tries: tries
    .filter((t) => t.callback_id === row.id)
    .map((t) => ({
      outcome: t.outcome,
      counted: t.counted,
      sipStatus: t.sip_status,
      workerId: t.worker_id,
      startedAt: t.started_at.toISOString(),
      endedAt: t.ended_at.toISOString(),
    })),
});

export type AttemptReport = {
  taskId: string;
  workerId: string | null;
  callId: string | null;
  outcome: AttemptOutcome;
  sipStatus: number | null;
  startedAt: Date;
  endedAt: Date;
};

export class CallbackService {
  constructor(private readonly deps: CallbackDeps) {}

  get policy(): CallbackPolicy {
    return this.deps.policy;
  }

  /** The callback for a call's number, made in the transaction that made its first try's task (IVR, overflow). */
  async fromCall(trx: Tx, ctx: RequestContext, call: { callId: string; taskId: string; origin: 'ivr' | 'overflow' }): Promise<void> {
    const row = await repo.insertCallbackFromCall(trx, {
      callId: call.callId,
      taskId: call.taskId,
      origin: call.origin,
      status: 'queued',
      maxAttempts: this.deps.policy.maxAttempts,
      nextAttemptAt: null,
      priority: 0,
      now: ctx.now,
    });
    if (row)
      await appendAudit(trx, ctx, {
        action: 'callback.promise',
        outcome: 'allowed',
        resourceType: 'callback',
        resourceId: row.id,
        details: { origin: call.origin, callId: call.callId, taskId: call.taskId },
      });
  }

  /**
   * Takes a try's callback for this node to dial (one node dials it, whichever asks first) through `adapter`: the
   * callbacks of Twilio calls are dialed through Twilio, the others through the SIP edge.
   */
  claim(taskId: string, node: string, now: Date, adapter: 'sip' | 'twilio' = 'sip'): Promise<repo.CallbackRow | undefined> {
    return this.deps.db.transaction().execute((trx) => repo.claimCallbackForDialing(trx, taskId, node, now, adapter));
  }

  /** A try dialed through the cloud adapter: its state between webhooks (null: the callback is no longer dialing it). */
  dialingState(id: string, taskId: string, patch: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    return repo.patchDialingState(this.deps.db, id, taskId, patch);
  }

  /** True once per try and step: the one webhook that reports how it ended, or that dials once the agent answered. */
  takeTryStep(id: string, taskId: string, step: 'reported' | 'agentAnswered'): Promise<boolean> {
    return repo.takeTryStep(this.deps.db, id, taskId, step);
  }

  findCallback(id: string): Promise<repo.CallbackRow | undefined> {
    return repo.findCallback(this.deps.db, id);
  }

  /** The callback whose current try is this task. */
  findCallbackOfTry(taskId: string): Promise<repo.CallbackRow | undefined> {
    return repo.findCallbackByTask(this.deps.db, taskId);
  }

  /**
   * How a try ended: recorded, and the callback kept (answered), scheduled again (inside calling hours, after the
   * policy's spacing), queued again at once (the agent was not reached: the caller was not called), or put on the
   * supervisors' list (tries used up, or a number outside the allow-list).
   */
  async attemptEnded(ctx: RequestContext, callbackId: string, a: AttemptReport): Promise<repo.CallbackRow> {
    return this.deps.db.transaction().execute(async (trx) => {
      const row = await repo.lockCallback(trx, callbackId);
      if (!row) throw new AppError('not_found', 'There is no such callback.');
      const counted = a.outcome !== 'agent_unreachable' && a.outcome !== 'not_allowed';
      await repo.insertCallbackAttempt(trx, {
        callback_id: row.id,
        task_id: a.taskId,
        worker_id: a.workerId,
        call_id: a.callId,
        outcome: a.outcome,
        sip_status: a.sipStatus,
        counted,
        started_at: a.startedAt,
        ended_at: a.endedAt,
      });
      const attempts = row.attempts + (counted ? 1 : 0);
      const next = this.after(row, a.outcome, attempts, ctx.now, ctx.timeZone);
      await repo.updateCallback(trx, row.id, {
        ...next,
        attempts,
        last_outcome: a.outcome,
        dialing_node: null,
        dialing_since: null,
        dialing_state: null,
        updated_at: ctx.now,
      });
      await appendAudit(trx, ctx, {
        action: 'callback.attempt',
        outcome: 'allowed',
        resourceType: 'callback',
        resourceId: row.id,
        details: {
          outcome: a.outcome,
          attempt: attempts,
          taskId: a.taskId,
          ...(a.callId ? { callId: a.callId } : {}),
          ...(a.sipStatus !== null ? { sipStatus: a.sipStatus } : {}),
          status: next.status,
          ...(next.next_attempt_at ? { nextAttemptAt: next.next_attempt_at.toISOString() } : {}),
        },
      });
      return { ...row, ...next, attempts, last_outcome: a.outcome };
    });
  }

  private after(
    row: repo.CallbackRow,
    outcome: AttemptOutcome,
    attempts: number,
    now: Date,
    centerZone: string,
  ): { status: CallbackStatus; next_attempt_at: Date | null; task_id: string | null } {
    if (outcome === 'answered') return { status: 'completed', next_attempt_at: null, task_id: null };
    if (outcome === 'not_allowed') return { status: 'exhausted', next_attempt_at: null, task_id: null };
    const zone = row.time_zone ?? centerZone;
    if (outcome === 'agent_unreachable')
      return { status: 'scheduled', next_attempt_at: nextCallingTime(now, zone, this.deps.policy.hours), task_id: null };
    const at = nextAttemptAt(now, attempts, { ...this.deps.policy, maxAttempts: row.max_attempts }, zone);
    return at ? { status: 'scheduled', next_attempt_at: at, task_id: null } : { status: 'exhausted', next_attempt_at: null, task_id: null };
  }

  /**
   * The agent reached the caller's voicemail (or a wrong person) on a try that call control saw answered: the try
   * is recorded as such, and the callback scheduled again as for no answer.
   */
  async reachedVoicemail(trx: Tx, ctx: RequestContext, taskId: string): Promise<boolean> {
    const row = await repo.findCallbackByAttemptTask(trx, taskId);
    if (!row) return false;
    const locked = await repo.lockCallback(trx, row.id);
    const attempt = locked ? await repo.latestAttempt(trx, locked.id) : undefined;
    if (!locked || !attempt || attempt.task_id !== taskId || locked.status !== 'completed') return false;
    await repo.setAttemptOutcome(trx, attempt.id, 'voicemail');
    const next = this.after(locked, 'voicemail', locked.attempts, ctx.now, ctx.timeZone);
    await repo.updateCallback(trx, locked.id, { ...next, last_outcome: 'voicemail', updated_at: ctx.now });
    await appendAudit(trx, ctx, {
      action: 'callback.attempt',
      outcome: 'allowed',
      resourceType: 'callback',
      resourceId: locked.id,
      details: { outcome: 'voicemail', attempt: locked.attempts, taskId, status: next.status, markedBy: 'agent' },
    });
    return true;
  }

  /**
   * A callback the agent promised in wrap-up ("Callback scheduled"): to the number the contact came from, released
   * to the ACD at `at` (inside calling hours, within 30 days) ahead of ordinary calls.
   */
  async schedule(trx: Tx, ctx: RequestContext & { actor: Actor }, taskId: string, at: Date, callerZone?: string): Promise<string> {
    const bad = (message: string, code: string, path = 'body.callbackAt') =>
      new AppError('validation_failed', message, { issues: [{ path, code, message }] });
    if (callerZone !== undefined && !isTimeZone(callerZone))
      throw bad(
        `"${callerZone}" is not a time zone: use an IANA name such as America/New_York.`,
        'unknown_time_zone',
        'body.callbackTimeZone',
      );
    if (at.getTime() <= ctx.now.getTime()) throw bad('The callback time has passed: choose a time in the future.', 'in_the_past');
    if (at.getTime() > ctx.now.getTime() + 30 * 86_400_000) throw bad('Schedule callbacks at most 30 days ahead.', 'too_far');
    const call = await repo.callOfTask(trx, taskId);
    const earlier = call ? undefined : await repo.findCallbackByAttemptTask(trx, taskId);
    const callId = call?.id ?? earlier?.call_id ?? null;
    if (!callId || (call && !call.caller_number))
      throw new AppError('unprocessable', 'This contact has no number to call back (the caller withheld it, or it was not a call).');
    const zone = callerZone ?? earlier?.time_zone ?? ctx.timeZone;
    if (!withinCallingHours(at, zone, this.deps.policy.hours)) {
      const h = this.deps.policy.hours;
      const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      throw bad(
        `Callbacks are made between ${hhmm(h.start)} and ${hhmm(h.end)} in the caller's time zone (${zone}).`,
        'outside_calling_hours',
      );
    }
    const row = await repo.insertCallbackFromCall(trx, {
      callId,
      taskId: null,
      origin: 'scheduled',
      status: 'scheduled',
      maxAttempts: this.deps.policy.maxAttempts,
      nextAttemptAt: at,
      priority: SCHEDULED_PRIORITY,
      now: ctx.now,
    });
    if (!row) throw new AppError('unprocessable', 'This contact has no number to call back (the caller withheld it).');
    if (zone !== ctx.timeZone) await repo.updateCallback(trx, row.id, { time_zone: zone });
    await appendAudit(trx, ctx, {
      action: 'callback.schedule',
      outcome: 'allowed',
      resourceType: 'callback',
      resourceId: row.id,
      details: { taskId, callId, at: at.toISOString() },
    });
    return row.id;
  }

  /**
   * Releases the callbacks whose time has come to the ACD (a task each, with the callback's queue attributes, in the
   * transaction that marks it queued), and gives back tries whose node died mid-call. Returns how many were released.
   */
  async releaseDue(ctx: RequestContext, limit = 200): Promise<number> {
    const stuck = await this.deps.db.transaction().execute((trx) =>
      repo.stuckDialing(
        trx,
        {
          before: new Date(ctx.now.getTime() - STUCK_AFTER_MS),
          claimedBefore: new Date(ctx.now.getTime() - CLAIM_GRACE_MS),
          deadAfterMs: DEAD_NODE_MS,
        },
        limit,
      ),
    );
    for (const row of stuck)
      await this.attemptEnded(ctx, row.id, {
        taskId: row.task_id ?? '',
        workerId: null,
        callId: null,
        outcome: 'failed',
        sipStatus: null,
        startedAt: row.dialing_since ?? ctx.now,
        endedAt: ctx.now,
      });
    const due = await repo.dueCallbackIds(this.deps.db, ctx.now, limit);
    let released = 0;
    for (const id of due) if (await this.release(ctx, id)) released += 1;
    return released;
  }

  private async release(ctx: RequestContext, id: string): Promise<boolean> {
    const row = await repo.findCallback(this.deps.db, id);
    if (row?.status !== 'scheduled') return false;
    const taskId = this.deps.routing.newTaskId();
    let released = false;
    await this.deps.routing
      .execute(
        {
          type: 'createTask',
          task: {
            id: taskId,
            channel: 'voice',
            priority: row.priority,
            attributes: {
              ...(row.attributes as Record<string, string | boolean>),
              kind: 'call',
              callback: true,
              callbackId: row.id,
              line: row.line,
              language: row.language,
              ...(row.call_id ? { callRecord: row.call_id } : {}),
            },
          },
        },
        ctx,
        async (trx) => {
          const locked = await repo.lockCallback(trx, id);
          // Released by another node's sweep meanwhile: this task must not exist either (the error rolls it back).
          if (locked?.status !== 'scheduled') throw new AppError('conflict', 'callback released elsewhere');
          await repo.updateCallback(trx, id, { status: 'queued', task_id: taskId, next_attempt_at: null, updated_at: ctx.now });
          await appendAudit(trx, ctx, {
            action: 'callback.release',
            outcome: 'allowed',
            resourceType: 'callback',
            resourceId: id,
            details: { taskId, attempt: locked.attempts + 1, priority: locked.priority },
          });
          released = true;
        },
      )
      .catch((error: unknown) => {
        if (!(error instanceof AppError && error.code === 'conflict')) throw error;
      });
    return released;
  }

  /** The callbacks in some states (a supervisor's list: exhausted), numbers masked, with their tries. */
  async list(ctx: RequestContext & { actor: Actor }, statuses: readonly CallbackStatus[], limit: number): Promise<CallbackView[]> {
    return this.deps.db.transaction().execute(async (trx) => {
      const rows = (await repo.listCallbacks(trx, statuses, limit)).filter((r) => mayReadUnit(ctx.actor, r.unit));
      const tries = await repo.attemptsOf(
        trx,
        rows.map((r) => r.id),
      );
      await appendAudit(trx, ctx, {
        action: 'callback.list',
        outcome: 'allowed',
        resourceType: 'callback',
        details: { statuses: [...statuses], count: rows.length },
      });
      return rows.map((r) => view(r, tries));
    });
  }

  private async readable(trx: Tx, ctx: RequestContext & { actor: Actor }, id: string): Promise<repo.CallbackRow> {
    const row = await repo.lockCallback(trx, id);
    if (!row || !mayReadUnit(ctx.actor, row.unit)) throw new AppError('not_found', 'There is no such callback.');
    return row;
  }

  /**
   * For the agent making a callback try: the callback (number masked) and the cases it is about — those with a report
   * taken on the call that asked for it or on an earlier try — of units the agent may read. Audited.
   */
  async ofTaskInHand(ctx: RequestContext & { actor: Actor }, taskId: string): Promise<{ callback: CallbackView; cases: CallbackCase[] }> {
    if (!this.deps.routing.inHand(ctx.actor, taskId)) throw new AppError('not_found', 'You have no such callback in hand.');
    return this.deps.db.transaction().execute(async (trx) => {
      const row = await repo.findCallbackByAttemptTask(trx, taskId);
      if (!row || !mayReadUnit(ctx.actor, row.unit)) throw new AppError('not_found', 'This task is not a callback.');
      const cases = (await repo.casesOfCallback(trx, row))
        .filter((c) => mayReadUnit(ctx.actor, c.unit === 'uac' ? 'uac' : 'general'))
        .map((c) => ({ id: c.id, caseNumber: c.case_number, summary: c.summary, status: c.status, type: c.type }));
      await appendAudit(trx, ctx, {
        action: 'callback.read',
        outcome: 'allowed',
        resourceType: 'callback',
        resourceId: row.id,
        details: { taskId, cases: cases.map((c) => c.id) },
      });
      return { callback: view(row, await repo.attemptsOf(trx, [row.id])), cases };
    });
  }

  /** A supervisor grants a callback whose tries ran out one more try, at the next calling time. */
  async retry(ctx: RequestContext & { actor: Actor }, id: string): Promise<CallbackView> {
    return this.deps.db.transaction().execute(async (trx) => {
      const row = await this.readable(trx, ctx, id);
      if (row.status !== 'exhausted')
        throw new AppError('conflict', `This callback is ${row.status}; only one whose tries ran out can be tried again.`);
      const at = nextCallingTime(ctx.now, row.time_zone ?? ctx.timeZone, this.deps.policy.hours);
      const changes = {
        status: 'scheduled' as const,
        next_attempt_at: at,
        max_attempts: row.attempts + 1,
        priority: SCHEDULED_PRIORITY,
        updated_at: ctx.now,
      };
      await repo.updateCallback(trx, id, changes);
      await appendAudit(trx, ctx, {
        action: 'callback.retry',
        outcome: 'allowed',
        resourceType: 'callback',
        resourceId: id,
        details: { nextAttemptAt: at.toISOString() },
      });
      return view({ ...row, ...changes }, await repo.attemptsOf(trx, [id]));
    });
  }

  /** A supervisor closes a callback that will not be made (reached another way, a wrong number), saying why. */
  async close(ctx: RequestContext & { actor: Actor }, id: string, reason: string): Promise<CallbackView> {
    return this.deps.db
      .transaction()
      .execute(async (trx) => {
        const row = await this.readable(trx, ctx, id);
        if (row.status === 'completed' || row.status === 'closed' || row.status === 'dialing')
          throw new AppError('conflict', `This callback is ${row.status}; it cannot be closed now.`);
        const queuedTask = row.status === 'queued' ? row.task_id : null;
        const changes = {
          status: 'closed' as const,
          next_attempt_at: null,
          task_id: null,
          closed_by: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
          closed_reason: reason,
          updated_at: ctx.now,
        };
        await repo.updateCallback(trx, id, changes);
        await appendAudit(trx, ctx, {
          action: 'callback.close',
          outcome: 'allowed',
          resourceType: 'callback',
          resourceId: id,
          details: { reason, ...(queuedTask ? { canceledTask: queuedTask } : {}) },
        });
        return { view: view({ ...row, ...changes }, await repo.attemptsOf(trx, [id])), queuedTask };
      })
      .then(async ({ view: v, queuedTask }) => {
        // Its try waiting in queue leaves it too (after the close has committed: a try that starts now finds it closed).
        if (queuedTask)
          await this.deps.routing.execute({ type: 'cancel', taskId: queuedTask, reason: 'resolved' }, ctx).catch(() => undefined);
        return v;
      });
  }
}
