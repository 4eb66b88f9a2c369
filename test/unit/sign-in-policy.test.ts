import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_WINDOW_MS,
  type AccountEvidence,
  accountPaused,
  admit,
  afterFailure,
  IDLE_LOCK_MS,
  LOCKOUT_MS,
  lockDuration,
  MAX_LOCKOUT_MS,
  QUIET_RESET_MS,
  SESSION_LIFETIME_MS,
  type SourceThrottle,
  sessionState,
  sourceKey,
  withoutProvisionalFailure,
} from '../../src/domain/identity/sign-in-policy.js';
import { independenceProblem } from '../../src/domain/identity/two-person.js';

const t0 = new Date('2026-11-29T03:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const quiet: AccountEvidence = { sources: 0, failures: 0 };
const failTimes = (n: number, now = t0, from?: SourceThrottle): SourceThrottle => {
  let s = from;
  for (let i = 0; i < n; i++) s = afterFailure(s, now);
  return s ?? { failures: 0, lastFailureAt: null, lockedUntil: null };
};

describe('one source (name, address)', () => {
  it('pauses the password step on the fifth consecutive failure for ten minutes (CJIS 5.5.3)', () => {
    const four = failTimes(4);
    expect(four).toEqual({ failures: 4, lastFailureAt: t0, lockedUntil: null });
    expect(admit('password', four, quiet, t0)).toEqual({ allowed: true });
    const five = afterFailure(four, t0);
    expect(five.lockedUntil?.getTime()).toBe(t0.getTime() + LOCKOUT_MS);
    const refused = admit('password', five, quiet, at(LOCKOUT_MS - 1));
    expect(refused).toMatchObject({ allowed: false, reason: 'source_locked', retryAfterMs: 1, bothFactorsAccepted: true });
    expect(admit('code', five, quiet, at(1))).toMatchObject({ allowed: false, reason: 'source_locked' });
    expect(admit('password', five, quiet, at(LOCKOUT_MS))).toEqual({ allowed: true });
  });

  it('backs off: each further failure doubles the pause, up to a day', () => {
    expect([5, 6, 7, 8].map(lockDuration)).toEqual([LOCKOUT_MS, 2 * LOCKOUT_MS, 4 * LOCKOUT_MS, 8 * LOCKOUT_MS]);
    expect(lockDuration(40)).toBe(MAX_LOCKOUT_MS);
    // After the first pause ends, one more failure pauses again at once, for twice as long.
    const five = failTimes(5);
    const six = afterFailure(five, at(LOCKOUT_MS + 1));
    expect(six.failures).toBe(6);
    expect(six.lockedUntil?.getTime()).toBe(at(LOCKOUT_MS + 1).getTime() + 2 * LOCKOUT_MS);
  });

  it('takes both factors at once while paused, five more times, then nothing until the pause ends', () => {
    let s = failTimes(5);
    for (let i = 5; i < 10; i++) {
      expect(admit('both', s, quiet, at(1)), `after ${i} failures`).toEqual({ allowed: true });
      s = afterFailure(s, at(1));
    }
    const refused = admit('both', s, quiet, at(2));
    expect(refused).toMatchObject({ allowed: false, reason: 'source_locked', bothFactorsAccepted: false });
    expect(s.lockedUntil && s.lockedUntil.getTime() > at(2).getTime()).toBe(true);
  });

  it('forgets the count after a quiet day, never during a pause', () => {
    const four = failTimes(4);
    expect(afterFailure(four, at(QUIET_RESET_MS)).failures).toBe(1);
    const long = failTimes(13); // paused for the maximum, a day
    expect(admit('password', long, quiet, at(QUIET_RESET_MS - 1))).toMatchObject({ allowed: false });
  });

  it('a provisional failure taken back restores the count and lifts only the pause it caused', () => {
    const four = failTimes(4);
    const provisional = afterFailure(four, t0);
    expect(provisional.lockedUntil).not.toBeNull();
    expect(withoutProvisionalFailure(provisional)).toEqual({ failures: 4, lastFailureAt: t0, lockedUntil: null });
    const six = failTimes(6);
    expect(withoutProvisionalFailure(six).lockedUntil).toEqual(six.lockedUntil);
  });

  it('never admits a sixth password check in a row from one source, whatever the timing within the pause', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: LOCKOUT_MS - 1 }), { minLength: 6, maxLength: 20 }), (offsets) => {
        const times = [...offsets].sort((a, b) => a - b).map(at);
        let s: SourceThrottle | undefined;
        let checked = 0;
        for (const now of times) {
          if (!admit('password', s, quiet, now).allowed) continue;
          checked += 1;
          s = afterFailure(s, now);
        }
        return checked === 5;
      }),
    );
  });
});

