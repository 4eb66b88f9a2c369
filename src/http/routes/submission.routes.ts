import type { z } from 'zod';
import { ZIdParams } from '../../contracts/cases.js';
import { ZEmptyBody, ZOk, ZTextResponse } from '../../contracts/common.js';
import {
  ZBatchAck,
  ZBatchProgress,
  ZSubmission,
  ZSubmissionAck,
  ZSubmissionStatus,
  type ZWebhookDelivery,
  ZWebhookSettings,
} from '../../contracts/partner.js';
import {
  ZAdminWebhookDeliveryList,
  ZAdminWebhookDeliveryQuery,
  ZBatchList,
  ZBatchListQuery,
  ZBatchRows,
  ZBatchUploadQuery,
  ZIdempotencyKey,
  ZSubmissionList,
  ZSubmissionListQuery,
  ZWebhookDeliveryList,
  ZWebhookDeliveryQuery,
  ZWebhookSaved,
} from '../../contracts/submissions.js';
import { AppError } from '../../domain/errors/app-error.js';
import { MAX_CSV_BYTES, SUBMISSION_CSV_COLUMNS } from '../../domain/partner/submission-csv.js';
import { listSubmissions, partnerActor, readSubmission, receiveSubmission, setWebhook } from '../../services/partner-submission.service.js';
import { batchErrorReport, batchRows, listBatches, readBatch, receiveBatch } from '../../services/submission-batch.service.js';
import { listDeliveries, redeliver } from '../../services/webhook.service.js';
import { type AppContext, actorContext } from '../context.js';
import { ZCsvBody } from '../csv-body.js';
import { defineRoute } from '../route.js';

/** The partner submission API (/api/partner/v1): partner systems with a client-credentials token, their own agency only. */

function clientContext(ctx: AppContext, request: Parameters<typeof actorContext>[1]) {
  const rc = actorContext(ctx, request);
  return { ...rc, actor: partnerActor(rc.actor) };
}

const PARTNER_API = '/api/partner/v1';
const PORTAL = '/api/v1/portal';

/** A submission's status; its statusUrl is where the same caller reads it again (partner API or portal). */
const presentStatus =
  (base: typeof PARTNER_API | typeof PORTAL) =>
  (row: Awaited<ReturnType<typeof readSubmission>>): z.infer<typeof ZSubmissionStatus> => ({
    id: row.id,
    type: row.type,
    status: row.status,
    statusUrl: `${base}/submissions/${row.id}`,
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
  requestId: d.request_id,
});

const CSV_DESCRIPTION = `CSV (text/csv), header row first, at most 5,000 rows. Columns: ${SUBMISSION_CSV_COLUMNS.map((c) => (c.required ? `${c.name} (required)` : c.name)).join(', ')}. Lists are separated by semicolons. Stored before the 202; split into submissions by a background job.`;

/** The batch routes, the same for partner systems (/api/partner/v1) and the portal (/api/v1/portal). */
function batchRoutes(ctx: AppContext, base: string, via: 'client' | undefined) {
  const access = (permission: 'submission:create' | 'submission:read') => (via ? { permission, via } : { permission });
  return [
    defineRoute({
      method: 'POST',
      url: `${base}/batches`,
      summary: 'Upload many reports at once as CSV; 202 once the file is stored, then processed in the background',
      description: CSV_DESCRIPTION,
      tags: ['partner'],
      access: access('submission:create'),
      query: ZBatchUploadQuery,
      body: ZCsvBody,
      bodyLimit: MAX_CSV_BYTES,
      response: ZBatchAck,
      successStatus: 202,
      errors: [403, 409, 413],
      handler: async ({ body, query, request, reply }) => {
        const key = ZIdempotencyKey.safeParse(request.headers['idempotency-key']);
        if (!key.success) {
          throw new AppError('validation_failed', 'The Idempotency-Key header is malformed.', {
            issues: [{ path: 'headers.idempotency-key', code: 'invalid', message: key.error.issues[0]?.message ?? 'invalid' }],
          });
        }
        const ack = await receiveBatch(ctx.db, clientContext(ctx, request), body, query.filename, key.data);
        if (ack.replayed) reply.header('idempotent-replayed', 'true');
        reply.header('location', `${base}/batches/${ack.id}`);
        return { id: ack.id, status: ack.status, rows: ack.rows, statusUrl: `${base}/batches/${ack.id}`, receivedAt: ack.receivedAt };
      },
    }),
    defineRoute({
      method: 'GET',
      url: `${base}/batches`,
      summary: "My agency's uploads and their progress, newest first",
      tags: ['partner'],
      access: access('submission:read'),
      query: ZBatchListQuery,
      response: ZBatchList,
      handler: async ({ query, request }) => ({ batches: await listBatches(ctx.db, clientContext(ctx, request), query.limit) }),
    }),
    defineRoute({
      method: 'GET',
      url: `${base}/batches/:id`,
      summary: "An upload's progress: rows refused at validation, and its submissions by status",
      tags: ['partner'],
      access: access('submission:read'),
      params: ZIdParams,
      response: ZBatchProgress,
      errors: [404],
      handler: async ({ params, request }) => readBatch(ctx.db, clientContext(ctx, request), params.id),
    }),
    defineRoute({
      method: 'GET',
      url: `${base}/batches/:id/rows`,
      summary: "Every row's result: refused (with the columns at fault) or the submission it became and its status",
      tags: ['partner'],
      access: access('submission:read'),
      params: ZIdParams,
      response: ZBatchRows,
      errors: [404],
      handler: async ({ params, request }) => ({ rows: await batchRows(ctx.db, clientContext(ctx, request), params.id) }),
    }),
    defineRoute({
      method: 'GET',
      url: `${base}/batches/:id/errors.csv`,
      summary: 'The error report: row, column, code, message for every refused or rejected row (CSV)',
      tags: ['partner'],
      access: access('submission:read'),
      params: ZIdParams,
      contentType: 'text/csv; charset=utf-8',
      response: ZTextResponse,
      errors: [404],
      handler: async ({ params, request, reply }) => {
        reply.header('content-disposition', `attachment; filename="upload-${params.id}-errors.csv"`);
        return batchErrorReport(ctx.db, clientContext(ctx, request), params.id);
      },
    }),
  ];
}

