import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TReportDefinition, TReportDefinitionInput, TReportRequest } from '../contracts/reports.js';
import type { Actor } from '../domain/access/access-control.js';
import { addDays, type CalendarDay, dayIn, startOfDay } from '../domain/calendar/calendar-day.js';
import { AppError } from '../domain/errors/app-error.js';
import { isReportMetric, REPORT_GROUPINGS, type ReportGrouping } from '../domain/reports/report-metrics.js';
import {
  dailyReportsDue,
  deleteReportDefinition,
  findReportDefinition,
  insertReportDefinition,
  listReportDefinitions,
  markReportDelivered,
  type ReportDefinitionRow,
  updateReportDefinition,
} from '../storage/repositories/report.repository.js';
import { appendAudit, type RequestContext, recordAudit } from './audit.service.js';
import { checkRequest, computeReport, type ReportDeps, reportCsv } from './report.service.js';

/**
 * Saved report definitions (what to compute, over how many days ending yesterday) and the daily delivery: each
 * daily definition is written once a day, for the day before on the center's calendar, as a CSV file in the report
 * drop (written to a temporary name and renamed, so a reader never sees half a file). Every change and read audited.
 */

const isGrouping = (value: string): value is ReportGrouping => (REPORT_GROUPINGS as readonly string[]).includes(value);

export function presentDefinition(row: ReportDefinitionRow): TReportDefinition {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    metrics: row.metrics.filter(isReportMetric),
    groupings: row.groupings.filter(isGrouping),
    interval: row.interval,
    rangeDays: row.range_days,
    schedule: row.schedule,
    lastDeliveredDay: row.last_delivered_day,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The report a definition asks for on a day: range_days calendar days ending the day before `today`. */
export function definitionRequest(
  definition: Pick<TReportDefinition, 'metrics' | 'groupings' | 'interval' | 'rangeDays'>,
  today: CalendarDay,
  timeZone: string,
): TReportRequest {
  return {
    metrics: definition.metrics,
    groupings: definition.groupings,
    interval: definition.interval,
    from: startOfDay(addDays(today, -definition.rangeDays), timeZone).toISOString(),
    to: startOfDay(today, timeZone).toISOString(),
  };
}

const valuesOf = (input: TReportDefinitionInput) => ({
  name: input.name,
  metrics: input.metrics,
  groupings: input.groupings,
  interval: input.interval,
  range_days: input.rangeDays,
  schedule: input.schedule,
});

/** The owner, or an admin, may change or delete a definition; every report reader may run it. */
function mayChange(actor: Actor, row: ReportDefinitionRow): boolean {
  return actor.kind === 'user' && (actor.userId === row.owner_id || actor.role === 'admin');
}

export async function listDefinitions(deps: ReportDeps, ctx: RequestContext): Promise<TReportDefinition[]> {
  const rows = await listReportDefinitions(deps.db);
  await recordAudit(deps.db, ctx, {
    action: 'report_definition.list',
    outcome: 'allowed',
    resourceType: 'report_definition',
    details: { count: rows.length },
  });
  return rows.map(presentDefinition);
}

export async function createDefinition(
  deps: ReportDeps,
  ctx: RequestContext & { actor: Actor },
  input: TReportDefinitionInput,
): Promise<TReportDefinition> {
  checkRequest(definitionRequest(input, dayIn(ctx.now, ctx.timeZone), ctx.timeZone));
  if (ctx.actor.kind !== 'user') throw new AppError('forbidden', 'Only staff keep report definitions.');
  const ownerId = ctx.actor.userId;
  const row = await deps.db.transaction().execute(async (trx) => {
    const created = await insertReportDefinition(trx, { ...valuesOf(input), owner_id: ownerId, now: ctx.now });
    await appendAudit(trx, ctx, {
      action: 'report_definition.created',
      outcome: 'allowed',
      resourceType: 'report_definition',
      resourceId: created.id,
      details: { name: input.name, metrics: input.metrics, groupings: input.groupings, interval: input.interval, schedule: input.schedule },
    });
    return created;
  });
  return presentDefinition(row);
}

async function changeable(deps: ReportDeps, ctx: RequestContext & { actor: Actor }, id: string): Promise<ReportDefinitionRow> {
  const row = await findReportDefinition(deps.db, id);
  if (!row) throw new AppError('not_found', 'There is no such report definition.');
  if (!mayChange(ctx.actor, row)) {
    await recordAudit(deps.db, ctx, {
      action: 'report_definition.changed',
      outcome: 'denied',
      resourceType: 'report_definition',
      resourceId: id,
    });
    throw new AppError('forbidden', 'Only its owner or an admin may change or delete a report definition.');
  }
  return row;
}

export async function updateDefinition(
  deps: ReportDeps,
  ctx: RequestContext & { actor: Actor },
  id: string,
  input: TReportDefinitionInput,
): Promise<TReportDefinition> {
  checkRequest(definitionRequest(input, dayIn(ctx.now, ctx.timeZone), ctx.timeZone));
  await changeable(deps, ctx, id);
  const row = await deps.db.transaction().execute(async (trx) => {
    const updated = await updateReportDefinition(trx, id, valuesOf(input), ctx.now);
    if (!updated) throw new AppError('not_found', 'There is no such report definition.');
    await appendAudit(trx, ctx, {
      action: 'report_definition.changed',
      outcome: 'allowed',
      resourceType: 'report_definition',
      resourceId: id,
      details: { name: input.name, metrics: input.metrics, groupings: input.groupings, interval: input.interval, schedule: input.schedule },
    });
    return updated;
  });
  return presentDefinition(row);
}

export async function deleteDefinition(deps: ReportDeps, ctx: RequestContext & { actor: Actor }, id: string): Promise<void> {
  await changeable(deps, ctx, id);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteReportDefinition(trx, id, ctx.now))) throw new AppError('not_found', 'There is no such report definition.');
    await appendAudit(trx, ctx, {
      action: 'report_definition.deleted',
      outcome: 'allowed',
      resourceType: 'report_definition',
      resourceId: id,
    });
  });
}

