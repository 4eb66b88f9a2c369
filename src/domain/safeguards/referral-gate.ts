import { isUacCase } from '../cases/case-workflow.js';
import type { ActiveProtection } from './protections.js';

/**
 * The one gate every referral passes through before it can be sent. It is a
 * pure function of what the referral is about; the referral service calls it
 * on submission and stores its answer, with the reasons, on the referral.
 *
 * Rules (DESIGN §6):
 * - a UAC case can be referred only after its welfare screening is complete;
 * - an enforcement referral needs at least one report graded C3 or better
 *   (source A–C and credibility 1–3) or a verified location observation: many
 *   low-graded reports do not add up to a reliable one (28 CFR Part 23
 *   practice), however many callers made them;
 * - a referral about a minor or possible minor — any date of birth anyone gave
 *   (exact, estimated or claimed, on any report or merged record) that makes
 *   them under 18 on the center's calendar, unless a legal reviewer's later age
 *   determination settles it, or a person whose age is unknown — is held for
 *   legal review, whatever its stated purpose (a field office receives the
 *   same packet either way);
 * - so is one about a person with any protection in force: their own
 *   (pending court case, SIJS, asylum, T/U visa, ORR custody, TVPRA screening,
 *   court order) or a class-wide court order whose rule matches them.
 * Blocks come first: a held referral must at least be sendable in principle.
 */

export type GateSubject = {
  personId: string;
  name: string;
  minor: boolean | 'unknown';
  /** Why they count as a minor or not, naming the evidence (domain/persons/age.ts ageVerdict). */
  ageBecause: string;
  /** Protections in force on the day of the decision: the person's own and every class-wide order that matches them. */
  protections: ActiveProtection[];
};
export type GateReport = {
  reportId: string;
  reference: string;
  sourceReliability: string;
  informationCredibility: number;
};
export type GateInput = {
  purpose: 'enforcement' | 'location_information' | 'welfare';
  caseType: string;
  subjects: GateSubject[];
  reports: GateReport[];
  hasVerifiedLocation: boolean;
  /** Whether the case's welfare screening is complete; only UAC cases have one. */
  welfareScreeningComplete: boolean;
  /** Who would receive it: a field office (a referral) or a partner agency (a request for help). Defaults to a field office. */
  recipient?: 'field_office' | 'partner_agency';
  /**
   * Protected sponsors the disclosure would name (as a subject, or in its words) without a legal reviewer's
   * approval naming them in this disclosure (domain/safeguards/sponsor-shield.ts). Each holds it.
   */
  withheldSponsors?: readonly { personId: string; how: 'subject' | 'named_in_text' }[];
};

export type GateReason = {
  rule:
    | 'welfare_screening_required'
    | 'corroboration_required'
    | 'minor_subject'
    | 'protected_subject'
    | 'no_subjects'
    | 'sponsor_protected';
  effect: 'block' | 'hold';
  message: string;
  personId?: string;
  reportIds?: string[];
  missing?: string;
  protectionId?: string;
  ruleId?: string;
};
export type GateDecision = 'send' | 'hold_for_review' | 'block';
export type GateResult = { decision: GateDecision; reasons: GateReason[]; rulesVersion: number };

/**
 * 2: corroboration needs a report graded C3 or better (two low-graded reports no longer add up); ages on the center's calendar with every date-of-birth assertion.
 * 3: a protected sponsor named without a legal reviewer's approval naming them holds the disclosure.
 */
export const GATE_RULES_VERSION = 3;

/** Graded C3 or better: source reliability A–C and information credibility 1–3. */
export const isReliableGrade = (r: Pick<GateReport, 'sourceReliability' | 'informationCredibility'>): boolean =>
  ['A', 'B', 'C'].includes(r.sourceReliability) && r.informationCredibility <= 3;

