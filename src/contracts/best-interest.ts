import { z } from 'zod';

/**
 * The best-interest view of a UAC child's case (issue #22 item 5): the child's wishes, care arrangements and
 * recorded risk factors (what is written), and the one document GET /api/v1/cases/:id/best-interest answers;
 * shared with the web app.
 */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
/** A day on the center's calendar (CENTER_TIME_ZONE). */
const day = z.iso.date().describe("YYYY-MM-DD, a day on the center's calendar (CENTER_TIME_ZONE)");

export const WISH_TOPIC_VALUES = ['where_to_live', 'family_contact', 'school', 'health', 'faith_and_culture', 'other'] as const;
export const WISH_VOICE_VALUES = ['child_own_words', 'through_interpreter'] as const;
export const CARE_TYPE_VALUES = [
  'with_sponsor',
  'with_parent',
  'with_relative',
  'foster_care',
  'orr_shelter',
  'unaccompanied_no_care',
  'other',
] as const;
export const RISK_KIND_VALUES = [
  'trafficking_indicator',
  'abuse',
  'neglect',
  'exploitation',
  'missing',
  'medical',
  'mental_health',
  'other',
] as const;
export const RISK_LEVEL_VALUES = ['low', 'medium', 'high'] as const;

export const ZWishBody = z.strictObject({
  topic: z.enum(WISH_TOPIC_VALUES),
  wish: text(2000).describe('what the child says they want, as close to their words as can be written'),
  expressedOn: day.describe('the day the child said it (not after today)'),
  voice: z.enum(WISH_VOICE_VALUES).describe("in the child's own words, or through an interpreter"),
  interpreter: text(200).optional().describe('the language and interpreter, when through an interpreter (required then)'),
});
export type TWishBody = z.input<typeof ZWishBody>;

export const ZCareArrangementBody = z
  .strictObject({
    type: z.enum(CARE_TYPE_VALUES),
    caregiverRelationshipId: z
      .uuid('must be a relationship id')
      .optional()
      .describe("the caregiver: one of the child's relationships on this case (required with a sponsor, parent or relative)"),
    from: day.describe('the first day of the arrangement (not after today)'),
    until: day.optional().describe('the last day, if it has already ended'),
    notes: text(2000).optional(),
  })
  .refine((b) => !b.until || b.until >= b.from, { message: 'must be on or after from', path: ['until'] });
export type TCareArrangementBody = z.input<typeof ZCareArrangementBody>;

export const ZRiskBody = z.strictObject({
  kind: z.enum(RISK_KIND_VALUES),
  level: z.enum(RISK_LEVEL_VALUES),
  notedOn: day.describe('the day the risk was noted (not after today)'),
  notes: text(2000).optional(),
});
export type TRiskBody = z.input<typeof ZRiskBody>;

export const ZWish = z.object({
  id: z.string(),
  topic: z.enum(WISH_TOPIC_VALUES),
  wish: z.string(),
  expressedOn: z.string(),
  voice: z.enum(WISH_VOICE_VALUES),
  interpreter: z.string().nullable(),
  recordedBy: z.string().describe('the display name of who recorded it'),
  recordedAt: z.string(),
});

export const ZCaregiver = z.object({
  relationshipId: z.string(),
  personId: z.string(),
  name: z.string(),
  type: z.string(),
  since: z.string().nullable(),
  until: z.string().nullable(),
  current: z.boolean().describe('no last day, or a last day not yet past'),
  verification: z.enum(['unverified', 'verified', 'disputed']),
  protectedSponsor: z
    .boolean()
    .describe('a sponsor: kept out of every referral and partner request unless a legal reviewer approves naming them'),
});

export const ZCareArrangement = z.object({
  id: z.string(),
  type: z.enum(CARE_TYPE_VALUES),
  caregiver: z.object({ relationshipId: z.string(), name: z.string(), type: z.string(), protectedSponsor: z.boolean() }).nullable(),
  from: z.string(),
  until: z.string().nullable().describe('as recorded, else the day before the next arrangement began; null while it goes on'),
  notes: z.string().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
});

export const ZRecordedRisk = z.object({
  id: z.string(),
  kind: z.enum(RISK_KIND_VALUES),
  level: z.enum(RISK_LEVEL_VALUES),
  notedOn: z.string(),
  notes: z.string().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
});

export const ZDerivedRisk = z.object({
  source: z.enum(['welfare_screening', 'protection', 'age_out']),
  kind: z.string(),
  label: z.string(),
  on: z.string().describe('the day it was known (screening) or is due (age-out); today for a protection in force'),
  reference: z.string().nullable(),
});

export const ZTimelineEntry = z.object({
  at: z.string(),
  source: z.enum(['case_event', 'screening', 'welfare_referral', 'consent', 'care_arrangement']),
  kind: z.string(),
  summary: z.string(),
});

export const ZBestInterest = z.object({
  caseId: z.string(),
  caseNumber: z.string(),
  child: z.object({
    personId: z.string(),
    name: z.string(),
    age: z.number().int().nullable().describe('in whole years today, from the date of birth the age-out watch plans by'),
    dob: z.string().nullable(),
    turns18On: z.string().nullable().describe('the age-out day'),
    daysToAgeOut: z.number().int().nullable(),
  }),
  wishes: z.array(ZWish).describe('latest first'),
  caregivers: z.array(ZCaregiver),
  careArrangement: z.object({ current: ZCareArrangement.nullable(), history: z.array(ZCareArrangement).describe('latest first') }),
  risks: z.object({
    recorded: z.array(ZRecordedRisk).describe('latest first'),
    derived: z.array(ZDerivedRisk).describe('what the system already knows: read-only'),
  }),
  timeline: z.array(ZTimelineEntry).describe('oldest first'),
});
export type TBestInterest = z.infer<typeof ZBestInterest>;

export const ZRecorded = z.object({ id: z.string(), recordedAt: z.string() });
