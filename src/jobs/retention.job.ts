import type { RequestContext } from '../services/audit.service.js';
import { runRetention } from '../services/retention.service.js';
import type { Db } from '../storage/database.js';
import type { Job } from './job-runner.js';

/**
 * Once a day (the first an hour after start), as the schema owner: records past their retention period are
 * deleted; audited by kind and count, and the counts logged.
 */
export const retentionJob = (deps: {
  /** Runs the work on a connection as the schema owner (retention deletes what the app's role may not). */
  asOwner: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
  attachmentsDir: string;
  timeZone: string;
}): Job => ({
  name: 'retention',
  intervalMs: 24 * 3_600_000,
  firstRunAfterMs: 3_600_000,
  exclusive: true,
  run: async (now) => {
    const ctx: RequestContext = {
      actor: null,
      system: 'retention.schedule',
      sourceIp: null,
      requestId: null,
      now,
      timeZone: deps.timeZone,
    };
    const result = await deps.asOwner((db) => runRetention(db, ctx, { dryRun: false, attachmentsDir: deps.attachmentsDir }));
    return { counts: result.counts };
  },
});
