import { z } from 'zod';
import { ZBatchProgress, ZBatchRow, ZSubmissionStatus, ZWebhookDelivery } from './partner.js';

/**
 * The inputs and list answers of the partner submission API (/api/partner/v1) and the portal (/api/v1/portal)
 * (submission.routes.ts). The submission, batch and webhook shapes themselves are in partner.ts.
 */

/** The Idempotency-Key header of a CSV upload. */
export const ZIdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{8,100}$/, 'Idempotency-Key: 8–100 letters, digits and _ . : -')
  .optional();
export type IdempotencyKey = z.infer<typeof ZIdempotencyKey>;

/** GET .../submissions: filter by status. */
export const ZSubmissionListQuery = z.strictObject({
  status: z.enum(['received', 'processing', 'accepted', 'rejected']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type SubmissionListQuery = z.infer<typeof ZSubmissionListQuery>;

export const ZSubmissionList = z.object({ submissions: z.array(ZSubmissionStatus) });
export type SubmissionList = z.infer<typeof ZSubmissionList>;

/** POST .../batches: the uploaded file's name, if the caller gives it. */
export const ZBatchUploadQuery = z.strictObject({ filename: z.string().max(200).optional() });
export type BatchUploadQuery = z.infer<typeof ZBatchUploadQuery>;

/** GET .../batches. */
export const ZBatchListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });
export type BatchListQuery = z.infer<typeof ZBatchListQuery>;

export const ZBatchList = z.object({ batches: z.array(ZBatchProgress) });
export type BatchList = z.infer<typeof ZBatchList>;

/** GET .../batches/:id/rows. */
export const ZBatchRows = z.object({ rows: z.array(ZBatchRow) });
export type BatchRows = z.infer<typeof ZBatchRows>;

/** PUT /api/partner/v1/webhook: where deliveries go, and the signing secret (shown only now). */
export const ZWebhookSaved = z.object({ url: z.string(), secret: z.string().describe('HMAC-SHA256 signing secret: shown only now') });
export type WebhookSaved = z.infer<typeof ZWebhookSaved>;

/** GET /api/partner/v1/webhook/deliveries: the agency's own; status=dead is the dead-letter list. */
export const ZWebhookDeliveryQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type WebhookDeliveryQuery = z.infer<typeof ZWebhookDeliveryQuery>;

export const ZWebhookDeliveryList = z.object({ deliveries: z.array(ZWebhookDelivery) });
export type WebhookDeliveryList = z.infer<typeof ZWebhookDeliveryList>;

/** GET /api/v1/admin/webhook-deliveries: every agency's (admins), with a larger limit. */
export const ZAdminWebhookDeliveryQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AdminWebhookDeliveryQuery = z.infer<typeof ZAdminWebhookDeliveryQuery>;

export const ZAdminWebhookDeliveryList = z.object({ deliveries: z.array(ZWebhookDelivery.extend({ agencyOri: z.string() })) });
export type AdminWebhookDeliveryList = z.infer<typeof ZAdminWebhookDeliveryList>;
