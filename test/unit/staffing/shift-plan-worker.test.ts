import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { INTERVALS_PER_WEEK } from '../../../src/domain/staffing/forecast.js';
import { DEFAULT_PLAN, type ShiftPlan } from '../../../src/domain/staffing/shift-plan.js';
import { packageRoot } from '../../../src/storage/paths.js';

/**
 * The shift plan is solved in a worker thread in the built server (src/services/shift-planner.ts), so that HiGHS never
 * holds the thread that carries calls. This runs the built worker file (npm test builds before the suites) as the
 * planner does, and checks its plan: every interval covered, within the LP bound's reach.
 */

const WORKER = path.join(packageRoot(), 'dist', 'src', 'services', 'shift-plan.worker.js');

describe('the shift planner’s worker', () => {
  it('solves a week off the main thread and answers with a plan that covers the requirement', async () => {
    // Four agents by day (08:00–20:00 every day), two at night.
    const requirement = Array.from({ length: INTERVALS_PER_WEEK }, (_, i) => {
      const hour = Math.floor((i % 96) / 4);
      return hour >= 8 && hour < 20 ? 4 : 2;
    });
    const plan = await new Promise<ShiftPlan>((resolve, reject) => {
      const worker = new Worker(WORKER, { workerData: { requirement, options: { ...DEFAULT_PLAN, timeLimitSeconds: 3 } } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(plan.coverage).toHaveLength(INTERVALS_PER_WEEK);
    expect(plan.coverage.every((c, i) => c >= (requirement[i] as number))).toBe(true);
    expect(plan.agentHours).toBeGreaterThanOrEqual(plan.lowerBound);
    expect(plan.shifts.length).toBeGreaterThan(0);
  }, 60_000);
});
