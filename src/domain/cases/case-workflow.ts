import type { Actor } from '../access/access-control.js';

/**
 * A case's life: new → triage → active → referred → closed. Closing needs a
 * reason; a closed case can be reopened (back to triage) with a reason. Every
 * change becomes an event on the case's timeline.
 */

export const CASE_TYPES = [
  'enforcement_lead',
  'uac_location',
  'uac_welfare',
  'partner_referral',
  'hit_confirmation',
  'general_tip',
] as const;
export type CaseType = (typeof CASE_TYPES)[number];
export const CASE_STATUSES = ['new', 'triage', 'active', 'referred', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const CLOSE_REASONS = ['resolved', 'unsubstantiated', 'duplicate', 'no_jurisdiction', 'referral_outcome', 'other'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];
export type Unit = 'intake' | 'uac' | 'partner' | 'enforcement';

/** The unit that works a case of each type. */
export const UNIT_OF: Readonly<Record<CaseType, Unit>> = {
  enforcement_lead: 'enforcement',
  uac_location: 'uac',
  uac_welfare: 'uac',
  partner_referral: 'partner',
  hit_confirmation: 'partner',
  general_tip: 'intake',
};

export const isUacCase = (type: string): boolean => type === 'uac_location' || type === 'uac_welfare';

/** A child's case is closed only through a closure request a supervisor approves (issue #22 item 3). */
export const closesOnApprovalOnly = (type: string): boolean => isUacCase(type);

const NEXT: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  new: ['triage', 'active', 'closed'],
  triage: ['active', 'closed'],
  active: ['triage', 'referred', 'closed'],
  // Back to active when a referral comes back without a result.
  referred: ['active', 'closed'],
  closed: ['triage'],
};

export type TransitionCheck = { ok: true } | { ok: false; code: string; message: string };

/** Whether a case may go from one status to another, and what it needs (closing and reopening need a reason). */
export function checkTransition(from: CaseStatus, to: CaseStatus, reason: string | undefined): TransitionCheck {
  if (from === to) return { ok: false, code: 'no_change', message: `the case is already ${to}` };
  if (!NEXT[from].includes(to)) {
    return { ok: false, code: 'invalid_transition', message: `a ${from} case cannot become ${to} (next: ${NEXT[from].join(', ')})` };
  }
  if (to === 'referred') return { ok: false, code: 'invalid_transition', message: 'a case becomes referred when a referral is sent' };
  if (to === 'closed' && !(CLOSE_REASONS as readonly string[]).includes(reason ?? '')) {
    return { ok: false, code: 'reason_required', message: `closing needs a reason: ${CLOSE_REASONS.join(', ')}` };
  }
  if (from === 'closed' && !reason?.trim()) return { ok: false, code: 'reason_required', message: 'reopening needs a reason' };
  return { ok: true };
}

/**
 * Need-to-know by unit: cases about unaccompanied children are read by the
 * UAC unit (UAC specialists), supervisors and legal reviewers. Anyone else is
 * told the case does not exist, and the attempt is audited.
 */
export function mayReadUnit(actor: Actor, unit: string): boolean {
  if (unit !== 'uac') return true;
  if (actor.kind !== 'user') return false;
  return actor.role === 'uac_specialist' || actor.role === 'supervisor' || actor.role === 'legal_reviewer';
}

/** "C-2026-000042": the year the case was opened and a number from a sequence. */
export const formatReference = (prefix: 'C' | 'R' | 'F' | 'Q', year: number, n: number | string): string =>
  `${prefix}-${year}-${String(n).padStart(6, '0')}`;
