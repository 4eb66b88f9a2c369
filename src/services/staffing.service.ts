import { type TAdherence, type TForecast, type TPlan, ZPlan } from '../contracts/staffing.js';
import type { Actor } from '../domain/access/access-control.js';
import { addDays, startOfDay } from '../domain/calendar/calendar-day.js';
import { AppError } from '../domain/errors/app-error.js';
import { forecastWeek, holdoutErrors, INTERVALS_PER_WEEK } from '../domain/staffing/forecast.js';
import { requirementFor } from '../domain/staffing/requirement.js';
import { rosterFor } from '../domain/staffing/roster.js';
import { DEFAULT_PLAN } from '../domain/staffing/shift-plan.js';
import { intervalStart, localMidnight, weekOf } from '../domain/staffing/week.js';
import type { Db } from '../storage/database.js';
import {
  arrivalsPerInterval,
  handleTimeOf,
  insertPlan,
  latestPlanOf,
  type NewScheduleEntry,
  planById,
  schedulableAgents,
  scheduleAt,
  scheduledAgents,
  scheduleOf,
} from '../storage/repositories/staffing.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { RoutingService } from './routing.service.js';
import { planWeek } from './shift-planner.js';

const DEFAULT_AHT_SECONDS = 240;
/** Fewer answered calls than this in the history: their mean is too noisy to plan on, and the default is used. */
const MIN_CALLS_FOR_AHT = 200;

type History = { weeks: string[]; counts: number[]; from: Date; to: Date };

