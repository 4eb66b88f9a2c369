import { z } from 'zod';

/** The agent desktop's own endpoints (desktop.routes.ts): intake drafts and a caller's contact history. */

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