describe('the account across sources', () => {
  it('pauses the password step everywhere only on evidence from three sources and ten failures', () => {
    expect(accountPaused({ sources: 1, failures: 40 })).toBe(false);
    expect(accountPaused({ sources: 2, failures: 40 })).toBe(false);
    expect(accountPaused({ sources: 3, failures: 9 })).toBe(false);
    expect(accountPaused({ sources: 3, failures: 10 })).toBe(true);
    const clean = undefined;
    expect(admit('password', clean, { sources: 3, failures: 10 }, t0)).toMatchObject({
      allowed: false,
      reason: 'account_paused',
      retryAfterMs: ACCOUNT_WINDOW_MS,
      bothFactorsAccepted: true,
    });
    expect(admit('both', clean, { sources: 30, failures: 300 }, t0)).toEqual({ allowed: true });
    expect(admit('code', clean, { sources: 30, failures: 300 }, t0)).toEqual({ allowed: true });
  });

  it('failures from one address never pause the name at another address', () => {
    const attacker = failTimes(30);
    expect(admit('password', attacker, quiet, t0).allowed).toBe(false);
    // The colleague's own address has no record; the evidence spans one source only.
    expect(admit('password', undefined, { sources: 1, failures: 30 }, t0)).toEqual({ allowed: true });
  });
});

describe('source keys', () => {
  it('counts IPv4 addresses as they are and IPv6 addresses by their /64', () => {
    expect(sourceKey('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey(null)).toBe('unknown');
    expect(sourceKey('not an address')).toBe('unknown');
  });
});

describe('two independent people', () => {
  const admin = 'a-admin';
  const reviewer = 'b-reviewer';
  const created = { actorId: admin, subjectId: reviewer, kind: 'created' as const, at: t0 };

  it('refuses a pair where one created or reset the other within the cooling-off period, in either direction', () => {
    const day = 86_400_000;
    const problem = independenceProblem({ proposerId: admin, approverId: reviewer }, [created], at(6 * day), 7);
    expect(problem?.code).toBe('not_independent');
    expect(problem?.message).toContain('the proposer created the approver');
    expect(problem?.until.getTime()).toBe(t0.getTime() + 7 * day);
    const reverse = independenceProblem({ proposerId: reviewer, approverId: admin }, [created], at(day), 7);
    expect(reverse?.message).toContain('the approver created the proposer');
    const reset = independenceProblem(
      { proposerId: admin, approverId: reviewer },
      [{ ...created, kind: 'mfa_reset', at: at(2 * day) }],
      at(3 * day),
      7,
    );
    expect(reset?.message).toContain('reset the second factor of');
    expect(independenceProblem({ proposerId: admin, approverId: reviewer }, [created], at(7 * day), 7)).toBeUndefined();
  });

  it('ignores acts between other people', () => {
    const other = { ...created, actorId: 'c-someone-else' };
    expect(independenceProblem({ proposerId: admin, approverId: reviewer }, [other], at(1), 7)).toBeUndefined();
  });
});

describe('session state', () => {
  const session = { createdAt: t0, lastSeenAt: t0, expiresAt: at(SESSION_LIFETIME_MS), revokedAt: null };
  it('locks after 30 idle minutes and ends after 12 hours', () => {
    expect(sessionState(session, at(IDLE_LOCK_MS - 1))).toBe('active');
    expect(sessionState(session, at(IDLE_LOCK_MS))).toBe('idle_locked');
    expect(sessionState({ ...session, lastSeenAt: at(SESSION_LIFETIME_MS - 1000) }, at(SESSION_LIFETIME_MS))).toBe('expired');
    expect(sessionState({ ...session, revokedAt: at(5) }, at(10))).toBe('revoked');
  });
});
