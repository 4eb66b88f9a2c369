import { type RawBuilder, type Selectable, sql } from 'kysely';
import type { ReportGrouping, ReportInterval, ReportSource } from '../../domain/reports/report-metrics.js';
import type { Db, Trx } from '../database.js';
import type { ReportDefinitionsTable } from '../schema.js';

/**
 * The historical reports' SQL: one aggregate query per source (docs/METRICS.md), each adding up counts and sums of
 * seconds per interval and group with FILTER aggregates, so a month of 15-minute intervals is one scan of an index
 * range. The figures themselves (offered, service level, ASA…) are computed from these totals in
 * src/domain/reports/report-metrics.ts. Every fragment below is a constant of this file; only instants, the time
 * zone and the thresholds are parameters.
 */

export type AggregateQuery = {
  groupings: readonly ReportGrouping[];
  interval: ReportInterval;
  from: Date;
  to: Date;
  timeZone: string;
  /** The routing engine's short-abandon time: abandons sooner than this are misdials. */
  shortAbandonSeconds: number;
  /** The most rows read; one more is asked for, so the caller can tell the report was too large. */
  limit: number;
};

export type AggregateRow = { start: Date; end: Date; groups: Record<string, string | null>; totals: Record<string, number> };

type SourceSql = {
  from: string;
  /** The instant that puts a record in an interval. */
  time: string;
  where?: string;
  groups: Partial<Record<ReportGrouping, string>>;
  /** Joins needed only by some groupings. */
  joinsFor?: Partial<Record<ReportGrouping, string>>;
  /** `threshold`: the service-level threshold of the record's queue, in seconds. */
  totals: (q: AggregateQuery, threshold: RawBuilder<number>) => Record<string, RawBuilder<unknown>>;
};

// date_part is double precision; extract returns numeric, whose arithmetic and sums cost twice the query's time.
const seconds = (expression: string) => `date_part('epoch', ${expression})`;

/** Queued inbound calls, by the time they entered a queue (the routing task's arrival, as on the wallboard). */
const CALLS: SourceSql = {
  from: 'calls c',
  time: 'c.queued_at',
  where: "c.direction = 'inbound'",
  groups: {
    queue: 'c.queue_id',
    line: 'c.line',
    language: 'c.language',
    unit: 'c.unit',
    agent: 'c.agent_worker_id',
    disposition: 'd.disposition',
  },
  joinsFor: { disposition: 'LEFT JOIN contact_dispositions d ON d.task_id = c.task_id' },
  totals: (q, threshold) => {
    const wait = seconds('c.answered_at - c.queued_at');
    const waited = seconds('c.ended_at - c.queued_at');
    const abandon = "c.answered_at IS NULL AND c.end_reason = 'abandoned_queue' AND c.ended_at IS NOT NULL";
    const short = sql.lit(q.shortAbandonSeconds);
    return {
      queued: sql`count(*)`,
      answered: sql`count(*) FILTER (WHERE c.answered_at IS NOT NULL)`,
      within: sql`count(*) FILTER (WHERE c.answered_at IS NOT NULL AND ${sql.raw(wait)} <= ${threshold})`,
      shortAbandoned: sql`count(*) FILTER (WHERE ${sql.raw(abandon)} AND ${sql.raw(waited)} < ${short})`,
      abandoned: sql`count(*) FILTER (WHERE ${sql.raw(abandon)} AND ${sql.raw(waited)} >= ${short})`,
      lateAbandoned: sql`count(*) FILTER (WHERE ${sql.raw(abandon)} AND ${sql.raw(waited)} >= ${short} AND ${sql.raw(waited)} > ${threshold})`,
      overflowed: sql.raw("count(*) FILTER (WHERE c.answered_at IS NULL AND c.end_reason = 'overflowed')"),
      notOffered: sql.raw("count(*) FILTER (WHERE c.answered_at IS NULL AND c.end_reason IN ('callback', 'transferred'))"),
      transferred: sql.raw("count(*) FILTER (WHERE c.answered_at IS NOT NULL AND c.end_reason = 'transferred')"),
      callbackRequested: sql.raw('count(*) FILTER (WHERE c.callback_task_id IS NOT NULL)'),
      waitSeconds: sql.raw(`coalesce(sum(${wait}) FILTER (WHERE c.answered_at IS NOT NULL), 0)`),
      handled: sql.raw('count(*) FILTER (WHERE c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL)'),
      handleSeconds: sql.raw(
        `coalesce(sum(${seconds('c.ended_at - c.answered_at')}) FILTER (WHERE c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL), 0)`,
      ),
      // Hold is counted on answered calls that ended (a hold still under way is not yet a figure).
      holds: sql.raw('coalesce(sum(c.holds) FILTER (WHERE c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL), 0)'),
      heldCalls: sql.raw('count(*) FILTER (WHERE c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL AND c.holds > 0)'),
      holdSeconds: sql.raw(
        'coalesce(sum(c.hold_seconds) FILTER (WHERE c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL AND c.holds > 0), 0)',
      ),
    };
  },
};

