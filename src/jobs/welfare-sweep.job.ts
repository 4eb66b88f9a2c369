import { sweepWelfareReferrals, type WelfareDeps } from '../services/welfare.service.js';
import type { Job } from './job-runner.js';

/** Every minute: welfare referrals past their response-time target are escalated and missing work items made again. */
export const welfareSweepJob = (deps: WelfareDeps): Job => ({
  name: 'welfare sweep',
  intervalMs: 60_000,
  exclusive: true,
  run: async (now) => {
    await sweepWelfareReferrals(deps, now);
    return undefined;
  },
});
