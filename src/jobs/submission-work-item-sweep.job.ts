import { type ProcessorDeps, sweepSubmissionWorkItems } from '../services/partner-submission.service.js';
import type { Job } from './job-runner.js';

/** Every minute: accepted partner submissions whose work item was lost get it again. */
export const submissionWorkItemSweepJob = (deps: ProcessorDeps): Job => ({
  name: 'submission work item sweep',
  intervalMs: 60_000,
  exclusive: true,
  run: async (now) => {
    await sweepSubmissionWorkItems(deps, now);
    return undefined;
  },
});