const SOURCES: Record<ReportSource, SourceSql> = {
  // Every inbound call, by the time it reached the line: what the IVR did with the calls that never queued.
  arrivals: {
    from: 'calls c',
    time: 'c.arrived_at',
    where: "c.direction = 'inbound'",
    groups: { line: 'c.line', language: 'c.language', unit: 'c.unit' },
    totals: () => ({
      arrived: sql`count(*)`,
      ivrAbandoned: sql.raw("count(*) FILTER (WHERE c.end_reason = 'abandoned_ivr')"),
      emergency: sql.raw("count(*) FILTER (WHERE c.end_reason = 'emergency_guidance')"),
      closed: sql.raw("count(*) FILTER (WHERE c.end_reason = 'closed')"),
      voicemail: sql.raw("count(*) FILTER (WHERE c.end_reason = 'voicemail')"),
    }),
  },
  calls: CALLS,
  callbacks: {
    from: 'callbacks cb',
    time: 'cb.created_at',
    groups: { line: 'cb.line', language: 'cb.language', unit: 'cb.unit' },
    totals: () => ({
      created: sql`count(*)`,
      completed: sql.raw("count(*) FILTER (WHERE cb.status = 'completed')"),
      exhausted: sql.raw("count(*) FILTER (WHERE cb.status = 'exhausted')"),
    }),
  },
  voicemails: {
    from: 'voicemails v',
    time: 'v.created_at',
    groups: { line: 'v.line', language: 'v.language', unit: 'v.unit', agent: 'v.worked_by' },
    totals: () => ({
      received: sql`count(*)`,
      worked: sql.raw("count(*) FILTER (WHERE v.status = 'worked' AND v.worked_at IS NOT NULL)"),
      workSeconds: sql.raw(
        `coalesce(sum(${seconds('v.worked_at - v.created_at')}) FILTER (WHERE v.status = 'worked' AND v.worked_at IS NOT NULL), 0)`,
      ),
    }),
  },
  referrals: {
    // The decision is the review's: the first move to sent or denied.
    from: `referrals r LEFT JOIN LATERAL (SELECT min(e.at) AS decided_at FROM referral_events e
             WHERE e.referral_id = r.id AND e.to_status IN ('sent', 'denied')) dec ON true`,
    time: 'r.created_at',
    groups: { office: 'r.field_office_code', purpose: 'r.purpose', outcome: 'r.outcome' },
    totals: () => ({
      created: sql`count(*)`,
      sent: sql.raw('count(*) FILTER (WHERE r.sent_at IS NOT NULL)'),
      denied: sql.raw("count(*) FILTER (WHERE r.status = 'denied')"),
      located: sql.raw("count(*) FILTER (WHERE r.outcome = 'located')"),
      notLocated: sql.raw("count(*) FILTER (WHERE r.outcome = 'not_located')"),
      decided: sql.raw('count(*) FILTER (WHERE dec.decided_at IS NOT NULL)'),
      decisionSeconds: sql.raw(`coalesce(sum(${seconds('dec.decided_at - r.created_at')}) FILTER (WHERE dec.decided_at IS NOT NULL), 0)`),
    }),
  },
  screenings: {
    from: 'welfare_screenings s',
    time: 's.completed_at',
    groups: { outcome: 's.outcome' },
    totals: () => ({ screened: sql`count(*)`, positive: sql.raw("count(*) FILTER (WHERE s.outcome = 'positive')") }),
  },
  welfareReferrals: {
    from: 'welfare_referrals w',
    time: 'w.created_at',
    groups: { agency: 'w.agency' },
    totals: () => ({
      created: sql`count(*)`,
      done: sql.raw("count(*) FILTER (WHERE w.status = 'done' AND w.done_at IS NOT NULL)"),
      escalated: sql.raw('count(*) FILTER (WHERE w.escalated_at IS NOT NULL)'),
      doneSeconds: sql.raw(
        `coalesce(sum(${seconds('w.done_at - w.created_at')}) FILTER (WHERE w.status = 'done' AND w.done_at IS NOT NULL), 0)`,
      ),
    }),
  },
  partnerRequests: {
    from: 'partner_requests p',
    time: 'p.created_at',
    groups: { agency: 'p.agency_ori', purpose: 'p.kind', outcome: 'p.answer_outcome' },
    totals: () => ({
      created: sql`count(*)`,
      answered: sql.raw('count(*) FILTER (WHERE p.answered_at IS NOT NULL)'),
      denied: sql.raw("count(*) FILTER (WHERE p.status = 'denied')"),
      answerSeconds: sql.raw(
        `coalesce(sum(${seconds('p.answered_at - coalesce(p.sent_at, p.created_at)')}) FILTER (WHERE p.answered_at IS NOT NULL), 0)`,
      ),
    }),
  },
  partnerSubmissions: {
    from: 'partner_submissions ps',
    time: 'ps.received_at',
    groups: { agency: 'ps.agency_ori', outcome: 'ps.status' },
    totals: () => ({
      received: sql`count(*)`,
      accepted: sql.raw("count(*) FILTER (WHERE ps.status = 'accepted')"),
      rejected: sql.raw("count(*) FILTER (WHERE ps.status = 'rejected')"),
    }),
  },
};

