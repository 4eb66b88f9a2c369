import type { TestApp } from './app.js';
import type { TestDatabase } from './database.js';

/**
 * Calls without telephony, for HTTP and browser tests of what agents do with them: a call record as the simulator
 * adapter writes it, and its voice task in the ACD.
 */

const system = (t: TestApp) => ({
  actor: null,
  system: 'test',
  sourceIp: null,
  requestId: null,
  now: t.clock.now,
  timeZone: 'America/Chicago',
});

/** Every agent's hands free and nothing waiting: tasks in hand completed, wrap-ups ended, waiting tasks canceled. */
export async function clearTheDesks(t: TestApp): Promise<void> {
  for (const task of [...t.routing.engine.allTasks()]) {
    if (task.status === 'assigned') await t.routing.execute({ type: 'complete', taskId: task.id }, system(t));
    if (t.routing.engine.task(task.id)?.status === 'wrapping')
      await t.routing.execute({ type: 'finishWrapUp', taskId: task.id }, system(t));
    if (task.status === 'pending' || task.status === 'reserved')
      await t.routing.execute({ type: 'cancel', taskId: task.id, reason: 'resolved' }, system(t));
  }
}

/** An inbound call from `number` on the public line (English, a report), queued: its record and its task. */
export async function queuedCall(t: TestApp, db: TestDatabase, number: string): Promise<{ callId: string; taskId: string }> {
  const call = await db.db
    .insertInto('calls')
    .values({
      adapter: 'simulator',
      external_id: `sim-${number}-${t.clock.now.getTime()}`,
      node: 'test',
      line: '+16155550100',
      unit: 'general',
      caller_number: number,
      language: 'en',
      attributes: JSON.stringify({ reason: 'report', language: 'en' }),
      arrived_at: t.clock.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const taskId = t.routing.newTaskId();
  await t.routing.execute(
    { type: 'createTask', task: { id: taskId, channel: 'voice', attributes: { kind: 'call', language: 'en', callRecord: call.id } } },
    system(t),
  );
  await db.db.updateTable('calls').set({ task_id: taskId }).where('id', '=', call.id).execute();
  return { callId: call.id, taskId };
}
