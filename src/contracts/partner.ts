import { z } from 'zod';
import { PURPOSE_CODES } from './vocabulary.js';

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
  dob: z.iso
    .date('must be a date (YYYY-MM-DD)')
    .optional()
    .describe("a day on the center's calendar (America/Chicago); kept beside any other date of birth the center holds for the person"),
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
  requestId: z.string().nullable(),
});

/** Requests from the center to partner agencies (welfare check, locate, question). */
export const ZRequestKind = z.enum(['welfare_check', 'locate', 'information']);
export const ZRequestOutcome = z.enum(['seen_well', 'welfare_concern', 'located', 'not_located', 'unable', 'other']);

export const ZPartnerRequestCreate = z.strictObject({
  kind: ZRequestKind,
  question: text(2_000).describe('what the agency is asked to do, in plain words; the agency sees it'),
  personId: z.uuid().optional().describe('the subject it is about; required when the case has several'),
  agencyOris: z
    .array(z.string().regex(/^[A-Za-z]{2}[A-Za-z0-9]{7}$/, 'must be a 9-character ORI'))
    .max(10)
    .optional()
    .describe("defaults to the agencies whose county covers the subject's last known location"),
  chosenReason: opt(500).describe('required when an agency outside that jurisdiction is named'),
  dueInHours: z.number().int().min(1).max(168).optional().describe('default: welfare check 4, locate 48, information 72'),
  purposeCode: z.enum(PURPOSE_CODES).optional(),
  purpose: opt(500).describe('why this disclosure is needed (at least 10 characters); audited'),
});

/** A subject's last known address as a request shows it (the candidates to ask, and what the agency is told). */
export const ZRequestAddress = z.object({
  line1: z.string().nullable(),
  city: z.string().nullable(),
  county: z.string().nullable(),
  state: z.string().nullable(),
  zip: z.string().nullable(),
});

export const ZDisclosed = z.object({
  kind: ZRequestKind,
  question: z.string(),
  subject: z.object({
    name: z.string(),
    sex: z.string(),
    age: z.number().nullable(),
    ageBasis: z.string(),
    languages: z.array(z.string()),
  }),
  location: ZRequestAddress.extend({ observedAt: z.string() }).nullable(),
  contact: z.string(),
  useCondition: z
    .string()
    .optional()
    .describe('every welfare check: "Welfare only: not for immigration enforcement" — what the agency may use the request for'),
  urgent: z.boolean().optional().describe('sent at once about a child in danger; the center reviews it within 24 hours'),
  purpose: z.object({ code: z.string(), text: z.string() }).optional().describe('urgent requests: why the center asks, as it stated it'),
});

/** What a partner agency sees of a request: the disclosed snapshot, its status and deadline, its own answer. */
export const ZAgencyRequest = z.object({
  id: z.string(),
  reference: z.string(),
  agencyOri: z.string(),
  status: z.string(),
  dueAt: z.string(),
  overdue: z.boolean(),
  sentAt: z.string().nullable(),
  request: ZDisclosed,
  answer: z.object({ outcome: z.string(), notes: z.string().nullable(), answeredAt: z.string().nullable() }).nullable(),
});

export const ZPartnerAnswer = z.strictObject({
  outcome: ZRequestOutcome.describe(
    'seen_well: seen, no concern; welfare_concern: seen, with a concern; located / not_located; unable: could not act; other',
  ),
  notes: text(5_000),
  officer: z.strictObject({ name: opt(200), badge: opt(40) }).optional(),
  location: ZPartnerLocation.optional().describe('where the person was found, if anywhere: becomes a location observation'),
  observedAt: z.iso.datetime({ offset: true }).optional(),
});

/** Center staff's view of a request: the agency's view plus the gate, the purpose and the timeline. */
export const ZStaffRequest = ZAgencyRequest.extend({
  caseId: z.string(),
  personId: z.string(),
  kind: ZRequestKind,
  agencyBasis: z.string(),
  chosenReason: z.string().nullable(),
  purpose: z.string(),
  gate: z.unknown(),
  createdAt: z.string(),
  escalatedAt: z.string().nullable(),
  answerReportId: z.string().nullable(),
  answerLocationId: z.string().nullable(),
  postReview: z
    .object({
      dueAt: z.string(),
      escalatedAt: z.string().nullable(),
      finding: z.enum(['proper', 'improper']).nullable(),
      justification: z.string().nullable(),
      reviewedBy: z.string().nullable(),
      reviewedAt: z.string().nullable(),
    })
    .nullable()
    .describe('the urgent lane: the legal review afterwards, due within 24 hours of sending'),
  timeline: z
    .array(z.object({ at: z.string(), kind: z.string(), from: z.string().nullable(), to: z.string().nullable(), details: z.unknown() }))
    .optional(),
});

export const ZPostReviewBody = z.strictObject({
  finding: z.enum(['proper', 'improper']).describe('whether sending at once was proper; improper withdraws an unanswered request'),
  justification: z.string().trim().min(20).max(2_000),
});

/** An API client asked for by a partner officer, and its decision (client-request.routes.ts). */
export const ZClientRequest = z.object({
  id: z.string(),
  agencyOri: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  justification: z.string(),
  status: z.enum(['pending', 'approved', 'refused']),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  decisionNote: z.string().nullable(),
  clientId: z.string().nullable(),
  secretWaiting: z.boolean().describe('approved, and the secret not yet collected'),
});

/** CSV batches of submissions (submission.routes.ts). */
export const ZBatchAck = z.object({ id: z.string(), status: z.string(), rows: z.number(), statusUrl: z.string(), receivedAt: z.string() });
export const ZBatchProgress = z.object({
  id: z.string(),
  filename: z.string().nullable(),
  status: z.enum(['received', 'splitting', 'split', 'failed']),
  receivedAt: z.string(),
  totalRows: z.number().nullable(),
  refusedRows: z.number().describe('rows refused at validation; they never became submissions'),
  submissions: z.object({ received: z.number(), processing: z.number(), accepted: z.number(), rejected: z.number() }),
  done: z.boolean(),
});
export const ZBatchRow = z.object({
  row: z.number().describe('the row number in the file; the header is row 1'),
  result: z.enum(['refused', 'received', 'processing', 'accepted', 'rejected']),
  submissionId: z.string().nullable(),
  reference: z.string().nullable(),
  issues: z.array(z.object({ column: z.string(), code: z.string(), message: z.string() })),
});

/** GET /api/v1/cases/:id/partner-request-candidates: who a request would go to by default, and the address it names. */
export const ZPartnerRequestCandidates = z.object({
  personId: z.string(),
  location: ZRequestAddress.nullable(),
  agencies: z.array(z.object({ ori: z.string(), name: z.string(), type: z.string(), county: z.string().nullable() })),
});

/** POST /api/v1/cases/:id/partner-requests: the requests made (one per agency) and the gate's decision. */
export const ZPartnerRequestsMade = z.object({ requests: z.array(ZStaffRequest), decision: z.string() });
