import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/services/audit.service.js';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** The call-record service: each milestone written with the routing command it belongs with, both or neither. */

let db: TestDatabase;
let t: TestApp;
let calls: CallRecordService;

const ctx = (): RequestContext => ({
  actor: null,
  system: 'test',
  sourceIp: null,
  requestId: null,
  now: t.clock.now,
  timeZone: 'America/Chicago',
});

const arriving = (externalId: string) => ({
  adapter: 'simulator' as const,
  externalId,
  node: 'test-node',
  line: '+16155550100',
  unit: 'general' as const,
  caller: null,
  arrivedAt: t.clock.now,
});

async function commandsForTask(taskId: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM routing_commands WHERE command->>'type' = 'createTask' AND command->'task'->>'id' = ${taskId}`.execute(db.db);
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  calls = new CallRecordService(db.db, t.routing);
}, 60_000);
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.close();
});

describe('call-record service', () => {
  it('queues a call: the task is created and the record notes it, its queue and when', async () => {
    const id = await calls.arrived(arriving('queued-1'));
    const taskId = t.routing.newTaskId();
    await calls.queued(ctx(), { taskId, recordId: id, line: '+16155550100', language: 'en', vars: { reason: 'report' }, priority: 0 });
    const task = t.routing.engine.task(taskId);
    expect(task?.status).toBe('pending');
    const row = await calls.findByExternalId('simulator', 'queued-1');
    expect(row).toMatchObject({ task_id: taskId, queue_id: task?.queueId, queued_at: t.clock.now });
    expect(await commandsForTask(taskId)).toBe(1);
  });

  it('a record that cannot be written keeps the task from being created: both or neither', async () => {
    const taskId = t.routing.newTaskId();
    // Not a record id the table can hold: the record's write fails inside the command's transaction.
    await expect(
      calls.queued(ctx(), { taskId, recordId: 'not-a-record', line: '+16155550100', language: 'en', vars: {}, priority: 0 }),
    ).rejects.toThrow();
    expect(t.routing.engine.task(taskId)).toBeUndefined();
    expect(await commandsForTask(taskId)).toBe(0);
  });

  it('a caller leaving the queue: the task is canceled as abandoned and the record ends with it, both or neither', async () => {
    const id = await calls.arrived(arriving('leaves-1'));
    const taskId = t.routing.newTaskId();
    await calls.queued(ctx(), { taskId, recordId: id, line: '+16155550100', language: 'en', vars: {}, priority: 0 });
    await expect(
      calls.abandoned(ctx(), { taskId, recordId: 'not-a-record', reason: 'abandoned_queue', path: ['start'] }),
    ).rejects.toThrow();
    expect(t.routing.engine.task(taskId)?.status).toBe('pending');
    await calls.abandoned(ctx(), { taskId, recordId: id, reason: 'abandoned_queue', path: ['start', 'reason'] });
    expect(t.routing.engine.task(taskId)).toMatchObject({ status: 'canceled', cancelReason: 'abandoned' });
    expect(await calls.findByExternalId('simulator', 'leaves-1')).toMatchObject({
      end_reason: 'abandoned_queue',
      ended_at: t.clock.now,
      ivr_path: ['start', 'reason'],
    });
  });

  it('a call arriving twice keeps its first record; an ended record ends once', async () => {
    const first = await calls.arrivedOnce(arriving('twice-1'));
    expect(first).not.toBeNull();
    expect(await calls.arrivedOnce(arriving('twice-1'))).toBeNull();
    await calls.ended(first as string, 'completed', ['start'], t.clock.now);
    await calls.ended(first as string, 'failed', undefined, new Date(t.clock.now.getTime() + 60_000));
    expect(await calls.findByExternalId('simulator', 'twice-1')).toMatchObject({
      end_reason: 'completed',
      ended_at: t.clock.now,
      ivr_path: ['start'],
    });
  });
  it('a conference leg: marked ringing before it is created; a status callback that comes before the creating request’s answer is kept; a refused request takes the mark back', async () => {
    const leg = async (id: string, party: string) => {
      const row = await calls.findById(id);
      return (row?.adapter_state as { conference?: Record<string, unknown> } | null)?.conference?.[party];
    };
    const id = await calls.arrived(arriving('legs-1'));
    // The usual order: the REST answer, then the status callback.
    await calls.ringLeg(id, 'interpreter', async () => {
      expect(await leg(id, 'interpreter')).toEqual({ sid: null, status: 'ringing' });
      return 'CA-from-rest';
    });
    expect(await leg(id, 'interpreter')).toEqual({ sid: 'CA-from-rest', status: 'ringing' });
    // Twilio reports the leg answered while the request that creates it waits for its answer.
    await calls.ringLeg(id, 'agent', async () => {
      await calls.patchConference(id, { agent: { sid: 'CA-answered', status: 'joined' } });
      return 'CA-late-answer';
    });
    expect(await leg(id, 'agent')).toEqual({ sid: 'CA-answered', status: 'joined' });
    // … or already ended (busy at once).
    await calls.ringLeg(id, 'consult', async () => {
      await calls.patchConference(id, { consult: null });
      return 'CA-busy';
    });
    expect(await leg(id, 'consult')).toBeNull();
    // Twilio refuses the request: no leg is left ringing, and the error reaches the caller.
    await expect(
      calls.ringLeg(id, 'supervisor', async () => {
        throw new Error('Twilio said 400');
      }),
    ).rejects.toThrow('Twilio said 400');
    expect(await leg(id, 'supervisor')).toBeNull();
    // The other legs were not touched by any of it.
    expect(await leg(id, 'interpreter')).toEqual({ sid: 'CA-from-rest', status: 'ringing' });
  });

  it('counts holds and their seconds: each hold once, a repeated mark changes nothing, a call ending on hold folds it in', async () => {
    const id = await calls.arrived(arriving('hold-1'));
    const at = (seconds: number) => new Date(t.clock.now.getTime() + seconds * 1000);
    await calls.hold(id, true, at(10));
    await calls.hold(id, true, at(15)); // already on hold: not a second hold, and the first start stands
    await calls.hold(id, false, at(40));
    await calls.hold(id, false, at(50)); // not on hold: nothing
    await calls.hold(id, true, at(100));
    await calls.ended(id, 'completed', undefined, at(112.5));
    await calls.hold(id, true, at(200)); // the call has ended: nothing
    const row = await db.db
      .selectFrom('calls')
      .select(['holds', 'hold_seconds', 'hold_started_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ holds: 2, hold_seconds: 42.5, hold_started_at: null });
  });
});