/** Writes a file whole or not at all: a temporary file beside it, flushed to disk, then renamed over the name. */
export async function writeFileAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o640);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The file name of a definition's daily report: the day, the name made safe for any file system, the id's start. */
export function dailyReportFileName(row: Pick<ReportDefinitionRow, 'id' | 'name'>, day: CalendarDay): string {
  const slug =
    row.name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'report';
  return `${day}-${slug}-${row.id.slice(0, 8)}.csv`;
}

export type DailyDeliveryResult = { day: CalendarDay; delivered: string[]; failed: number };

/**
 * The daily reports due: each daily definition not yet written for yesterday is computed over its range ending
 * yesterday and written to the report drop; then marked delivered, audited as the system. A run after a missed day
 * writes the latest day only. A definition that fails is left due (the next run tries it again); the others go on.
 */
export async function deliverDailyReports(deps: ReportDeps & { dir: string }, now: Date, timeZone: string): Promise<DailyDeliveryResult> {
  const today = dayIn(now, timeZone);
  const day = addDays(today, -1);
  const ctx: RequestContext = { actor: null, system: 'reports.daily', sourceIp: null, requestId: null, now, timeZone };
  const delivered: string[] = [];
  let failed = 0;
  for (const row of await dailyReportsDue(deps.db, day)) {
    try {
      const report = await computeReport(deps, timeZone, definitionRequest(presentDefinition(row), today, timeZone));
      const name = dailyReportFileName(row, day);
      await writeFileAtomically(path.join(deps.dir, name), reportCsv(report));
      await deps.db.transaction().execute(async (trx) => {
        await markReportDelivered(trx, row.id, day);
        await appendAudit(trx, ctx, {
          action: 'report.delivered',
          outcome: 'allowed',
          resourceType: 'report_definition',
          resourceId: row.id,
          details: { day, file: name, rows: report.rows.length },
        });
      });
      delivered.push(name);
    } catch {
      failed += 1;
    }
  }
  return { day, delivered, failed };
}
