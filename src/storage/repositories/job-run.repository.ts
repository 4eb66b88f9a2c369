import { sql } from 'kysely';
import type { Db } from '../database.js';
import { JOB_QUEUE_SCHEMA } from '../job-queue.js';

/** The background jobs' runs as the queue (pg-boss) keeps them: waiting, active, done or failed, then archived. */

export type JobRunRow = {
  queue: string;
  state: string;
  retry_count: number;
  created_on: Date;
  started_on: Date | null;
  completed_on: Date | null;
  archived: boolean;
};

/** The latest runs of the Switchboard queues (newest first), from the queue's table and its archive. */
export async function listRecentJobRuns(db: Db, limit: number): Promise<JobRunRow[]> {
  const { rows } = await sql<JobRunRow>`
    SELECT queue, state, retry_count, created_on, started_on, completed_on, archived FROM (
      SELECT name AS queue, state::text AS state, retry_count, created_on, started_on, completed_on, false AS archived
      FROM ${sql.id(JOB_QUEUE_SCHEMA, 'job')} WHERE name LIKE 'switchboard-%'
      UNION ALL
      SELECT name, state::text, retry_count, created_on, started_on, completed_on, true
      FROM ${sql.id(JOB_QUEUE_SCHEMA, 'archive')} WHERE name LIKE 'switchboard-%'
    ) runs
    ORDER BY created_on DESC
    LIMIT ${limit}
  `.execute(db);
  return rows;
}
