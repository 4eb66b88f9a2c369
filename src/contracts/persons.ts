import { z } from 'zod';
import { PURPOSE_CODES } from './vocabulary.js';

export const ZPersonParams = z.strictObject({ id: z.uuid('must be a person id') });
export const ZPurposeCode = z
  .enum(PURPOSE_CODES)
  .optional()
  .describe("why you read a child's record: required with purpose for minors, persons of unknown age and UAC cases");
export const ZPersonQuery = z.strictObject({
  purposeCode: ZPurposeCode,
  purpose: z
    .string()
    .trim()
    .max(500)
    .optional()
    .describe("purpose of use: required to read a child's record (or one of unknown age); kept in the audit log"),
});

export const ZLocationObservation = z.object({
  id: z.string(),
  personId: z.string().describe('the record it was observed for (a merged record shows under its survivor)'),
  line1: z.string().nullable(),
  city: z.string().nullable(),
  county: z.string().nullable(),
  state: z.string().nullable(),
  zip: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  precision: z.enum(['rooftop', 'zip', 'city', 'county', 'state']),
  aorOfficeCode: z.string().nullable().describe('field office of the area of responsibility of this place'),
  source: z.string(),
  reportId: z.string().nullable().describe('the report this observation came from'),
  confidence: z.string(),
  observedAt: z.string(),
  reportedAt: z.string(),
  verified: z.object({ by: z.string(), at: z.string(), note: z.string().nullable() }).nullable(),
});

const ZName = z.object({ givenNames: z.string(), familyName1: z.string(), familyName2: z.string().nullable() });

export const ZPerson = z.object({
  id: z.string(),
  givenNames: z.string(),
  familyName1: z.string(),
  familyName2: z.string().nullable(),
  dob: z
    .string()
    .nullable()
    .describe("the record's own date of birth (the first given), a day on the center's calendar; see dobAssertions for every other"),
  dobBasis: z.string(),
  isMinor: z
    .union([z.boolean(), z.literal('unknown')])
    .describe(
      "true: a minor or possible minor (any date of birth anyone gave makes them under 18 on the center's calendar, unless a later age determination settles it); 'unknown': no date of birth",
    ),
  ageBecause: z.string().describe('why isMinor is what it is, naming the evidence'),
  dobAssertions: z
    .array(
      z.object({
        dob: z.string().nullable().describe('a day on the center calendar'),
        basis: z.enum(['exact', 'estimated', 'claimed', 'unknown']),
        source: z.string().describe('where it came from: a report, or what the record held'),
        reportId: z.string().nullable(),
        recordedAt: z.string(),
        ageToday: z.number().nullable().describe("whole years on the center's calendar today"),
      }),
    )
    .describe('every date of birth given for this person, on any merged record, oldest first: side by side, none overwritten'),
  ageDeterminations: z.array(
    z.object({
      id: z.string(),
      dob: z.string(),
      basis: z.enum(['documents', 'age_assessment', 'court_finding']),
      evidence: z.string(),
      determinedBy: z.string().nullable(),
      determinedAt: z.string(),
    }),
  ),
  sex: z.string(),
  nationalities: z.array(z.string()),
  languages: z.array(z.string()),
  phones: z.array(z.string()),
  identifiers: z
    .object({
      aNumber: z.string().nullable(),
      others: z.array(z.object({ kind: z.string(), value: z.string(), issuer: z.string().nullable() })),
    })
    .optional()
    .describe('present only for viewers with person:identifiers'),
  mergedInto: z.string().nullable().describe('set while this record is merged into another: read that one'),
  otherNames: z.array(ZName.extend({ kind: z.enum(['alias', 'spelling', 'merged_record']) })),
  merges: z.array(
    z.object({
      id: z.string(),
      survivorId: z.string(),
      mergedId: z.string(),
      reason: z.string(),
      mergedAt: z.string(),
      mergedBy: z.string(),
      undoneAt: z.string().nullable(),
      undoReason: z.string().nullable(),
    }),
  ),
  cases: z
    .array(z.object({ id: z.string(), caseNumber: z.string(), type: z.string(), status: z.string(), role: z.string() }))
    .optional()
    .describe('present only for viewers with case:read; UAC cases only for the UAC unit'),
  locations: z.array(ZLocationObservation),
  interpreterNeeded: z.boolean().describe("speaks a language other than English or Spanish (e.g. K'iche', Mam)"),
  eoirStatus: z.string(),
  unaccompanied: z.boolean(),
  protections: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      source: z.string(),
      reference: z.string(),
      startsOn: z.string().describe("a day on the center's calendar"),
      endsOn: z.string().nullable().describe("the last day in force, on the center's calendar (through that whole day)"),
      nextHearingOn: z.string().nullable(),
      verified: z.boolean(),
      revokedAt: z.string().nullable(),
    }),
  ),
  protectionsInForce: z
    .array(z.object({ kind: z.string(), label: z.string(), reference: z.string() }))
    .describe('what the referral gate would see today, class-wide orders included'),
});

