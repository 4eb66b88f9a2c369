import { defineLifecycle, type Step, step } from '../workflow/lifecycle.js';

/**
 * A referral's life: draft → (the safeguard gate) → pending_review or sent →
 * acknowledged by the field office → outcome reported → closed. A held
 * referral is approved (sent) or denied by a legal reviewer; the center can
 * withdraw a referral until its outcome is in.
 */

export const REFERRAL_STATUSES = [
  'draft',
  'pending_review',
  'denied',
  'sent',
  'acknowledged',
  'outcome_reported',
  'closed',
  'withdrawn',
] as const;
export type ReferralStatusName = (typeof REFERRAL_STATUSES)[number];

export const REFERRAL_LIFECYCLE = defineLifecycle({
  noun: 'referral',
  statuses: REFERRAL_STATUSES,
  transitions: {
    // Submitting asks the gate: a clear referral is sent, a held one waits for a legal reviewer.
    send: { from: ['draft'], to: 'sent', verb: 'sent' },
    hold: { from: ['draft'], to: 'pending_review', verb: 'submitted' },
    approve: { from: ['pending_review'], to: 'sent', verb: 'approved' },
    deny: { from: ['pending_review'], to: 'denied', verb: 'denied' },
    acknowledge: { from: ['sent'], to: 'acknowledged', verb: 'acknowledged' },
    outcome: { from: ['sent', 'acknowledged'], to: 'outcome_reported', verb: 'given an outcome' },
    close: { from: ['outcome_reported'], to: 'closed', verb: 'closed' },
    withdraw: { from: ['draft', 'pending_review', 'sent', 'acknowledged'], to: 'withdrawn', verb: 'withdrawn' },
  },
});

/** What a field office or the center does to a referral after it is sent (the review has its own routine). */
export const REFERRAL_ACTIONS = ['acknowledge', 'outcome', 'close', 'withdraw'] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

export const nextStatus = (action: ReferralAction, from: ReferralStatusName): Step<ReferralStatusName> =>
  step(REFERRAL_LIFECYCLE, action, from);

/** Statuses the field office sees: a referral reaches its inbox when it is sent. */
export const VISIBLE_TO_OFFICE: readonly ReferralStatusName[] = ['sent', 'acknowledged', 'outcome_reported', 'closed', 'withdrawn'];
