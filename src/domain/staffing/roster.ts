import { INTERVAL_MINUTES, INTERVALS_PER_DAY, INTERVALS_PER_WEEK } from './forecast.js';
import type { PlannedShift } from './shift-plan.js';

/**
 * The plan as a week for named agents. Each agent-shift goes, in order of (shape, time of day, meal, day), to:
 * first an agent already working that same line (shape and start time) — so an agent keeps the same start every
 * day, and the days they do not work are their rest days; then an agent of the same shape starting within two
 * hours of it; then the next agent on the list; then anyone with room. An agent may take a shift only if it leaves at least `minRestHours` off between shifts (the week repeats,
 * so Sunday night counts against Monday morning) and keeps them within `maxPaidHours` and `maxShifts` a week.
 * Shifts left over when the list runs out are open (agentId null): the plan needs more people than were given.
 */

export type RosterRules = { minRestHours: number; maxPaidHours: number; maxShifts: number };
export const DEFAULT_ROSTER_RULES: RosterRules = { minRestHours: 11, maxPaidHours: 40, maxShifts: 5 };

export type RosterShift = {
  agentId: string | null;
  shape: string;
  /** Intervals from Monday 00:00 of the week; `end` may pass 672 (the shift runs into the next Monday). */
  start: number;
  end: number;
  mealStart: number;
  mealEnd: number;
  paidHours: number;
};

export type Roster = { shifts: RosterShift[]; agentsUsed: number; openShifts: number };

type Load = { shifts: RosterShift[]; paidHours: number; line: string | null };

/** Intervals from the end of one shift to the start of the other, the shorter way round the repeating week. */
function restBetween(a: { start: number; end: number }, b: { start: number; end: number }): number {
  const forward = (((b.start - a.end) % INTERVALS_PER_WEEK) + INTERVALS_PER_WEEK) % INTERVALS_PER_WEEK;
  const backward = (((a.start - b.end) % INTERVALS_PER_WEEK) + INTERVALS_PER_WEEK) % INTERVALS_PER_WEEK;
  // Overlap shows as a "rest" longer than the week less both shifts; count it as none.
  const span = a.end - a.start + (b.end - b.start);
  if (forward + backward + span !== INTERVALS_PER_WEEK) return -1;
  return Math.min(forward, backward);
}

export function rosterFor(
  planned: readonly PlannedShift[],
  agentIds: readonly string[],
  rules: RosterRules = DEFAULT_ROSTER_RULES,
): Roster {
  const lineOf = (s: PlannedShift) => `${s.shape}@${s.start % INTERVALS_PER_DAY}`;
  const expanded: RosterShift[] = [];
  const sorted = [...planned].sort(
    (a, b) =>
      a.shape.localeCompare(b.shape) ||
      (a.start % INTERVALS_PER_DAY) - (b.start % INTERVALS_PER_DAY) ||
      a.mealStart - a.start - (b.mealStart - b.start) ||
      a.start - b.start,
  );
  const lines: string[] = [];
  for (const s of sorted) {
    const length = (((s.end - s.start) % INTERVALS_PER_WEEK) + INTERVALS_PER_WEEK) % INTERVALS_PER_WEEK || INTERVALS_PER_WEEK;
    const mealOffset = (((s.mealStart - s.start) % INTERVALS_PER_WEEK) + INTERVALS_PER_WEEK) % INTERVALS_PER_WEEK;
    const mealLength = (((s.mealEnd - s.mealStart) % INTERVALS_PER_WEEK) + INTERVALS_PER_WEEK) % INTERVALS_PER_WEEK;
    for (let k = 0; k < s.agents; k++) {
      expanded.push({
        agentId: null,
        shape: s.shape,
        start: s.start,
        end: s.start + length,
        mealStart: s.start + mealOffset,
        mealEnd: s.start + mealOffset + mealLength,
        paidHours: s.paidHours,
      });
      lines.push(lineOf(s));
    }
  }
  const loads = new Map<string, Load>();
  let nextNew = 0;
  const minRest = (rules.minRestHours * 60) / INTERVAL_MINUTES;
  const fits = (load: Load, shift: RosterShift) =>
    load.shifts.length < rules.maxShifts &&
    load.paidHours + shift.paidHours <= rules.maxPaidHours + 1e-9 &&
    load.shifts.every((other) => restBetween(other, shift) >= minRest);
  const take = (id: string, load: Load, shift: RosterShift, line: string) => {
    shift.agentId = id;
    load.shifts.push(shift);
    load.paidHours += shift.paidHours;
    load.line ??= line;
  };
  const closeness = (load: Load, shift: RosterShift, line: string): number => {
    const dayBefore = load.shifts.some((o) => o.start === shift.start - INTERVALS_PER_DAY) ? 0.5 : 0;
    if (load.line === line) return 10 + dayBefore + load.shifts.length / 100;
    const first = load.shifts[0];
    if (!first || first.shape !== shift.shape) return -100;
    const apart = Math.abs((first.start % INTERVALS_PER_DAY) - (shift.start % INTERVALS_PER_DAY));
    return -Math.min(apart, INTERVALS_PER_DAY - apart) / (60 / INTERVAL_MINUTES) + dayBefore;
  };
  for (const [index, shift] of expanded.entries()) {
    const line = lines[index] ?? '';
    // Score the agents with room: the same line, then a start close in the day (same shape), the agent who worked
    // the day before preferred (rest days together). Beyond two hours apart, a fresh agent is better while any is left.
    let chosen: string | null = null;
    let best = Number.NEGATIVE_INFINITY;
    for (const [id, load] of loads) {
      if (!fits(load, shift)) continue;
      const score = closeness(load, shift, line);
      if (score > best) {
        best = score;
        chosen = id;
      }
    }
    if ((chosen === null || best < -2) && nextNew < agentIds.length) {
      chosen = agentIds[nextNew++] ?? null;
      if (chosen !== null) loads.set(chosen, { shifts: [], paidHours: 0, line: null });
    }
    const load = chosen === null ? undefined : loads.get(chosen);
    if (chosen !== null && load) take(chosen, load, shift, line);
  }
  const shifts = expanded.sort((a, b) => a.start - b.start || (a.agentId ?? '~').localeCompare(b.agentId ?? '~'));
  return { shifts, agentsUsed: loads.size, openShifts: shifts.filter((s) => s.agentId === null).length };
}
