import { z } from 'zod';
import { REPORT_GROUPINGS, REPORT_INTERVALS, REPORT_METRICS } from './report-vocabulary.js';

/** Historical reports (issue #20): metrics × groupings × interval × range, like Connect's GetMetricDataV2. */

export const ZReportMetric = z.enum(REPORT_METRICS);
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

/** A report kept to run again: what to compute, and over how many days ending yesterday on the center's calendar. */
export const ZReportDefinitionInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  metrics: z.array(ZReportMetric).min(1).max(40),
  groupings: z.array(ZReportGrouping).max(3).default([]),
  interval: ZReportInterval,
  rangeDays: z.number().int().min(1).max(366).describe('the days the report covers, ending yesterday (1: yesterday only)'),
  schedule: z
    .enum(['none', 'daily'])
    .default('none')
    .describe('daily: written each day, for the day before, as a CSV file to the report drop'),
});
export type TReportDefinitionInput = z.infer<typeof ZReportDefinitionInput>;

export const ZReportDefinition = z.object({
  id: z.uuid(),
  name: z.string(),
  ownerId: z.uuid(),
  metrics: z.array(ZReportMetric),
  groupings: z.array(ZReportGrouping),
  interval: ZReportInterval,
  rangeDays: z.number().int(),
  schedule: z.enum(['none', 'daily']),
  lastDeliveredDay: z.string().nullable().describe('the last day written to the report drop (daily reports)'),
  updatedAt: z.string(),
});
export type TReportDefinition = z.infer<typeof ZReportDefinition>;

export const ZReportDefinitionList = z.object({ definitions: z.array(ZReportDefinition) });
