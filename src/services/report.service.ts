import type { TReport, TReportCatalog, TReportRequest, TReportRow } from '../contracts/reports.js';
import { csvText } from '../domain/csv/csv-text.js';
import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import {
  MAX_RANGE_DAYS,
  METRICS,
  REPORT_INTERVALS,
  REPORT_METRICS,
  type ReportGrouping,
  type ReportMetric,
  SOURCE_GROUPINGS,
  sourcesOf,
  unsupportedGroupings,
} from '../domain/reports/report-metrics.js';
import type { Db } from '../storage/database.js';
import { type AggregateRow, aggregateSource } from '../storage/repositories/report.repository.js';
import { type RequestContext, recordAudit } from './audit.service.js';

/**
 * Historical reports from the durable records (docs/METRICS.md): validates the request, adds up each source's
 * records in SQL, computes the figures from the totals, and audits the read (what was asked, how many rows).
 */

export type ReportDeps = {
  db: Db;
  /** The routing engine's short-abandon time in force (the wallboard's), in seconds. */
  shortAbandonSeconds: () => number;
};

/** The most rows a report returns: a larger one is refused (ask for fewer groupings, a coarser interval or a shorter range). */
export const MAX_REPORT_ROWS = 20_000;

const DAY_MS = 86_400_000;

export function reportCatalog(timeZone: string): TReportCatalog {
  return {
    metrics: REPORT_METRICS.map((metric) => ({
      metric,
      label: METRICS[metric].label,
      unit: METRICS[metric].unit,
      source: METRICS[metric].source,
      groupings: [...SOURCE_GROUPINGS[METRICS[metric].source]],
    })),
    intervals: [...REPORT_INTERVALS],
    timeZone,
  };
}

export function checkRequest(request: TReportRequest): { from: Date; to: Date } {
  const issues: FieldIssue[] = [];
  const from = new Date(request.from);
  const to = new Date(request.to);
  if (to.getTime() <= from.getTime()) issues.push({ path: 'body.to', code: 'report_range', message: 'to must be after from' });
  const maxDays = MAX_RANGE_DAYS[request.interval];
  // An hour's grace: that many calendar days can span a change of clocks.
  if (to.getTime() - from.getTime() > maxDays * DAY_MS + 3_600_000)
    issues.push({ path: 'body.to', code: 'report_range', message: `a ${request.interval} report covers at most ${maxDays} days` });
  if (new Set(request.groupings).size !== request.groupings.length)
    issues.push({ path: 'body.groupings', code: 'report_grouping_repeated', message: 'each grouping at most once' });
  const unsupported = unsupportedGroupings(request.metrics, request.groupings);
  if (unsupported.length > 0)
    issues.push({
      path: 'body.groupings',
      code: 'report_grouping_unsupported',
      message: `these records do not hold the grouping: ${unsupported.join(', ')}`,
    });
  if (issues.length > 0) throw new AppError('validation_failed', 'The report cannot be made as asked.', { issues });
  return { from, to };
}

/** Every (interval, group) any source has, with each metric computed from its own source's totals. */
function mergeRows(
  metrics: readonly ReportMetric[],
  groupings: readonly ReportGrouping[],
  bySource: ReadonlyMap<string, AggregateRow[]>,
): TReportRow[] {
  const merged = new Map<
    string,
    { start: Date; end: Date; groups: Record<string, string | null>; totals: Map<string, Record<string, number>> }
  >();
  for (const [source, rows] of bySource) {
    for (const row of rows) {
      const key = JSON.stringify([row.start.toISOString(), ...groupings.map((g) => row.groups[g] ?? null)]);
      let entry = merged.get(key);
      if (!entry) {
        entry = { start: row.start, end: row.end, groups: row.groups, totals: new Map() };
        merged.set(key, entry);
      }
      entry.totals.set(source, row.totals);
    }
  }
  const compareGroup = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  return [...merged.values()]
    .sort((a, b) => {
      const byStart = a.start.getTime() - b.start.getTime();
      if (byStart !== 0) return byStart;
      for (const g of groupings) {
        const c = compareGroup(a.groups[g] ?? null, b.groups[g] ?? null);
        if (c !== 0) return c;
      }
      return 0;
    })
    .map((entry) => ({
      start: entry.start.toISOString(),
      end: entry.end.toISOString(),
      groups: Object.fromEntries(groupings.map((g) => [g, entry.groups[g] ?? null])),
      values: Object.fromEntries(metrics.map((m) => [m, METRICS[m].value(entry.totals.get(METRICS[m].source) ?? {})])),
    }));
}

/** The report, not audited: for the scheduled delivery (which audits as the system) and for runReport. */
export async function computeReport(deps: ReportDeps, timeZone: string, request: TReportRequest): Promise<TReport> {
  const { from, to } = checkRequest(request);
  const query = {
    groupings: request.groupings,
    interval: request.interval,
    from,
    to,
    timeZone,
    shortAbandonSeconds: deps.shortAbandonSeconds(),
    limit: MAX_REPORT_ROWS,
  };
  const sources = sourcesOf(request.metrics);
  const results = await Promise.all(sources.map(async (source) => [source, await aggregateSource(deps.db, source, query)] as const));
  if (results.some(([, rows]) => rows.length > MAX_REPORT_ROWS))
    throw new AppError('validation_failed', 'The report is too large.', {
      issues: [
        {
          path: 'body',
          code: 'report_too_large',
          message: `more than ${MAX_REPORT_ROWS} rows: ask for fewer groupings, a coarser interval or a shorter range`,
        },
      ],
    });
  const rows = mergeRows(request.metrics, request.groupings, new Map(results));
  return {
    interval: request.interval,
    from: from.toISOString(),
    to: to.toISOString(),
    timeZone,
    groupings: request.groupings,
    columns: request.metrics.map((metric) => ({ metric, label: METRICS[metric].label, unit: METRICS[metric].unit })),
    rows,
  };
}

/** A report for a person: computed, and the read audited (what was asked and how many rows; reports hold no personal data). */
export async function runReport(
  deps: ReportDeps,
  ctx: RequestContext,
  request: TReportRequest,
  format: 'json' | 'csv' | 'pdf' = 'json',
): Promise<TReport> {
  const report = await computeReport(deps, ctx.timeZone, request);
  await recordAudit(deps.db, ctx, {
    action: 'report.read',
    outcome: 'allowed',
    resourceType: 'report',
    details: {
      metrics: request.metrics,
      groupings: request.groupings,
      interval: request.interval,
      from: report.from,
      to: report.to,
      rows: report.rows.length,
      format,
    },
  });
  return report;
}

/**
 * A report as CSV (RFC 4180, CRLF line ends): interval start and end, the groupings, then one column per metric. Text
 * a spreadsheet would take for a formula (a grouping's value) is escaped; the figures are never negative.
 */
export function reportCsv(report: TReport): string {
  const header = ['interval_start', 'interval_end', ...report.groupings, ...report.columns.map((c) => c.metric)];
  const rows = report.rows.map((row) => [
    row.start,
    row.end,
    ...report.groupings.map((g) => row.groups[g] ?? ''),
    ...report.columns.map((c) => {
      const v = row.values[c.metric];
      return v === null || v === undefined ? '' : v;
    }),
  ]);
  return csvText([header, ...rows], { escapeFormulas: true });
}
