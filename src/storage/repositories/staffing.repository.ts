import { sql } from 'kysely';
import type { Db, Trx } from '../database.js';

/** Calls that arrived in [from, to), counted per 15-minute interval of local wall-clock time from `fromLocal` (the center's zone). */
export async function arrivalsPerInterval(
  db: Db,
  range: { from: Date; to: Date; fromLocal: string; timeZone: string },
): Promise<{ slot: number; calls: number }[]> {
  const result = await sql<{ slot: number; calls: number }>`
    SELECT floor(extract(epoch FROM (arrived_at AT TIME ZONE ${range.timeZone}) - ${range.fromLocal}::timestamp) / 900)::int AS slot,
           count(*)::int AS calls
    FROM calls
    WHERE arrived_at >= ${range.from} AND arrived_at < ${range.to}
    GROUP BY 1
    ORDER BY 1`.execute(db);
  return result.rows;
}

/** Mean handle time (answer to end) of answered calls in [from, to), in seconds, and how many there were. */
export async function handleTimeOf(db: Db, range: { from: Date; to: Date }): Promise<{ seconds: number | null; calls: number }> {
  const row = await db
    .selectFrom('calls')
    .select([
      sql<number | null>`avg(extract(epoch FROM ended_at - answered_at))::float8`.as('seconds'),
      sql<number>`count(*)::int`.as('calls'),
    ])
    .where('arrived_at', '>=', range.from)
    .where('arrived_at', '<', range.to)
    .where('answered_at', 'is not', null)
    .where('ended_at', 'is not', null)
    .executeTakeFirst();
  return { seconds: row?.seconds ?? null, calls: row?.calls ?? 0 };
}

/** Active staff whose role may take routed work (routing:work): the people a schedule is made for, by name. */
export async function schedulableAgents(db: Db): Promise<{ id: string; display_name: string }[]> {
  return db
    .selectFrom('users')
    .innerJoin('role_permissions', (join) =>
      join.onRef('role_permissions.role', '=', 'users.role').on('role_permissions.permission', '=', 'routing:work'),
    )
    .select(['users.id', 'users.display_name'])
    .where('users.disabled_at', 'is', null)
    .orderBy('users.display_name')
    .orderBy('users.id')
    .execute();
}

export type NewPlan = {
  weekStart: string;
  parameters: Record<string, unknown>;
  forecast: number[];
  requirement: number[];
  coverage: number[];
  agentHours: number;
  lowerBound: number;
  solveMs: number;
  solverStatus: string;
  openShifts: number;
  createdBy: string;
  createdAt: Date;
};
export type NewScheduleEntry = {
  workerId: string | null;
  shiftNo: number;
  activity: 'shift' | 'meal';
  shape: string;
  startsAt: Date;
  endsAt: Date;
};

export async function insertPlan(trx: Trx, plan: NewPlan, entries: readonly NewScheduleEntry[]): Promise<string> {
  const row = await trx
    .insertInto('staffing_plans')
    .values({
      week_start: plan.weekStart,
      parameters: JSON.stringify(plan.parameters),
      forecast: JSON.stringify(plan.forecast),
      requirement: JSON.stringify(plan.requirement),
      coverage: JSON.stringify(plan.coverage),
      agent_hours: plan.agentHours,
      lower_bound: plan.lowerBound,
      solve_ms: plan.solveMs,
      solver_status: plan.solverStatus,
      open_shifts: plan.openShifts,
      created_by: plan.createdBy,
      created_at: plan.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // A week of a large center is a few thousand rows: in batches, well under the driver's parameter limit.
  for (let k = 0; k < entries.length; k += 1000) {
    await trx
      .insertInto('schedule_entries')
      .values(
        entries.slice(k, k + 1000).map((e) => ({
          plan_id: row.id,
          worker_id: e.workerId,
          shift_no: e.shiftNo,
          activity: e.activity,
          shape: e.shape,
          starts_at: e.startsAt,
          ends_at: e.endsAt,
        })),
      )
      .execute();
  }
  return row.id;
}

/** The latest plan saved for a week (the one in force), or undefined. */
export async function latestPlanOf(db: Db, weekStart: string) {
  return db
    .selectFrom('staffing_plans')
    .selectAll()
    .where('week_start', '=', weekStart)
    .orderBy('created_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function planById(db: Db, id: string) {
  return db.selectFrom('staffing_plans').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function scheduleOf(db: Db, planId: string) {
  return db
    .selectFrom('schedule_entries')
    .leftJoin('users', 'users.id', 'schedule_entries.worker_id')
    .select([
      'schedule_entries.worker_id',
      'users.display_name',
      'schedule_entries.shift_no',
      'schedule_entries.activity',
      'schedule_entries.shape',
      'schedule_entries.starts_at',
      'schedule_entries.ends_at',
    ])
    .where('schedule_entries.plan_id', '=', planId)
    .orderBy('schedule_entries.starts_at')
    .orderBy('schedule_entries.shift_no')
    .orderBy('schedule_entries.activity', 'desc')
    .execute();
}

/** Entries of a plan in force at an instant (a shift and, inside it, a meal). */
export async function scheduleAt(db: Db, planId: string, at: Date) {
  return db
    .selectFrom('schedule_entries')
    .select(['worker_id', 'activity'])
    .where('plan_id', '=', planId)
    .where('worker_id', 'is not', null)
    .where('starts_at', '<=', at)
    .where('ends_at', '>', at)
    .execute();
}

/** Everyone with a named entry in a plan, by name. */
export async function scheduledAgents(db: Db, planId: string): Promise<{ id: string; display_name: string }[]> {
  return db
    .selectFrom('schedule_entries')
    .innerJoin('users', 'users.id', 'schedule_entries.worker_id')
    .select(['users.id', 'users.display_name'])
    .distinct()
    .where('schedule_entries.plan_id', '=', planId)
    .orderBy('users.display_name')
    .orderBy('users.id')
    .execute();
}