export const ZAgencyParams = z.strictObject({ ori: z.string().regex(/^[A-Z]{2}[A-Z0-9]{7}$/, 'must be a 9-character ORI') });
export const ZAgency = z.object({
  ori: z.string(),
  name: z.string(),
  type: z.string(),
  state: z.string(),
  county: z.string().nullable(),
  agreement: z
    .object({ model: z.string(), status: z.string(), effective: z.string(), end: z.string().nullable() })
    .describe("effective and end are days on the center's calendar; the agreement is in force through its end day"),
});

export const ZPersonSearchQuery = z
  .strictObject({
    purposeCode: ZPurposeCode,
    purpose: z
      .string()
      .trim()
      .max(500)
      .optional()
      .describe('purpose of use: without it, hits that are children (or of unknown age) are listed without name or date of birth'),
    q: z
      .string()
      .trim()
      .min(2, 'must be at least 2 characters')
      .max(120)
      .optional()
      .describe(
        'a name (fuzzy), an A-number in any common writing, or another identifier (FBI number, state ID, ORR case number, passport)',
      ),
    dob: z.iso.date().optional().describe('narrows and ranks by date of birth'),
    phone: z.string().trim().max(30).optional().describe("one of the person's phone numbers"),
    address: z.string().trim().min(3).max(200).optional().describe('street, city or ZIP of a location observation'),
    aor: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be a field office code')
      .optional()
      .describe('has a location in this field office’s area of responsibility'),
    page: z.coerce.number().int().min(1).max(1000).default(1).describe('for searches without q (filters only), sorted by name'),
    limit: z.coerce.number().int().min(1).max(50).default(20),
  })
  .refine((v) => v.q || v.phone || v.address || v.aor, { message: 'search by q, phone, address or aor', path: ['q'] });

export const ZMatchScore = z.object({
  weight: z.number(),
  verdict: z.enum(['likely', 'possible', 'unlikely']),
  evidence: z.array(z.object({ feature: z.string(), weight: z.number(), explanation: z.string() })),
});

export const ZPersonHit = ZPerson.pick({ id: true, isMinor: true }).extend({
  restricted: z
    .boolean()
    .describe(
      'a child (or a person of unknown age) and no purpose of use was stated: names, date of birth and evidence are withheld; search again with purposeCode and purpose, or open the record with them',
    ),
  givenNames: z.string().nullable(),
  familyName1: z.string().nullable(),
  familyName2: z.string().nullable(),
  dob: z.string().nullable().describe('a day on the center calendar (CENTER_TIME_ZONE)'),
  dobBasis: z.string().nullable(),
  identifiers: z.object({ aNumber: z.string().nullable() }).optional().describe('present only for viewers with person:identifiers'),
  match: ZMatchScore,
});
export const ZPersonHits = z.object({ persons: z.array(ZPersonHit) });
export const ZDuplicatesQuery = ZPersonQuery.extend({ limit: z.coerce.number().int().min(1).max(50).default(10) });

export const ZAgeDeterminationBody = z.strictObject({
  dob: z.iso.date().describe('the date of birth found, a day on the center calendar'),
  basis: z.enum(['documents', 'age_assessment', 'court_finding']),
  evidence: z.string().trim().min(20).max(4000).describe('what the finding rests on: the documents seen, the assessment, the court'),
});
export const ZAgeDeterminationResult = z.object({
  isMinor: z.union([z.boolean(), z.literal('unknown')]),
  ageBecause: z.string(),
});
