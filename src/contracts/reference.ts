import { z } from 'zod';

export const ZFieldOffice = z.object({
  code: z.string().describe("ICE's three-letter office code, e.g. NOL"),
  name: z.string(),
  city: z.string(),
  state: z.string(),
  address: z.string().nullable(),
});
export type TFieldOffice = z.infer<typeof ZFieldOffice>;

export const ZFieldOfficeList = z.object({ fieldOffices: z.array(ZFieldOffice) });

export const ZResolveAorQuery = z.strictObject({
  state: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter state or territory code')),
  county: z.string().trim().min(1, 'must not be empty').max(80, 'must be at most 80 characters').optional(),
});
export type TResolveAorQuery = z.infer<typeof ZResolveAorQuery>;

export const ZAorResolution = z.object({
  fieldOffice: ZFieldOffice,
  basis: z.enum(['county', 'state']).describe('county: a county-level assignment matched; state: the office for the state as a whole'),
  confidence: z.enum(['confirmed', 'inferred']),
});

export const ZQueue = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  channel: z.enum(['voice', 'work_item']),
  targetExpression: z.string(),
  ordering: z.enum(['fifo', 'lifo']),
  serviceLevel: z.object({ seconds: z.number().int(), targetPercent: z.number().int() }),
  maxWaitSeconds: z.number().int().nullable(),
});
export type TQueue = z.infer<typeof ZQueue>;

export const ZQueueList = z.object({ queues: z.array(ZQueue) });
