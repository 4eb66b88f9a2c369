import type pg from 'pg';
import PgBoss from 'pg-boss';

/**
 * The background jobs' queue: pg-boss (10.x, the last line that runs on Node 20) in its own schema of the
 * database. Its tables, and one partition per queue, are made by the schema owner when migrations run (a queue
 * is a table: the application's role may not make one); the application only reads and writes their rows.
 */

export const JOB_QUEUE_SCHEMA = 'pgboss';

/** One queue: how its failed runs are retried and when a run whose node died counts as failed. */
export type JobQueueSpec = {
  readonly name: string;
  /**
   * singleton: at most one run active at once across every node. short: at most one run waiting per singleton key
   * (a node's own runs of a job every node runs: a tick that comes while one waits is dropped).
   */
  readonly policy: 'singleton' | 'short';
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  readonly retryBackoff: boolean;
  /** A run active for longer fails (a node killed mid-run frees its singleton slot after this). */
  readonly expireInSeconds: number;
};

/** pg-boss on a pool Switchboard already holds (it then never opens or closes connections itself). */
export const jobQueueDb = (pool: pg.Pool): PgBoss.Db => ({
  executeSql: (text, values) => pool.query(text, values),
});

/**
 * Installs or upgrades the queue's schema and makes (or updates) the queues; with the owner's connection, from
 * applyMigrations and the test template. Idempotent; two nodes starting at once take turns (an advisory lock on one
 * connection: pg-boss's createQueue, run concurrently, deadlocks).
 */
export async function installJobQueue(owner: pg.Pool, queues: readonly JobQueueSpec[]): Promise<void> {
  const client = await owner.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [INSTALL_LOCK]);
    try {
      const boss = new PgBoss({
        db: { executeSql: (text, values) => client.query(text, values) },
        schema: JOB_QUEUE_SCHEMA,
        migrate: true,
        supervise: false,
        schedule: false,
      });
      boss.on('error', () => undefined);
      await boss.start();
      try {
        for (const queue of queues) {
          const options = {
            name: queue.name,
            policy: queue.policy,
            retryLimit: queue.retryLimit,
            retryDelay: queue.retryDelaySeconds,
            retryBackoff: queue.retryBackoff,
            expireInSeconds: queue.expireInSeconds,
          };
          await boss.createQueue(queue.name, options);
          await boss.updateQueue(queue.name, options);
        }
      } finally {
        await boss.stop({ graceful: false, close: false, wait: true });
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [INSTALL_LOCK]);
    }
  } finally {
    client.release();
  }
}

const INSTALL_LOCK = 'switchboard: install the job queue';
