import { z } from 'zod';
import { ZIdParams } from '../../contracts/cases.js';
import { ZSubmission, ZSubmissionAck, ZSubmissionStatus, ZWebhookDelivery, ZWebhookSettings } from '../../contracts/partner.js';
import { AppError } from '../../domain/errors/app-error.js';
import { listSubmissions, partnerActor, readSubmission, receiveSubmission, setWebhook } from '../../services/partner-submission.service.js';
import { listDeliveries, redeliver } from '../../services/webhook.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/** The partner submission API (/api/partner/v1): partner systems with a client-credentials token, their own agency only. */

function clientContext(ctx: AppContext, request: Parameters<typeof actorContext>[1]) {
  const rc = actorContext(ctx, request);
  return { ...rc, actor: partnerActor(rc.actor) };
}

const presentStatus = (row: Awaited<ReturnType<typeof readSubmission>>): z.infer<typeof ZSubmissionStatus> => ({
  id: row.id,
  type: row.type,
  status: row.status,
  statusUrl: `/api/partner/v1/submissions/${row.id}`,
  receivedAt: row.received_at.toISOString(),
  reference: row.reference,
  reasons: (row.reasons as z.infer<typeof ZSubmissionStatus>['reasons']) ?? null,
  processedAt: row.processed_at?.toISOString() ?? null,
});

const presentDelivery = (d: Awaited<ReturnType<typeof listDeliveries>>[number]): z.infer<typeof ZWebhookDelivery> => ({
  id: d.id,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.next_attempt_at.toISOString(),
  lastError: d.last_error,
  deliveredAt: d.delivered_at?.toISOString() ?? null,
  submissionId: d.submission_id,
});

const ZIdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{8,100}$/, 'Idempotency-Key: 8–100 letters, digits and _ . : -')
  .optional();

