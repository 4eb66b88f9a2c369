import {
  type AgencyRecord,
  ZAgencyBody,
  ZAgencyImportResult,
  ZAgencyList,
  ZAgencyListQuery,
  ZAgencyOriParams,
  ZAgencySaved,
  ZAgencyUpdateBody,
} from '../../contracts/agencies.js';
import { PERMITTED } from '../../domain/partner/submission-rules.js';
import { importAgencies, listAgencies, saveAgency } from '../../services/agency.service.js';
import { appendAudit } from '../../services/audit.service.js';
import { type AppContext, actorContext } from '../context.js';
import { ZCsvBody } from '../csv-body.js';
import { defineRoute } from '../route.js';

type Row = Awaited<ReturnType<typeof listAgencies>>[number];
const present = (a: Row): AgencyRecord => ({
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
  contacts: (a.contacts as AgencyRecord['contacts']) ?? [],
});

export function agencyRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/agencies',
      summary: 'The agency registry: partner agencies and their 287(g) agreements',
      tags: ['agencies'],
      access: { permission: 'agency:read' },
      query: ZAgencyListQuery,
      response: ZAgencyList,
      handler: async ({ query, request }) => {
        const rc = actorContext(ctx, request);
        // Partner officers and systems see only their own agency.
        const partnerOri =
          rc.actor.kind === 'client' || (rc.actor.kind === 'user' && rc.actor.role === 'partner_officer') ? rc.actor.agencyOri : undefined;
        const rows = await listAgencies(ctx.db, partnerOri !== undefined ? { ori: partnerOri ?? '' } : query, query.limit);
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
      response: ZAgencySaved,
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
      params: ZAgencyOriParams,
      body: ZAgencyUpdateBody,
      response: ZAgencySaved,
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
      response: ZAgencyImportResult,
      handler: async ({ body, request }) => importAgencies(ctx.db, actorContext(ctx, request), body),
    }),
  ];
}