/**
 * The interval a record falls in. Fifteen minutes are binned on UTC, which is the center's binning as well: every
 * time zone's offset is a whole number of quarter hours, so a quarter hour starts at the same instant in both, and a
 * DST change (which moves clocks by an hour) never splits one. A day is the calendar day in the center's zone — 23
 * or 25 hours on the days the clocks change.
 */
function bucketOf(time: string, q: AggregateQuery): RawBuilder<Date> {
  if (q.interval === '15m') return sql<Date>`date_bin('15 minutes', ${sql.raw(time)}, TIMESTAMPTZ '2000-01-01T00:00:00Z')`;
  if (q.interval === 'day') return sql<Date>`date_trunc('day', ${sql.raw(time)}, ${q.timeZone}::text)`;
  return sql<Date>`${q.from}::timestamptz`;
}

function endOf(q: AggregateQuery): RawBuilder<Date> {
  if (q.interval === '15m') return sql<Date>`f.start + interval '15 minutes'`;
  if (q.interval === 'day')
    return sql<Date>`((f.start AT TIME ZONE ${q.timeZone}::text) + interval '1 day') AT TIME ZONE ${q.timeZone}::text`;
  return sql<Date>`${q.to}::timestamptz`;
}

/**
 * Each queue's service-level threshold as a CASE over the record's queue (20 s for a queue no longer configured): the
 * queues are a handful, and a constant expression costs the scan less than a join per record.
 */
async function thresholdOf(db: Db): Promise<RawBuilder<number>> {
  const queues = await db.selectFrom('queues').select(['id', 'service_level_seconds']).execute();
  if (queues.length === 0) return sql<number>`20`;
  const cases = queues.map((queue) => sql`WHEN ${queue.id}::text THEN ${sql.lit(Number(queue.service_level_seconds))}`);
  return sql<number>`(CASE c.queue_id ${sql.join(cases, sql` `)} ELSE 20 END)`;
}

