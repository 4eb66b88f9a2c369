import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type PlanOptions, planShifts, type ShiftPlan } from '../domain/staffing/shift-plan.js';
import { loadLpSolver } from './lp-solver.js';

/**
 * The week's shift plan, solved in a worker thread: an integer program holds its thread for seconds (up to its time
 * limit), and a node's main thread carries calls — SIP timers, the conference mixer, the heartbeat that keeps the
 * other nodes from adopting its calls. Run from the TypeScript source (the test runner), where there is no built
 * worker file, it is solved in this thread.
 */
const WORKER = new URL('./shift-plan.worker.js', import.meta.url);

export function planWeek(requirement: readonly number[], options: PlanOptions): Promise<ShiftPlan> {
  if (!existsSync(fileURLToPath(WORKER))) return loadLpSolver().then((solve) => planShifts(requirement, solve, options));
  return new Promise<ShiftPlan>((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { requirement: [...requirement], options } });
    worker.once('message', (plan: ShiftPlan) => resolve(plan));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the shift planner stopped with exit code ${code}`));
    });
  });
}
