import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HaDatabase, startHaDatabase } from '../../src/cluster/ha-database.js';
import { addProbeClient, probeStatuses, probeSubmit, probeToken } from '../support/partner-probe.js';
import { assertBuilt, baseEnv, CLI, freeHttpPort, type Running, run, waitReady, waitUntil } from '../support/processes.js';

/**
 * The production database shape on loopback (etcd, two Patroni members with
 * synchronous replication, HAProxy): a commit acknowledged by the primary is on
 * the standby, and when the primary dies Patroni promotes the standby and
 * HAProxy follows it — the committed rows are all there.
 */

let ha: HaDatabase;
const children: Running[] = [];
const secret = () => randomBytes(12).toString('hex');

beforeAll(async () => {
  ha = await startHaDatabase({
    dir: mkdtempSync(path.join(tmpdir(), 'sb-ha-')),
    passwords: { superuser: secret(), replication: secret(), owner: secret(), app: secret() },
  });
}, 180_000);
afterAll(async () => {
  for (const child of children) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await ha?.stop();
});

/** The primary's machine dies: its postmaster and Patroni (with its process group) at once. */
function killMember(name: string): void {
  const pid = ha.postmasterPid(name);
  expect(pid).not.toBeNull();
  process.kill(pid as number, 'SIGKILL');
  const patroni = ha.members.find((m) => m.name === name)?.patroni.child.pid;
  if (patroni) process.kill(-patroni, 'SIGKILL');
}

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
    killMember('pg1');
    await waitUntil('pg2 promoted', async () => (await ha.primary()) === 'pg2', 60_000);
    // Through HAProxy, the new primary — writable: a read alone may still reach a server in recovery (HAProxy's
    // check has not switched yet, or pg2 is finishing its promotion), and an INSERT there is refused as read-only.
    await waitUntil(
      'a writable primary with the rows through HAProxy',
      async () => {
        const [state] = await query<{ n: string; recovery: boolean }>(
          ha.migrationUrl,
          'SELECT (SELECT count(*) FROM acked) AS n, pg_is_in_recovery() AS recovery',
        ).catch(() => []);
        return state?.n === '500' && state.recovery === false;
      },
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

  it('keeps every write a Switchboard node acknowledged through HAProxy across the failover, and is ready again', async () => {
    assertBuilt();
    const port = await freeHttpPort();
    const env = baseEnv({
      SWITCHBOARD_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sb-ha-node-')),
      PORT: String(port),
      DATABASE_URL: ha.url,
      DATABASE_MIGRATION_URL: ha.migrationUrl,
      SWITCHBOARD_SECRET_KEY: 'b'.repeat(64),
      SWITCHBOARD_DEMO_ON_FIRST_START: 'false',
      SWITCHBOARD_NODE_ID: 'ha-node',
      // The stop at the end must be clean (exit 0), not quick. Under a full suite's load this test once saw exit 1
      // (cause not captured then; the assertion below now prints the node's last output): the default 10 s of grace
      // for closing requests, jobs, engine and audit sealer on a loaded machine is ruled out with 30 s.
      SHUTDOWN_GRACE_MS: '30000',
    });
    const node = run(CLI, ['start'], env);
    children.push(node);
    await waitReady(port, node, 120_000);
    const client = await addProbeClient(env, children, 'TX0320000');
    const token = await probeToken(port, client);

    // Submissions go on without a pause while the primary dies; each answer is kept.
    const acked: string[] = [];
    const refused: string[] = [];
    let failedOverAt = -1;
    const old = await ha.primary();
    expect(old).not.toBeNull();
    for (let i = 0; i < 600 && (failedOverAt < 0 || acked.length < failedOverAt + 20); i++) {
      if (i === 20) killMember(old as string);
      const result = await probeSubmit(port, token, `ha-${i}`);
      if ('id' in result) acked.push(result.id);
      else refused.push(`${result.status} ${result.code ?? ''}`.trim());
      if (i > 20 && failedOverAt < 0 && 'id' in result) failedOverAt = acked.length;
      if (!('id' in result)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(failedOverAt).toBeGreaterThan(0);
    expect(await ha.primary()).not.toBe(old);
    // While no primary could take writes the node said so (503, try again), never a half-done write or a 500.
    expect(
      refused.every((r) => r === '503 not_ready'),
      refused.join(', '),
    ).toBe(true);
    await waitReady(port, node, 60_000);
    await waitUntil(
      'every acknowledged submission accepted',
      async () => (await probeStatuses(port, token, acked)).every((s) => s === 'accepted'),
      120_000,
    );
    console.log(
      `failover under a Switchboard node: ${acked.length} acknowledged, ${refused.length} refused with 503 while no primary took writes`,
    );
    node.child.kill('SIGTERM');
    // A clean stop exits 0; otherwise its last words say why (the grace period ran out, a step failed).
    expect((await node.exited).code, `${node.stdout().slice(-4000)}\n${node.stderr().slice(-2000)}`).toBe(0);
  }, 300_000);
});
