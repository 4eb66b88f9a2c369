import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadReferenceData } from '../../src/services/reference-data.service.js';
import { type ClusterOptions, RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { type DatabaseHandle, openDatabase } from '../../src/storage/database.js';
import { listen } from '../../src/storage/notifications.js';
import { lockLease } from '../../src/storage/repositories/lease.repository.js';
import { epochsWithTwoTimekeepers } from '../../src/storage/repositories/routing.repository.js';
import { type TestClock, testClock } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';

/**
 * Two routing nodes on one database (issue #17): every command goes through the log's lock and the tail of the
 * log, so both engines give one engine's answers; one node leads (fires the timers) under a lease whose epoch
 * fences it; when it can no longer reach the database the other takes over with the same queues, agents and tasks.
 * Each node has its own pool, as separate processes would. The processes version (SIGKILL, SIGSTOP) is
 * test/system/two-nodes.test.ts.
 */

let db: TestDatabase;
const LEASE_MS = 900;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.db);
});
afterAll(async () => {
  await db.drop();
});

type Node = { name: string; handle: DatabaseHandle; routing: RoutingService; partition: () => Promise<void> };

/** A node with a pool of its own. `partition` cuts it off the database: new connections fail, its sessions end. */
async function startNode(name: string, clock: TestClock): Promise<Node> {
  let target = db.url;
  const handle = openDatabase(() => target, { poolSize: 4, applicationName: name });
  const partition = async () => {
    target = 'postgresql://switchboard:unused@127.0.0.1:9/gone';
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
    } finally {
      await admin.end();
    }
  };
  const cluster: ClusterOptions = {
    nodeId: name,
    leaseMs: LEASE_MS,
    listen: (channel, onAppend) => listen(handle.pool, channel, onAppend),
  };
  const routing = await RoutingService.open(handle.db, await loadRoutingConfig(handle.db), clock.get, cluster);
  routing.start(100);
  return { name, handle, routing, partition };
}

const reservationOf = (events: Awaited<ReturnType<RoutingService['execute']>>): string => {
  const offer = events.find((e) => e.type === 'reservation.created');
  if (offer?.type !== 'reservation.created') throw new Error('no offer was made');
  return offer.reservationId;
};

/** Whether the server ends a session idle in a transaction past its idle_in_transaction_session_timeout. */
async function serverEndsIdleTransactions(): Promise<boolean> {
  const probe = new pg.Client({ connectionString: db.url });
  const ended = new Promise<boolean>((resolve) => {
    probe.on('error', () => resolve(true));
    setTimeout(() => resolve(false), 3000).unref();
  });
  await probe.connect();
  await probe.query('BEGIN');
  await probe.query("SELECT set_config('idle_in_transaction_session_timeout', '200ms', true)");
  const result = await ended;
  await probe.end().catch(() => undefined);
  return result;
}

/** What an engine holds, in a form two engines can be compared by. */
function stateOf(routing: RoutingService): string {
  const byId = <T extends { id: string }>(items: Iterable<T>) => [...items].sort((a, b) => a.id.localeCompare(b.id));
  const engine = routing.engine;
  return JSON.stringify({
    tasks: byId(engine.allTasks()),
    workers: byId(engine.allWorkers()),
    reservations: byId(engine.allReservations()),
  });
}

const agent = (id: string, language = 'es') => ({
  type: 'addWorker' as const,
  worker: { id, attributes: { skills: ['public_intake'], languages: [language] }, activity: 'Offline' },
});
const call = (id: string, language = 'es') => ({ type: 'createTask' as const, task: { id, attributes: { line: 'public', language } } });

