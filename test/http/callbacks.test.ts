import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { clearTheDesks, queuedCall } from '../support/calls.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * Callbacks over HTTP: an agent schedules one in wrap-up ("Callback scheduled" with a time), the ACD gets it at
 * that time with priority; supervisors see the callbacks whose tries ran out (numbers masked) and grant another
 * try or close them; agents cannot. Every step audited.
 */

let db: TestDatabase;
let t: TestApp;
let agent: SignedIn;
let supervisor: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  agent = await enrollAs(t, 'call_taker');
  supervisor = await enrollAs(t, 'supervisor');
  const setUp = await t.app.inject({
    method: 'PUT',
    url: `/api/v1/routing/workers/${agent.userId}`,
    headers: supervisor.headers,
    payload: { attributes: { skills: ['public_intake'], languages: ['en'] } },
  });
  expect(setUp.statusCode, setUp.body).toBe(200);
  const available = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/routing/me/activity',
    headers: agent.headers,
    payload: { activity: 'Available' },
  });
  expect(available.statusCode, available.body).toBe(200);
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const system = () => ({ actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' });

/** An inbound call from a number, queued and accepted by the agent: the contact in their hands. */
async function callInHand(number: string): Promise<{ taskId: string; callId: string }> {
  // The agent's hands free, and nothing else waiting (an earlier test's released callback would be offered first).
  await clearTheDesks(t);
  const { taskId, callId } = await queuedCall(t, db, number);
  const offer = t.routing.engine.pendingReservationsOf(agent.userId).find((r) => r.taskId === taskId);
  expect(offer).toBeDefined();
  const accepted = await t.app.inject({ method: 'POST', url: `/api/v1/routing/reservations/${offer?.id}/accept`, headers: agent.headers });
  expect(accepted.statusCode, accepted.body).toBe(200);
  return { taskId, callId };
}

const dispose = (taskId: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: `/api/v1/routing/tasks/${taskId}/disposition`, headers: agent.headers, payload });

describe('a callback scheduled in wrap-up', () => {
  it('asks for a time inside calling hours in the future, then the ACD gets it at that time, ahead of ordinary calls', async () => {
    const { taskId, callId } = await callInHand('+16155550142');
    const missing = await dispose(taskId, { disposition: 'callback_scheduled' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.issues[0]).toMatchObject({ path: 'body.callbackAt', code: 'required' });
    // 03:00 in Chicago: outside calling hours.
    const night = await dispose(taskId, { disposition: 'callback_scheduled', callbackAt: '2026-11-30T03:00:00-06:00' });
    expect(night.statusCode).toBe(400);
    expect(night.json().error.issues[0].code).toBe('outside_calling_hours');
    expect(night.json().error.message).toMatch(/between 08:00 and 20:00/);
    const past = await dispose(taskId, { disposition: 'callback_scheduled', callbackAt: '2026-11-28T10:00:00-06:00' });
    expect(past.json().error.issues[0].code).toBe('in_the_past');
    const notATime = await dispose(taskId, { disposition: 'callback_scheduled', callbackAt: 'tomorrow' });
    expect(notATime.statusCode).toBe(400);
    expect(await db.db.selectFrom('callbacks').select('id').execute()).toHaveLength(0);

    const at = new Date('2026-11-30T10:00:00-06:00');
    const ok = await dispose(taskId, {
      disposition: 'callback_scheduled',
      callbackAt: at.toISOString(),
      notes: 'asked to be called tomorrow',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const id = ok.json().callbackId as string;
    const row = await db.db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'scheduled', origin: 'scheduled', number: '+16155550142', call_id: callId, priority: 10 });
    expect(row.next_attempt_at?.toISOString()).toBe(at.toISOString());

    // Released at its time, not a minute before.
    const ctxAt = (ms: number) => ({ ...system(), now: new Date(at.getTime() + ms) });
    expect(await t.callbacks.releaseDue(ctxAt(-60_000))).toBe(0);
    expect(await t.callbacks.releaseDue(ctxAt(0))).toBe(1);
    expect(await t.callbacks.releaseDue(ctxAt(1_000))).toBe(0);
    const queued = await db.db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(queued.status).toBe('queued');
    const task = t.routing.engine.task(queued.task_id as string);
    expect(task).toMatchObject({ basePriority: 10, attributes: { callback: true, callbackId: id, reason: 'report', language: 'en' } });
    const audit = await db.db.selectFrom('audit_events').select('action').where('resource_id', '=', id).execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['callback.schedule', 'callback.release']));
  });

  it('the agent making the try has the case on screen: the callback (masked) and the case filed on the call that promised it; no one else', async () => {
    const { taskId } = await callInHand('+16155550161');
    const intake = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: agent.headers, payload: tip({ callId: taskId }) });
    expect(intake.statusCode, intake.body).toBe(201);
    const caseId = intake.json().case.id as string;
    const at = new Date('2026-12-01T11:00:00-06:00');
    const scheduled = await dispose(taskId, { disposition: 'callback_scheduled', callbackAt: at.toISOString() });
    expect(scheduled.statusCode, scheduled.body).toBe(200);
    // The call ends: the agent is free when the callback's time comes.
    await t.routing.execute({ type: 'complete', taskId }, system());
    await t.routing.execute({ type: 'finishWrapUp', taskId }, system());
    expect(await t.callbacks.releaseDue({ ...system(), now: at })).toBe(1);
    const row = await db.db.selectFrom('callbacks').selectAll().where('id', '=', scheduled.json().callbackId).executeTakeFirstOrThrow();
    const tryTask = row.task_id as string;
    // Before it is in hand, nobody may read it through this route.
    const early = await t.app.inject({ method: 'GET', url: `/api/v1/routing/tasks/${tryTask}/callback`, headers: agent.headers });
    expect(early.statusCode).toBe(404);
    const offer = t.routing.engine.pendingReservationsOf(agent.userId).find((r) => r.taskId === tryTask);
    expect(offer).toBeDefined();
    await t.app.inject({ method: 'POST', url: `/api/v1/routing/reservations/${offer?.id}/accept`, headers: agent.headers });
    const inHand = await t.app.inject({ method: 'GET', url: `/api/v1/routing/tasks/${tryTask}/callback`, headers: agent.headers });
    expect(inHand.statusCode, inHand.body).toBe(200);
    expect(inHand.json()).toMatchObject({
      callback: { number: '•••-•••-0161', origin: 'scheduled', attempts: 0 },
      cases: [{ id: caseId, caseNumber: intake.json().case.caseNumber, summary: 'Warehouse night shift lead' }],
    });
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/routing/tasks/${tryTask}/callback`, headers: supervisor.headers })).statusCode,
    ).toBe(404);
    const audit = await db.db.selectFrom('audit_events').selectAll().where('action', '=', 'callback.read').execute();
    expect(audit.map((a) => [a.actor_id, a.resource_id, a.details])).toEqual([
      [agent.userId, row.id, { taskId: tryTask, cases: [caseId] }],
    ]);
    await t.routing.execute({ type: 'complete', taskId: tryTask }, system());
  });

  it("follows the caller's time zone when the agent gives it: 07:30 in New York is outside calling hours, 09:30 is inside", async () => {
    const { taskId } = await callInHand('+16155550145');
    const badZone = await dispose(taskId, {
      disposition: 'callback_scheduled',
      callbackAt: '2026-11-30T09:30:00-05:00',
      callbackTimeZone: 'Mars/Olympus',
    });
    expect(badZone.json().error.issues[0]).toMatchObject({ path: 'body.callbackTimeZone', code: 'unknown_time_zone' });
    // 07:30 in New York is 06:30 in Chicago: outside there too; 08:30 Chicago = 09:30 New York: inside both.
    const early = await dispose(taskId, {
      disposition: 'callback_scheduled',
      callbackAt: '2026-11-30T07:30:00-05:00',
      callbackTimeZone: 'America/New_York',
    });
    expect(early.json().error.message).toMatch(/America\/New_York/);
    // 19:30 in Chicago is 20:30 in New York: inside the center's hours, outside the caller's.
    const late = await dispose(taskId, {
      disposition: 'callback_scheduled',
      callbackAt: '2026-11-30T19:30:00-06:00',
      callbackTimeZone: 'America/New_York',
    });
    expect(late.statusCode).toBe(400);
    expect(late.json().error.issues[0].code).toBe('outside_calling_hours');
    const ok = await dispose(taskId, {
      disposition: 'callback_scheduled',
      callbackAt: '2026-11-30T09:30:00-05:00',
      callbackTimeZone: 'America/New_York',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const row = await db.db.selectFrom('callbacks').selectAll().where('id', '=', ok.json().callbackId).executeTakeFirstOrThrow();
    expect(row.time_zone).toBe('America/New_York');
  });

  it('a try left dialing by a node that died is given back as failed once the node stops beating, not after hours; a live node’s and a just-claimed try are left alone', async () => {
    // A call-control node alive now: its beat, as the node writes it (on the database's clock).
    await new CallRecordService(db.db, t.routing).beat('node-alive');
    const minutesAgo = (m: number) => new Date(t.clock.now.getTime() - m * 60_000);
    const dialing = async (node: string, since: Date, number: string) =>
      (
        await db.db
          .insertInto('callbacks')
          .values({
            number,
            line: '+16155550100',
            unit: 'general',
            language: 'en',
            origin: 'ivr',
            status: 'dialing',
            task_id: t.routing.newTaskId(),
            attempts: 0,
            max_attempts: 3,
            dialing_node: node,
            dialing_since: since,
            created_at: since,
            updated_at: since,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const gone = await dialing('node-gone', minutesAgo(2), '+16155550171');
    const alive = await dialing('node-alive', minutesAgo(2), '+16155550172');
    const justClaimed = await dialing('node-gone', new Date(t.clock.now.getTime() - 5_000), '+16155550174');
    await t.callbacks.releaseDue(system());
    const status = async (id: string) =>
      (await db.db.selectFrom('callbacks').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    expect(await status(gone)).not.toBe('dialing');
    expect(await status(alive)).toBe('dialing');
    expect(await status(justClaimed)).toBe('dialing');
    const tries = await db.db
      .selectFrom('callback_attempts')
      .select(['callback_id', 'outcome'])
      .where('callback_id', 'in', [gone, alive, justClaimed])
      .execute();
    expect(tries).toEqual([{ callback_id: gone, outcome: 'failed' }]);
    await db.db.updateTable('callbacks').set({ status: 'closed', task_id: null }).where('id', 'in', [gone, alive, justClaimed]).execute();
    for (const task of [...t.routing.engine.allTasks()])
      if (task.status === 'pending' || task.status === 'reserved')
        await t.routing.execute({ type: 'cancel', taskId: task.id, reason: 'resolved' }, system());
  });

  it('"reached voicemail" is only for a callback try that was answered', async () => {
    const { taskId } = await callInHand('+16155550143');
    const res = await dispose(taskId, { disposition: 'callback_voicemail' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues[0].code).toBe('not_a_callback');
  });
});

describe('the supervisors’ list', () => {
  it('shows callbacks whose tries ran out, masked; a supervisor grants another try or closes one with a reason; agents may not', async () => {
    const { taskId } = await callInHand('+16155550144');
    const scheduled = await dispose(taskId, { disposition: 'callback_scheduled', callbackAt: '2026-11-30T11:00:00-06:00' });
    const id = scheduled.json().callbackId as string;
    await t.callbacks.releaseDue({ ...system(), now: new Date('2026-11-30T17:00:00Z') });
    const released = await db.db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    // Its try: the number turned out to be outside the allow-list, straight to the supervisors.
    const claimed = await t.callbacks.claim(released.task_id as string, 'test-node', t.clock.now);
    expect(claimed?.id).toBe(id);
    await t.callbacks.attemptEnded(system(), id, {
      taskId: released.task_id as string,
      workerId: agent.userId,
      callId: null,
      outcome: 'not_allowed',
      sipStatus: null,
      startedAt: t.clock.now,
      endedAt: t.clock.now,
    });

    const denied = await t.app.inject({ method: 'GET', url: '/api/v1/callbacks', headers: { cookie: agent.cookie } });
    expect(denied.statusCode).toBe(403);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/callbacks', headers: { cookie: supervisor.cookie } });
    expect(list.statusCode, list.body).toBe(200);
    const shown = list.json().callbacks.find((c: { id: string }) => c.id === id);
    expect(shown).toMatchObject({ status: 'exhausted', number: '•••-•••-0144', attempts: 0, lastOutcome: 'not_allowed' });
    expect(shown.tries).toEqual([expect.objectContaining({ outcome: 'not_allowed', counted: false })]);
    expect(list.body).not.toContain('5550144');

    const retried = await t.app.inject({ method: 'POST', url: `/api/v1/callbacks/${id}/retry`, headers: supervisor.headers });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'scheduled', maxAttempts: 1 });
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/callbacks/${id}/retry`, headers: supervisor.headers });
    expect(again.statusCode).toBe(409);
    const byAgent = await t.app.inject({
      method: 'POST',
      url: `/api/v1/callbacks/${id}/close`,
      headers: agent.headers,
      payload: { reason: 'reached by email instead' },
    });
    expect(byAgent.statusCode).toBe(403);
    const short = await t.app.inject({
      method: 'POST',
      url: `/api/v1/callbacks/${id}/close`,
      headers: supervisor.headers,
      payload: { reason: 'done' },
    });
    expect(short.statusCode).toBe(400);
    const closed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/callbacks/${id}/close`,
      headers: supervisor.headers,
      payload: { reason: 'the caller came in again and was helped' },
    });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json().status).toBe('closed');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/callbacks/3f0b8e8e-1111-4111-8111-111111111111/retry',
      headers: supervisor.headers,
    });
    expect(unknown.statusCode).toBe(404);
    const audit = await db.db.selectFrom('audit_events').select(['action', 'actor_id']).where('resource_id', '=', id).execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'callback.retry', actor_id: supervisor.userId }),
        expect.objectContaining({ action: 'callback.close', actor_id: supervisor.userId }),
      ]),
    );
  });
});
