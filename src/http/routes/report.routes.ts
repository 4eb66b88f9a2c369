import { ZIdParams } from '../../contracts/cases.js';
import { ZOk, ZTextResponse } from '../../contracts/common.js';
import {
  ZReport,
  ZReportCatalog,
  ZReportDefinition,
  ZReportDefinitionInput,
  ZReportDefinitionList,
  ZReportRequest,
} from '../../contracts/reports.js';
import { type ReportDeps, reportCatalog, reportCsv, runReport } from '../../services/report.service.js';
import { createDefinition, deleteDefinition, listDefinitions, updateDefinition } from '../../services/report-definition.service.js';
import { renderReportPdf } from '../../services/report-pdf.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/** Historical reports (issue #20) over the durable records; every read audited. */
export function reportRoutes(ctx: AppContext) {
  const deps: ReportDeps = { db: ctx.db, shortAbandonSeconds: () => ctx.routing.engine.settings.shortAbandonMs / 1000 };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/reports/catalog',
      summary: 'The report metrics (with the groupings each one’s records hold) and intervals',
      tags: ['reports'],
      access: { permission: 'report:read' },
      response: ZReportCatalog,
      handler: async () => reportCatalog(ctx.timeZone),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/reports/metrics',
      summary: 'A historical report: metrics × groupings × interval × range, from the call records and the case records',
      description:
        'Figures as defined in docs/METRICS.md (the wallboard’s). Calls are counted by the instant they entered a queue; intervals are quarter hours or calendar days in the center’s time zone. Rows only for intervals and groups with records. Audited.',
      tags: ['reports'],
      access: { permission: 'report:read' },
      body: ZReportRequest,
      response: ZReport,
      handler: async ({ body, request }) => runReport(deps, actorContext(ctx, request), body),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/reports/metrics.csv',
      summary: 'The same report as CSV (RFC 4180): interval start and end, the groupings, one column per metric',
      tags: ['reports'],
      access: { permission: 'report:read' },
      body: ZReportRequest,
      response: ZTextResponse,
      contentType: 'text/csv; charset=utf-8',
      handler: async ({ body, request, reply }) => {
        const report = await runReport(deps, actorContext(ctx, request), body, 'csv');
        reply.header('content-disposition', `attachment; filename="report-${report.interval}-${report.from.slice(0, 10)}.csv"`);
        return reportCsv(report);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/reports/metrics.pdf',
      summary: 'The same report as PDF: a chart of the first metric and the table, times in the center’s time zone',
      tags: ['reports'],
      access: { permission: 'report:read' },
      body: ZReportRequest,
      response: ZTextResponse,
      contentType: 'application/pdf',
      handler: async ({ body, request, reply }) => {
        const context = actorContext(ctx, request);
        const report = await runReport(deps, context, body, 'pdf');
        reply.header('content-disposition', `attachment; filename="report-${report.interval}-${report.from.slice(0, 10)}.pdf"`);
        return Buffer.from(await renderReportPdf(report, context.now)) as unknown as string;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/reports/definitions',
      summary: 'The saved report definitions',
      tags: ['reports'],
      access: { permission: 'report:read' },
      response: ZReportDefinitionList,
      handler: async ({ request }) => ({ definitions: await listDefinitions(deps, actorContext(ctx, request)) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/reports/definitions',
      summary: 'Save a report definition (daily: written each day to the report drop as CSV)',
      tags: ['reports'],
      access: { permission: 'report:read' },
      body: ZReportDefinitionInput,
      response: ZReportDefinition,
      successStatus: 201,
      handler: async ({ body, request }) => createDefinition(deps, actorContext(ctx, request), body),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/reports/definitions/:id',
      summary: 'Change a report definition (its owner or an admin)',
      tags: ['reports'],
      access: { permission: 'report:read' },
      params: ZIdParams,
      body: ZReportDefinitionInput,
      response: ZReportDefinition,
      errors: [404],
      handler: async ({ params, body, request }) => updateDefinition(deps, actorContext(ctx, request), params.id, body),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/reports/definitions/:id',
      summary: 'Delete a report definition (its owner or an admin)',
      tags: ['reports'],
      access: { permission: 'report:read' },
      params: ZIdParams,
      response: ZOk,
      errors: [404],
      handler: async ({ params, request }) => {
        await deleteDefinition(deps, actorContext(ctx, request), params.id);
        return { ok: true as const };
      },
    }),
  ];
}
