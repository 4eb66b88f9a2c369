import { type CasePlanDeps, sweepOverdueServices } from '../services/case-plan.service.js';
import type { Job } from './job-runner.js';

/** Every minute: services of a child's case plan past their due day are alerted to the UAC unit, once each. */
export const casePlanSweepJob = (deps: CasePlanDeps): Job => ({
  name: 'case plan sweep',
  intervalMs: 60_000,
  exclusive: true,
  run: async (now) => {
    await sweepOverdueServices(deps, now);
    return undefined;
  },
});
