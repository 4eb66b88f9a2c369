import { z } from 'zod';

export const ZPersonParams = z.strictObject({ id: z.uuid('must be a person id') });
export const ZPersonQuery = z.strictObject({
  purpose: z
    .string()
    .trim()
    .max(500)
    .optional()
    .describe("purpose of use: required to read a child's record (or one of unknown age); kept in the audit log"),
});

export const ZLocationObservation = z.object({
  id: z.string(),
  line1: z.string().nullable(),
  city: z.string().nullable(),
  county: z.string().nullable(),
  state: z.string().nullable(),
  zip: z.string().nullable(),
  precision: z.string(),
  source: z.string(),
  confidence: z.string(),
  observedAt: z.string(),
  reportedAt: z.string(),
});

export const ZPerson = z.object({
  id: z.string(),
  givenNames: z.string(),
  familyName1: z.string(),
  familyName2: z.string().nullable(),
  dob: z.string().nullable(),
  dobBasis: z.string(),
  isMinor: z.union([z.boolean(), z.literal('unknown')]),
  sex: z.string(),
  nationality: z.string().nullable(),
  identifiers: z.object({ aNumber: z.string().nullable() }).optional().describe('present only for viewers with person:identifiers'),
  locations: z.array(ZLocationObservation),
});

export const ZAgencyParams = z.strictObject({ ori: z.string().regex(/^[A-Z]{2}[A-Z0-9]{7}$/, 'must be a 9-character ORI') });
export const ZAgency = z.object({
  ori: z.string(),
  name: z.string(),
  type: z.string(),
  state: z.string(),
  county: z.string().nullable(),
  agreement: z.object({ model: z.string(), status: z.string(), effective: z.string(), end: z.string().nullable() }),
});

export const ZPersonSearchQuery = z.strictObject({
  q: z.string().trim().min(2, 'must be at least 2 characters').max(120),
  dob: z.iso.date().optional().describe('narrows and ranks by date of birth'),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const ZMatchScore = z.object({
  weight: z.number(),
  verdict: z.enum(['likely', 'possible', 'unlikely']),
  evidence: z.array(z.object({ feature: z.string(), weight: z.number(), explanation: z.string() })),
});

export const ZPersonHit = ZPerson.pick({
  id: true,
  givenNames: true,
  familyName1: true,
  familyName2: true,
  dob: true,
  dobBasis: true,
  isMinor: true,
  identifiers: true,
}).extend({ match: ZMatchScore });
export const ZPersonHits = z.object({ persons: z.array(ZPersonHit) });
export const ZDuplicatesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(50).default(10) });
