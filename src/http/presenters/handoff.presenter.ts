import { type TCaseHandoff, type TTrackedHandoff, ZHandoffSnapshot } from '../../contracts/handoffs.js';
import { overdue, waitedMinutes, waitingOn } from '../../domain/safeguards/handoff-workflow.js';
import type { HandoffRow, OrganisationRow } from '../../services/handoff.service.js';

/** What leaves the server about hand-offs: staff see the tracking fields, a receiving organisation its snapshot. */

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const presentOrganisation = (o: OrganisationRow) => ({
  id: o.id,
  referralType: o.referral_type,
  name: o.name,
  kind: o.kind,
  webhookUrl: o.webhook_url,
  hasCredential: o.credential_digest !== null,
  credentialIssuedAt: iso(o.credential_issued_at),
  updatedAt: o.updated_at.toISOString(),
});

export const presentCaseHandoff = (h: HandoffRow): TCaseHandoff => ({
  id: h.id,
  welfareReferralId: h.welfare_referral_id,
  recipient: { kind: h.recipient_kind, name: h.recipient_name },
  status: h.status,
  sentAt: iso(h.sent_at),
  acknowledgedAt: iso(h.acknowledged_at),
  closedAt: iso(h.closed_at),
  outcome: h.outcome,
  ackDueAt: iso(h.ack_due_at),
  escalated: h.escalated_at !== null,
  waitingOn: waitingOn(h),
});

export const presentTrackedHandoff = (h: HandoffRow & { case_number: string; referral_type: string }, now: Date): TTrackedHandoff => ({
  ...presentCaseHandoff(h),
  caseId: h.case_id,
  caseNumber: h.case_number,
  referralType: h.referral_type,
  createdAt: h.created_at.toISOString(),
  waitedMinutes: waitedMinutes(h, now),
  overdue: overdue(h, now) !== null,
});

/**
 * The organisation's view: where its answer stands, and the snapshot as it may be served now (re-checked and
 * re-shielded by the service on every read; null in the answer to its outcome, which does not serve it again).
 */
export const presentInboxHandoff = (h: HandoffRow, snapshot: unknown) => ({
  id: h.id,
  status: h.status,
  // Stored by the service from this very schema; parsed, not cast.
  snapshot: snapshot === null ? null : ZHandoffSnapshot.parse(snapshot),
  acknowledgedAt: iso(h.acknowledged_at),
  closedAt: iso(h.closed_at),
  outcome: h.outcome,
});

/** The organisation's list of hand-offs waiting on it: no snapshot content beyond the case reference. */
export const presentInboxEntry = (h: HandoffRow & { case_number: string }) => ({
  id: h.id,
  status: h.status,
  caseReference: h.case_number,
  sentAt: iso(h.sent_at),
  acknowledgedAt: iso(h.acknowledged_at),
  ackDueAt: iso(h.ack_due_at),
  outcomeDueAt: iso(h.outcome_due_at),
});
