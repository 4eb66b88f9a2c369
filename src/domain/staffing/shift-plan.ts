import { INTERVAL_MINUTES, INTERVALS_PER_WEEK } from './forecast.js';

/**
 * The week's shifts as an integer program (a set-covering model, Dantzig 1954): one variable per legal shift —
 * shape × start × meal position — counting the agents who work it; minimise paid agent-hours subject to agents on
 * duty (not at their meal) ≥ the requirement in every 15-minute interval of the week. Shifts wrap from Sunday night
 * into Monday morning, so the plan repeats week after week. The program is written in CPLEX LP format and handed to
 * an injected solver (HiGHS in production), so this module stays pure. The LP relaxation of the same program gives
 * a lower bound on any plan's agent-hours; the gap between the two says how good the integer plan is.
 */

export type ShiftShape = {
  name: string;
  /** On site, meal included. */
  hours: number;
  /** Unpaid meal: its length and the earliest and latest start after the shift starts, in hours (steps of mealStepMinutes). */
  mealMinutes: number;
  mealEarliestHours: number;
  mealLatestHours: number;
};

/** 8, 10 and 12 hours on site, each with one unpaid 30-minute meal in a window around mid-shift. */
export const LEGAL_SHAPES: readonly ShiftShape[] = [
  { name: '8h', hours: 8, mealMinutes: 30, mealEarliestHours: 3.5, mealLatestHours: 4.5 },
  { name: '10h', hours: 10, mealMinutes: 30, mealEarliestHours: 4, mealLatestHours: 5.5 },
  { name: '12h', hours: 12, mealMinutes: 30, mealEarliestHours: 5, mealLatestHours: 6.5 },
];

export type PlanOptions = {
  shapes: readonly ShiftShape[];
  /** Shifts start every this many minutes (a multiple of 15). */
  startStepMinutes: number;
  /** Meal positions step by this many minutes inside their window. */
  mealStepMinutes: number;
  timeLimitSeconds: number;
  /** The solver stops once its plan is proved within this share of the best possible (HiGHS's mip_rel_gap). */
  relativeGap: number;
};

export const DEFAULT_PLAN: PlanOptions = {
  shapes: LEGAL_SHAPES,
  startStepMinutes: 60,
  mealStepMinutes: 30,
  timeLimitSeconds: 10,
  relativeGap: 0.02,
};

export type LpSolution = { status: string; objective: number; values: ReadonlyMap<string, number> };
/** Solves a CPLEX LP-format program (a relaxation when it has no General section), within a time limit. */
/** A bound on the LP relaxation only, far above its solve time (under a second for a week of 1,848 shifts). */
export const LP_TIME_LIMIT_SECONDS = 300;

export type LpSolver = (program: string, options: { timeLimitSeconds: number; relativeGap: number }) => LpSolution;

/** One planned shift: `agents` agents start it at `start` (interval of the week) and take their meal at `mealStart`. */
export type PlannedShift = {
  shape: string;
  start: number;
  end: number;
  mealStart: number;
  mealEnd: number;
  agents: number;
  paidHours: number;
};

export type ShiftPlan = {
  shifts: PlannedShift[];
  /** Paid agent-hours of the integer plan. */
  agentHours: number;
  /** The LP relaxation's agent-hours: no plan can do better. */
  lowerBound: number;
  /** (agentHours − lowerBound) ÷ lowerBound. */
  gap: number;
  /** Agents on duty (not at a meal) per interval. */
  coverage: number[];
  status: string;
  variables: number;
  constraints: number;
};

type Candidate = { name: string; shape: ShiftShape; start: number; mealOffset: number; paidHours: number; onDuty: number[] };

const perHour = 60 / INTERVAL_MINUTES;

