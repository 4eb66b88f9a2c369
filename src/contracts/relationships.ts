import { z } from 'zod';

/**
 * A child's relationships, suggested links, households, sponsor-disclosure approvals and consent (issue #22 items
 * 1–2), as relationship.routes.ts and consent routes answer them; shared with the web app.
 */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
/** A day on the center's calendar (CENTER_TIME_ZONE). */
const day = z.iso.date().describe("YYYY-MM-DD, a day on the center's calendar (CENTER_TIME_ZONE)");

export const RELATIONSHIP_TYPE_VALUES = ['sponsor', 'parent', 'sibling', 'caregiver', 'relative', 'other_adult'] as const;
export const ZRelationshipType = z.enum(RELATIONSHIP_TYPE_VALUES);
export const ZRelationshipSource = z.enum(['report', 'orr', 'partner', 'case_worker']);

export const ZRelationshipBody = z
  .strictObject({
    childPersonId: z.uuid('must be a person id'),
    personId: z.uuid('must be a person id'),
    type: ZRelationshipType,
    since: day.optional(),
    until: day.optional().describe('the last day of the relationship, if it has ended'),
    source: ZRelationshipSource.describe('where the link comes from: a report on the case (reportId), ORR, a partner, a case worker'),
    reportId: z.uuid().optional(),
    sourceNote: text(500).optional(),
    verified: z.boolean().default(false).describe('checked against its source by the person recording it'),
  })
  .refine((b) => !b.until || !b.since || b.until >= b.since, { message: 'must be on or after since', path: ['until'] });

export const ZRelationshipPatch = z
  .strictObject({
    verification: z.enum(['verified', 'disputed', 'unverified']).optional(),
    until: day.optional(),
  })
  .refine((b) => b.verification !== undefined || b.until !== undefined, { message: 'change verification or until', path: [] });

export const ZRelationshipParams = z.strictObject({ id: z.uuid('must be an id'), relationshipId: z.uuid('must be an id') });
export const ZSuggestionParams = z.strictObject({ id: z.uuid('must be an id'), suggestionId: z.uuid('must be an id') });

export const ZSuggestionDecision = z.strictObject({
  decision: z.enum(['confirm', 'reject']),
  type: ZRelationshipType.optional().describe('what the person is to the child (required to confirm, but for named_as_sponsor)'),
  note: text(500).optional(),
});

export const ZRelationship = z.object({
  id: z.string(),
  childPersonId: z.string(),
  personId: z.string(),
  name: z.string(),
  type: ZRelationshipType,
  since: z.string().nullable(),
  until: z.string().nullable(),
  source: z.string(),
  reportId: z.string().nullable(),
  sourceNote: z.string().nullable(),
  verification: z.enum(['unverified', 'verified', 'disputed']),
  verifiedAt: z.string().nullable(),
  createdAt: z.string(),
  protectedSponsor: z
    .boolean()
    .describe('a sponsor: kept out of every referral and partner request unless a legal reviewer approves naming them'),
});

export const ZRelationshipSuggestion = z.object({
  id: z.string(),
  childPersonId: z.string(),
  personId: z.string(),
  name: z.string(),
  reason: z.enum(['same_address', 'same_phone', 'named_as_sponsor']),
  evidence: z.record(z.string(), z.unknown()),
  status: z.enum(['pending', 'confirmed', 'rejected']),
  decidedAt: z.string().nullable(),
  relationshipId: z.string().nullable(),
});

export const ZFamily = z.object({
  children: z.array(z.object({ personId: z.string(), name: z.string() })),
  relationships: z.array(ZRelationship),
  suggestions: z.array(ZRelationshipSuggestion),
  households: z.array(
    z.object({
      address: z.string(),
      members: z.array(
        z.object({
          personId: z.string(),
          name: z.string(),
          firstObservedAt: z.string(),
          lastObservedAt: z.string(),
          observations: z.number().int(),
        }),
      ),
    }),
  ),
});
export type TFamily = z.infer<typeof ZFamily>;
export type TRelationship = z.infer<typeof ZRelationship>;
export type TRelationshipBody = z.input<typeof ZRelationshipBody>;

export const ZSponsorApprovalBody = z.strictObject({
  personId: z.uuid('must be a person id').describe('the sponsor this referral or request may name'),
  justification: text(4000).describe('why naming this sponsor is lawful and needed, in writing (at least 20 characters)'),
});
export const ZSponsorApproval = z.object({
  id: z.string(),
  sponsorPersonId: z.string(),
  referralId: z.string().nullable(),
  partnerRequestId: z.string().nullable(),
  approvedAt: z.string(),
});

export const CONSENT_SCOPE_VALUES = ['services', 'other_orgs'] as const;
export const RECIPIENT_KIND_VALUES = [
  'service_provider',
  'legal_aid',
  'shelter',
  'medical',
  'orr',
  'cps',
  'ncmec',
  'organisation',
  'partner_agency',
  'field_office',
] as const;

export const ZConsentBody = z.strictObject({
  personId: z.uuid('must be a person id').describe('the child (a subject of the case)'),
  scope: z.enum(CONSENT_SCOPE_VALUES).describe('services: service providers; other_orgs: other organisations and agencies'),
  recipientKind: z.enum(RECIPIENT_KIND_VALUES).optional().describe('only this kind of recipient; every one of the scope if absent'),
  recipientName: text(200).optional().describe('only this organisation (its name, or an agency ORI)'),
  decision: z.enum(['granted', 'refused']),
  givenBy: z.enum(['child', 'guardian']),
  guardianName: text(200).optional(),
  givenOn: day,
  basis: text(1000).describe('how it was given and recorded, e.g. "explained in Spanish; child agreed orally; form signed"'),
});
export type TConsentBody = z.input<typeof ZConsentBody>;

export const ZConsentParams = z.strictObject({ id: z.uuid('must be an id'), consentId: z.uuid('must be an id') });
export const ZConsentWithdrawal = z.strictObject({
  reason: text(1000),
  withdrawnOn: day.optional().describe('from which day (today if absent; never an earlier day)'),
});

export const ZConsent = z.object({
  id: z.string(),
  personId: z.string(),
  scope: z.enum(CONSENT_SCOPE_VALUES),
  recipientKind: z.string().nullable(),
  recipientName: z.string().nullable(),
  decision: z.enum(['granted', 'refused']),
  givenBy: z.enum(['child', 'guardian']),
  guardianName: z.string().nullable(),
  givenOn: z.string(),
  basis: z.string(),
  recordedAt: z.string(),
  withdrawnOn: z.string().nullable(),
  withdrawalReason: z.string().nullable(),
  inForce: z.boolean().describe("given on or before today and not withdrawn as of today (the center's calendar)"),
});
export const ZConsentList = z.object({ consents: z.array(ZConsent) });
export type TConsent = z.infer<typeof ZConsent>;

export const ZDisclosureCheckQuery = z.strictObject({
  personId: z.uuid('must be a person id'),
  recipientKind: z.enum(RECIPIENT_KIND_VALUES),
  recipientName: text(200).optional(),
});
export const ZDisclosureCheck = z.object({
  allowed: z.boolean(),
  basis: z.string().nullable(),
  code: z.string().nullable().describe('consent_required, consent_refused or consent_withdrawn when not allowed'),
  message: z.string().nullable(),
});
export type TDisclosureCheck = z.infer<typeof ZDisclosureCheck>;
