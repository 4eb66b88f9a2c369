import { z } from 'zod';
import { ZLocationObservation, ZPurposeCode } from './persons.js';

/** Intake, cases, referrals and attachments: the shapes on the wire. Domain rules (dates, identifiers, addresses) are checked by the services. */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const optionalText = (max: number) => z.string().trim().max(max).optional();
const name = text(100);
const country = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}$/, 'must be a 2-letter country code (ISO 3166)')
  .transform((v) => v.toUpperCase());

export const ZIdParams = z.strictObject({ id: z.uuid('must be an id') });
export const ZCaseReadQuery = z.strictObject({
  purposeCode: ZPurposeCode,
  purpose: z.string().trim().max(500).optional().describe('purpose of use in words: required for UAC cases; kept in the audit log'),
});

export const ZPersonInput = z.strictObject({
  givenNames: name,
  familyName1: name,
  familyName2: optionalText(100),
  aliases: z
    .array(z.strictObject({ givenNames: name, familyName1: name, familyName2: optionalText(100) }))
    .max(20)
    .default([]),
  dob: z
    .string()
    .trim()
    .optional()
    .describe(
      "YYYY-MM-DD, a day on the center's calendar (CENTER_TIME_ZONE); with dobBasis estimated, a best guess (e.g. from a stated age). Kept as an assertion beside any other date of birth given for the person: a claimed or estimated one under 18 makes them a possible minor",
    ),
  dobBasis: z.enum(['exact', 'estimated', 'claimed', 'unknown']).default('unknown'),
  sex: z.enum(['female', 'male', 'unknown']).default('unknown'),
  nationalities: z.array(country).max(5).default([]),
  languages: z.array(text(40)).max(10).default([]),
  phones: z.array(text(30)).max(10).default([]),
  identifiers: z
    .strictObject({
      aNumber: optionalText(20).describe('A followed by 8 or 9 digits; stored as 9 digits'),
      fbiNumber: optionalText(20),
      stateId: z.strictObject({ value: text(30), state: z.string().regex(/^[A-Za-z]{2}$/, 'must be a state code') }).optional(),
      orrCaseNumber: optionalText(20),
      passport: z.strictObject({ value: text(30), country }).optional(),
    })
    .default({}),
});

export const ZAddressInput = z.strictObject({
  line1: optionalText(200),
  city: optionalText(100),
  county: optionalText(100),
  state: optionalText(40),
  zip: optionalText(10),
});

const subjectRole = z.enum(['subject', 'child', 'sponsor', 'guardian', 'associate']);

export const ZIntakeBody = z
  .strictObject({
    source: z.enum(['public', 'anonymous', 'partner_officer', 'federal_officer', 'web']),
    reporter: z
      .strictObject({
        name: optionalText(200),
        phone: optionalText(30),
        email: z.email().max(200).optional(),
        agencyOri: z
          .string()
          .regex(/^[A-Z]{2}[A-Z0-9]{7}$/, 'must be a 9-character ORI')
          .optional(),
        badge: optionalText(40),
      })
      .default({}),
    narrative: text(20_000),
    language: text(40).default('en'),
    grading: z.strictObject({
      sourceReliability: z.enum(['A', 'B', 'C', 'D', 'E', 'F']).describe('A reliable … E unreliable, F cannot be judged'),
      informationCredibility: z.number().int().min(1).max(6).describe('1 confirmed … 5 improbable, 6 cannot be judged'),
    }),
    callId: optionalText(100),
    receivedAt: z.iso.datetime({ offset: true }).optional().describe('when the information came in; defaults to now'),
    subjects: z
      .array(
        z.union([
          z.strictObject({ personId: z.uuid('must be a person id'), role: subjectRole.default('subject') }),
          z.strictObject({ person: ZPersonInput, role: subjectRole.default('subject') }),
        ]),
      )
      .max(20)
      .default([]),
    locations: z
      .array(
        z.strictObject({
          subject: z.number().int().min(0).describe('index into subjects: whose location this is'),
          address: ZAddressInput,
          observedAt: z.iso.datetime({ offset: true }).optional().describe('when the person was there; defaults to receivedAt'),
          confidence: z.enum(['low', 'medium', 'high']).default('medium'),
        }),
      )
      .max(50)
      .default([]),
    case: z.union([
      z.strictObject({ caseId: z.uuid('must be a case id') }),
      z.strictObject({
        open: z.strictObject({
          type: z.enum(['enforcement_lead', 'uac_location', 'uac_welfare', 'partner_referral', 'hit_confirmation', 'general_tip']),
          priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
          summary: text(500),
        }),
      }),
    ]),
  })
  .superRefine((body, ctx) => {
    body.locations.forEach((l, i) => {
      if (l.subject >= body.subjects.length)
        ctx.addIssue({ code: 'custom', path: ['locations', i, 'subject'], message: `there is no subject ${l.subject}` });
    });
    if (body.source === 'anonymous' && (body.reporter.name || body.reporter.phone || body.reporter.email))
      ctx.addIssue({ code: 'custom', path: ['reporter'], message: 'an anonymous report keeps no reporter identity' });
    if (body.source === 'partner_officer' && !body.reporter.agencyOri)
      ctx.addIssue({ code: 'custom', path: ['reporter', 'agencyOri'], message: "a partner officer's report names the agency" });
  });
