import { describe, expect, it } from 'vitest';
import { activeProtections, inForce, type ProtectionRule, ruleApplies } from '../../../src/domain/safeguards/protections.js';
import { checkSettingValue, mayApprove } from '../../../src/domain/safeguards/settings.js';
import { scoreScreening } from '../../../src/domain/safeguards/welfare-screening.js';

const on = '2026-11-29'; // a day on the center's calendar
const rule: ProtectionRule = {
  id: 'r1',
  name: 'order',
  reference: 'X v. Y',
  condition: {
    all: [
      { attribute: 'nationality', op: 'in', values: ['GT'] },
      { attribute: 'unaccompanied', op: 'is', value: true },
      { attribute: 'eoirStatus', op: 'notIn', values: ['final_order'] },
    ],
  },
  effectiveFrom: '2026-01-01',
  effectiveUntil: null,
  revoked: false,
};
const child = { nationalities: ['GT', 'MX'], unaccompanied: true, eoirStatus: 'pending', minor: true as const };

describe('protections', () => {
  it('count while in force: begun, not ended, not revoked', () => {
    const p = { startsOn: '2026-01-01', endsOn: '2026-11-29', revoked: false };
    expect(inForce(p, on)).toBe(true);
    expect(inForce({ ...p, endsOn: '2026-11-28' }, on)).toBe(false);
    expect(inForce({ ...p, startsOn: '2026-11-30', endsOn: null }, on)).toBe(false);
    expect(inForce({ ...p, revoked: true }, on)).toBe(false);
  });

  it('class-wide rules apply to every person who matches, within their dates', () => {
    expect(ruleApplies(rule, child, on)).toBe(true);
    expect(ruleApplies(rule, { ...child, eoirStatus: 'final_order' }, on)).toBe(false);
    expect(ruleApplies(rule, { ...child, nationalities: ['HN'] }, on)).toBe(false);
    expect(ruleApplies(rule, { ...child, unaccompanied: false }, on)).toBe(false);
    expect(ruleApplies({ ...rule, effectiveFrom: '2026-12-01' }, child, on)).toBe(false);
    expect(ruleApplies({ ...rule, revoked: true }, child, on)).toBe(false);
    expect(
      ruleApplies(
        { ...rule, condition: { all: [{ attribute: 'minor', op: 'is', value: true }] } },
        { ...child, minor: 'unknown' as never },
        on,
      ),
    ).toBe(true);
    expect(activeProtections([], [rule], child, on)).toEqual([
      expect.objectContaining({ kind: 'class_order', ruleId: 'r1', reference: 'X v. Y' }),
    ]);
  });
});

describe('welfare screening', () => {
  const all = (yes: string[]) =>
    Object.fromEntries(
      [
        'trafficking_indicators',
        'labour_exploitation',
        'abuse_or_neglect',
        'missing_from_sponsor',
        'unsafe_sponsor_placement',
        'urgent_medical_need',
        'urgent_mental_health_need',
      ].map((q) => [q, { answer: yes.includes(q) ? 'yes' : 'no' }]),
    ) as Parameters<typeof scoreScreening>[0];
  it('any indicator makes it positive and names the agencies', () => {
    expect(scoreScreening(all([]))).toEqual({ outcome: 'negative', referrals: [] });
    expect(scoreScreening(all(['missing_from_sponsor']))).toEqual({
      outcome: 'positive',
      referrals: [
        { agency: 'ncmec', reasons: ['missing_from_sponsor'] },
        { agency: 'orr', reasons: ['missing_from_sponsor'] },
      ],
    });
    expect(scoreScreening(all(['abuse_or_neglect'])).referrals.map((r) => r.agency)).toEqual(['cps', 'orr']);
  });
});

describe('safeguard settings', () => {
  it('stay within hard bounds and need the other kind to approve', () => {
    expect(checkSettingValue('welfare_response_hours', 73)).toMatch(/1 to 72/);
    expect(checkSettingValue('welfare_response_hours', 1.5)).toBeDefined();
    expect(checkSettingValue('age_out_window_days', 30)).toBeUndefined();
    expect(mayApprove({ proposedBy: 'a', proposedRole: 'admin' }, { userId: 'a', role: 'legal_reviewer' })).toMatch(/other than/);
    expect(mayApprove({ proposedBy: 'a', proposedRole: 'admin' }, { userId: 'b', role: 'admin' })).toMatch(/legal reviewer/);
    expect(mayApprove({ proposedBy: 'a', proposedRole: 'admin' }, { userId: 'b', role: 'legal_reviewer' })).toBeUndefined();
  });
});
