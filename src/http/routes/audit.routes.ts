import { ZAuditEventList, ZAuditQuery, ZAuditVerify } from '../../contracts/identity.js';
import { appendAudit, listAuditEvents, verifyAuditChain } from '../../services/audit.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentAuditEvent } from '../presenters/identity.presenter.js';
import { defineRoute } from '../route.js';

export function auditRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/events',
      summary: 'Audit events in sequence order (reading them is itself audited)',
      tags: ['audit'],
      access: { permission: 'audit:read' },
      query: ZAuditQuery,
      response: ZAuditEventList,
      handler: async ({ query, request }) => {
        const rc = actorContext(ctx, request);
        const events = await ctx.db.transaction().execute(async (trx) => {
          const found = await listAuditEvents(trx, {
            limit: query.limit,
            ...(query.afterSeq !== undefined ? { afterSeq: query.afterSeq } : {}),
            ...(query.actorId ? { actorId: query.actorId } : {}),
            ...(query.resourceType ? { resourceType: query.resourceType } : {}),
            ...(query.resourceId ? { resourceId: query.resourceId } : {}),
            ...(query.action ? { action: query.action } : {}),
            ...(query.outcome ? { outcome: query.outcome } : {}),
          });
          await appendAudit(trx, rc, {
            action: 'audit.read',
            outcome: 'allowed',
            resourceType: 'audit_events',
            details: { count: found.length },
          });
          return found;
        });
        return { events: events.map(presentAuditEvent) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/verify',
      summary: 'Recompute the hash chain; names the first broken sequence number',
      tags: ['audit'],
      access: { permission: 'audit:read' },
      response: ZAuditVerify,
      handler: async () => {
        const check = await verifyAuditChain(ctx.db);
        return check.intact
          ? { intact: true, count: check.count }
          : { intact: false, count: check.count, brokenAt: check.brokenAt, reason: check.reason };
      },
    }),
  ];
}
