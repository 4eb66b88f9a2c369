import { z } from 'zod';

/**
 * Hand-offs of welfare referrals (issue #22 item 4): the receiving organisations' configuration (admins), sending
 * and following them (UAC unit), and the organisations' own API (the hand-off inbox). Shared by server and web.
 */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

export const HANDOFF_REFERRAL_TYPES = ['orr', 'cps', 'ncmec'] as const;
/** Recipient kinds a welfare referral may go to: those consent governs (not a police partner or a field office). */
export const HANDOFF_RECIPIENT_KINDS = [
  'orr',
  'cps',
  'ncmec',
  'organisation',
  'service_provider',
  'legal_aid',
  'shelter',
  'medical',
] as const;
export const HANDOFF_STATUS_VALUES = ['sending', 'sent', 'acknowledged', 'closed', 'declined', 'refused', 'failed'] as const;

export const ZReferralTypeParams = z.strictObject({ referralType: z.enum(HANDOFF_REFERRAL_TYPES) });
export const ZOrganisationBody = z.strictObject({
  name: text(200).describe('the receiving organisation, as the hand-off names it'),
  kind: z.enum(HANDOFF_RECIPIENT_KINDS).describe("the recipient kind the child's consent is checked against"),
  webhookUrl: z
    .string()
    .trim()
    .max(2000)
    .nullable()
    .describe('where hand-offs are POSTed, signed; null: the organisation reads them from its inbox (the portal way)'),
  rotateWebhookSecret: z.boolean().optional().describe('make a new signing secret (shown once)'),
});
export const ZOrganisation = z.object({
  id: z.string(),
  referralType: z.enum(HANDOFF_REFERRAL_TYPES),
  name: z.string(),
  kind: z.string(),
  webhookUrl: z.string().nullable(),
  hasCredential: z.boolean(),
  credentialIssuedAt: z.string().nullable(),
  updatedAt: z.string(),
});
export const ZOrganisationSaved = z.object({
  organisation: ZOrganisation,
  webhookSecret: z.string().nullable().describe('the signing secret, shown this once when it was made; null otherwise'),
});
export const ZOrganisationList = z.object({ organisations: z.array(ZOrganisation) });
export type TOrganisation = z.infer<typeof ZOrganisation>;
export type TOrganisationSaved = z.infer<typeof ZOrganisationSaved>;
export const ZCredentialIssued = z.object({
  organisationId: z.string(),
  credential: z.string().describe('the bearer credential the organisation answers with, shown this once; issuing again revokes it'),
  issuedAt: z.string(),
});
export type TCredentialIssued = z.infer<typeof ZCredentialIssued>;

/** The minimal snapshot that leaves: what the receiving organisation needs, nothing more. */
export const ZHandoffSnapshot = z.object({
  handoffId: z.string(),
  referralType: z.enum(HANDOFF_REFERRAL_TYPES),
  caseReference: z.string(),
  child: z.object({
    name: z.string(),
    dateOfBirth: z.string().nullable(),
    age: z.number().nullable(),
  }),
  childInDanger: z.boolean(),
  reasons: z.array(z.object({ code: z.string(), text: z.string() })),
  whereTheChildIs: z
    .object({ line1: z.string().nullable(), city: z.string().nullable(), state: z.string().nullable(), zip: z.string().nullable() })
    .nullable(),
  sponsors: z.array(z.object({ name: z.string(), phones: z.array(z.string()) })).describe('only sponsors a legal reviewer approved naming'),
  center: z.object({ unit: z.string(), contact: z.string() }),
  consent: z.object({ basis: z.enum(['consent', 'child_in_danger', 'safeguard_gate']), consentId: z.string().nullable() }),
  sentAt: z.string(),
  acknowledgeBy: z.string(),
});
export type THandoffSnapshot = z.infer<typeof ZHandoffSnapshot>;

/** One hand-off as the case shows it: the contract feat/interest reads (COMMON.md). */
export const ZCaseHandoff = z.object({
  id: z.string(),
  welfareReferralId: z.string(),
  recipient: z.object({ kind: z.string(), name: z.string() }),
  status: z.enum(HANDOFF_STATUS_VALUES),
  sentAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  outcome: z.string().nullable(),
  ackDueAt: z.string().nullable(),
  escalated: z.boolean(),
  waitingOn: z.enum(['recipient', 'center']).nullable(),
});
export const ZCaseHandoffs = z.object({ handoffs: z.array(ZCaseHandoff) });
export type TCaseHandoff = z.infer<typeof ZCaseHandoff>;

export const ZTrackedHandoff = ZCaseHandoff.extend({
  caseId: z.string(),
  caseNumber: z.string(),
  referralType: z.string(),
  createdAt: z.string(),
  waitedMinutes: z.number().describe('since it was sent (or raised, when it never left)'),
  overdue: z.boolean(),
});
export const ZTrackedHandoffs = z.object({ handoffs: z.array(ZTrackedHandoff) });
export type TTrackedHandoff = z.infer<typeof ZTrackedHandoff>;
export const ZTrackingQuery = z.strictObject({
  open: z.literal('true').default('true').describe('every hand-off someone must still act on (the only view there is)'),
});

export const ZInboxHandoff = z.object({
  id: z.string(),
  status: z.enum(HANDOFF_STATUS_VALUES),
  snapshot: ZHandoffSnapshot.nullable().describe('as it may be served now (sponsors withheld again); null in the answer to an outcome'),
  acknowledgedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  outcome: z.string().nullable(),
});
/** The hand-offs waiting on an organisation: no snapshot content beyond the case reference. */
export const ZInboxList = z.object({
  handoffs: z.array(
    z.object({
      id: z.string(),
      status: z.enum(HANDOFF_STATUS_VALUES),
      caseReference: z.string(),
      sentAt: z.string().nullable(),
      acknowledgedAt: z.string().nullable(),
      ackDueAt: z.string().nullable(),
      outcomeDueAt: z.string().nullable(),
    }),
  ),
});
export const ZInboxOutcomeBody = z.strictObject({
  decision: z.enum(['accepted', 'declined']),
  outcome: text(4000).describe('what the organisation did or why it declined'),
});
export const ZHandoffIdParams = z.strictObject({ id: z.uuid('must be an id') });
export const ZCaseIdParams = z.strictObject({ caseId: z.uuid('must be an id') });

/** A case's welfare referrals, each with the organisation that receives its type (null: none configured yet). */
export const ZCaseWelfareReferrals = z.object({
  welfareReferrals: z.array(
    z.object({
      id: z.string(),
      agency: z.enum(HANDOFF_REFERRAL_TYPES),
      reasons: z.array(z.string()),
      status: z.enum(['open', 'done']),
      dueAt: z.string(),
      recipient: z.object({ kind: z.string(), name: z.string() }).nullable(),
    }),
  ),
});
export type TCaseWelfareReferrals = z.infer<typeof ZCaseWelfareReferrals>;
