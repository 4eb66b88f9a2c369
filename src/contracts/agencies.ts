import { z } from 'zod';
import { AGENCY_TYPES, AGREEMENT_MODELS, AGREEMENT_STATUSES } from './vocabulary.js';

/** The agency registry: partner agencies and their 287(g) agreements. */

export const ZAgencyBody = z.strictObject({
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
export type AgencyBody = z.infer<typeof ZAgencyBody>;

/** A change to a registered agency: the same fields, the ORI in the path. */
export const ZAgencyUpdateBody = ZAgencyBody.omit({ ori: true });
export type AgencyUpdateBody = z.infer<typeof ZAgencyUpdateBody>;

export const ZAgencyRecord = z.object({
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
export type AgencyRecord = z.infer<typeof ZAgencyRecord>;

export const ZAgencyListQuery = z.strictObject({
  state: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .optional(),
  status: z.enum(AGREEMENT_STATUSES).optional(),
  q: z.string().trim().max(100).optional().describe('an ORI or words of the name'),
  limit: z.coerce.number().int().min(1).max(2000).default(200),
});
export type AgencyListQuery = z.infer<typeof ZAgencyListQuery>;

export const ZAgencyList = z.object({ agencies: z.array(ZAgencyRecord) });
export type AgencyList = z.infer<typeof ZAgencyList>;

/** The ORI in an agency's path. */
export const ZAgencyOriParams = z.strictObject({ ori: z.string().regex(/^[A-Za-z0-9]{9}$/, 'must be a 9-character ORI') });
export type AgencyOriParams = z.infer<typeof ZAgencyOriParams>;

export const ZAgencySaved = z.object({ ori: z.string() });
export type AgencySaved = z.infer<typeof ZAgencySaved>;

export const ZAgencyImportResult = z.object({
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
});
export type AgencyImportResult = z.infer<typeof ZAgencyImportResult>;