describe('two routing nodes on one database', () => {
  it('answer as one engine, run the timers on one leader, and hand over to the other when the leader is gone', async () => {
    const clock = testClock();
    const a = await startNode('node-a', clock);
    await waitUntil('node-a leads', () => a.routing.isLeader, 10_000);
    const b = await startNode('node-b', clock);
    try {
      const [agentId, first, second] = [randomUUID(), randomUUID(), randomUUID()];
      // Commands on either node: the agent from B, a call on A, another call on B.
      await b.routing.execute(agent(agentId), null);
      await b.routing.execute({ type: 'setActivity', workerId: agentId, activity: 'Available' }, null);
      const offered = await a.routing.execute(call(first), null);
      // A's engine already knew B's agent (it caught up under the lock), so the call was offered to them at once.
      expect(offered.some((e) => e.type === 'reservation.created' && e.workerId === agentId)).toBe(true);
      await b.routing.execute(call(second), null);
      await waitUntil('both engines hold the same state', () => stateOf(a.routing) === stateOf(b.routing), 10_000);
      expect([...b.routing.engine.allTasks()].map((t) => t.id).sort()).toEqual([first, second].sort());
      expect(b.routing.isLeader).toBe(false);

      // "Create it unless it exists", asked of both nodes at once: made once.
      const workItem = { id: randomUUID(), channel: 'work_item' as const, attributes: { kind: 'work_item', unit: 'analysis' } };
      const made = await Promise.all([a.routing.ensureTask(workItem, null), b.routing.ensureTask(workItem, null)]);
      expect(made.filter(Boolean)).toHaveLength(1);

      // The offer rings out on the leader's timer (the reservation timeout is 20 s on the engine's clock).
      const epochA = a.routing.clusterState().epoch;
      const firstOffer = reservationOf(offered);
      clock.advance(21_000);
      await waitUntil('the offer timed out on the leader', () => b.routing.engine.reservation(firstOffer)?.status === 'timed-out', 10_000);
      await waitUntil('both engines agree again', () => stateOf(b.routing) === stateOf(a.routing), 10_000);
      const before = stateOf(a.routing);

      // Node A is cut off the database (a crash or a partition): its lease is not renewed.
      await a.partition();
      await waitUntil('node-b takes over', () => b.routing.isLeader, 10_000);
      const epochB = b.routing.clusterState().epoch;
      expect(epochB).toBeGreaterThan(epochA ?? 0);
      // Same queues, agents and tasks as the old leader had.
      expect(stateOf(b.routing)).toBe(before);
      // The new leader fires the timers: a new agent's offer rings out on B's clock.
      const other = randomUUID();
      await b.routing.execute(agent(other), null);
      const offers = await b.routing.execute({ type: 'setActivity', workerId: other, activity: 'Available' }, null);
      const ringing = reservationOf(offers);
      clock.advance(21_000);
      await waitUntil('the new leader fired the timer', () => b.routing.engine.reservation(ringing)?.status === 'timed-out', 10_000);
      expect(await epochsWithTwoTimekeepers(db.db)).toEqual([]);
    } finally {
      await b.routing.stop();
      await a.routing.stop().catch(() => undefined);
      await Promise.all([a.handle.close(), b.handle.close()]);
    }
  }, 120_000);

  it('fences a leader whose lease was taken over while it was paused: its timers are refused, its engine stays the log', async () => {
    const clock = testClock();
    const a = await startNode('node-a2', clock);
    try {
      await waitUntil('node-a2 leads', () => a.routing.isLeader, 10_000);
      const agentId = randomUUID();
      // In French: the calls the first test left waiting (in Spanish) are not offered to this agent.
      await a.routing.execute(agent(agentId, 'fr'), null);
      await a.routing.execute({ type: 'setActivity', workerId: agentId, activity: 'Available' }, null);
      const reservation = reservationOf(await a.routing.execute(call(randomUUID(), 'fr'), null));

      // While node-a2 was paused past its lease, node-c took the lease over (a new epoch) and leads now.
      await sql`UPDATE cluster_leases SET holder = 'node-c', epoch = epoch + 1, expires_at = 'infinity' WHERE name = 'routing'`.execute(
        db.db,
      );
      const appendedBefore = await sql<{ n: string }>`SELECT count(*) AS n FROM routing_commands`.execute(db.db);

      // Resumed, node-a2 still believes it leads for a moment: the timer it fires is refused by fencing.
      clock.advance(21_000);
      expect(await a.routing.execute({ type: 'tick' }, null)).toEqual([]);
      expect(a.routing.fencedTicks).toBeGreaterThanOrEqual(1);
      expect(a.routing.isLeader).toBe(false);
      expect(a.routing.engine.reservation(reservation)?.status).toBe('pending');
      const appendedAfter = await sql<{ n: string }>`SELECT count(*) AS n FROM routing_commands`.execute(db.db);
      expect(appendedAfter.rows[0]?.n).toBe(appendedBefore.rows[0]?.n);

      // Its other commands still go through the log in order, under the epoch in force (node-c's).
      await a.routing.execute({ type: 'setActivity', workerId: agentId, activity: 'Break' }, null);
      const last = await sql<{ epoch: string; node: string }>`SELECT epoch, node FROM routing_commands ORDER BY seq DESC LIMIT 1`.execute(
        db.db,
      );
      const lease = await sql<{ epoch: string }>`SELECT epoch FROM cluster_leases WHERE name = 'routing'`.execute(db.db);
      expect(last.rows[0]).toEqual({ epoch: lease.rows[0]?.epoch, node: 'node-a2' });
      expect(await epochsWithTwoTimekeepers(db.db)).toEqual([]);
    } finally {
      await a.routing.stop();
      await a.handle.close();
    }
  }, 120_000);

  it('frees the log when a node stops inside an append: the server ends its session, the others go on', async () => {
    // The run with the machine's clock moved (scripts/test.sh) runs PostgreSQL under libfaketime, whose timers its
    // session timeouts never see: there the server cannot end an idle transaction. The append's limit is still
    // checked there; the stopped node is then resumed by hand instead of being cut off.
    const serverEndsIdle = await serverEndsIdleTransactions();
    // node-c of the test before hands its lease back.
    await sql`UPDATE cluster_leases SET holder = NULL, expires_at = '-infinity' WHERE name = 'routing'`.execute(db.db);
    const clock = testClock();
    const a = await startNode('node-a3', clock);
    const other = openDatabase(db.url, { poolSize: 1 });
    let resume: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      resume = resolve;
    });
    try {
      await waitUntil('node-a3 leads', () => a.routing.isLeader, 10_000);
      // A node takes the log's lock as an append does (with the idle limit an append sets), and then stops.
      let locked: () => void = () => undefined;
      const lockTaken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      let limit: string | undefined;
      const pausedAppend = other.db.transaction().execute(async (trx) => {
        await lockLease(trx, 'routing', 'paused-node', null, 500);
        limit = (await sql<{ v: string }>`SELECT current_setting('idle_in_transaction_session_timeout') AS v`.execute(trx)).rows[0]?.v;
        locked();
        await stopped;
      });
      await lockTaken;
      expect(limit).toBe('500ms');
      const agentId = randomUUID();
      if (serverEndsIdle) {
        // A command now waits for that lock — and gets it once the server ended the stopped node's session.
        await a.routing.execute(agent(agentId), null);
        expect(a.routing.engine.worker(agentId)).toBeDefined();
        // Resumed, the stopped node finds its transaction gone: nothing it did under the lock is stored.
        resume();
        await expect(pausedAppend).rejects.toThrow();
      } else {
        const waiting = a.routing.execute(agent(agentId), null);
        resume();
        await pausedAppend;
        await waiting;
        expect(a.routing.engine.worker(agentId)).toBeDefined();
      }
    } finally {
      resume();
      await a.routing.stop();
      await Promise.all([a.handle.close(), other.close()]);
    }
  }, 120_000);
});
