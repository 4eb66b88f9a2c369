import type { Vars } from '../domain/ivr/machine.js';
import type { RequestContext } from '../services/audit.service.js';
import type { RoutingService } from '../services/routing.service.js';
import type { Db } from '../storage/database.js';
import type { CallEndReason } from '../storage/schema.js';

/**
 * The call record's milestones that every adapter writes the same way (the
 * SIP and simulator sessions, and Twilio one webhook at a time): what the IVR
 * decided, the caller in the queue, the end.
 */

/** What the IVR gathered: language, reason, whether an interpreter is needed, and whose call it is (a child's is the UAC unit's). */
export async function recordIvrDone(db: Db, id: string, vars: Vars, path: string[], now: Date): Promise<void> {
  await db
    .updateTable('calls')
    .set({
      ivr_done_at: now,
      ivr_path: JSON.stringify(path),
      language: typeof vars.language === 'string' ? vars.language : 'en',
      reason: typeof vars.reason === 'string' ? vars.reason : null,
      interpreter: vars.interpreter === true,
      attributes: JSON.stringify(vars),
      ...(vars.topic === 'uac' ? { unit: 'uac' as const } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/**
 * The caller joins the queue: a voice task for the ACD carrying what the IVR gathered (never the caller's number —
 * the task points at the record), and the record notes the task and its queue. The task id is chosen by the caller of
 * this, so that it can recognise the ACD's events about it from the moment the task exists.
 */
export async function enqueueCall(
  deps: { db: Db; routing: RoutingService },
  ctx: RequestContext,
  call: { taskId: string; recordId: string | null; line: string; language: string; vars: Vars; priority: number },
): Promise<void> {
  const attributes: Vars = {
    kind: 'call',
    line: call.line,
    language: call.language,
    ...call.vars,
    ...(call.recordId ? { callRecord: call.recordId } : {}),
  };
  await deps.routing.execute({ type: 'createTask', task: { id: call.taskId, channel: 'voice', priority: call.priority, attributes } }, ctx);
  if (!call.recordId) return;
  const task = deps.routing.engine.task(call.taskId);
  await deps.db
    .updateTable('calls')
    .set({ queued_at: ctx.now, task_id: call.taskId, queue_id: task?.queueId ?? null })
    .where('id', '=', call.recordId)
    .execute();
}

/** Ends a call record once: a later end (a second hang-up, a late webhook) changes nothing. */
export async function endCallRecord(db: Db, id: string, reason: CallEndReason, path: string[] | undefined, now: Date): Promise<void> {
  await db
    .updateTable('calls')
    .set({ ended_at: now, end_reason: reason, ...(path ? { ivr_path: JSON.stringify(path) } : {}) })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .execute();
}
