import { ZAdherence, ZForecast, ZForecastQuery, ZPlan, ZPlanRequest, ZScheduleQuery } from '../../contracts/staffing.js';
import { addDays } from '../../domain/calendar/calendar-day.js';
import { AppError } from '../../domain/errors/app-error.js';
import { isMonday, weekOf } from '../../domain/staffing/week.js';
import { adherenceNow, generatePlan, planOfWeek, staffingForecast } from '../../services/staffing.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/**
 * Staffing and schedules (issue #20, WFM; docs/STAFFING.md): the forecast of calls per quarter hour from the calls
 * table, the week's plan (agents required → shifts → a schedule for named agents, saved and audited) and adherence
 * now. Weeks start on Monday on the center's calendar.
 */

const monday = (day: string): string => {
  if (!isMonday(day)) throw new AppError('validation_failed', 'weekStart must be a Monday (the first day of a planning week).');
  return day;
};

export function staffingRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/staffing/forecast',
      summary:
        'Calls forecast per 15-minute interval of a week from the weeks of call history before it, with its error on the last of them',
      tags: ['staffing'],
      access: { permission: 'staffing:plan' },
      query: ZForecastQuery,
      response: ZForecast,
      errors: [400],
      handler: async ({ query }) => {
        const weekStart = query.weekStart ? monday(query.weekStart) : addDays(weekOf(ctx.clock(), ctx.timeZone), 7);
        const { counts: _counts, ...forecast } = await staffingForecast(ctx.db, {
          weekStart,
          historyWeeks: query.historyWeeks,
          timeZone: ctx.timeZone,
        });
        return forecast;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/staffing/plans',
      summary:
        "Generate and save a week's plan: agents required per interval, the shifts at the least agent-hours, the schedule for named agents",
      description:
        'Blocks for up to timeLimitSeconds while the integer program solves. The plan saved last for a week is the one in force.',
      tags: ['staffing'],
      access: { permission: 'staffing:plan' },
      body: ZPlanRequest,
      response: ZPlan,
      successStatus: 201,
      errors: [400, 422],
      handler: async ({ body, request }) =>
        generatePlan(ctx.db, actorContext(ctx, request), { ...body, weekStart: monday(body.weekStart) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/staffing/schedule',
      summary: 'The plan in force for a week, with its schedule by agent',
      tags: ['staffing'],
      access: { permission: 'staffing:plan' },
      query: ZScheduleQuery,
      response: ZPlan,
      errors: [400, 404],
      handler: async ({ query }) => {
        const weekStart = query.weekStart ? monday(query.weekStart) : weekOf(ctx.clock(), ctx.timeZone);
        const plan = await planOfWeek(ctx.db, weekStart, ctx.timeZone);
        if (!plan) throw new AppError('not_found', `No plan is saved for the week of ${weekStart}.`);
        return plan;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/staffing/adherence',
      summary: "Schedule adherence now: each scheduled agent's planned activity against their routing activity",
      tags: ['staffing'],
      access: { permission: 'staffing:plan' },
      response: ZAdherence,
      handler: async () => adherenceNow(ctx.db, ctx.routing, ctx.clock(), ctx.timeZone),
    }),
  ];
}
