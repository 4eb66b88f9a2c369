import type { GateResult } from './referral-gate.js';
import { isDangerIndicator, type ScreeningQuestion } from './welfare-screening.js';

/**
 * The urgent lane for welfare checks (a decided policy): a request to a
 * partner police agency to check on a child in danger goes out at once,
 * instead of waiting for a legal reviewer, when — and only when —
 *
 * - it is a welfare check (never a locate, a question, or a referral to a
 *   field office: enforcement never uses this lane);
 * - its subject is a child (or possibly one) whose completed welfare
 *   screening on the case is positive for a danger indicator: missing from
 *   sponsor, signs of abuse, trafficking or labour exploitation, no safe adult;
 * - the gate's only objections are holds about that child (a minor, or a
 *   protection — the check discloses the minimal snapshot, welfare-only);
 *   anything the gate blocks stays blocked, and a hold about anyone else stays
 *   a hold.
 *
 * It carries the stated purpose and the use condition below in the payload
 * and the webhook, and a legal reviewer reviews it afterwards, within
 * URGENT_REVIEW_HOURS; overdue reviews escalate.
 */

export const WELFARE_ONLY = 'Welfare only: not for immigration enforcement. Use this request only to check on the child’s safety.';
export const URGENT_REVIEW_HOURS = 24;

export type LaneFacts = {
  kind: 'welfare_check' | 'locate' | 'information';
  /** The request's subject. */
  personId: string;
  /** Indicators answered yes in the subject's latest completed screening on the case (none without one). */
  screeningIndicators: readonly ScreeningQuestion[];
};

export type LaneDecision = { urgent: true; indicators: ScreeningQuestion[]; message: string } | { urgent: false };

export function urgentWelfareLane(gate: GateResult, facts: LaneFacts): LaneDecision {
  if (facts.kind !== 'welfare_check' || gate.decision !== 'hold_for_review') return { urgent: false };
  const indicators = facts.screeningIndicators.filter(isDangerIndicator);
  if (indicators.length === 0) return { urgent: false };
  const aboutTheChild = gate.reasons.every(
    (r) => r.effect === 'hold' && (r.rule === 'minor_subject' || r.rule === 'protected_subject') && r.personId === facts.personId,
  );
  const isChild = gate.reasons.some((r) => r.rule === 'minor_subject' && r.personId === facts.personId);
  if (!aboutTheChild || !isChild) return { urgent: false };
  return {
    urgent: true,
    indicators,
    message: `sent at once: a welfare check about a child in danger (${indicators.map((i) => i.replace(/_/g, ' ')).join(', ')}); a legal reviewer reviews it within ${URGENT_REVIEW_HOURS} hours`,
  };
}