export type IntakeBody = z.output<typeof ZIntakeBody>;

export const ZMatchCandidate = z.object({
  personId: z.string(),
  verdict: z.string(),
  weight: z.number(),
  evidence: z.array(z.string()),
});

export const ZIntakeResult = z.object({
  report: z.object({
    id: z.string(),
    reference: z.string(),
    callbackCode: z.string().optional().describe('anonymous reports only: shown once, for the caller to quote when calling back'),
  }),
  case: z.object({ id: z.string(), caseNumber: z.string(), opened: z.boolean() }),
  subjects: z.array(
    z.object({
      personId: z.string(),
      created: z.boolean(),
      linkedBy: z.enum(['person_id', 'a_number', 'new']),
      candidates: z.array(ZMatchCandidate).describe('possible duplicates of a newly created person, for review'),
    }),
  ),
  locations: z.array(
    z.object({ id: z.string(), precision: z.string(), aorOfficeCode: z.string().nullable(), warnings: z.array(z.string()) }),
  ),
});

export const ZCaseSearchQuery = z.strictObject({
  q: z.string().trim().max(120).optional().describe('case number, words of the summary, or a subject name (fuzzy)'),
  status: z.enum(['new', 'triage', 'active', 'referred', 'closed']).optional(),
  type: z.enum(['enforcement_lead', 'uac_location', 'uac_welfare', 'partner_referral', 'hit_confirmation', 'general_tip']).optional(),
  aor: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a field office code')
    .optional(),
  phone: z.string().trim().max(30).optional().describe("a subject's phone, or a reporter's (reporter:identity only)"),
  address: z.string().trim().max(200).optional().describe('street, city or ZIP of a location on the case'),
  assignedToMe: z.enum(['true', 'false']).optional(),
  sort: z.enum(['updated', 'created', 'priority']).default('updated'),
  page: z.coerce.number().int().min(1).max(1000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});

export const ZCaseSummary = z.object({
  id: z.string(),
  caseNumber: z.string(),
  type: z.string(),
  status: z.string(),
  statusReason: z.string().nullable(),
  priority: z.string(),
  unit: z.string(),
  aorOfficeCode: z.string().nullable(),
  summary: z.string(),
  assigneeId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number(),
});
export const ZCasePage = z.object({ cases: z.array(ZCaseSummary), page: z.number(), pageSize: z.number(), total: z.number() });

export const ZReporter = z.object({
  name: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  agencyOri: z.string().nullable(),
  badge: z.string().nullable(),
});
export const ZReportView = z.object({
  id: z.string(),
  reference: z.string(),
  source: z.string(),
  grading: z.object({ sourceReliability: z.string(), informationCredibility: z.number() }),
  narrative: z.string(),
  language: z.string(),
  receivedAt: z.string(),
  callId: z.string().nullable(),
  reporter: ZReporter.optional().describe('present only for viewers with reporter:identity'),
});

export const ZCaseLocation = ZLocationObservation;

export const ZCaseView = ZCaseSummary.extend({
  subjects: z.array(
    z.object({
      personId: z.string(),
      role: z.string(),
      givenNames: z.string(),
      familyName1: z.string(),
      familyName2: z.string().nullable(),
      dob: z.string().nullable(),
      isMinor: z.union([z.boolean(), z.literal('unknown')]),
    }),
  ),
  reports: z.array(ZReportView),
  locations: z.array(ZCaseLocation),
  referrals: z.array(
    z.object({ id: z.string(), reference: z.string(), status: z.string(), fieldOfficeCode: z.string(), purpose: z.string() }),
  ),
  attachments: z.array(
    z.object({
      id: z.string(),
      filename: z.string(),
      mediaType: z.string(),
      sizeBytes: z.number(),
      sha256: z.string(),
      scanStatus: z.string(),
    }),
  ),
  timeline: z.array(
    z.object({ at: z.string(), kind: z.string(), actorId: z.string().nullable(), details: z.record(z.string(), z.unknown()) }),
  ),
  recordings: z
    .array(
      z.object({
        callId: z.string(),
        line: z.string(),
        direction: z.enum(['inbound', 'outbound']),
        durationMs: z.number().int(),
        recordedAt: z.string(),
      }),
    )
    .describe('recordings of the calls the reports were taken on: GET /api/v1/calls/{callId}/recording plays one (recording:play)'),
  voicemails: z
    .array(z.object({ id: z.string(), line: z.string(), language: z.string(), durationMs: z.number().int(), leftAt: z.string() }))
    .describe('voicemails worked into the case: GET /api/v1/voicemails/{id}/audio plays one (voicemail:play)'),
});

export const ZCasePatch = z.strictObject({
  version: z.number().int().min(1).describe('the version you read; a stale version gets 409'),
  status: z.enum(['new', 'triage', 'active', 'closed']).optional(),
  reason: optionalText(500).describe('needed to close (one of the close reasons) or to reopen'),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
  assigneeId: z.uuid().nullable().optional(),
  aorOfficeCode: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a field office code')
    .optional(),
  aorReason: optionalText(500).describe('needed when setting the area of responsibility by hand'),
});

export const ZCaseNote = z.strictObject({ note: text(5000) });
export const ZFollowUp = z.strictObject({
  note: text(1000),
  priority: z
    .number()
    .int()
    .min(0)
    .max(100) // domain/routing/work-priority.ts manualMax
    .default(0)
    .describe('0–100: routine work; welfare work from a positive screening and a child in danger always come first'),
});
export const ZFollowUpResult = z.object({ taskId: z.string() });
export const ZVerifyLocation = z.strictObject({ note: text(1000) });
export const ZLocationVerified = z.object({ verified: z.literal(true) });
export type LocationVerified = z.infer<typeof ZLocationVerified>;

/** POST /api/v1/cases/:id/legal-hold: why the case is kept from retention purges. */
export const ZLegalHoldBody = z.strictObject({ reason: z.string().trim().min(10, 'say why, in at least 10 characters').max(1000) });
export type LegalHoldBody = z.infer<typeof ZLegalHoldBody>;

export const ZReferralCreate = z.strictObject({
  purpose: z.enum(['enforcement', 'location_information', 'welfare']),
  fieldOfficeCode: z.string().trim().optional().describe('override the office of the area of responsibility (needs overrideReason)'),
  overrideReason: optionalText(500),
  notes: optionalText(5000),
});
export const ZReferralReview = z.strictObject({ decision: z.enum(['approve', 'deny']), justification: text(5000) });
export const ZReferralOutcome = z.strictObject({ outcome: z.enum(['located', 'not_located', 'other']), notes: text(5000) });
export const ZReferralReason = z.strictObject({ reason: text(1000) });
/**
 * GET /api/v1/referrals/:id/packet: the referral packet as JSON (case summary, persons, locations with provenance
 * and grading; reporter identity stripped). Its shape is ReferralPacket (services/referral-packet.service.ts);
 * documented here as an object.
 */
export const ZReferralPacketJson = z.record(z.string(), z.unknown());
export type ReferralPacketJson = z.infer<typeof ZReferralPacketJson>;

export const ZReferralListQuery = z.strictObject({
  status: z.enum(['draft', 'pending_review', 'denied', 'sent', 'acknowledged', 'outcome_reported', 'closed', 'withdrawn']).optional(),
  office: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a field office code')
    .optional(),
  page: z.coerce.number().int().min(1).max(1000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});

export const ZGate = z.object({
  decision: z.enum(['send', 'hold_for_review', 'block']),
  rulesVersion: z.number(),
  evaluatedAt: z.string(),
  reasons: z.array(
    z.object({
      rule: z.string(),
      effect: z.enum(['block', 'hold']),
      message: z.string(),
      personId: z.string().optional(),
      reportIds: z.array(z.string()).optional(),
      missing: z.string().optional(),
      protectionId: z.string().optional(),
      ruleId: z.string().optional(),
    }),
  ),
});

export const ZReferral = z.object({
  id: z.string(),
  reference: z.string(),
  caseId: z.string(),
  caseNumber: z.string(),
  purpose: z.string(),
  fieldOfficeCode: z.string(),
  officeBasis: z.string(),
  officeOverrideReason: z.string().nullable(),
  status: z.string(),
  notes: z.string().nullable(),
  gate: ZGate.nullable(),
  outcome: z.string().nullable(),
  outcomeNotes: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  sentAt: z.string().nullable(),
  version: z.number(),
  timeline: z
    .array(
      z.object({
        at: z.string(),
        kind: z.string(),
        actorId: z.string().nullable(),
        from: z.string().nullable(),
        to: z.string().nullable(),
        details: z.record(z.string(), z.unknown()),
      }),
    )
    .optional(),
});
export const ZReferralPage = z.object({ referrals: z.array(ZReferral), page: z.number(), pageSize: z.number(), total: z.number() });

export const ZAttachmentQuery = z.strictObject({
  filename: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^/\\\0]+$/, 'must be a file name without folders'),
  reportId: z.uuid().optional(),
});
export const ZAttachment = z.object({
  id: z.string(),
  filename: z.string(),
  mediaType: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  scanStatus: z.string(),
});

export const ZMergeBody = z.strictObject({
  mergeId: z.uuid('must be a person id').describe('the record to merge into this one; it is kept whole and can be unmerged'),
  reason: text(1000),
});
export const ZUnmergeBody = z.strictObject({ reason: text(1000) });
export const ZMergeResult = z.object({ mergeId: z.string(), survivorId: z.string(), mergedId: z.string(), undone: z.boolean() });
