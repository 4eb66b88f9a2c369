import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadReferenceData } from '../../src/services/reference-data.service.js';
import { type RoutingCommand, RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { isDatabaseUnavailable, openDatabase } from '../../src/storage/database.js';
import { testClock } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/processes.js';

/**
 * What the process keeps when its database goes away under it. A connection
 * the server drops while the application holds it between two queries of a
 * transaction is an 'error' event on that client, which nobody listened to:
 * it became an uncaught exception and the process exited. And a routing
 * command whose write failed while the log could not be read either left the
 * engine ahead of the log for good.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.db);
});
afterAll(async () => {
  await db.drop();
});

/** Ends every session on the test database but the caller's: what the server does to its clients when it dies. */
async function dropConnections(pids?: number[]): Promise<number> {
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  try {
    const result = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND ($2::int[] IS NULL OR pid = ANY($2))',
      [db.name, pids ?? null],
    );
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('a connection lost while the application holds it', () => {
  it('fails the transaction that held it, not the process; the pool connects afresh', async () => {
    const lost: Error[] = [];
    let reported: () => void = () => undefined;
    const handle = openDatabase(db.url, {
      poolSize: 2,
      onConnectionError: (error) => {
        lost.push(error);
        reported();
      },
    });
    try {
      const failed = handle.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        // Between two queries, the server ends the session (as it does to every client when its postmaster dies).
        const seen = new Promise<void>((resolve) => {
          reported = resolve;
        });
        expect(await dropConnections(rows.map((r) => r.pid))).toBe(1);
        await seen;
        await sql`SELECT 1`.execute(trx);
      });
      await expect(failed).rejects.toSatisfy(isDatabaseUnavailable);
      // The server's goodbye (57P01), maybe followed by the socket's end: each reported, none thrown.
      expect(lost[0]?.message).toMatch(/terminating connection/);
      expect(lost.every(isDatabaseUnavailable)).toBe(true);
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(handle.db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await handle.close();
    }
  });
});

describe('the routing engine through a database outage', () => {
  it('never keeps a command the log does not hold, and heals when the database answers again', async () => {
    let target = db.url;
    const handle = openDatabase(() => target, { poolSize: 2 });
    const clock = testClock();
    const config = await loadRoutingConfig(handle.db);
    const routing = await RoutingService.open(handle.db, config, clock.get);
    const workItem = (id: string): RoutingCommand => ({
      type: 'createTask',
      task: { id, channel: 'work_item', attributes: { kind: 'work_item', unit: 'analysis' } },
    });
    try {
      const [before, lost, after] = [randomUUID(), randomUUID(), randomUUID()];
      await routing.execute(workItem(before), null);

      // The server goes away: its sessions end, and new connections are refused.
      target = `postgresql://switchboard:unused@127.0.0.1:${await freePort()}/gone`;
      await dropConnections();
      clock.advance(1_000);
      await expect(routing.execute(workItem(lost), null)).rejects.toSatisfy(isDatabaseUnavailable);
      // Until the log can be read again, no command runs on a state the log may not hold.
      await expect(routing.execute({ type: 'tick' }, null)).rejects.toSatisfy(isDatabaseUnavailable);

      target = db.url;
      clock.advance(1_000);
      await routing.execute({ type: 'tick' }, null);
      expect(routing.engine.task(lost)).toBeUndefined();
      expect(routing.engine.task(before)).toBeDefined();
      await routing.execute(workItem(after), null);

      const replayed = await RoutingService.open(db.db, config, clock.get);
      const ids = (service: RoutingService) => [...service.engine.allTasks()].map((t) => t.id).sort();
      expect(ids(routing)).toEqual([before, after].sort());
      expect(ids(replayed)).toEqual(ids(routing));
    } finally {
      await routing.stop();
      await handle.close();
    }
  });
});
