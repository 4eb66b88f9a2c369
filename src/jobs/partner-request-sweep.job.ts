import { sweepPartnerRequests } from '../services/partner-request-work.service.js';
import type { RoutingService } from '../services/routing.service.js';
import type { Db } from '../storage/database.js';
import type { Job } from './job-runner.js';

/** Every minute: requests to partner agencies past their deadline escalated, answered and overdue ones given their work items again. */
export const partnerRequestSweepJob = (deps: { db: Db; routing: RoutingService; timeZone: string }): Job => ({
  name: 'partner request sweep',
  intervalMs: 60_000,
  exclusive: true,
  run: async (now) => {
    await sweepPartnerRequests(deps, now);
    return undefined;
  },
});
