import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  IDLE_LOCK_MS,
  isLocked,
  LOCKOUT_MS,
  SESSION_LIFETIME_MS,
  sessionState,
} from '../../src/domain/identity/sign-in-policy.js';

const t0 = new Date('2026-11-29T03:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('lockout', () => {
  it('locks on the fifth failure for ten minutes, then counts afresh', () => {
    let throttle = afterFailure(undefined, t0);
    for (let i = 2; i <= 4; i++) throttle = afterFailure(throttle, t0);
    expect(throttle).toEqual({ failures: 4, lockedUntil: null });
    expect(isLocked(throttle, t0)).toBe(false);
    throttle = afterFailure(throttle, t0);
    expect(throttle.lockedUntil?.getTime()).toBe(t0.getTime() + LOCKOUT_MS);
    expect(isLocked(throttle, at(LOCKOUT_MS - 1))).toBe(true);
    expect(isLocked(throttle, at(LOCKOUT_MS))).toBe(false);
    expect(afterFailure(throttle, at(LOCKOUT_MS + 1))).toEqual({ failures: 1, lockedUntil: null });
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
