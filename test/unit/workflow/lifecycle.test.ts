import { describe, expect, it } from 'vitest';
import { OPEN_AT_AGENCY, PARTNER_REQUEST_LIFECYCLE, visibleToAgency } from '../../../src/domain/partner/partner-request-workflow.js';
import { REFERRAL_LIFECYCLE } from '../../../src/domain/referrals/referral-workflow.js';
import { PROTECTION_LIFECYCLE, revokeStep } from '../../../src/domain/safeguards/protection-workflow.js';
import { escalationDue, OPEN_WELFARE_REFERRAL } from '../../../src/domain/safeguards/welfare-referral-workflow.js';
import { can, defineLifecycle, startsOf, step } from '../../../src/domain/workflow/lifecycle.js';

describe('a lifecycle table', () => {
  it('refuses, where it is declared, a transition that names an unknown status', () => {
    expect(() =>
      defineLifecycle({ noun: 'thing', statuses: ['a', 'b'], transitions: { go: { from: ['a'], to: 'c' as 'b', verb: 'moved' } } }),
    ).toThrow('thing lifecycle: go names unknown status c');
  });

  it('steps where the table allows and words a refusal the same way for every record', () => {
    expect(step(REFERRAL_LIFECYCLE, 'approve', 'pending_review')).toEqual({ ok: true, from: 'pending_review', to: 'sent' });
    expect(step(PARTNER_REQUEST_LIFECYCLE, 'withdraw', 'answered')).toEqual({
      ok: false,
      message: 'A request that is answered cannot be withdrawn.',
    });
    expect(step(REFERRAL_LIFECYCLE, 'deny', 'outcome_reported')).toEqual({
      ok: false,
      message: 'A referral that is outcome reported cannot be denied.',
    });
  });

  it('reviews only what is held, in both lifecycles the review routine serves', () => {
    for (const lifecycle of [REFERRAL_LIFECYCLE, PARTNER_REQUEST_LIFECYCLE]) {
      expect(startsOf(lifecycle, 'approve')).toEqual(['pending_review']);
      expect(startsOf(lifecycle, 'deny')).toEqual(['pending_review']);
      expect(can(lifecycle, 'approve', 'sent')).toBe(false);
    }
  });
});

describe('requests to partners', () => {
  it('are open at the agency from sent until answered', () => {
    expect(OPEN_AT_AGENCY).toEqual(['sent', 'acknowledged']);
    expect(can(PARTNER_REQUEST_LIFECYCLE, 'acknowledge', 'acknowledged')).toBe(false);
  });

  it('are never shown to the agency unless they were sent', () => {
    expect(visibleToAgency({ status: 'withdrawn', sent_at: null })).toBe(false);
    expect(visibleToAgency({ status: 'withdrawn', sent_at: new Date(0) })).toBe(true);
    expect(visibleToAgency({ status: 'denied', sent_at: new Date(0) })).toBe(false);
  });
});

describe('protections and welfare referrals', () => {
  it('revokes a protection once', () => {
    expect(revokeStep({ revoked_at: null })).toEqual({ ok: true, from: 'in_force', to: 'revoked' });
    expect(revokeStep({ revoked_at: new Date(0) })).toEqual({ ok: false, message: 'A protection that is revoked cannot be revoked.' });
    expect(PROTECTION_LIFECYCLE.statuses).toEqual(['in_force', 'revoked']);
  });

  it('escalates an open welfare referral once, when past its target', () => {
    const due = new Date('2026-03-01T12:00:00Z');
    const open = { status: 'open' as const, escalated_at: null, due_at: due };
    expect(OPEN_WELFARE_REFERRAL).toEqual(['open']);
    expect(escalationDue(open, new Date('2026-03-01T11:59:59Z'))).toBe(false);
    expect(escalationDue(open, due)).toBe(true);
    expect(escalationDue({ ...open, escalated_at: due }, new Date('2026-03-02T00:00:00Z'))).toBe(false);
    expect(escalationDue({ ...open, status: 'done' }, new Date('2026-03-02T00:00:00Z'))).toBe(false);
  });
});
