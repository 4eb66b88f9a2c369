import { describe, expect, it } from 'vitest';
import { checkTransition, mayReadUnit } from '../../../src/domain/cases/case-workflow.js';
import { nextStatus } from '../../../src/domain/referrals/referral-workflow.js';
import { checkReview, evaluateReferral, type GateInput } from '../../../src/domain/safeguards/referral-gate.js';

const adult = { personId: 'p1', name: 'A B', minor: false as const, ageBecause: 'an exact date of birth makes them 40', protections: [] };
const goodReport = { reportId: 'r1', reference: 'R-1', sourceReliability: 'B', informationCredibility: 2 };
const base: GateInput = {
  purpose: 'enforcement',
  caseType: 'enforcement_lead',
  subjects: [adult],
  reports: [goodReport],
  hasVerifiedLocation: false,
  welfareScreeningComplete: false,
};

describe('case workflow', () => {
  it('allows the documented steps only, and asks for reasons to close and reopen', () => {
    expect(checkTransition('new', 'triage', undefined)).toEqual({ ok: true });
    expect(checkTransition('new', 'referred', undefined)).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(checkTransition('active', 'referred', undefined)).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(checkTransition('active', 'closed', undefined)).toMatchObject({ ok: false, code: 'reason_required' });
    expect(checkTransition('active', 'closed', 'whatever')).toMatchObject({ ok: false, code: 'reason_required' });
    expect(checkTransition('active', 'closed', 'resolved')).toEqual({ ok: true });
    expect(checkTransition('closed', 'triage', ' ')).toMatchObject({ ok: false, code: 'reason_required' });
    expect(checkTransition('closed', 'active', 'x')).toMatchObject({ ok: false, code: 'invalid_transition' });
    expect(checkTransition('triage', 'triage', undefined)).toMatchObject({ ok: false, code: 'no_change' });
  });

  it('UAC cases are need-to-know', () => {
    const user = (role: 'analyst' | 'uac_specialist' | 'supervisor' | 'legal_reviewer' | 'call_taker') => ({
      kind: 'user' as const,
      userId: 'u',
      username: 'u',
      role,
      agencyOri: null,
      fieldOfficeCode: null,
      sessionId: null,
    });
    expect(mayReadUnit(user('analyst'), 'uac')).toBe(false);
    expect(mayReadUnit(user('call_taker'), 'uac')).toBe(false);
    expect(mayReadUnit(user('uac_specialist'), 'uac')).toBe(true);
    expect(mayReadUnit(user('legal_reviewer'), 'uac')).toBe(true);
    expect(mayReadUnit(user('analyst'), 'enforcement')).toBe(true);
  });
});

describe('referral workflow', () => {
  it('steps in order', () => {
    expect(nextStatus('acknowledge', 'sent')).toEqual({ ok: true, from: 'sent', to: 'acknowledged' });
    expect(nextStatus('close', 'acknowledged')).toEqual({ ok: false, message: 'A referral that is acknowledged cannot be closed.' });
    expect(nextStatus('outcome', 'sent')).toEqual({ ok: true, from: 'sent', to: 'outcome_reported' });
    expect(nextStatus('withdraw', 'closed').ok).toBe(false);
  });
});

