import { isUacCase } from '../cases/case-workflow.js';
import type { ActiveProtection } from './protections.js';

/**
 * The one gate every referral passes through before it can be sent. It is a
 * pure function of what the referral is about; the referral service calls it
 * on submission and stores its answer, with the reasons, on the referral.
 *
 * Rules (DESIGN §6):
 * - a UAC case can be referred only after its welfare screening is complete;
 * - an enforcement referral resting only on low-graded reports (source E–F or
 *   credibility 5–6) needs corroboration: a second, independent report or a
 *   verified location observation;
 * - a referral about a minor — by date of birth, estimate or claim, or a
 *   person whose age is unknown — is held for legal review, whatever its
 *   stated purpose (a field office receives the same packet either way);
 * - so is one about a person with any protection in force: their own
 *   (pending court case, SIJS, asylum, T/U visa, ORR custody, TVPRA screening,
 *   court order) or a class-wide court order whose rule matches them.
 * Blocks come first: a held referral must at least be sendable in principle.
 */

export type GateSubject = {
  personId: string;
  name: string;
  minor: boolean | 'unknown';
  dobBasis: string;
  /** Protections in force on the day of the decision: the person's own and every class-wide order that matches them. */
  protections: ActiveProtection[];
};
export type GateReport = {
  reportId: string;
  reference: string;
  sourceReliability: string;
  informationCredibility: number;
  /** Who stood behind it (agency, phone, callback code); null when nothing tells two reports' sources apart. */
  reporterKey: string | null;
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
};

export type GateReason = {
  rule: 'welfare_screening_required' | 'corroboration_required' | 'minor_subject' | 'protected_subject' | 'no_subjects';
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

export const GATE_RULES_VERSION = 1;

export const isLowGrade = (r: Pick<GateReport, 'sourceReliability' | 'informationCredibility'>): boolean =>
  r.sourceReliability === 'E' || r.sourceReliability === 'F' || r.informationCredibility >= 5;

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
  if (input.purpose === 'enforcement') {
    const strong = input.reports.filter((r) => !isLowGrade(r));
    if (strong.length === 0 && !input.hasVerifiedLocation) {
      const sources = new Set(input.reports.map((r) => r.reporterKey).filter((k): k is string => k !== null));
      if (sources.size < 2) {
        reasons.push({
          rule: 'corroboration_required',
          effect: 'block',
          message:
            input.reports.length === 0
              ? 'an enforcement referral needs a report behind it'
              : `an enforcement referral resting only on low-graded reports (${input.reports.map((r) => `${r.reference} ${r.sourceReliability}${r.informationCredibility}`).join(', ')}) needs corroboration`,
          reportIds: input.reports.map((r) => r.reportId),
          missing: 'a second report from an independent source, or a verified location observation',
        });
      }
    }
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
          : `${s.name} is a minor (date of birth ${s.dobBasis}): ${disclosure} is held for legal review`,
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
