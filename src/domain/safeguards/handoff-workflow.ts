import { WORK_PRIORITY } from '../routing/work-priority.js';
import { defineLifecycle, startsOf } from '../workflow/lifecycle.js';

/**
 * Hand-offs (issue #22 item 4): a welfare referral sent to the organisation that receives its type (ORR, CPS,
 * NCMEC). It is `sending` while its signed webhook is out (an organisation without a webhook reads it from its
 * inbox: `sent` at once), `sent` once delivered, `acknowledged` when the organisation says it has it, and ends
 * `closed` (accepted, with its outcome) or `declined`. `refused`: the disclosure check stopped it, nothing left;
 * `failed`: the webhook could not be delivered. One not acknowledged in time — or acknowledged but without an
 * outcome in time — is escalated once (a mark, not a status).
 */
export const HANDOFF_STATUSES = ['sending', 'sent', 'acknowledged', 'closed', 'declined', 'refused', 'failed'] as const;
export type HandoffStatus = (typeof HANDOFF_STATUSES)[number];

export const HANDOFF_LIFECYCLE = defineLifecycle({
  noun: 'hand-off',
  statuses: HANDOFF_STATUSES,
  transitions: {
    delivered: { from: ['sending'], to: 'sent', verb: 'delivered' },
    fail: { from: ['sending'], to: 'failed', verb: 'marked failed' },
    acknowledge: { from: ['sending', 'sent'], to: 'acknowledged', verb: 'acknowledged' },
    accept: { from: ['sending', 'sent', 'acknowledged'], to: 'closed', verb: 'closed' },
    decline: { from: ['sending', 'sent', 'acknowledged'], to: 'declined', verb: 'declined' },
  },
});

/** In flight: the organisation has it (or is about to) and has not answered. */
export const OPEN_HANDOFF: readonly HandoffStatus[] = startsOf(HANDOFF_LIFECYCLE, 'accept');

export type HandoffTimes = {
  status: HandoffStatus;
  ack_due_at: Date | null;
  outcome_due_at: Date | null;
  escalated_at: Date | null;
};

/** When a hand-off must be acknowledged: sooner for a child in danger. */
export const ackDueAt = (sentAt: Date, childInDanger: boolean, hours: { danger: number; other: number }): Date =>
  new Date(sentAt.getTime() + (childInDanger ? hours.danger : hours.other) * 3_600_000);

/** What makes it overdue now, if anything: not acknowledged by its target, or acknowledged without an outcome by its own. */
export function overdue(h: HandoffTimes, now: Date): 'unacknowledged' | 'no_outcome' | null {
  if (h.status === 'sending' || h.status === 'sent')
    return h.ack_due_at !== null && h.ack_due_at.getTime() <= now.getTime() ? 'unacknowledged' : null;
  if (h.status === 'acknowledged') return h.outcome_due_at !== null && h.outcome_due_at.getTime() <= now.getTime() ? 'no_outcome' : null;
  return null;
}

/** Escalated once: the first time it is overdue. */
export const escalationDue = (h: HandoffTimes, now: Date): boolean => h.escalated_at === null && overdue(h, now) !== null;

/**
 * Who must act now: the recipient while it has the hand-off and has not answered (and it has not been escalated);
 * the center once the hand-off failed, was refused, declined or escalated; nobody when it is closed.
 */
export function waitingOn(h: { status: HandoffStatus; escalated_at: Date | null }): 'recipient' | 'center' | null {
  if (h.status === 'closed') return null;
  if (h.status === 'declined' || h.status === 'refused' || h.status === 'failed') return 'center';
  return h.escalated_at === null ? 'recipient' : 'center';
}

/** The escalation's work item outranks the welfare referral's own. */
export const handoffEscalationPriority = (childInDanger: boolean): number =>
  childInDanger ? WORK_PRIORITY.dangerEscalation : WORK_PRIORITY.welfareEscalation;

/** How long it has waited: from when it was sent (or raised, when it never left) to now, in whole minutes. */
export const waitedMinutes = (h: { sent_at: Date | null; created_at: Date }, now: Date): number =>
  Math.max(0, Math.floor((now.getTime() - (h.sent_at ?? h.created_at).getTime()) / 60_000));

export type SnapshotFacts = {
  handoffId: string;
  referralType: 'orr' | 'cps' | 'ncmec';
  caseNumber: string;
  child: { name: string; dateOfBirth: string | null; age: number | null };
  childInDanger: boolean;
  reasons: { code: string; text: string }[];
  whereTheChildIs: { line1: string | null; city: string | null; state: string | null; zip: string | null } | null;
  /** Only the sponsors a legal reviewer approved naming in this hand-off. */
  approvedSponsors: { name: string; phones: string[] }[];
  contact: string;
  basis: 'consent' | 'child_in_danger' | 'safeguard_gate';
  consentId: string | null;
  sentAt: Date;
  acknowledgeBy: Date;
};

/**
 * The minimal snapshot a receiving organisation gets: who the child is, why, where, the case reference and whom to
 * call back — and sponsors only when approved. The caller redacts every shielded sponsor from it afterwards.
 */
export const handoffSnapshot = (f: SnapshotFacts) => ({
  handoffId: f.handoffId,
  referralType: f.referralType,
  caseReference: f.caseNumber,
  child: f.child,
  childInDanger: f.childInDanger,
  reasons: f.reasons,
  whereTheChildIs: f.whereTheChildIs,
  sponsors: f.approvedSponsors,
  center: { unit: 'UAC unit', contact: f.contact },
  consent: { basis: f.basis, consentId: f.consentId },
  sentAt: f.sentAt.toISOString(),
  acknowledgeBy: f.acknowledgeBy.toISOString(),
});