describe('the referral gate', () => {
  it('sends an enforcement referral about an adult backed by a graded report', () => {
    expect(evaluateReferral(base)).toMatchObject({ decision: 'send', reasons: [] });
  });

  it('holds one about a minor — by DOB, estimate or claim — or a person of unknown age', () => {
    for (const minor of [true, 'unknown'] as const) {
      const result = evaluateReferral({
        ...base,
        subjects: [adult, { ...adult, personId: 'p2', minor, ageBecause: 'a claimed date of birth makes them 15' }],
      });
      expect(result.decision).toBe('hold_for_review');
      expect(result.reasons).toEqual([expect.objectContaining({ rule: 'minor_subject', personId: 'p2', effect: 'hold' })]);
    }
    // Whatever the stated purpose: a field office gets the same packet.
    expect(evaluateReferral({ ...base, purpose: 'location_information', subjects: [{ ...adult, minor: true }] }).decision).toBe(
      'hold_for_review',
    );
    expect(evaluateReferral({ ...base, purpose: 'location_information', subjects: [adult] }).decision).toBe('send');
  });

  it('blocks one without a report graded C3 or better or a verified location, saying what is missing', () => {
    const low = { ...goodReport, sourceReliability: 'E', informationCredibility: 3 };
    const blocked = evaluateReferral({ ...base, reports: [low] });
    expect(blocked.decision).toBe('block');
    expect(blocked.reasons[0]).toMatchObject({ rule: 'corroboration_required', missing: expect.stringContaining('verified location') });
    expect(evaluateReferral({ ...base, reports: [{ ...goodReport, informationCredibility: 6 }] }).decision).toBe('block');
    // Many low-graded reports do not add up to a reliable one, whoever made them (two E5 callers let one through before).
    const e5 = { ...goodReport, sourceReliability: 'E', informationCredibility: 5 };
    expect(evaluateReferral({ ...base, reports: [e5, { ...e5, reportId: 'r2' }, { ...e5, reportId: 'r3' }] }).decision).toBe('block');
    // C3 is the floor: D-graded sources and credibility 4 are not enough on their own.
    expect(evaluateReferral({ ...base, reports: [{ ...goodReport, sourceReliability: 'D' }] }).decision).toBe('block');
    expect(evaluateReferral({ ...base, reports: [{ ...goodReport, informationCredibility: 4 }] }).decision).toBe('block');
    expect(evaluateReferral({ ...base, reports: [{ ...goodReport, sourceReliability: 'C', informationCredibility: 3 }] }).decision).toBe(
      'send',
    );
    expect(
      evaluateReferral({ ...base, reports: [low, { ...goodReport, reportId: 'r2', sourceReliability: 'C', informationCredibility: 3 }] })
        .decision,
    ).toBe('send');
    expect(evaluateReferral({ ...base, reports: [low], hasVerifiedLocation: true }).decision).toBe('send');
    expect(evaluateReferral({ ...base, reports: [] }).decision).toBe('block');
  });

  it('blocks any referral of a UAC case without a completed welfare screening, and one with no subject', () => {
    const uac = evaluateReferral({ ...base, purpose: 'welfare', caseType: 'uac_welfare' });
    expect(uac).toMatchObject({ decision: 'block', reasons: [expect.objectContaining({ rule: 'welfare_screening_required' })] });
    expect(evaluateReferral({ ...base, purpose: 'welfare', caseType: 'uac_welfare', welfareScreeningComplete: true }).decision).toBe(
      'send',
    );
    expect(evaluateReferral({ ...base, subjects: [] }).reasons.map((r) => r.rule)).toContain('no_subjects');
  });

  it('a block outranks a hold: a held referral must be sendable in principle', () => {
    const result = evaluateReferral({
      ...base,
      subjects: [{ ...adult, minor: true }],
      reports: [{ ...goodReport, sourceReliability: 'F' }],
    });
    expect(result.decision).toBe('block');
    expect(result.reasons.map((r) => r.rule).sort()).toEqual(['corroboration_required', 'minor_subject']);
  });

  it('review: not by the author, and in writing', () => {
    expect(checkReview({ reviewerId: 'a', authorId: 'a', justification: 'x'.repeat(40) })).toMatchObject({
      ok: false,
      code: 'own_referral',
    });
    expect(checkReview({ reviewerId: 'b', authorId: 'a', justification: 'too short' })).toMatchObject({
      ok: false,
      code: 'justification_required',
    });
    expect(checkReview({ reviewerId: 'b', authorId: 'a', justification: 'Reviewed the file; no protection applies.' })).toEqual({
      ok: true,
    });
  });
});
