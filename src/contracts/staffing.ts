import { z } from 'zod';

/** Staffing and schedules (issue #20, WFM): shared by the API and the web app. Series are 672 quarter hours from Monday 00:00 on the center's clock. */

const ZMonday = z.iso.date().describe("YYYY-MM-DD, a Monday on the center's calendar (CENTER_TIME_ZONE): the week's first day");

export const ZForecastQuery = z.strictObject({
  weekStart: ZMonday.optional().describe('default: the week after the current one'),
  historyWeeks: z.coerce.number().int().min(1).max(12).default(4).describe('whole weeks of call history before the week'),
});
export type TForecastQuery = z.infer<typeof ZForecastQuery>;

export const ZHoldout = z.object({
  week: z.string().describe('the Monday of the held-out week'),
  wape: z.number().describe('Σ|actual − forecast| ÷ Σ actual, the week forecast from the weeks before it only'),
  actualCalls: z.number(),
  forecastCalls: z.number(),
});

export const ZForecast = z.object({
  weekStart: z.string(),
  intervalMinutes: z.literal(15),
  historyWeeks: z.number().int().describe('weeks of history used (weeks before the first call are left out)'),
  historyCalls: z.number().int(),
  calls: z.array(z.number()).describe('calls forecast per interval'),
  holdout: z.array(ZHoldout).describe('the last history week(s), forecast from the weeks before them: the method’s error'),
  measuredAhtSeconds: z.number().nullable().describe('mean handle time of answered calls in the history'),
});
export type TForecast = z.infer<typeof ZForecast>;

export const ZPlanRequest = z.strictObject({
  weekStart: ZMonday,
  historyWeeks: z.number().int().min(1).max(12).default(4),
  serviceLevel: z.number().min(0.5).max(0.99).default(0.8).describe('share answered within the threshold'),
  thresholdSeconds: z.number().int().min(5).max(600).default(20),
  ahtSeconds: z.number().int().min(30).max(3600).optional().describe('default: measured from the history, else 240'),
  patienceSeconds: z.number().int().min(10).max(3600).nullable().default(null).describe('mean caller patience (Erlang A); null: Erlang C'),
  shrinkage: z.number().min(0).max(0.6).default(0.3).describe('share of paid time off the phones'),
  timeLimitSeconds: z.number().int().min(1).max(30).default(10).describe('the integer program’s time limit'),
});
export type TPlanRequest = z.input<typeof ZPlanRequest>;

export const ZScheduleEntry = z.object({
  workerId: z.string().nullable().describe('the agent’s user id; null: an open shift nobody was free to take'),
  displayName: z.string().nullable(),
  shiftNo: z.number().int(),
  activity: z.enum(['shift', 'meal']),
  shape: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
});
export type TScheduleEntry = z.infer<typeof ZScheduleEntry>;

export const ZPlan = z.object({
  id: z.string(),
  weekStart: z.string(),
  timeZone: z.string().describe("the center's time zone: the wall clock of the week's intervals"),
  createdAt: z.string(),
  parameters: z.object({
    serviceLevel: z.number(),
    thresholdSeconds: z.number(),
    ahtSeconds: z.number(),
    patienceSeconds: z.number().nullable(),
    shrinkage: z.number(),
    historyWeeks: z.number(),
    model: z.enum(['erlang-c', 'erlang-a']),
  }),
  forecast: z.array(z.number()),
  requirement: z.array(z.number()).describe('agents to schedule per interval (after shrinkage)'),
  coverage: z.array(z.number()).describe('agents the plan has on duty per interval (meals excluded)'),
  agentHours: z.number().describe('paid agent-hours of the plan'),
  lowerBound: z.number().describe('the LP relaxation: no plan of these shifts can have fewer agent-hours'),
  gapPercent: z.number(),
  solveMs: z.number().int(),
  solverStatus: z.string(),
  openShifts: z.number().int(),
  agents: z.number().int().describe('named agents scheduled'),
  schedule: z.array(ZScheduleEntry),
});
export type TPlan = z.infer<typeof ZPlan>;

export const ZScheduleQuery = z.strictObject({ weekStart: ZMonday.optional().describe('default: the current week') });

export const ZAdherence = z.object({
  at: z.string(),
  weekStart: z.string(),
  planId: z.string().nullable().describe('the plan in force this week; null: none saved'),
  agents: z.array(
    z.object({
      workerId: z.string(),
      displayName: z.string(),
      scheduled: z.enum(['shift', 'meal', 'off']),
      actual: z.string().describe('the routing activity now, or "Not signed in"'),
      taking: z.boolean().describe('available for offers or working a task now'),
      inAdherence: z.boolean().describe('on shift and taking calls, or at a meal / off and not'),
    }),
  ),
});
export type TAdherence = z.infer<typeof ZAdherence>;
