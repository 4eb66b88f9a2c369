/**
 * The shift plan's integer program (issue #20, WFM; docs/STAFFING.md): for centers of several sizes, four weeks of
 * synthetic history → the seasonal forecast → agents required (Erlang C, 80 % in 20 s, AHT 240 s, 30 % shrinkage) →
 * the plan on HiGHS. Prints, per center, the solve times of the LP relaxation and of the integer program (wall and CPU), the plan's
 * paid agent-hours against the LP lower bound (the gap), and the roster's size; then a simulated week of the largest
 * center staffed by its plan (no shrinkage), on the real routing engine.
 *
 *   npm run bench:staffing
 *   BENCH_TIME_LIMIT=20 npm run bench:staffing
 */
import os from 'node:os';
import { simulate, type WorkPeriod } from '../src/domain/routing/simulator.js';
import { forecastWeek, holdoutErrors, INTERVALS_PER_WEEK } from '../src/domain/staffing/forecast.js';
import { requirementFor } from '../src/domain/staffing/requirement.js';
import { rosterFor } from '../src/domain/staffing/roster.js';
import { DEFAULT_PLAN, type LpSolver, planShifts } from '../src/domain/staffing/shift-plan.js';
import { arrivalHistory } from '../src/domain/staffing/synthetic-arrivals.js';
import { loadLpSolver } from '../src/services/lp-solver.js';

const timeLimitSeconds = Number(process.env.BENCH_TIME_LIMIT ?? DEFAULT_PLAN.timeLimitSeconds);
const target = { serviceLevel: 0.8, thresholdSeconds: 20, ahtSeconds: 240, patienceSeconds: null };
const ids = Array.from({ length: 1000 }, (_, i) => `agent-${String(i + 1).padStart(4, '0')}`);

const solver = await loadLpSolver();
const rows: string[] = [];
let largest: { plan: ReturnType<typeof planShifts>; truth: number[] } | null = null;
for (const callsPerDay of [1000, 2000, 6500, 15000]) {
  const history = arrivalHistory({ weeks: 5, callsPerWeek: callsPerDay * 7, weeklyGrowth: 0.01, seed: callsPerDay });
  const training = history.counts.slice(0, 4 * INTERVALS_PER_WEEK);
  const forecast = forecastWeek(training);
  const wape = holdoutErrors(history.counts, 1)[0]?.wape ?? 0;
  for (const shrinkage of [0.3, 0]) {
    const requirement = requirementFor(forecast, 900, target, shrinkage);
    const times: number[] = [];
    const cpu: number[] = [];
    const timed: LpSolver = (program, options) => {
      const started = performance.now();
      const used = process.cpuUsage();
      const result = solver(program, options);
      times.push(performance.now() - started);
      const spent = process.cpuUsage(used);
      cpu.push((spent.user + spent.system) / 1000);
      return result;
    };
    const plan = planShifts(requirement, timed, { ...DEFAULT_PLAN, timeLimitSeconds });
    const roster = rosterFor(plan.shifts, ids);
    rows.push(
      [
        String(callsPerDay).padStart(6),
        `${shrinkage * 100} %`.padStart(5),
        String(Math.max(...requirement)).padStart(5),
        `${(wape * 100).toFixed(1)} %`.padStart(7),
        `${((times[0] ?? 0) / 1000).toFixed(2)} s`.padStart(8),
        `${((times[1] ?? 0) / 1000).toFixed(2)} s`.padStart(8),
        `${((cpu[1] ?? 0) / 1000).toFixed(2)} s`.padStart(8),
        plan.status.padEnd(19),
        plan.agentHours.toFixed(1).padStart(8),
        plan.lowerBound.toFixed(1).padStart(8),
        `${(plan.gap * 100).toFixed(2)} %`.padStart(7),
        String(roster.agentsUsed).padStart(6),
      ].join('  '),
    );
    if (shrinkage === 0 && callsPerDay === 6500) largest = { plan, truth: history.means.slice(4 * INTERVALS_PER_WEEK) };
  }
}
console.log(
  `variables ${DEFAULT_PLAN.shapes.length} shapes × hourly starts × meal positions; time limit ${timeLimitSeconds} s; relative gap ${DEFAULT_PLAN.relativeGap}`,
);
console.log(' calls/day  shrink  peak  WAPE(held-out)  LP wall  IP wall  IP CPU    status               agent-h   LP bound  gap    agents');
console.log(`load average ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} cores (wall times grow with it; CPU times do not)`);
for (const row of rows) console.log(row);

if (largest) {
  const roster = rosterFor(largest.plan.shifts, ids);
  const week = INTERVALS_PER_WEEK * 900_000;
  const periods: WorkPeriod[] = [];
  for (const s of roster.shifts)
    for (const [from, to] of [
      [s.start, s.mealStart],
      [s.mealEnd, s.end],
    ] as const) {
      periods.push({ agentId: s.agentId ?? 'open', from: from * 900_000, to: to * 900_000 });
      if (to > INTERVALS_PER_WEEK) periods.push({ agentId: s.agentId ?? 'open', from: from * 900_000 - week, to: to * 900_000 - week });
    }
  const started = performance.now();
  const result = simulate({
    callsPerDay: 0,
    days: 7,
    profile: 'flat',
    ahtSeconds: 240,
    patienceSeconds: null,
    agents: 0,
    workPeriods: periods,
    arrivals: { intervalMs: 900_000, callsPerInterval: largest.truth },
    thresholdSeconds: 20,
    wrapSeconds: 0,
    seed: 5,
  });
  const measured = result.intervals.filter((i) => i.serviceLevel !== null);
  const meeting = measured.filter((i) => (i.serviceLevel ?? 0) >= 0.8).length / measured.length;
  console.log(
    `simulated week, 6,500 calls/day staffed by its plan (no shrinkage): ${result.offered} calls, SL ${result.serviceLevel?.toFixed(4)}, ASA ${result.asa?.toFixed(1)} s, ` +
      `${(meeting * 100).toFixed(1)} % of half-hours at ≥ 80 %, occupancy ${result.occupancy.toFixed(3)}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