/** Every legal shift of the week with the intervals it covers (the week wraps). */
export function candidateShifts(options: PlanOptions = DEFAULT_PLAN): Candidate[] {
  if (options.startStepMinutes % INTERVAL_MINUTES !== 0 || options.mealStepMinutes % INTERVAL_MINUTES !== 0)
    throw new Error(`shift starts and meal steps must be multiples of ${INTERVAL_MINUTES} minutes`);
  const startStep = options.startStepMinutes / INTERVAL_MINUTES;
  const mealStep = options.mealStepMinutes / INTERVAL_MINUTES;
  const candidates: Candidate[] = [];
  for (const [s, shape] of options.shapes.entries()) {
    const length = shape.hours * perHour;
    const meal = shape.mealMinutes / INTERVAL_MINUTES;
    for (let start = 0; start < INTERVALS_PER_WEEK; start += startStep) {
      for (let offset = shape.mealEarliestHours * perHour; offset <= shape.mealLatestHours * perHour; offset += mealStep) {
        const onDuty: number[] = [];
        for (let k = 0; k < length; k++) if (k < offset || k >= offset + meal) onDuty.push((start + k) % INTERVALS_PER_WEEK);
        candidates.push({
          name: `s${s}_${start}_${offset}`,
          shape,
          start,
          mealOffset: offset,
          paidHours: shape.hours - shape.mealMinutes / 60,
          onDuty,
        });
      }
    }
  }
  return candidates;
}

/** The covering program in CPLEX LP format; `integer` adds the General section. */
export function coveringProgram(
  requirement: readonly number[],
  candidates: readonly Candidate[],
  integer: boolean,
): { text: string; constraints: number } {
  const covering = new Map<number, string[]>();
  for (const c of candidates) {
    for (const i of c.onDuty) {
      if ((requirement[i] ?? 0) <= 0) continue;
      const list = covering.get(i) ?? [];
      list.push(c.name);
      covering.set(i, list);
    }
  }
  const lines: string[] = ['Minimize'];
  const wrap = (terms: string[]) => {
    // Short lines: LP readers differ on how long a line may be; a continuation starts with a space.
    for (let k = 0; k < terms.length; k += 12) lines.push(` ${terms.slice(k, k + 12).join(' + ')}${k + 12 < terms.length ? ' +' : ''}`);
  };
  lines.push(' obj:');
  wrap(candidates.map((c) => `${c.paidHours} ${c.name}`));
  lines.push('Subject To');
  let constraints = 0;
  for (let i = 0; i < INTERVALS_PER_WEEK; i++) {
    const need = requirement[i] ?? 0;
    if (need <= 0) continue;
    const names = covering.get(i);
    if (!names) throw new Error(`no legal shift covers interval ${i}`);
    lines.push(` c${i}:`);
    wrap(names);
    lines.push(` >= ${need}`);
    constraints += 1;
  }
  lines.push('Bounds');
  for (const c of candidates) lines.push(` ${c.name} >= 0`);
  if (integer) {
    lines.push('General');
    for (let k = 0; k < candidates.length; k += 12)
      lines.push(
        ` ${candidates
          .slice(k, k + 12)
          .map((c) => c.name)
          .join(' ')}`,
      );
  }
  lines.push('End');
  return { text: `${lines.join('\n')}\n`, constraints };
}

const countsOf = (candidates: readonly Candidate[], values: ReadonlyMap<string, number>): number[] =>
  candidates.map((c) => Math.max(0, Math.round(values.get(c.name) ?? 0)));
const hoursOf = (candidates: readonly Candidate[], counts: readonly number[]): number =>
  candidates.reduce((h, c, k) => h + c.paidHours * (counts[k] ?? 0), 0);

/**
 * A feasible plan from the LP optimum: every fractional count rounded up (covering can only grow), then agents
 * taken off again, longest shifts first, wherever every interval they cover stays covered.
 */
