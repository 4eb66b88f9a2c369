import type { Db } from '../storage/database.js';
import { type JobRunRow, listRecentJobRuns } from '../storage/repositories/job-run.repository.js';

/** The background jobs' recent runs for `switchboard jobs` (operators' view: job names and times, no personal data). */
export type JobRun = {
  queue: string;
  state: string;
  retries: number;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
};

export async function recentJobRuns(db: Db, limit: number): Promise<JobRun[]> {
  const rows: JobRunRow[] = await listRecentJobRuns(db, limit);
  return rows.map((row) => ({
    queue: row.queue,
    state: row.state,
    retries: row.retry_count,
    createdAt: row.created_on,
    startedAt: row.started_on,
    completedAt: row.completed_on,
  }));
}
