import { type PartnerJobDeps, runPartnerJobs } from '../services/partner-jobs.service.js';
import type { Job } from './job-runner.js';

/**
 * Every second: uploads split, partner submissions processed (for at most PROCESS_BUDGET_MS a run), status
 * webhooks sent. Not exclusive: every step claims its rows with SKIP LOCKED, so two nodes share the work. A part
 * that fails does not stop the others; the run then fails with the first error (counted and logged by the runner).
 */
export const partnerProcessorJob = (deps: PartnerJobDeps, clock: () => Date): Job => ({
  name: 'partner processor',
  intervalMs: 1_000,
  exclusive: false,
  run: async () => {
    const failures: unknown[] = [];
    await runPartnerJobs(deps, clock, (_part, error) => failures.push(error));
    if (failures.length > 0) throw failures[0];
    return undefined;
  },
});