/** Whole weeks of arrivals before `weekStart`, per quarter hour; weeks before the first call are left out. */
async function historyBefore(db: Db, weekStart: string, historyWeeks: number, timeZone: string): Promise<History> {
  const first = addDays(weekStart, -7 * historyWeeks);
  const from = startOfDay(first, timeZone);
  const to = startOfDay(weekStart, timeZone);
  const rows = await arrivalsPerInterval(db, { from, to, fromLocal: localMidnight(first), timeZone });
  const counts = new Array<number>(historyWeeks * INTERVALS_PER_WEEK).fill(0);
  // The autumn hour that repeats lands in the same quarter hours; the spring hour that is skipped stays empty.
  for (const row of rows) if (row.slot >= 0 && row.slot < counts.length) counts[row.slot] = (counts[row.slot] ?? 0) + row.calls;
  const firstBusy = counts.findIndex((c) => c > 0);
  const skip = firstBusy < 0 ? historyWeeks : Math.floor(firstBusy / INTERVALS_PER_WEEK);
  const weeks = Array.from({ length: historyWeeks - skip }, (_, w) => addDays(first, 7 * (skip + w)));
  return { weeks, counts: counts.slice(skip * INTERVALS_PER_WEEK), from, to };
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

export async function staffingForecast(
  db: Db,
  input: { weekStart: string; historyWeeks: number; timeZone: string },
): Promise<TForecast & { counts: number[] }> {
  const history = await historyBefore(db, input.weekStart, input.historyWeeks, input.timeZone);
  const calls = history.weeks.length === 0 ? new Array<number>(INTERVALS_PER_WEEK).fill(0) : forecastWeek(history.counts);
  const holdout =
    history.weeks.length >= 2
      ? holdoutErrors(history.counts, 1).map((h) => ({
          week: history.weeks[h.week - 1] ?? '',
          wape: round(h.wape, 4),
          actualCalls: h.actualCalls,
          forecastCalls: round(h.forecastCalls, 1),
        }))
      : [];
  const aht = await handleTimeOf(db, { from: history.from, to: history.to });
  return {
    weekStart: input.weekStart,
    intervalMinutes: 15,
    historyWeeks: history.weeks.length,
    historyCalls: history.counts.reduce((a, b) => a + b, 0),
    calls: calls.map((c) => round(c, 3)),
    holdout,
    measuredAhtSeconds: aht.calls >= MIN_CALLS_FOR_AHT && aht.seconds !== null ? round(aht.seconds, 1) : null,
    counts: history.counts,
  };
}

export type PlanInput = {
  weekStart: string;
  historyWeeks: number;
  serviceLevel: number;
  thresholdSeconds: number;
  ahtSeconds?: number | undefined;
  patienceSeconds: number | null;
  shrinkage: number;
  timeLimitSeconds: number;
};

/**
 * Forecast → agents required (Erlang C, or A with patience, plus shrinkage) → the least agent-hours of legal shifts
 * (HiGHS) → the schedule for the agents on staff, saved with the audit event in one transaction. The solve blocks
 * this process for up to its time limit (a WebAssembly call), which is why the limit is bounded.
 */
export async function generatePlan(db: Db, rc: RequestContext & { actor: Actor }, input: PlanInput): Promise<TPlan> {
  if (rc.actor.kind !== 'user') throw new AppError('forbidden', 'Only staff plan schedules.');
  const userId = rc.actor.userId;
  const forecast = await staffingForecast(db, { weekStart: input.weekStart, historyWeeks: input.historyWeeks, timeZone: rc.timeZone });
  if (forecast.historyCalls === 0)
    throw new AppError('unprocessable', 'There are no calls in the weeks before this one: there is nothing to forecast from.');
  const ahtSeconds = input.ahtSeconds ?? forecast.measuredAhtSeconds ?? DEFAULT_AHT_SECONDS;
  const target = {
    serviceLevel: input.serviceLevel,
    thresholdSeconds: input.thresholdSeconds,
    ahtSeconds,
    patienceSeconds: input.patienceSeconds,
  };
  const requirement = requirementFor(forecast.calls, 900, target, input.shrinkage);
  const started = performance.now();
  const plan = await planWeek(requirement, { ...DEFAULT_PLAN, timeLimitSeconds: input.timeLimitSeconds });
  const solveMs = Math.round(performance.now() - started);
  const agents = await schedulableAgents(db);
  const roster = rosterFor(
    plan.shifts,
    agents.map((a) => a.id),
  );
  const at = (interval: number) => intervalStart(input.weekStart, interval, rc.timeZone);
  const entries: NewScheduleEntry[] = [];
  roster.shifts.forEach((s, shiftNo) => {
    entries.push({ workerId: s.agentId, shiftNo, activity: 'shift', shape: s.shape, startsAt: at(s.start), endsAt: at(s.end) });
    entries.push({ workerId: s.agentId, shiftNo, activity: 'meal', shape: s.shape, startsAt: at(s.mealStart), endsAt: at(s.mealEnd) });
  });
  const parameters = {
    serviceLevel: input.serviceLevel,
    thresholdSeconds: input.thresholdSeconds,
    ahtSeconds,
    patienceSeconds: input.patienceSeconds,
    shrinkage: input.shrinkage,
    historyWeeks: forecast.historyWeeks,
    model: input.patienceSeconds === null ? ('erlang-c' as const) : ('erlang-a' as const),
  };
  const planId = await db.transaction().execute(async (trx) => {
    const id = await insertPlan(
      trx,
      {
        weekStart: input.weekStart,
        parameters,
        forecast: forecast.calls,
        requirement,
        coverage: plan.coverage,
        agentHours: plan.agentHours,
        lowerBound: round(plan.lowerBound, 4),
        solveMs,
        solverStatus: plan.status,
        openShifts: roster.openShifts,
        createdBy: userId,
        createdAt: rc.now,
      },
      entries,
    );
    await appendAudit(trx, rc, {
      action: 'staffing.plan',
      outcome: 'allowed',
      resourceType: 'staffing_plan',
      resourceId: id,
      details: {
        weekStart: input.weekStart,
        agentHours: plan.agentHours,
        lowerBound: round(plan.lowerBound, 2),
        agents: roster.agentsUsed,
        openShifts: roster.openShifts,
        parameters,
      },
    });
    return id;
  });
  const saved = await planById(db, planId);
  if (!saved) throw new Error('the plan just saved was not found');
  return presentPlan(db, saved, rc.timeZone);
}

/** The plan in force for a week (the latest saved), with its schedule; undefined when none was saved. */
export async function planOfWeek(db: Db, weekStart: string, timeZone: string): Promise<TPlan | undefined> {
  const row = await latestPlanOf(db, weekStart);
  return row ? presentPlan(db, row, timeZone) : undefined;
}

async function presentPlan(db: Db, row: NonNullable<Awaited<ReturnType<typeof planById>>>, timeZone: string): Promise<TPlan> {
  const schedule = await scheduleOf(db, row.id);
  const agentHours = Number(row.agent_hours);
  const lowerBound = Number(row.lower_bound);
  const parameters = ZPlan.shape.parameters.safeParse(row.parameters);
  if (!parameters.success) throw new Error(`staffing plan ${row.id} has parameters of an unknown shape`);
  return {
    id: row.id,
    weekStart: row.week_start,
    timeZone,
    createdAt: row.created_at.toISOString(),
    parameters: parameters.data,
    forecast: row.forecast,
    requirement: row.requirement,
    coverage: row.coverage,
    agentHours,
    lowerBound,
    gapPercent: lowerBound > 0 ? round(((agentHours - lowerBound) / lowerBound) * 100, 2) : 0,
    solveMs: row.solve_ms,
    solverStatus: row.solver_status,
    openShifts: row.open_shifts,
    agents: new Set(schedule.filter((e) => e.worker_id !== null).map((e) => e.worker_id)).size,
    schedule: schedule.map((e) => ({
      workerId: e.worker_id,
      displayName: e.display_name,
      shiftNo: e.shift_no,
      activity: e.activity,
      shape: e.shape,
      startsAt: e.starts_at.toISOString(),
      endsAt: e.ends_at.toISOString(),
    })),
  };
}

/**
 * Adherence now: each agent of this week's plan, the activity the schedule has them in (shift, meal, off) against
 * what routing says they are doing. On shift, an agent adheres when taking calls (in an available activity, or with
 * a task in hand); at a meal or off, when not.
 */
export async function adherenceNow(db: Db, routing: RoutingService, now: Date, timeZone: string): Promise<TAdherence> {
  const weekStart = weekOf(now, timeZone);
  // A Sunday-night shift of last week's plan may still run on Monday morning: both weeks' plans are read.
  const plans = [await latestPlanOf(db, weekStart), await latestPlanOf(db, addDays(weekStart, -7))].filter((p) => p !== undefined);
  const current = plans[0]?.week_start === weekStart ? plans[0] : undefined;
  const scheduled = new Map<string, 'shift' | 'meal'>();
  for (const plan of plans)
    for (const e of await scheduleAt(db, plan.id, now)) {
      if (e.worker_id === null) continue;
      if (e.activity === 'meal' || !scheduled.has(e.worker_id)) scheduled.set(e.worker_id, e.activity);
    }
  const people = new Map<string, string>();
  for (const plan of plans)
    for (const p of await scheduledAgents(db, plan.id)) if (plan === current || scheduled.has(p.id)) people.set(p.id, p.display_name);
  return {
    at: now.toISOString(),
    weekStart,
    planId: current?.id ?? null,
    agents: [...people]
      .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]))
      .map(([id, displayName]) => {
        const worker = routing.engine.worker(id);
        const busy = worker ? Object.values(worker.load).some((n) => n > 0) : false;
        const taking = worker ? busy || routing.engine.activityIsAvailable(worker.activity) : false;
        const plan = scheduled.get(id) ?? 'off';
        return {
          workerId: id,
          displayName,
          scheduled: plan,
          actual: worker?.activity ?? 'Not signed in',
          taking,
          inAdherence: plan === 'shift' ? taking : !taking,
        };
      }),
  };
}
