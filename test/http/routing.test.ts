import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let supervisor: SignedIn;
let agentA: SignedIn;
let agentB: SignedIn;

const call = (who: SignedIn, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: method === 'GET' ? { cookie: who.cookie } : who.headers, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  supervisor = await enrollAs(t, 'supervisor');
  agentA = await enrollAs(t, 'analyst');
  agentB = await enrollAs(t, 'analyst');
  for (const agent of [agentA, agentB]) {
    const res = await call(supervisor, 'PUT', `/api/v1/routing/workers/${agent.userId}`, {
      attributes: { skills: ['analysis'], languages: ['en', 'es'] },
    });
    expect(res.statusCode, res.body).toBe(200);
  }
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('agents and work items through the API', () => {
  it('offers a new work item to an available agent, who accepts, completes and wraps up', async () => {
    expect((await call(agentA, 'PUT', '/api/v1/routing/me/activity', { activity: 'Available' })).statusCode).toBe(200);
    const created = await call(agentB, 'POST', '/api/v1/routing/tasks', { attributes: { subject: 'follow-up' }, priority: 1 });
    expect(created.statusCode, created.body).toBe(201);
    const task = created.json();
    expect(task).toMatchObject({ channel: 'work_item', queueId: 'analysis', status: 'reserved' });
    const me = (await call(agentA, 'GET', '/api/v1/routing/me')).json();
    expect(me.offers).toHaveLength(1);
    const offer = me.offers[0];
    expect(offer.taskId).toBe(task.id);

    // Someone else's offer is not theirs to take.
    const stolen = await call(agentB, 'POST', `/api/v1/routing/reservations/${offer.id}/accept`);
    expect(stolen.statusCode).toBe(403);

    const accepted = await call(agentA, 'POST', `/api/v1/routing/reservations/${offer.id}/accept`);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().status).toBe('accepted');
    const again = await call(agentA, 'POST', `/api/v1/routing/reservations/${offer.id}/accept`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
    expect(t.routing.engine.task(task.id)?.status).toBe('assigned');

    t.clock.advance(90_000);
    expect((await call(agentA, 'POST', `/api/v1/routing/tasks/${task.id}/complete`)).json().status).toBe('wrapping');
    t.clock.advance(20_000);
    expect((await call(agentA, 'POST', `/api/v1/routing/tasks/${task.id}/wrap-up-done`)).json().status).toBe('completed');

    const stats = (await call(supervisor, 'GET', '/api/v1/queues/stats')).json();
    const analysis = stats.queues.find((q: { queueId: string }) => q.queueId === 'analysis');
    expect(analysis).toMatchObject({ offered: 1, answered: 1, completed: 1, abandoned: 0 });
    expect(analysis.ahtSeconds).toBeCloseTo(110, 0);
    expect(stats.overall.answered).toBe(1);
  });

  it('refuses live synthetic traffic on a database that is not a demo database', async () => {
    const { SimulationControl } = await import('../../src/services/simulation-control.js');
    const { liveTrafficFactory } = await import('../../src/telephony/simulator/live-traffic-factory.js');
    const { CallRecordService } = await import('../../src/services/call-record.service.js');
    const traffic = liveTrafficFactory({
      calls: new CallRecordService(db.db, t.routing),
      routing: t.routing,
      timeZone: 'America/Chicago',
      flowsDir: fileURLToPath(new URL('../../reference/ivr', import.meta.url)),
    });
    const control = new SimulationControl(db.db, traffic, () => undefined, 'America/Chicago');
    const params = { callsPerDay: 7000, speed: 10, agents: 3, ahtSeconds: 60, patienceSeconds: 60, seed: 1, durationMs: 5000 };
    const row = await db.db
      .insertInto('simulation_runs')
      .values({ requested_by: 'test', params: JSON.stringify(params), status: 'requested' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await control.poll();
    const after = await db.db.selectFrom('simulation_runs').select(['status', 'reason']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'refused', reason: 'this is not a demo database: synthetic traffic would mix with real calls' });
    expect([...t.routing.engine.allWorkers()].some((w) => w.id.startsWith('sim-agent'))).toBe(false);
  });

  it('answers unknown ids with 404, bad activities with 400, and audits refusals', async () => {
    expect((await call(agentA, 'POST', '/api/v1/routing/reservations/r999999/accept')).statusCode).toBe(404);
    expect((await call(supervisor, 'GET', '/api/v1/routing/tasks/nope')).statusCode).toBe(404);
    const bad = await call(agentA, 'PUT', '/api/v1/routing/me/activity', { activity: 'Napping' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('Napping');
    const denied = await db.db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', agentB.userId)
      .where('outcome', '=', 'denied')
      .execute();
    expect(denied.map((d) => d.action)).toContain('routing.accept');
  });

  it('restores waiting tasks in order with their arrival times, agents with their activity, after a restart', async () => {
    await call(agentA, 'PUT', '/api/v1/routing/me/activity', { activity: 'Break' });
    await call(agentB, 'PUT', '/api/v1/routing/me/activity', { activity: 'Lunch' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1_000);
      ids.push((await call(supervisor, 'POST', '/api/v1/routing/tasks', { attributes: { n: i } })).json().id);
    }
    const before = t.routing.engine.waitingIn('analysis').map((x) => ({ id: x.id, arrivedAt: x.arrivedAt }));
    expect(before.map((x) => x.id)).toEqual(ids);

    // A new process: the engine is rebuilt from the stored command log alone.
    const restarted = await RoutingService.open(db.db, await loadRoutingConfig(db.db), t.clock.get);
    expect(restarted.engine.waitingIn('analysis').map((x) => ({ id: x.id, arrivedAt: x.arrivedAt }))).toEqual(before);
    expect(restarted.engine.worker(agentA.userId)?.activity).toBe('Break');
    expect(restarted.engine.worker(agentB.userId)?.activity).toBe('Lunch');
    const done = [...restarted.engine.allTasks()].find((x) => x.status === 'completed');
    expect(done?.workerId).toBe(agentA.userId);
    await restarted.stop();
  });

  it('turns a waiting task into a callback that keeps its place', async () => {
    const waiting = t.routing.engine.waitingIn('analysis');
    const first = waiting[0];
    if (!first) throw new Error('nothing waiting');
    const res = await call(supervisor, 'POST', `/api/v1/routing/tasks/${first.id}/callback`, { callbackNumber: '+15550100' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', position: 1, arrivedAt: new Date(first.arrivedAt).toISOString() });
    expect(t.routing.engine.task(first.id)?.cancelReason).toBe('callback');
    const bad = await call(supervisor, 'POST', `/api/v1/routing/tasks/${first.id}/callback`, { callbackNumber: 'call me' });
    expect(bad.statusCode).toBe(400);
    const again = await call(supervisor, 'POST', `/api/v1/routing/tasks/${first.id}/callback`, { callbackNumber: '+15550100' });
    expect(again.statusCode).toBe(409);
  });

  it("checks a queue's target expression when it is saved, and keeps configuration changes across a restart", async () => {
    const bad = await call(supervisor, 'PUT', '/api/v1/routing/queues/night_desk', {
      name: 'Night desk',
      targetExpression: 'worker.skills HAS',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues).toEqual([
      {
        path: 'body.targetExpression',
        code: 'expression',
        message: 'at position 18: expected an operand, found the end of the expression in: worker.skills HAS',
      },
    ]);
    expect(t.routing.engine.queueConfig('night_desk')).toBeUndefined();

    const good = await call(supervisor, 'PUT', '/api/v1/routing/queues/night_desk', {
      name: 'Night desk',
      targetExpression: "worker.skills HAS 'night'",
      serviceLevelSeconds: 30,
    });
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json()).toMatchObject({ id: 'night_desk', serviceLevel: { seconds: 30, targetPercent: 80 } });
    expect(t.routing.engine.queueConfig('night_desk')?.serviceLevelMs).toBe(30_000);

    const restarted = await RoutingService.open(db.db, await loadRoutingConfig(db.db), t.clock.get);
    expect(restarted.engine.queueConfig('night_desk')?.targetExpression).toBe("worker.skills HAS 'night'");
    await restarted.stop();
    expect((await call(agentA, 'PUT', '/api/v1/routing/queues/night_desk', { name: 'x', targetExpression: '' })).statusCode).toBe(403);
  });

  it('lets a supervisor see the waiting tasks with their place and estimated wait', async () => {
    const res = await call(supervisor, 'GET', '/api/v1/routing/tasks?status=waiting');
    expect(res.statusCode).toBe(200);
    const tasks = res.json().tasks;
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    expect(tasks.map((x: { position: number }) => x.position).slice(0, 3)).toEqual([1, 2, 3]);
    expect(tasks[0].estimatedWaitSeconds).toBeGreaterThan(0);
    const stats = (await call(supervisor, 'GET', '/api/v1/queues/stats')).json();
    expect(stats.queues.find((q: { queueId: string }) => q.queueId === 'analysis').estimatedWaitSeconds).toBeGreaterThan(
      tasks[0].estimatedWaitSeconds,
    );
    expect((await call(agentA, 'GET', '/api/v1/routing/tasks')).statusCode).toBe(403);
  });

  it('lets ended work leave memory after two days, in the log too, so a restart agrees (runs last: sessions expire)', async () => {
    const done = [...t.routing.engine.allTasks()].find((x) => x.status === 'completed');
    expect(done).toBeDefined();
    const waitingBefore = t.routing.engine.waitingIn('analysis').map((x) => x.id);
    t.clock.advance(49 * 3_600_000);
    await t.routing.execute({ type: 'tick' }, null);
    expect(t.routing.engine.task(done?.id ?? '')).toBeUndefined();
    expect(t.routing.engine.waitingIn('analysis').map((x) => x.id)).toEqual(waitingBefore);
    const restarted = await RoutingService.open(db.db, await loadRoutingConfig(db.db), t.clock.get);
    expect(restarted.engine.task(done?.id ?? '')).toBeUndefined();
    expect(restarted.engine.waitingIn('analysis').map((x) => x.id)).toEqual(waitingBefore);
    await restarted.stop();
  });
});
