import { z } from 'zod';
import { REPORT_GROUPINGS, REPORT_INTERVALS, REPORT_METRICS, type ReportMetric } from '../domain/reports/report-metrics.js';

/** Historical reports (issue #20): metrics × groupings × interval × range, like Connect's GetMetricDataV2. */

export const ZReportMetric = z.enum(REPORT_METRICS as [ReportMetric, ...ReportMetric[]]);
export const ZReportGrouping = z.enum(REPORT_GROUPINGS);
export const ZReportInterval = z.enum(REPORT_INTERVALS);

export const ZReportRequest = z.strictObject({
  metrics: z.array(ZReportMetric).min(1).max(40).describe('the figures, as defined in docs/METRICS.md'),
  groupings: z
    .array(ZReportGrouping)
    .max(3)
    .default([])
    .describe(
      'split each interval by these (each metric’s source must hold them: calls hold queue, line, language, unit, agent, disposition)',
    ),
  interval: ZReportInterval.describe(
    '15m: quarter hours; day: calendar days in the center’s time zone (23 or 25 hours when clocks change); total: one row per group',
  ),
  from: z.iso.datetime({ offset: true }).describe('first instant, inclusive'),
  to: z.iso.datetime({ offset: true }).describe('last instant, exclusive'),
});
export type TReportRequest = z.infer<typeof ZReportRequest>;

export const ZReportRow = z.object({
  start: z.string().describe('the interval’s first instant (ISO 8601)'),
  end: z.string().describe('the instant after the interval'),
  groups: z.record(z.string(), z.string().nullable()).describe('the value of each grouping (null: not recorded)'),
  values: z.record(z.string(), z.number().nullable()).describe('each metric; null where its definition divides by zero'),
});
export type TReportRow = z.infer<typeof ZReportRow>;

export const ZReportColumn = z.object({ metric: ZReportMetric, label: z.string(), unit: z.enum(['count', 'ratio', 'seconds']) });

export const ZReport = z.object({
  interval: ZReportInterval,
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  groupings: z.array(ZReportGrouping),
  columns: z.array(ZReportColumn),
  rows: z.array(ZReportRow),
});
export type TReport = z.infer<typeof ZReport>;

export const ZReportCatalog = z.object({
  metrics: z.array(ZReportColumn.extend({ source: z.string(), groupings: z.array(ZReportGrouping) })),
  intervals: z.array(ZReportInterval),
  timeZone: z.string(),
});
export type TReportCatalog = z.infer<typeof ZReportCatalog>;