export function evaluateReferral(input: GateInput): GateResult {
  const reasons: GateReason[] = [];
  const disclosure = input.recipient === 'partner_agency' ? 'a request to a partner agency' : 'a referral to a field office';
  if (input.subjects.length === 0) {
    reasons.push({
      rule: 'no_subjects',
      effect: 'block',
      message: 'the case has no subject to refer',
      missing: 'a subject person on the case',
    });
  }
  if (isUacCase(input.caseType) && !input.welfareScreeningComplete) {
    reasons.push({
      rule: 'welfare_screening_required',
      effect: 'block',
      message: 'a case about an unaccompanied child cannot be referred before its welfare screening is complete',
      missing: 'a completed welfare screening',
    });
  }
  if (input.purpose === 'enforcement' && !input.hasVerifiedLocation && !input.reports.some(isReliableGrade)) {
    reasons.push({
      rule: 'corroboration_required',
      effect: 'block',
      message:
        input.reports.length === 0
          ? 'an enforcement referral needs a report behind it'
          : `an enforcement referral needs a report graded C3 or better or a verified location; these are not enough on their own: ${input.reports.map((r) => `${r.reference} ${r.sourceReliability}${r.informationCredibility}`).join(', ')}`,
      reportIds: input.reports.map((r) => r.reportId),
      missing: 'a report graded C3 or better (source A–C, credibility 1–3), or a verified location observation',
    });
  }
  // Any disclosure to a field office — for enforcement or for "location information" — about a child or a protected
  // person waits for a legal reviewer: the purpose written on a referral does not decide what the office does with it.
  for (const s of input.subjects) {
    if (s.minor === false) continue;
    reasons.push({
      rule: 'minor_subject',
      effect: 'hold',
      personId: s.personId,
      message:
        s.minor === 'unknown'
          ? `${s.name}'s age is unknown: ${disclosure} is held for legal review`
          : `${s.name} is, or may be, a minor — ${s.ageBecause}: ${disclosure} is held for legal review`,
    });
  }
  for (const s of input.subjects) {
    for (const p of s.protections) {
      reasons.push({
        rule: 'protected_subject',
        effect: 'hold',
        personId: s.personId,
        message: `${s.name} is protected — ${p.label} (${p.reference}): ${disclosure} is held for legal review`,
        ...(p.protectionId ? { protectionId: p.protectionId } : {}),
        ...(p.ruleId ? { ruleId: p.ruleId } : {}),
      });
    }
  }
  // A sponsor is a class courts have protected: never disclosed without a legal reviewer naming them. The message
  // does not name the sponsor — the gate's reasons travel with the referral.
  for (const w of input.withheldSponsors ?? []) {
    reasons.push({
      rule: 'sponsor_protected',
      effect: 'hold',
      personId: w.personId,
      message:
        w.how === 'subject'
          ? `a subject is a child's sponsor: ${disclosure} naming them is held until a legal reviewer approves naming that sponsor`
          : `the words of ${disclosure} name a child's sponsor: it is held until a legal reviewer approves naming that sponsor`,
      missing: "a legal reviewer's approval naming the sponsor",
    });
  }

  const decision: GateDecision = reasons.some((r) => r.effect === 'block')
    ? 'block'
    : reasons.some((r) => r.effect === 'hold')
      ? 'hold_for_review'
      : 'send';
  return { decision, reasons, rulesVersion: GATE_RULES_VERSION };
}

export const MIN_JUSTIFICATION_LENGTH = 20;

export type ReviewCheck = { ok: true } | { ok: false; code: 'own_referral' | 'justification_required'; message: string };

/** A legal reviewer who did not write the referral decides it, in writing. */
export function checkReview(review: { reviewerId: string; authorId: string; justification: string }): ReviewCheck {
  if (review.reviewerId === review.authorId) {
    return { ok: false, code: 'own_referral', message: 'a referral is reviewed by someone other than its author' };
  }
  if (review.justification.trim().length < MIN_JUSTIFICATION_LENGTH) {
    return {
      ok: false,
      code: 'justification_required',
      message: `write the justification for the decision (at least ${MIN_JUSTIFICATION_LENGTH} characters)`,
    };
  }
  return { ok: true };
}
