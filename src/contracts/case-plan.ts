import { z } from 'zod';

/**
 * A child's services and case plan (issue #22 item 3), as case-plan.routes.ts answers them; shared with the web
 * app. `GET /api/v1/cases/:id/plan` is the shape the best-interest view (item 5) reads too: keep it as it is.
 */

export const NEED_TYPE_VALUES = [
  'legal',
  'shelter',
  'medical',
  'mental_health',
  'education',
  'family_reunification',
  'safety',
  'other',
] as const;
export const SERVICE_TYPE_VALUES = [
  'legal_aid',
  'shelter',
  'medical',
  'mental_health',
  'education',
  'family_reunification',
  'other',
] as const;
export const SERVICE_STATUS_VALUES = ['planned', 'in_progress', 'delivered', 'not_delivered', 'cancelled'] as const;
export const PLAN_STATUS_VALUES = ['draft', 'submitted', 'approved', 'returned'] as const;
export const CLOSURE_STATUS_VALUES = ['requested', 'approved', 'refused'] as const;
/** The case workflow's close reasons (domain/cases/case-workflow.ts CLOSE_REASONS). */
export const CLOSURE_REASON_VALUES = ['resolved', 'unsubstantiated', 'duplicate', 'no_jurisdiction', 'referral_outcome', 'other'] as const;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const day = z.iso.date().describe("YYYY-MM-DD, a day on the center's calendar (CENTER_TIME_ZONE)");

export const ZNeedBody = z.strictObject({
  need: z.enum(NEED_TYPE_VALUES),
  assessedOn: day.describe('the day the need was assessed (not a day still to come)'),
  notes: text(2000).optional(),
});
export type TNeedBody = z.input<typeof ZNeedBody>;

export const ZServiceBody = z.strictObject({
  needId: z.uuid('must be a need id').describe('the need on this case the service answers'),
  type: z.enum(SERVICE_TYPE_VALUES),
  provider: text(200).describe('who provides it (an organisation, a clinic, a legal aid office)'),
  dueOn: day.describe('the day it is due by; overdue once that day has passed'),
});
export type TServiceBody = z.input<typeof ZServiceBody>;

export const ZServiceParams = z.strictObject({ id: z.uuid('must be an id'), serviceId: z.uuid('must be an id') });
export const ZServiceStatusBody = z.strictObject({
  status: z.enum(['in_progress', 'delivered', 'not_delivered', 'cancelled']),
  outcome: text(2000).optional().describe('what came of it: required when delivered, not delivered or cancelled'),
});
export type TServiceStatusBody = z.input<typeof ZServiceStatusBody>;

export const ZPlanDecisionBody = z.strictObject({
  decision: z.enum(['approve', 'return']),
  submittedAt: z.iso
    .datetime({ offset: true })
    .describe(
      "the plan's submittedAt as GET /plan answered it: the submission decided (409 stale_decision if it was submitted again since)",
    ),
  note: text(2000).optional().describe('required when returning: what to change'),
});
export const ZClosureRequestBody = z.strictObject({
  reason: z.enum(CLOSURE_REASON_VALUES).describe('the close reason the case will carry'),
  note: text(2000).describe('why the case can close: what was done for the child'),
});
export const ZClosureDecisionBody = z.strictObject({
  decision: z.enum(['approve', 'refuse']),
  requestedAt: z.iso
    .datetime({ offset: true })
    .describe("the closure's requestedAt as GET /plan answered it: the request decided (409 stale_decision if another was made since)"),
  reason: text(2000).optional().describe('required when refusing: why the case stays open'),
});

export const ZNeed = z.object({ id: z.string(), need: z.enum(NEED_TYPE_VALUES), assessedOn: z.string(), notes: z.string().nullable() });
export const ZService = z.object({
  id: z.string(),
  type: z.enum(SERVICE_TYPE_VALUES),
  provider: z.string(),
  dueOn: z.string(),
  status: z.enum(SERVICE_STATUS_VALUES),
  outcome: z.string().nullable(),
  overdue: z.boolean().describe("still planned or in progress and its due day has passed on the center's calendar"),
});
export const ZCasePlan = z.object({
  plan: z
    .object({
      status: z.enum(PLAN_STATUS_VALUES).describe('draft again after a change to an approved plan: it needs approving again'),
      submittedAt: z.string().nullable(),
      decidedAt: z.string().nullable(),
      decidedBy: z.string().nullable().describe("the supervisor's user id"),
      note: z.string().nullable().describe("the supervisor's note (why it was returned)"),
    })
    .nullable(),
  needs: z.array(ZNeed),
  services: z.array(ZService),
  closure: z
    .object({
      status: z.enum(CLOSURE_STATUS_VALUES),
      requestedAt: z.string(),
      decidedAt: z.string().nullable(),
      decidedBy: z.string().nullable().describe("the supervisor's user id"),
      reason: z.string().nullable().describe("why the case stays open when refused; otherwise the requester's reason for closing"),
    })
    .nullable()
    .describe('the latest closure request'),
});
export type TCasePlan = z.infer<typeof ZCasePlan>;
export type TNeed = z.infer<typeof ZNeed>;
export type TService = z.infer<typeof ZService>;
