import { defineLifecycle, startsOf } from '../workflow/lifecycle.js';

/**
 * A request to a partner agency (a welfare check, a locate, information): made from a case, through the same
 * safeguard gate as a referral. Clear → sent at once; held → pending_review, and nothing reaches the agency until
 * a legal reviewer (not the author) approves; an urgent welfare check is sent at once and reviewed afterwards (the
 * urgent lane — its post-review is not a status, it is a finding recorded on the request). The agency
 * acknowledges and answers; the center may withdraw a request until it is answered.
 */

export const PARTNER_REQUEST_STATUSES = ['pending_review', 'denied', 'sent', 'acknowledged', 'answered', 'closed', 'withdrawn'] as const;
export type PartnerRequestStatusName = (typeof PARTNER_REQUEST_STATUSES)[number];

export const PARTNER_REQUEST_LIFECYCLE = defineLifecycle({
  noun: 'request',
  statuses: PARTNER_REQUEST_STATUSES,
  transitions: {
    approve: { from: ['pending_review'], to: 'sent', verb: 'approved' },
    deny: { from: ['pending_review'], to: 'denied', verb: 'denied' },
    acknowledge: { from: ['sent'], to: 'acknowledged', verb: 'acknowledged' },
    answer: { from: ['sent', 'acknowledged'], to: 'answered', verb: 'answered' },
    withdraw: { from: ['pending_review', 'sent', 'acknowledged'], to: 'withdrawn', verb: 'withdrawn' },
  },
});

/** Open at the agency: sent and not yet answered (what the deadline sweep watches, what an improper finding withdraws). */
export const OPEN_AT_AGENCY: readonly PartnerRequestStatusName[] = startsOf(PARTNER_REQUEST_LIFECYCLE, 'answer');

/**
 * Statuses a partner agency sees — and only of requests that were sent: one withdrawn (or denied) while held for
 * legal review never reached the agency and never does.
 */
export const VISIBLE_TO_AGENCY: readonly PartnerRequestStatusName[] = ['sent', 'acknowledged', 'answered', 'closed', 'withdrawn'];

export const visibleToAgency = (r: { status: PartnerRequestStatusName; sent_at: Date | null }): boolean =>
  r.sent_at !== null && VISIBLE_TO_AGENCY.includes(r.status);
