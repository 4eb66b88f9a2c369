import pg from 'pg';
import PgBoss from 'pg-boss';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QueueJobRunner } from '../../src/jobs/job-queue-runner.js';
import type { Job } from '../../src/jobs/job-runner.js';
import { recentJobRuns } from '../../src/services/job-runs.service.js';
import { grantApplicationRole } from '../../src/storage/grants.js';
import { installJobQueue, JOB_QUEUE_SCHEMA, type JobQueueSpec, jobQueueDb } from '../../src/storage/job-queue.js';
import { testClock } from '../support/app.js';
import { createTestDatabase, databaseKind, type TestDatabase } from '../support/database.js';

/**
 * The background jobs on the PostgreSQL job queue (pg-boss), with two runners on one database standing for two
 * nodes, both connected as an application role that owns nothing (the queue was installed by the owner, as
 * applyMigrations does): each interval's run happens once, never twice and never two at once, and a failed run
 * is retried.
 */

const QUEUES: Record<string, JobQueueSpec> = {
  tick: {
    name: 'switchboard-test-tick',
    policy: 'singleton',
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 60,
  },
  flaky: {
    name: 'switchboard-test-flaky',
    policy: 'singleton',
    retryLimit: 2,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 60,
  },
  shared: {
    name: 'switchboard-test-shared',
    policy: 'short',
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 60,
  },
  slow: {
    name: 'switchboard-test-slow',
    policy: 'singleton',
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 60,
  },
};

const quiet = { info: () => undefined, warn: () => undefined };
const waitLong = { timeout: 15_000, interval: 50 };