const ZListQuery = z.strictObject({
  status: z.enum(['received', 'processing', 'accepted', 'rejected']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function submissionRoutes(ctx: AppContext) {
  const list = async ({ query, request }: { query: z.output<typeof ZListQuery>; request: Parameters<typeof actorContext>[1] }) => ({
    submissions: (await listSubmissions(ctx.db, clientContext(ctx, request), query.status, query.limit)).map(presentStatus),
  });
  return [
    defineRoute({
      method: 'POST',
      url: '/api/partner/v1/submissions',
      summary: 'Submit a report (location report, encounter, concern about an unaccompanied child, hit-confirmation request)',
      description:
        '202 only once the submission is stored durably; processing follows (GET the statusUrl, or receive the signed status webhook). An Idempotency-Key header makes retries safe: the same key and body return the original answer; the same key with another body is 409. Every invalid field is reported at once.',
      tags: ['partner'],
      access: { permission: 'submission:create', via: 'client' },
      body: ZSubmission,
      response: ZSubmissionAck,
      successStatus: 202,
      errors: [403, 409, 413],
      handler: async ({ body, request, reply }) => {
        const key = ZIdempotencyKey.safeParse(request.headers['idempotency-key']);
        if (!key.success) {
          throw new AppError('validation_failed', 'The Idempotency-Key header is malformed.', {
            issues: [{ path: 'headers.idempotency-key', code: 'invalid', message: key.error.issues[0]?.message ?? 'invalid' }],
          });
        }
        const ack = await receiveSubmission(ctx.db, clientContext(ctx, request), body, request.body, key.data);
        if (ack.replayed) reply.header('idempotent-replayed', 'true');
        reply.header('location', `/api/partner/v1/submissions/${ack.id}`);
        return {
          id: ack.id,
          status: ack.status as 'received',
          statusUrl: `/api/partner/v1/submissions/${ack.id}`,
          receivedAt: ack.receivedAt,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/partner/v1/submissions/:id',
      summary: "A submission's status: received → processing → accepted (with the case reference) or rejected (with reasons)",
      tags: ['partner'],
      access: { permission: 'submission:read', via: 'client' },
      params: ZIdParams,
      response: ZSubmissionStatus,
      errors: [404],
      handler: async ({ params, request }) => presentStatus(await readSubmission(ctx.db, clientContext(ctx, request), params.id)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/partner/v1/submissions',
      summary: "My agency's submissions, newest first",
      tags: ['partner'],
      access: { permission: 'submission:read', via: 'client' },
      query: ZListQuery,
      response: z.object({ submissions: z.array(ZSubmissionStatus) }),
      handler: list,
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/partner/v1/webhook',
      summary: "Register my agency's status webhook URL (HTTPS; plain HTTP only to loopback); returns the signing secret once",
      tags: ['partner'],
      access: { permission: 'submission:create', via: 'client' },
      body: ZWebhookSettings,
      response: z.object({ url: z.string(), secret: z.string().describe('HMAC-SHA256 signing secret: shown only now') }),
      handler: async ({ body, request }) => setWebhook(ctx.db, ctx.identity.keys, clientContext(ctx, request), body.url, ctx.development),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/partner/v1/webhook/deliveries',
      summary: "My agency's webhook deliveries; status=dead is the dead-letter list",
      tags: ['partner'],
      access: { permission: 'submission:read', via: 'client' },
      query: z.strictObject({
        status: z.enum(['pending', 'delivered', 'dead']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      response: z.object({ deliveries: z.array(ZWebhookDelivery) }),
      handler: async ({ query, request }) => ({
        deliveries: (await listDeliveries(ctx.db, clientContext(ctx, request).actor.agencyOri, query.status, query.limit)).map(
          presentDelivery,
        ),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/partner/v1/webhook/deliveries/:id/redeliver',
      summary: 'Send a delivery again',
      tags: ['partner'],
      access: { permission: 'submission:create', via: 'client' },
      params: ZIdParams,
      body: z.strictObject({}).optional(),
      response: z.object({ ok: z.literal(true) }),
      errors: [404],
      handler: async ({ params, request }) => {
        const rc = clientContext(ctx, request);
        await redeliver(ctx.db, rc, params.id, rc.actor.agencyOri);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/portal/submissions',
      summary: 'The partner portal: a partner officer submits for their agency (same model, checks and processing as the partner API)',
      tags: ['partner'],
      access: { permission: 'submission:create' },
      body: ZSubmission,
      response: ZSubmissionAck,
      successStatus: 202,
      errors: [403],
      handler: async ({ body, request }) => {
        const ack = await receiveSubmission(ctx.db, clientContext(ctx, request), body, request.body, undefined);
        return {
          id: ack.id,
          status: ack.status as 'received',
          statusUrl: `/api/v1/portal/submissions/${ack.id}`,
          receivedAt: ack.receivedAt,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/portal/submissions',
      summary: "The partner portal: my agency's submissions and their statuses",
      tags: ['partner'],
      access: { permission: 'submission:read' },
      query: ZListQuery,
      response: z.object({ submissions: z.array(ZSubmissionStatus) }),
      handler: list,
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/webhook-deliveries',
      summary: "Every agency's webhook deliveries (admins); status=dead is the dead-letter list",
      tags: ['admin'],
      access: { permission: 'webhook:manage' },
      query: z.strictObject({
        status: z.enum(['pending', 'delivered', 'dead']).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({ deliveries: z.array(ZWebhookDelivery.extend({ agencyOri: z.string() })) }),
      handler: async ({ query }) => ({
        deliveries: (await listDeliveries(ctx.db, null, query.status, query.limit)).map((d) => ({
          ...presentDelivery(d),
          agencyOri: d.agency_ori,
        })),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/webhook-deliveries/:id/redeliver',
      summary: 'Send a delivery again (admins)',
      tags: ['admin'],
      access: { permission: 'webhook:manage' },
      params: ZIdParams,
      body: z.strictObject({}).optional(),
      response: z.object({ ok: z.literal(true) }),
      errors: [404],
      handler: async ({ params, request }) => {
        await redeliver(ctx.db, actorContext(ctx, request), params.id, null);
        return { ok: true as const };
      },
    }),
  ];
}
