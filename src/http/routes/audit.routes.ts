import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import {
  ZAuditEventList,
  ZAuditExport,
  ZAuditFilter,
  ZAuditKey,
  ZAuditProof,
  ZAuditQuery,
  ZAuditRange,
  ZAuditVerify,
  ZRefusalsReport,
} from '../../contracts/identity.js';
import { instantRange } from '../../domain/calendar/calendar-day.js';
import { AppError } from '../../domain/errors/app-error.js';
import {
  type AuditFilter,
  appendAudit,
  auditKeyId,
  inclusionProof,
  listAuditEvents,
  verifyAuditLog,
} from '../../services/audit.service.js';
import { AUDIT_EXPORT_MAX, exportAuditEvents, refusalsReport } from '../../services/audit-console.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentAuditEvent, presentHead } from '../presenters/identity.presenter.js';
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
            ...filterOf(query, rc.timeZone),
            limit: query.limit,
            order: query.order,
            ...(query.afterSeq !== undefined ? { afterSeq: query.afterSeq } : {}),
            ...(query.beforeSeq !== undefined ? { beforeSeq: query.beforeSeq } : {}),
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
      url: '/api/v1/audit/refusals',
      summary:
        'Oversight: every refusal in a range (default the last 7 days) — who, what, which resource, the rule that refused it — the newest first, with counts by rule and by who',
      tags: ['audit'],
      access: { permission: 'audit:oversight' },
      query: ZAuditRange.extend({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: ZRefusalsReport,
      handler: async ({ query, request }) => {
        const rc = actorContext(ctx, request);
        const range = instantRange(query, rc.timeZone);
        const to = range.to ?? rc.now;
        return refusalsReport(ctx.db, rc, { from: range.from ?? new Date(to.getTime() - 7 * DAY_MS), to, limit: query.limit });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/export',
      summary: `The events a search finds (at most ${AUDIT_EXPORT_MAX}), each with its proof: the event as hashed, its RFC 6962 audit path and its batch's signed head, with the sealer's public key — checkable outside Switchboard (switchboard audit check-export)`,
      tags: ['audit'],
      access: { permission: 'audit:read' },
      query: ZAuditFilter,
      response: ZAuditExport,
      handler: async ({ query, request, reply }) => {
        const rc = actorContext(ctx, request);
        const publicKey = createPublicKey(ctx.identity.keys.auditSigning);
        const file = await exportAuditEvents(ctx.db, rc, filterOf(query, rc.timeZone), {
          publicKey,
          pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        });
        const day = rc.now.toISOString().slice(0, 10);
        reply.header('content-disposition', `attachment; filename="audit-export-${day}.json"`);
        return file;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/verify',
      summary:
        'Recompute the hash chain, each batch’s Merkle root and signed head; check that no event waits unsealed past the merge delay. Names the first broken sequence number',
      tags: ['audit'],
      access: { permission: 'audit:read' },
      response: ZAuditVerify,
      handler: async () => {
        const check = await verifyAuditLog(ctx.db, {
          publicKey: createPublicKey(ctx.identity.keys.auditSigning),
          maxMergeDelayMs: ctx.auditMaxMergeDelayMs,
        });
        const latest = check.heads.latest;
        return {
          intact: check.intact,
          count: check.count,
          ...(check.brokenAt !== undefined ? { brokenAt: check.brokenAt } : {}),
          ...(check.reason !== undefined ? { reason: check.reason } : {}),
          signedBatches: check.heads.checked,
          latestHead: latest ? presentHead(latest) : null,
          pending: check.pending,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/key',
      summary: 'The audit sealer’s public key (Ed25519): what signed heads and inclusion proofs are checked with',
      tags: ['audit'],
      access: { permission: 'audit:read' },
      response: ZAuditKey,
      handler: async () => {
        const publicKey = createPublicKey(ctx.identity.keys.auditSigning);
        return {
          keyId: auditKeyId(publicKey),
          publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
          algorithm: 'Ed25519' as const,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/events/:seq/proof',
      summary: 'Proof that one sealed event is in its signed batch (RFC 6962 audit path), checkable without the rest of the log',
      tags: ['audit'],
      access: { permission: 'audit:read' },
      params: z.strictObject({ seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
      response: ZAuditProof,
      handler: async ({ params, request }) => {
        const rc = actorContext(ctx, request);
        return ctx.db.transaction().execute(async (trx) => {
          const proof = await inclusionProof(trx, params.seq);
          if (!proof) throw new AppError('not_found', `event ${params.seq} is not sealed in a signed batch (yet): try again in a moment`);
          await appendAudit(trx, rc, {
            action: 'audit.prove',
            outcome: 'allowed',
            resourceType: 'audit_events',
            resourceId: String(params.seq),
          });
          const { event } = proof;
          return {
            event: { ...event, occurredAt: event.occurredAt.toISOString() },
            index: proof.index,
            size: proof.size,
            path: proof.path,
            head: proof.head,
          };
        });
      },
    }),
  ];
}

const DAY_MS = 86_400_000;

/** The search's filter from the query: the range as instants, the other fields as given. */
function filterOf(q: z.infer<typeof ZAuditFilter>, timeZone: string): Omit<AuditFilter, 'limit'> {
  return {
    ...instantRange(q, timeZone),
    ...(q.actorId ? { actorId: q.actorId } : {}),
    ...(q.username ? { username: q.username } : {}),
    ...(q.resourceType ? { resourceType: q.resourceType } : {}),
    ...(q.resourceId ? { resourceId: q.resourceId } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.purpose ? { purpose: q.purpose } : {}),
  };
}
