import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keypadDigits } from '../../src/domain/ivr/machine.js';
import { queueStatistics } from '../../src/domain/routing/statistics.js';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { SimulatedLeg } from '../../src/telephony/adapters/simulated-leg.js';
import { CallControl, normalizeNumber } from '../../src/telephony/call-control.js';
import { loadFlows } from '../../src/telephony/ivr-flows.js';
import { PromptLibrary } from '../../src/telephony/media/prompts.js';
import { LiveTraffic } from '../../src/telephony/simulator/live-traffic.js';
import { buildTestApp, enrollAs, loadTestAgencies, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';

/**
 * Call control on the simulator adapter: the real IVR flows, prompts rendered
 * by espeak-ng, the real routing engine and call records in PostgreSQL —
 * everything but media. (The SIP suites run the same path with real peers.)
 */

let db: TestDatabase;
let t: TestApp;
let control: CallControl;
let prompts: PromptLibrary;
const SPEED = 25;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  const { flows, prompts: catalog } = loadFlows(path.resolve('reference/ivr'));
  prompts = new PromptLibrary(catalog, path.join(mkdtempSync(path.join(tmpdir(), 'sb-prompts-')), 'prompts'));
  await prompts.renderAll();
  control = new CallControl({
    calls: new CallRecordService(db.db, t.routing),
    routing: t.routing,
    prompts,
    flows,
    node: 'test-node',
    clock: t.clock.get,
    timeZone: 'America/Chicago',
    log: () => undefined,
  });
  control.start();
}, 120_000);
afterAll(async () => {
  await control.stop();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

let n = 0;
const call = (line: string, keys: { afterMs: number; digit: string }[] = []) => {
  n += 1;
  return new SimulatedLeg(`sim-${n}`, line, '+16155550199', SPEED, { keys });
};
const record = (externalId: string) =>
  db.db.selectFrom('calls').selectAll().where('external_id', '=', externalId).executeTakeFirstOrThrow();
/** The shared poller (test/support/processes.ts), with this file's default patience. */
const until = (what: () => Promise<boolean> | boolean, ms = 20_000) => waitUntil('the call to get there', what, ms);

describe('call control (simulator adapter)', () => {
  it('knows its lines in any dialled form', () => {
    expect(normalizeNumber('+16155550100')).toBe('+16155550100');
    expect(normalizeNumber('16155550100')).toBe('+16155550100');
    expect(normalizeNumber('(615) 555-0100')).toBe('+16155550100');
    expect(normalizeNumber('911')).toBeNull();
    expect(control.accept(call('+15555550000'))).toBeNull();
  });

  it('public line, 2 then 2: a Spanish call about a child waits in the UAC unit queue; hanging up abandons it, counted in the stats', async () => {
    const leg = call('+16155550100', [
      { afterMs: 1_000, digit: '2' },
      { afterMs: 2_000, digit: '2' },
    ]);
    const session = control.accept(leg);
    expect(session).not.toBeNull();
    await until(() => session?.phase === 'queued');
    const task = t.routing.engine.task(session?.taskId as string);
    expect(task).toMatchObject({ status: 'pending', queueId: 'uac_unit', attributes: { language: 'es', topic: 'uac', kind: 'call' } });
    const queued = await record(leg.externalId);
    expect(queued).toMatchObject({ line: '+16155550100', language: 'es', reason: 'uac', queue_id: 'uac_unit', end_reason: null });
    expect(queued.ivr_path).toEqual(['hours=open', 'language=2', 'reason=2']);
    expect(queued.ivr_done_at && queued.queued_at).toBeTruthy();
    // The caller heard the Spanish recording notice, and position and wait once queued.
    await until(() => leg.heard.some((f) => f.includes(`${path.sep}es-`)) && leg.heard.length >= 5);

    const before = queueStatistics(t.routing.engine, { from: 0 }).find((q) => q.queueId === 'uac_unit');
    t.clock.advance(40_000); // past the short-abandon threshold: a real abandon, as the stats count it
    leg.callerHangsUp();
    await until(async () => (await record(leg.externalId)).end_reason !== null);
    expect(await record(leg.externalId)).toMatchObject({ end_reason: 'abandoned_queue' });
    expect(t.routing.engine.task(session?.taskId as string)).toMatchObject({ status: 'canceled', cancelReason: 'abandoned' });
    const after = queueStatistics(t.routing.engine, { from: 0 }).find((q) => q.queueId === 'uac_unit');
    expect((after?.abandoned ?? 0) - (before?.abandoned ?? 0)).toBe(1);
    const supervisor = await enrollAs(t, 'supervisor');
    const stats = await t.app.inject({ method: 'GET', url: '/api/v1/queues/stats', headers: { cookie: supervisor.cookie } });
    expect(stats.statusCode).toBe(200);
    expect(stats.json().queues.find((q: { queueId: string }) => q.queueId === 'uac_unit').abandoned).toBe(after?.abandoned);
  });

  it('a caller who presses 1 in the queue keeps their place as a callback task and the call ends', async () => {
    const leg = call('+16155550100', [
      { afterMs: 500, digit: '1' },
      { afterMs: 1_000, digit: '1' },
    ]);
    const session = control.accept(leg);
    await until(() => session?.phase === 'queued');
    const original = t.routing.engine.task(session?.taskId as string);
    leg.press('1');
    await until(async () => (await record(leg.externalId)).end_reason === 'callback');
    const row = await record(leg.externalId);
    const callback = t.routing.engine.task(row.callback_task_id as string);
    expect(callback).toMatchObject({ status: 'pending', attributes: { callback: true, callbackFor: session?.taskId, callRecord: row.id } });
    expect(callback?.arrivedAt).toBe(original?.arrivedAt);
    expect(JSON.stringify(callback?.attributes)).not.toContain('5550199'); // the number stays in the call record
    await until(() => leg.ended);
  });

  it('partner line: an ORI typed on the keypad is checked against the registry', async () => {
    const leg = call('+16155550101', [{ afterMs: 500, digit: `${keypadDigits('TX0312100')}#` }]);
    const session = control.accept(leg);
    await until(() => session?.phase === 'queued');
    expect(t.routing.engine.task(session?.taskId as string)).toMatchObject({
      queueId: 'partner_line',
      attributes: { agency: 'TX0312100', caller: 'partner' },
    });
    leg.callerHangsUp();
    await until(async () => (await record(leg.externalId)).end_reason !== null);
  });

  it('an agent takes the call: offered, answered, and after the hang-up the task goes to wrap-up and the record to completed', async () => {
    const ctx = { actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' };
    await t.routing.execute(
      {
        type: 'addWorker',
        worker: {
          id: 'agent-uac-1',
          attributes: { unit: 'uac', languages: ['en', 'es'], skills: [] },
          activity: 'Offline',
          capacity: { voice: 1, work_item: 0 },
        },
      },
      ctx,
    );
    const leg = call('+16155550102', [{ afterMs: 500, digit: '1' }]);
    const session = control.accept(leg);
    await until(() => session?.phase === 'queued');
    await t.routing.execute({ type: 'setActivity', workerId: 'agent-uac-1', activity: 'Available' }, ctx);
    const reservation = [...t.routing.engine.allReservations()].find((r) => r.taskId === session?.taskId);
    expect(reservation).toBeDefined();
    await until(async () => (await record(leg.externalId)).offered_at !== null);
    await t.routing.execute({ type: 'accept', reservationId: reservation?.id as string }, ctx);
    await until(async () => (await record(leg.externalId)).answered_at !== null);
    // The UAC line does not announce recording: the conversation is not recorded.
    expect(await record(leg.externalId)).toMatchObject({ agent_worker_id: 'agent-uac-1', end_reason: null, recording_ref: null });
    leg.callerHangsUp();
    await until(async () => (await record(leg.externalId)).end_reason === 'completed');
    expect(t.routing.engine.task(session?.taskId as string)?.status).toBe('wrapping');
  });

  it('9 at the reason menu: told to dial 911, and the call ends with that reason', async () => {
    const leg = call('+16155550100', [
      { afterMs: 500, digit: '1' },
      { afterMs: 1_000, digit: '9' },
    ]);
    control.accept(leg);
    await until(() => leg.ended);
    await until(async () => (await record(leg.externalId)).end_reason !== null);
    expect(await record(leg.externalId)).toMatchObject({ end_reason: 'emergency_guidance', task_id: null });
  });

  it('a restarted node ends the records of the calls it lost, and cancels their waiting tasks', async () => {
    const leg = call('+16155550102', [{ afterMs: 300, digit: '1' }]);
    const session = control.accept(leg);
    await until(() => session?.phase === 'queued');
    // The node "dies": a new control for the same node name takes over, as after a restart.
    const { flows } = loadFlows(path.resolve('reference/ivr'));
    const restarted = new CallControl({
      calls: new CallRecordService(db.db, t.routing),
      routing: t.routing,
      prompts,
      flows,
      node: 'test-node',
      clock: t.clock.get,
      timeZone: 'America/Chicago',
      log: () => undefined,
    });
    expect(await restarted.recover()).toBeGreaterThanOrEqual(1);
    expect(await record(leg.externalId)).toMatchObject({ end_reason: 'failed' });
    expect(t.routing.engine.task(session?.taskId as string)).toMatchObject({ status: 'canceled', cancelReason: 'abandoned' });
    leg.callerHangsUp();
  });

  it('call records: supervisors read them (audited), call takers may not', async () => {
    const supervisor = await enrollAs(t, 'supervisor');
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/calls?line=%2B16155550100', headers: { cookie: supervisor.cookie } });
    expect(list.statusCode, list.body).toBe(200);
    const calls = list.json().calls as { id: string; endReason: string | null; ivrPath: string[]; callerNumber: string }[];
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.map((c) => c.endReason)).toEqual(expect.arrayContaining(['abandoned_queue', 'callback', 'emergency_guidance']));
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/calls/${calls[0]?.id}`, headers: { cookie: supervisor.cookie } });
    expect(one.json()).toMatchObject({ id: calls[0]?.id, callerNumber: '+16155550199' });
    const audited = await db.db.selectFrom('audit_events').select('action').where('action', 'in', ['call.list', 'call.read']).execute();
    expect(audited.length).toBeGreaterThanOrEqual(2);
    const taker = await enrollAs(t, 'call_taker');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/calls', headers: { cookie: taker.cookie } })).statusCode).toBe(403);
    // Need-to-know: the UAC unit's calls (its line, or about a child) are not an admin's or an auditor's to read.
    const all = (await t.app.inject({ method: 'GET', url: '/api/v1/calls?limit=500', headers: { cookie: supervisor.cookie } })).json()
      .calls as {
      id: string;
      unit: string;
    }[];
    const uacCall = all.find((c) => c.unit === 'uac');
    expect(uacCall).toBeDefined();
    const admin = await enrollAs(t, 'admin');
    const adminList = (await t.app.inject({ method: 'GET', url: '/api/v1/calls?limit=500', headers: { cookie: admin.cookie } })).json()
      .calls as {
      unit: string;
    }[];
    expect(adminList.length).toBeGreaterThan(0);
    expect(adminList.every((c) => c.unit !== 'uac')).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/calls/${uacCall?.id}`, headers: { cookie: admin.cookie } })).statusCode).toBe(
      404,
    );
  });

  it('the live simulator places its synthetic calls through call control: the IVR, the queue, agents, call records', async () => {
    const traffic = new LiveTraffic(
      t.routing,
      { callsPerDay: 150_000, speed: 5, agents: 3, ahtSeconds: 10, patienceSeconds: 600, seed: 7, durationMs: 4_000 },
      () => ({ actor: null, system: 'simulator', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' }),
      (error) => {
        throw error;
      },
      control,
    );
    await traffic.start();
    await until(async () => {
      const rows = await db.db
        .selectFrom('calls')
        .selectAll()
        .where('adapter', '=', 'simulator')
        .where('external_id', 'like', 'sim-call-7-%')
        .execute();
      return rows.some((r) => r.answered_at !== null);
    }, 30_000);
    await traffic.stop();
    const rows = await db.db.selectFrom('calls').selectAll().where('external_id', 'like', 'sim-call-7-%').execute();
    expect(rows.length).toBe(traffic.progress.offered);
    expect(rows.length).toBeGreaterThan(0);
    const answered = rows.find((r) => r.answered_at !== null);
    expect(answered?.ivr_path).toEqual(expect.arrayContaining(['hours=open', expect.stringMatching(/^language=[12]$/)]));
    expect(answered?.agent_worker_id).toMatch(/^sim-agent-/);
  }, 60_000);

  it('a full queue overflows: the task is canceled as overflowed, the caller hears why and can leave a message; the record says overflowed', async () => {
    const { flows } = loadFlows(path.resolve('reference/ivr'));
    const flow = structuredClone(flows.get('+16155550102')) as NonNullable<ReturnType<typeof flows.get>>;
    const queueNode = flow.nodes['queue-uac'];
    if (queueNode?.type !== 'enqueue') throw new Error('fixture');
    // Nobody answers (earlier tests left agents about), and room for exactly one more caller than wait now.
    const ctx = { actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' };
    for (const w of [...t.routing.engine.allWorkers()])
      if (t.routing.engine.activityIsAvailable(w.activity))
        await t.routing.execute({ type: 'setActivity', workerId: w.id, activity: 'Offline' }, ctx);
    queueNode.maxWaiting = t.routing.engine.waitingIn('uac_unit').length + 1;
    const small = new CallControl({
      calls: new CallRecordService(db.db, t.routing),
      routing: t.routing,
      prompts,
      flows: new Map([[flow.line, flow]]),
      node: 'overflow-node',
      clock: t.clock.get,
      timeZone: 'America/Chicago',
      log: () => undefined,
    });
    small.start();
    const first = call('+16155550102', [{ afterMs: 200, digit: '1' }]);
    const second = call('+16155550102', [{ afterMs: 200, digit: '1' }]);
    const a = small.accept(first);
    await until(() => typeof a?.taskId === 'string');
    const b = small.accept(second);
    await until(() => b?.taskId !== null && b?.taskId !== undefined);
    // The message is being recorded (the voicemail started) when the caller hangs up.
    await until(async () => (await record(second.externalId)).recording_ref !== null);
    // The second caller hangs up during the message: still overflowed.
    second.callerHangsUp();
    await until(async () => (await record(second.externalId)).end_reason !== null);
    expect(await record(second.externalId)).toMatchObject({ end_reason: 'overflowed' });
    expect(t.routing.engine.task(b?.taskId as string)).toMatchObject({ status: 'canceled', cancelReason: 'overflowed' });
    first.callerHangsUp();
    await small.stop();
  });
});
