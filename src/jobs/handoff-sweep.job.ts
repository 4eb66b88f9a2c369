import { type HandoffDeps, sweepHandoffs } from '../services/handoff.service.js';
import type { Job } from './job-runner.js';

/** Every minute: hand-offs whose webhook settled are marked sent or failed; overdue ones are escalated once. */
export const handoffSweepJob = (deps: Pick<HandoffDeps, 'db' | 'routing' | 'timeZone'>): Job => ({
  name: 'handoff sweep',
  intervalMs: 60_000,
  exclusive: true,
  run: async (now) => {
    await sweepHandoffs(deps, now);
    return undefined;
  },
});
