import { z } from 'zod';

/**
 * The partner submission API (/api/partner/v1): one JSON shape per kind of
 * submission, every field named, unknown fields refused. The same model is the
 * target of the XML form (docs/PARTNER-API.md).
 */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const opt = (max: number) => z.string().trim().max(max).optional();

export const ZPartnerPerson = z.strictObject({
  givenNames: text(100),
  familyName1: text(100),
  familyName2: opt(100),
  dob: z.iso.date('must be a date (YYYY-MM-DD)').optional(),
  dobBasis: z.enum(['exact', 'estimated', 'claimed']).optional(),
  sex: z.enum(['female', 'male', 'unknown']).default('unknown'),
  nationalities: z
    .array(z.string().regex(/^[A-Z]{2}$/, 'must be a 2-letter country code'))
    .max(5)
    .default([]),
  languages: z.array(text(40)).max(10).default([]),
  aNumber: opt(20),
  fbiNumber: opt(20),
  stateId: z.strictObject({ value: text(30), state: z.string().regex(/^[A-Z]{2}$/) }).optional(),
});

export const ZPartnerLocation = z.strictObject({ line1: opt(200), city: opt(100), county: opt(100), state: opt(40), zip: opt(10) });

const common = {
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with its offset' }),
  officer: z.strictObject({ name: opt(200), badge: opt(40) }).default({}),
  narrative: text(10_000),
  subject: ZPartnerPerson,
};

export const ZSubmission = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('location_report'), ...common, location: ZPartnerLocation }),
  z.strictObject({
    type: z.literal('encounter'),
    ...common,
    location: ZPartnerLocation.optional(),
    booking: z
      .strictObject({ number: opt(40), facility: opt(200), releaseExpectedAt: z.iso.datetime({ offset: true }).optional() })
      .default({}),
  }),
  z.strictObject({
    type: z.literal('uac_concern'),
    ...common,
    concern: z.enum(['sighting', 'welfare']),
    location: ZPartnerLocation,
  }),
  z.strictObject({ type: z.literal('hit_confirmation_request'), ...common, location: ZPartnerLocation.optional() }),
]);
export type Submission = z.output<typeof ZSubmission>;

export const ZSubmissionAck = z.object({
  id: z.string(),
  status: z.enum(['received', 'processing', 'accepted', 'rejected']),
  statusUrl: z.string(),
  receivedAt: z.string(),
});

export const ZSubmissionStatus = ZSubmissionAck.extend({
  type: z.string(),
  reference: z.string().nullable().describe('the case number, once accepted'),
  reasons: z
    .array(z.object({ path: z.string(), code: z.string(), message: z.string() }))
    .nullable()
    .describe('why it was rejected'),
  processedAt: z.string().nullable(),
});

export const ZWebhookSettings = z.strictObject({ url: z.string().max(500) });
export const ZWebhookDelivery = z.object({
  id: z.string(),
  event: z.string(),
  status: z.string(),
  attempts: z.number(),
  nextAttemptAt: z.string(),
  lastError: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  submissionId: z.string().nullable(),
});
