import { parentPort, workerData } from 'node:worker_threads';
import { type PlanOptions, planShifts } from '../domain/staffing/shift-plan.js';
import { loadLpSolver } from './lp-solver.js';

/** The shift plan solved off the main thread (shift-planner.ts): HiGHS holds its thread for seconds. */
const { requirement, options } = workerData as { requirement: number[]; options: PlanOptions };
parentPort?.postMessage(planShifts(requirement, await loadLpSolver(), options));
