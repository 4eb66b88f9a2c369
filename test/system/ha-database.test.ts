import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HaDatabase, startHaDatabase } from '../../src/cluster/ha-database.js';
import { waitUntil } from '../support/processes.js';

/**
 * The production database shape on loopback (etcd, two Patroni members with
 * synchronous replication, HAProxy): a commit acknowledged by the primary is on
 * the standby, and when the primary dies Patroni promotes the standby and
 * HAProxy follows it — the committed rows are all there.
 */

let ha: HaDatabase;
const secret = () => randomBytes(12).toString('hex');

beforeAll(async () => {
  ha = await startHaDatabase({
    dir: mkdtempSync(path.join(tmpdir(), 'sb-ha-')),
    passwords: { superuser: secret(), replication: secret(), owner: secret(), app: secret() },
  });
}, 180_000);
afterAll(async () => {
  await ha?.stop();
});

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('the replicated database', () => {
  it('acknowledges a commit only once the synchronous standby has it', async () => {
    expect(await ha.primary()).toBe('pg1');
    const [replication] = await query<{ sync_state: string }>(ha.superuserUrl, 'SELECT sync_state FROM pg_stat_replication');
    expect(replication?.sync_state).toBe('sync');
    await query(ha.migrationUrl, 'CREATE TABLE acked (n int PRIMARY KEY)');
    await query(ha.migrationUrl, 'INSERT INTO acked SELECT generate_series(1, 500)');
  });

  it('survives the primary’s death: the standby is promoted, HAProxy follows, no acknowledged row is lost', async () => {
    const pid = ha.postmasterPid('pg1');
    expect(pid).not.toBeNull();
    // The machine dies: the postmaster and Patroni (its process group) at once, with no clean hand-over.
    process.kill(pid as number, 'SIGKILL');
    const patroni = ha.members[0]?.patroni.child.pid;
    if (patroni) process.kill(-patroni, 'SIGKILL');
    await waitUntil('pg2 promoted', async () => (await ha.primary()) === 'pg2', 60_000);
    await waitUntil(
      'the rows through HAProxy',
      async () => (await query<{ n: string }>(ha.migrationUrl, 'SELECT count(*) AS n FROM acked').catch(() => []))[0]?.n === '500',
      30_000,
    );
    await query(ha.migrationUrl, 'INSERT INTO acked VALUES (501)');
    // The old primary rejoins as a standby of the new one.
    await ha.restart('pg1');
    await waitUntil(
      'pg1 streaming again',
      async () =>
        (await query<{ n: string }>(ha.superuserUrl, "SELECT count(*) AS n FROM pg_stat_replication WHERE sync_state = 'sync'"))[0]?.n ===
        '1',
      60_000,
    );
  }, 180_000);
});
