import type { ReportDeps } from '../services/report.service.js';
import { deliverDailyReports } from '../services/report-definition.service.js';
import type { Job } from './job-runner.js';

/**
 * Every 15 minutes: the daily report definitions not yet written for yesterday (on the center's calendar) are
 * written to the report drop, one CSV each — so the day's reports appear shortly after midnight, and a node that
 * was down at midnight catches up on its next run.
 */
export const dailyReportsJob = (deps: ReportDeps & { dir: string; timeZone: string }): Job => ({
  name: 'daily reports',
  intervalMs: 15 * 60_000,
  exclusive: true,
  run: async (now) => {
    const result = await deliverDailyReports(deps, now, deps.timeZone);
    return { day: result.day, delivered: result.delivered.length, failed: result.failed };
  },
});