export function roundedPlan(requirement: readonly number[], candidates: readonly Candidate[], lp: ReadonlyMap<string, number>): number[] {
  const counts = candidates.map((c) => Math.max(0, Math.ceil((lp.get(c.name) ?? 0) - 1e-9)));
  const coverage = new Array<number>(INTERVALS_PER_WEEK).fill(0);
  candidates.forEach((c, k) => {
    for (const i of c.onDuty) coverage[i] = (coverage[i] ?? 0) + (counts[k] ?? 0);
  });
  const order = candidates.map((_, k) => k).sort((a, b) => (candidates[b]?.paidHours ?? 0) - (candidates[a]?.paidHours ?? 0) || a - b);
  for (const k of order) {
    const c = candidates[k];
    if (!c) continue;
    while ((counts[k] ?? 0) > 0 && c.onDuty.every((i) => (coverage[i] ?? 0) - 1 >= (requirement[i] ?? 0))) {
      counts[k] = (counts[k] ?? 0) - 1;
      for (const i of c.onDuty) coverage[i] = (coverage[i] ?? 0) - 1;
    }
  }
  return counts;
}

/** The least agent-hours of legal shifts covering `requirement` (agents per 15-minute interval of the week, Monday 00:00 first). */
export function planShifts(requirement: readonly number[], solve: LpSolver, options: PlanOptions = DEFAULT_PLAN): ShiftPlan {
  if (requirement.length !== INTERVALS_PER_WEEK)
    throw new Error(`a requirement is ${INTERVALS_PER_WEEK} intervals, got ${requirement.length}`);
  if (requirement.some((r) => !(Number.isInteger(r) && r >= 0))) throw new Error('a requirement is whole agents, never negative');
  const candidates = candidateShifts(options);
  const coverage = new Array<number>(INTERVALS_PER_WEEK).fill(0);
  if (requirement.every((r) => r === 0))
    return { shifts: [], agentHours: 0, lowerBound: 0, gap: 0, coverage, status: 'Optimal', variables: candidates.length, constraints: 0 };
  // The time limit is the integer program's (the contract says so): the LP relaxation is the plan's lower bound and
  // its fallback, and must finish — on a loaded machine a week's LP can take longer than a short integer limit.
  const relaxed = solve(coveringProgram(requirement, candidates, false).text, { ...options, timeLimitSeconds: LP_TIME_LIMIT_SECONDS });
  if (relaxed.status !== 'Optimal') throw new Error(`the LP relaxation did not solve: ${relaxed.status}`);
  const program = coveringProgram(requirement, candidates, true);
  const integer = solve(program.text, options);
  // The LP rounded up and trimmed is always a plan: the fallback if the time limit stops HiGHS early with a worse one.
  const rounded = roundedPlan(requirement, candidates, relaxed.values);
  const incumbent = integer.values.size > 0 && integer.status !== 'Infeasible' ? countsOf(candidates, integer.values) : null;
  const useIncumbent =
    incumbent !== null && (integer.status === 'Optimal' || hoursOf(candidates, incumbent) <= hoursOf(candidates, rounded));
  const counts = useIncumbent ? incumbent : rounded;
  const status = useIncumbent ? integer.status : `${integer.status} (LP rounded)`;
  const shifts: PlannedShift[] = [];
  let agentHours = 0;
  for (const [k, c] of candidates.entries()) {
    const agents = counts[k] ?? 0;
    if (agents <= 0) continue;
    for (const i of c.onDuty) coverage[i] = (coverage[i] ?? 0) + agents;
    agentHours += agents * c.paidHours;
    const mealStart = (c.start + c.mealOffset) % INTERVALS_PER_WEEK;
    shifts.push({
      shape: c.shape.name,
      start: c.start,
      end: (c.start + c.shape.hours * perHour) % INTERVALS_PER_WEEK,
      mealStart,
      mealEnd: (mealStart + c.shape.mealMinutes / INTERVAL_MINUTES) % INTERVALS_PER_WEEK,
      agents,
      paidHours: c.paidHours,
    });
  }
  if (coverage.some((c, i) => c < (requirement[i] ?? 0))) throw new Error('the solver returned a plan that leaves an interval short');
  shifts.sort((a, b) => a.start - b.start || a.shape.localeCompare(b.shape) || a.mealStart - b.mealStart);
  const lowerBound = relaxed.objective;
  return {
    shifts,
    agentHours,
    lowerBound,
    gap: lowerBound > 0 ? (agentHours - lowerBound) / lowerBound : 0,
    coverage,
    status,
    variables: candidates.length,
    constraints: program.constraints,
  };
}
