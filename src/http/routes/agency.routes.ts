import { z } from 'zod';
import { AGENCY_TYPES, AGREEMENT_MODELS, AGREEMENT_STATUSES } from '../../domain/partner/agency-rules.js';
import { PERMITTED } from '../../domain/partner/submission-rules.js';
import { importAgencies, listAgencies, saveAgency } from '../../services/agency.service.js';
import { appendAudit } from '../../services/audit.service.js';
import { type AppContext, actorContext } from '../context.js';
import { ZCsvBody } from '../csv-body.js';
import { defineRoute } from '../route.js';

const ZAgencyBody = z.strictObject({
  ori: z.string().trim().max(9),
  name: z.string().trim().max(200),
  type: z.enum(AGENCY_TYPES),
  county: z.string().trim().max(100).optional(),
  agreementModel: z.enum(AGREEMENT_MODELS),
  agreementStatus: z.enum(AGREEMENT_STATUSES),
  agreementEffective: z.iso.date().describe("a day on the center's calendar (CENTER_TIME_ZONE)"),
  agreementEnd: z.iso.date().optional().describe("the last day in force, on the center's calendar (through that whole day)"),
  contacts: z
    .array(z.strictObject({ name: z.string().trim().min(1).max(200), email: z.email().optional(), phone: z.string().max(30).optional() }))
    .max(10)
    .default([]),
});

const ZAgencyRecord = z.object({
  ori: z.string(),
  name: z.string(),
  type: z.string(),
  state: z.string(),
  county: z.string().nullable(),
  agreement: z.object({
    model: z.string(),
    status: z.string(),
    effective: z.string(),
    end: z.string().nullable(),
    permittedSubmissions: z.array(z.string()),
  }),
  contacts: z.array(z.object({ name: z.string(), email: z.string().optional(), phone: z.string().optional() })),
});

type Row = Awaited<ReturnType<typeof listAgencies>>[number];
const present = (a: Row): z.infer<typeof ZAgencyRecord> => ({
  ori: a.ori,
  name: a.name,
  type: a.type,
  state: a.state,
  county: a.county,
  agreement: {
    model: a.agreement_model,
    status: a.agreement_status,
    effective: a.agreement_effective,
    end: a.agreement_end,
    permittedSubmissions: [...(PERMITTED[a.agreement_model] ?? [])],
  },
  contacts: (a.contacts as z.infer<typeof ZAgencyRecord>['contacts']) ?? [],
});

export function agencyRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/agencies',
      summary: 'The agency registry: partner agencies and their 287(g) agreements',
      tags: ['agencies'],
      access: { permission: 'agency:read' },
      query: z.strictObject({
        state: z
          .string()
          .regex(/^[A-Za-z]{2}$/)
          .optional(),
        status: z.enum(AGREEMENT_STATUSES).optional(),
        q: z.string().trim().max(100).optional().describe('an ORI or words of the name'),
        limit: z.coerce.number().int().min(1).max(2000).default(200),
      }),
      response: z.object({ agencies: z.array(ZAgencyRecord) }),
      handler: async ({ query, request }) => {
        const rc = actorContext(ctx, request);
        // Partner officers and systems see only their own agency.
        const partner = rc.actor.kind === 'client' || rc.actor.role === 'partner_officer';
        const rows = await listAgencies(ctx.db, partner ? { ori: rc.actor.agencyOri ?? '' } : query, query.limit);
        await ctx.db
          .transaction()
          .execute((trx) =>
            appendAudit(trx, rc, { action: 'agency.list', outcome: 'allowed', resourceType: 'agency', details: { results: rows.length } }),
          );
        return { agencies: rows.map(present) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/agencies',
      summary: 'Register an agency and its 287(g) agreement',
      tags: ['agencies'],
      access: { permission: 'agency:manage' },
      body: ZAgencyBody,
      response: z.object({ ori: z.string() }),
      successStatus: 201,
      errors: [409],
      handler: async ({ body, request }) => ({ ori: (await saveAgency(ctx.db, actorContext(ctx, request), body, 'add')).ori }),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/agencies/:ori',
      summary: "Change an agency's record or agreement (status, dates, model, contacts)",
      tags: ['agencies'],
      access: { permission: 'agency:manage' },
      params: z.strictObject({ ori: z.string().regex(/^[A-Za-z0-9]{9}$/, 'must be a 9-character ORI') }),
      body: ZAgencyBody.omit({ ori: true }),
      response: z.object({ ori: z.string() }),
      errors: [404],
      handler: async ({ params, body, request }) => ({
        ori: (await saveAgency(ctx.db, actorContext(ctx, request), { ...body, ori: params.ori }, 'update')).ori,
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/agencies/import',
      summary: 'Import agencies from CSV (text/csv, header row); good rows are saved, every bad row is reported',
      description:
        'Columns: ori, name, type, county, agreement_model, agreement_status, agreement_effective, agreement_end, contact_name, contact_email, contact_phone. Rows are added or updated by ORI.',
      tags: ['agencies'],
      access: { permission: 'agency:manage' },
      body: ZCsvBody,
      bodyLimit: 5_000_000,
      response: z.object({
        added: z.number(),
        updated: z.number(),
        errors: z.number(),
        rows: z.array(
          z.object({
            row: z.number(),
            ori: z.string().nullable(),
            result: z.enum(['added', 'updated', 'error']),
            issues: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
          }),
        ),
      }),
      handler: async ({ body, request }) => importAgencies(ctx.db, actorContext(ctx, request), body),
    }),
  ];
}
