import { z } from 'zod';

/** The agent desktop's own endpoints (desktop.routes.ts): intake drafts and a caller's contact history. */

/** The key of an intake draft: the task id it belongs to. */
export const ZDraftParams = z.strictObject({
  key: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits and _ . : - (the task id)'),
});
export type DraftParams = z.infer<typeof ZDraftParams>;

/** PUT /api/v1/intake/drafts/:key: the draft as typed so far, with the version last seen (null for a new draft). */
export const ZDraftBody = z.strictObject({
  form: z.string().max(40),
  data: z.record(z.string(), z.unknown()),
  version: z.number().int().min(1).nullable(),
});
export type DraftBody = z.infer<typeof ZDraftBody>;

/** An intake form saved while it is filled in, so a dropped call or a closed tab loses nothing. */
export const ZDraft = z.object({
  key: z.string(),
  form: z.string(),
  data: z.record(z.string(), z.unknown()),
  version: z.number(),
  updatedAt: z.string(),
});

/** GET /api/v1/contacts/history: the earlier contacts from a number (reporter:identity only). */
export const ZContactHistory = z.object({
  number: z.string(),
  total: z.number(),
  contacts: z.array(
    z.object({
      at: z.string(),
      disposition: z.string(),
      queueId: z.string(),
      case: z.object({ id: z.string(), caseNumber: z.string() }).nullable(),
    }),
  ),
});

/** POST /api/v1/routing/tasks/:id/disposition: how the contact ended, with notes and what it led to. */
export const ZDispositionBody = z.strictObject({
  disposition: z.string().max(40),
  notes: z.string().trim().max(5000).optional(),
  caseId: z.uuid().optional(),
  reportId: z.uuid().optional(),
  callbackAt: z.iso
    .datetime({ offset: true, error: 'must be a date and time with its offset, e.g. 2026-12-07T10:30:00-06:00' })
    .optional()
    .describe('callback_scheduled: when to call back (inside calling hours, within 30 days); the ACD releases the callback then'),
  callbackTimeZone: z
    .string()
    .max(64)
    .optional()
    .describe(
      "callback_scheduled: the caller's time zone when they said it (IANA, e.g. America/New_York); calling hours and retries follow it",
    ),
});
export const ZDispositionResult = z.object({ ok: z.literal(true), callbackId: z.uuid().optional() });
export type DispositionBody = z.infer<typeof ZDispositionBody>;

/** GET /api/v1/contacts/history: the caller's number. */
export const ZContactHistoryQuery = z.strictObject({ number: z.string().trim().min(3).max(30) });
export type ContactHistoryQuery = z.infer<typeof ZContactHistoryQuery>;