export async function aggregateSource(db: Db, source: ReportSource, q: AggregateQuery): Promise<AggregateRow[]> {
  const spec = SOURCES[source];
  const groupExprs = q.groupings.map((g) => {
    const expression = spec.groups[g];
    if (!expression) throw new Error(`report: ${source} cannot be grouped by ${g}`);
    return sql`(${sql.raw(expression)})::text AS ${sql.ref(`g_${g}`)}`;
  });
  const joins = q.groupings.map((g) => spec.joinsFor?.[g]).filter((j): j is string => j !== undefined);
  const totals = Object.entries(spec.totals(q, source === 'calls' ? await thresholdOf(db) : sql<number>`20`)).map(
    ([key, expression]) => sql`(${expression})::float8 AS ${sql.ref(`t_${key}`)}`,
  );
  const ordinals = sql.raw(Array.from({ length: q.groupings.length + 1 }, (_, i) => String(i + 1)).join(', '));
  const time = sql.raw(spec.time);
  const query = sql<Record<string, unknown> & { start: Date; end: Date }>`
    SELECT f.*, ${endOf(q)} AS "end" FROM (
      SELECT ${bucketOf(spec.time, q)} AS start, ${sql.join([...groupExprs, ...totals])}
      FROM ${sql.raw(spec.from)} ${sql.raw(joins.join(' '))}
      WHERE ${time} >= ${q.from}::timestamptz AND ${time} < ${q.to}::timestamptz ${spec.where ? sql.raw(`AND ${spec.where}`) : sql``}
      GROUP BY ${ordinals}
    ) f
    ORDER BY ${ordinals}
    LIMIT ${q.limit + 1}`;
  // The planner takes every record for a group of its own (it cannot tell how many share a quarter hour) and sorts
  // them all to group them, on disk past the default 4 MB; a month has a few thousand groups, which a hash holds.
  const result = await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL work_mem = '64MB'`.execute(trx);
    await sql`SET LOCAL enable_sort = off`.execute(trx);
    return query.execute(trx);
  });
  return result.rows.map((row) => {
    const groups: Record<string, string | null> = {};
    const sums: Record<string, number> = {};
    for (const [key, value] of Object.entries(row)) {
      if (key.startsWith('g_')) groups[key.slice(2)] = value === null ? null : String(value);
      else if (key.startsWith('t_')) sums[key.slice(2)] = Number(value);
    }
    return { start: row.start, end: row.end, groups, totals: sums };
  });
}

export type ReportDefinitionRow = Selectable<ReportDefinitionsTable>;
export type ReportDefinitionValues = Pick<ReportDefinitionRow, 'name' | 'metrics' | 'groupings' | 'interval' | 'range_days' | 'schedule'>;

export function listReportDefinitions(db: Db | Trx): Promise<ReportDefinitionRow[]> {
  return db.selectFrom('report_definitions').selectAll().where('deleted_at', 'is', null).orderBy('name').orderBy('id').execute();
}

export function findReportDefinition(db: Db | Trx, id: string): Promise<ReportDefinitionRow | undefined> {
  return db.selectFrom('report_definitions').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
}

export function insertReportDefinition(
  db: Trx,
  values: ReportDefinitionValues & { owner_id: string; now: Date },
): Promise<ReportDefinitionRow> {
  const { now, ...rest } = values;
  return db
    .insertInto('report_definitions')
    .values({ ...rest, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function updateReportDefinition(
  db: Trx,
  id: string,
  values: ReportDefinitionValues,
  now: Date,
): Promise<ReportDefinitionRow | undefined> {
  return db
    .updateTable('report_definitions')
    .set({ ...values, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteReportDefinition(db: Trx, id: string, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('report_definitions')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Daily definitions not yet written for a day (the day before today on the center's calendar). */
export function dailyReportsDue(db: Db | Trx, day: string): Promise<ReportDefinitionRow[]> {
  return db
    .selectFrom('report_definitions')
    .selectAll()
    .where('schedule', '=', 'daily')
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('last_delivered_day', 'is', null), eb('last_delivered_day', '<', day)]))
    .orderBy('id')
    .execute();
}

export async function markReportDelivered(db: Trx, id: string, day: string): Promise<void> {
  await db.updateTable('report_definitions').set({ last_delivered_day: day }).where('id', '=', id).execute();
}