describe(`background jobs on the job queue (${databaseKind()} server)`, () => {
  let db: TestDatabase;
  const appPools: pg.Pool[] = [];
  const role = `sb_app_${Math.random().toString(36).slice(2, 10)}`;
  const clock = testClock();
  let appUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await installJobQueue(db.pool, Object.values(QUEUES));
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await grantApplicationRole(db.pool, role);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    appUrl = url.toString();
  });

  afterAll(async () => {
    await Promise.all(appPools.map((pool) => pool.end()));
    await db.drop();
    const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  /** Two nodes running the same jobs; each job is made per node so a run says where it ran. */
  async function twoNodes(jobFor: (node: string) => Job[]) {
    const nodes = await Promise.all(
      ['a', 'b'].map(async (node) => {
        const pool = new pg.Pool({ connectionString: appUrl, max: 3 });
        appPools.push(pool);
        const registry = new Registry();
        const runner = new QueueJobRunner(jobFor(node), {
          pool,
          nodeId: node,
          clock: clock.get,
          logger: quiet,
          queues: QUEUES,
          pollingIntervalSeconds: 0.5,
        });
        runner.registerMetrics(registry);
        await runner.startWorkers();
        return { runner, registry };
      }),
    );
    const total = async (metric: string, job: string) => {
      let sum = 0;
      for (const { registry } of nodes) {
        const found = (await registry.getMetricsAsJSON()).find((m) => m.name === metric);
        sum += Number(found?.values.find((v) => v.labels.job === job)?.value ?? 0);
      }
      return sum;
    };
    const stop = () => Promise.all(nodes.map(({ runner }) => runner.stop()));
    return { a: nodes[0]?.runner as QueueJobRunner, b: nodes[1]?.runner as QueueJobRunner, total, stop };
  }

  const rows = async (queue: string) =>
    (
      await db.pool.query<{ state: string; retry_count: number }>(
        `SELECT state, retry_count FROM ${JOB_QUEUE_SCHEMA}.job WHERE name = $1 ORDER BY created_on`,
        [queue],
      )
    ).rows;

  it('runs a job once per interval across two nodes, never twice', async () => {
    const ran: { node: string; at: string }[] = [];
    const nodes = await twoNodes((node) => [
      {
        name: 'tick',
        intervalMs: 60_000,
        exclusive: true,
        run: async (now) => {
          ran.push({ node, at: now.toISOString() });
          return undefined;
        },
      },
    ]);
    try {
      // Both nodes reach the interval's boundary: one adds the run, the other's add is dropped.
      const added = await Promise.all([nodes.a.enqueue('tick', clock.get()), nodes.b.enqueue('tick', clock.get())]);
      expect(added.filter(Boolean)).toHaveLength(1);
      await vi.waitFor(() => expect(ran).toHaveLength(1), waitLong);
      // A node late for the same interval, after the run finished, adds nothing either.
      expect(await nodes.b.enqueue('tick', new Date(clock.get().getTime() + 1_000))).toBe(false);

      clock.advance(60_000);
      const next = await Promise.all([nodes.b.enqueue('tick', clock.get()), nodes.a.enqueue('tick', clock.get())]);
      expect(next.filter(Boolean)).toHaveLength(1);
      await vi.waitFor(
        async () => expect((await rows(QUEUES.tick?.name ?? '')).map((r) => r.state)).toEqual(['completed', 'completed']),
        waitLong,
      );
      expect(ran).toHaveLength(2);
      expect(await nodes.total('switchboard_job_runs_total', 'tick')).toBe(2);
      expect(await nodes.total('switchboard_job_failures_total', 'tick')).toBe(0);
      // What `switchboard jobs` lists: the two runs, newest first, done.
      const listed = (await recentJobRuns(db.db, 10)).filter((r) => r.queue === QUEUES.tick?.name);
      expect(listed.map((r) => [r.state, r.retries])).toEqual([
        ['completed', 0],
        ['completed', 0],
      ]);
      expect(listed.every((r) => r.startedAt !== null && r.completedAt !== null)).toBe(true);
    } finally {
      await nodes.stop();
    }
  });

  it('retries a failed run through the queue, and counts the failure', async () => {
    let calls = 0;
    const nodes = await twoNodes(() => [
      {
        name: 'flaky',
        intervalMs: 60_000,
        exclusive: true,
        run: async () => {
          calls += 1;
          if (calls === 1) throw new Error('the sweep broke (synthetic)');
          return undefined;
        },
      },
    ]);
    try {
      expect(await nodes.a.enqueue('flaky', clock.get())).toBe(true);
      await vi.waitFor(
        async () => expect(await rows(QUEUES.flaky?.name ?? '')).toEqual([{ state: 'completed', retry_count: 1 }]),
        waitLong,
      );
      expect(calls).toBe(2);
      expect(await nodes.total('switchboard_job_runs_total', 'flaky')).toBe(2);
      expect(await nodes.total('switchboard_job_failures_total', 'flaky')).toBe(1);
      // What the queue kept of the failure says which job, not the error's own message.
      const output = await db.pool.query<{ output: unknown }>(`SELECT output FROM ${JOB_QUEUE_SCHEMA}.job WHERE name = $1`, [
        QUEUES.flaky?.name,
      ]);
      expect(JSON.stringify(output.rows)).not.toContain('synthetic');
    } finally {
      await nodes.stop();
    }
  });

  it('never runs two of an exclusive job at once: the next interval waits for the run under way', async () => {
    let active = 0;
    let most = 0;
    let started = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const nodes = await twoNodes(() => [
      {
        name: 'slow',
        intervalMs: 60_000,
        exclusive: true,
        run: async () => {
          started += 1;
          active += 1;
          most = Math.max(most, active);
          if (started === 1) await gate;
          active -= 1;
          return undefined;
        },
      },
    ]);
    try {
      expect(await nodes.a.enqueue('slow', clock.get())).toBe(true);
      await vi.waitFor(() => expect(started).toBe(1), waitLong);
      clock.advance(60_000);
      expect(await nodes.b.enqueue('slow', clock.get())).toBe(true);
      // While the first run is active, the queue gives the second to nobody (what either node's worker asks).
      const probe = new PgBoss({ db: jobQueueDb(db.pool), schema: JOB_QUEUE_SCHEMA, migrate: false, supervise: false, schedule: false });
      expect(await probe.fetch(QUEUES.slow?.name ?? '')).toEqual([]);
      expect((await rows(QUEUES.slow?.name ?? '')).map((r) => r.state)).toEqual(['active', 'created']);
      release();
      await vi.waitFor(
        async () => expect((await rows(QUEUES.slow?.name ?? '')).map((r) => r.state)).toEqual(['completed', 'completed']),
        waitLong,
      );
      expect(started).toBe(2);
      expect(most).toBe(1);
    } finally {
      release();
      await nodes.stop();
    }
  });

  it('a job every node runs (the partner processor) gets one run per node per interval, and one waiting at most', async () => {
    const ran: string[] = [];
    const nodes = ['a', 'b'].map((node) => {
      const pool = new pg.Pool({ connectionString: appUrl, max: 2 });
      appPools.push(pool);
      const job: Job = {
        name: 'shared',
        intervalMs: 1_000,
        exclusive: false,
        run: async () => {
          ran.push(node);
          return undefined;
        },
      };
      return new QueueJobRunner([job], {
        pool,
        nodeId: node,
        clock: clock.get,
        logger: quiet,
        queues: QUEUES,
        pollingIntervalSeconds: 0.5,
      });
    });
    const [a, b] = nodes as [QueueJobRunner, QueueJobRunner];
    try {
      // No worker yet: the runs wait. Each node adds its own for the interval, twice from one node counts once.
      expect(await Promise.all([a.enqueue('shared', clock.get()), b.enqueue('shared', clock.get())])).toEqual([true, true]);
      expect(await a.enqueue('shared', clock.get())).toBe(false);
      // The next second, while a's run still waits: dropped (a slow node does not pile runs up).
      expect(await a.enqueue('shared', new Date(clock.get().getTime() + 1_000))).toBe(false);
      await a.startWorkers();
      await vi.waitFor(() => expect(ran).toHaveLength(2), waitLong);
      expect((await rows(QUEUES.shared?.name ?? '')).map((r) => r.state)).toEqual(['completed', 'completed']);
    } finally {
      await Promise.all(nodes.map((runner) => runner.stop()));
    }
  });

  it('the application role takes and adds runs but cannot make a queue (a table)', async () => {
    const app = new pg.Client({ connectionString: appUrl });
    await app.connect();
    try {
      await expect(app.query(`SELECT ${JOB_QUEUE_SCHEMA}.create_queue('switchboard-test-sneaky', '{}'::json)`)).rejects.toThrow(
        /permission denied/,
      );
      expect((await app.query(`SELECT count(*)::int AS n FROM ${JOB_QUEUE_SCHEMA}.queue`)).rows[0].n).toBeGreaterThan(0);
    } finally {
      await app.end();
    }
  });
});

describe('installing the job queue', () => {
  it('is idempotent and safe when two nodes start on a new database at the same moment', async () => {
    const fresh = await createTestDatabase({ empty: true });
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: fresh.url, max: 1 }));
    try {
      await Promise.all(pools.map((pool) => installJobQueue(pool, Object.values(QUEUES))));
      await installJobQueue(fresh.pool, Object.values(QUEUES));
      const queues = await fresh.pool.query<{ name: string; policy: string }>(
        `SELECT name, policy FROM ${JOB_QUEUE_SCHEMA}.queue ORDER BY name`,
      );
      expect(queues.rows).toEqual(
        Object.values(QUEUES)
          .map((q) => ({ name: q.name, policy: q.policy }))
          .sort((x, y) => x.name.localeCompare(y.name)),
      );
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await fresh.drop();
    }
  });
});
