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

export const REFERRAL_ACTIONS = ['acknowledge', 'outcome', 'close', 'withdraw'] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

const FROM: Readonly<Record<ReferralAction, readonly ReferralStatusName[]>> = {
  acknowledge: ['sent'],
  outcome: ['sent', 'acknowledged'],
  close: ['outcome_reported'],
  withdraw: ['draft', 'pending_review', 'sent', 'acknowledged'],
};
const TO: Readonly<Record<ReferralAction, ReferralStatusName>> = {
  acknowledge: 'acknowledged',
  outcome: 'outcome_reported',
  close: 'closed',
  withdraw: 'withdrawn',
};

export function nextStatus(
  action: ReferralAction,
  from: ReferralStatusName,
): { ok: true; to: ReferralStatusName } | { ok: false; message: string } {
  if (!FROM[action].includes(from)) {
    const verb = { acknowledge: 'acknowledged', outcome: 'given an outcome', close: 'closed', withdraw: 'withdrawn' }[action];
    return { ok: false, message: `a referral that is ${from.replace('_', ' ')} cannot be ${verb}` };
  }
  return { ok: true, to: TO[action] };
}

/** Statuses the field office sees: a referral reaches its inbox when it is sent. */
export const VISIBLE_TO_OFFICE: readonly ReferralStatusName[] = ['sent', 'acknowledged', 'outcome_reported', 'closed', 'withdrawn'];