export const CSV_UPLOAD_ROUTES = ['/api/partner/v1/batches', '/api/v1/portal/batches'];

export function submissionRoutes(ctx: AppContext) {
  const list =
    (base: typeof PARTNER_API | typeof PORTAL) =>
    async ({ query, request }: { query: z.output<typeof ZSubmissionListQuery>; request: Parameters<typeof actorContext>[1] }) => ({
      submissions: (await listSubmissions(ctx.db, clientContext(ctx, request), query.status, query.limit)).map(presentStatus(base)),
    });
  const read =
    (base: typeof PARTNER_API | typeof PORTAL) =>
    async ({ params, request }: { params: z.output<typeof ZIdParams>; request: Parameters<typeof actorContext>[1] }) =>
      presentStatus(base)(await readSubmission(ctx.db, clientContext(ctx, request), params.id));
  return [
    ...batchRoutes(ctx, PARTNER_API, 'client'),
    ...batchRoutes(ctx, PORTAL, undefined),
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
      handler: read(PARTNER_API),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/partner/v1/submissions',
      summary: "My agency's submissions, newest first",
      tags: ['partner'],
      access: { permission: 'submission:read', via: 'client' },
      query: ZSubmissionListQuery,
      response: ZSubmissionList,
      handler: list(PARTNER_API),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/partner/v1/webhook',
      summary: "Register my agency's status webhook URL (HTTPS; plain HTTP only to loopback); returns the signing secret once",
      tags: ['partner'],
      access: { permission: 'submission:create', via: 'client' },
      body: ZWebhookSettings,
      response: ZWebhookSaved,
      handler: async ({ body, request }) => setWebhook(ctx.db, ctx.identity.keys, clientContext(ctx, request), body.url, ctx.development),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/partner/v1/webhook/deliveries',
      summary: "My agency's webhook deliveries; status=dead is the dead-letter list",
      tags: ['partner'],
      access: { permission: 'submission:read', via: 'client' },
      query: ZWebhookDeliveryQuery,
      response: ZWebhookDeliveryList,
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
      body: ZEmptyBody,
      response: ZOk,
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
          statusUrl: `${PORTAL}/submissions/${ack.id}`,
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
      query: ZSubmissionListQuery,
      response: ZSubmissionList,
      handler: list(PORTAL),
    }),
    defineRoute({
      method: 'GET',
      url: `${PORTAL}/submissions/:id`,
      summary:
        "The partner portal: one of my agency's submissions and its status (as the partner API's GET has it); another agency's is not found",
      tags: ['partner'],
      access: { permission: 'submission:read' },
      params: ZIdParams,
      response: ZSubmissionStatus,
      errors: [404],
      handler: read(PORTAL),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/webhook-deliveries',
      summary: "Every agency's webhook deliveries (admins); status=dead is the dead-letter list",
      tags: ['admin'],
      access: { permission: 'webhook:manage' },
      query: ZAdminWebhookDeliveryQuery,
      response: ZAdminWebhookDeliveryList,
      handler: async ({ query }) => ({
        deliveries: (await listDeliveries(ctx.db, null, query.status, query.limit)).map((d) => ({
          ...presentDelivery(d),
          // The listing holds partner agencies' deliveries only (hand-offs' are followed on the hand-off).
          agencyOri: d.agency_ori ?? '',
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
      body: ZEmptyBody,
      response: ZOk,
      errors: [404],
      handler: async ({ params, request }) => {
        await redeliver(ctx.db, actorContext(ctx, request), params.id, null);
        return { ok: true as const };
      },
    }),
  ];
}
