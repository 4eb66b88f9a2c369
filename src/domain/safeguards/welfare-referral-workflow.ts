import { WORK_PRIORITY } from '../routing/work-priority.js';
import { defineLifecycle, startsOf } from '../workflow/lifecycle.js';
import { isDangerIndicator, QUESTION_IDS, type ScreeningQuestion } from './welfare-screening.js';

/**
 * A welfare referral (to ORR, CPS, NCMEC, medical or shelter services), raised by a child's welfare screening:
 * open — a work item in the UAC unit's queue with a response-time target — until a specialist records it done.
 * One open past its target is escalated once (a second, higher work item); escalation is a mark on the referral,
 * not a status, so the referral stays open and closable.
 */
export const WELFARE_REFERRAL_STATUSES = ['open', 'done'] as const;
export type WelfareReferralStatus = (typeof WELFARE_REFERRAL_STATUSES)[number];

export const WELFARE_REFERRAL_LIFECYCLE = defineLifecycle({
  noun: 'welfare referral',
  statuses: WELFARE_REFERRAL_STATUSES,
  transitions: { close: { from: ['open'], to: 'done', verb: 'closed' } },
});

/** The statuses the sweep watches (those a referral can still be closed from). */
export const OPEN_WELFARE_REFERRAL: readonly WelfareReferralStatus[] = startsOf(WELFARE_REFERRAL_LIFECYCLE, 'close');

/** Escalated once, when open past its target. */
export const escalationDue = (r: { status: WelfareReferralStatus; escalated_at: Date | null; due_at: Date }, now: Date): boolean =>
  OPEN_WELFARE_REFERRAL.includes(r.status) && r.escalated_at === null && r.due_at.getTime() <= now.getTime();

const isQuestion = (r: string): r is ScreeningQuestion => (QUESTION_IDS as readonly string[]).includes(r);
/** A welfare referral about a child in danger: one of its reasons is a danger indicator. */
export const childInDanger = (reasons: readonly string[]): boolean => reasons.some((r) => isQuestion(r) && isDangerIndicator(r));

/** A welfare referral's place in the work: a child in danger above everything, any other welfare referral above routine work. */
export const referralPriority = (reasons: readonly string[]): number =>
  childInDanger(reasons) ? WORK_PRIORITY.danger : WORK_PRIORITY.welfareReferral;

/** The escalation's work item outranks the referral's own. */
export const escalationPriority = (reasons: readonly string[]): number =>
  childInDanger(reasons) ? WORK_PRIORITY.dangerEscalation : WORK_PRIORITY.welfareEscalation;
