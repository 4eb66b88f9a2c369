/**
 * Sign-in rules (CJIS Security Policy 5.5.3, 5.5.5): five failures lock the
 * name that was typed for ten minutes; a session locks after 30 idle minutes
 * (re-authentication unlocks it, nothing is lost) and ends 12 hours after
 * sign-in whatever happens.
 */

export const MAX_FAILURES = 5;
export const LOCKOUT_MS = 10 * 60_000;
export const IDLE_LOCK_MS = 30 * 60_000;
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
export const ENROLLMENT_LIFETIME_MS = 72 * 60 * 60_000;
/** last_seen_at is written at most this often: a write per request would be waste. */
export const SEEN_WRITE_INTERVAL_MS = 60_000;

export type Throttle = { failures: number; lockedUntil: Date | null };

export const isLocked = (throttle: Throttle | undefined, now: Date): boolean =>
  throttle?.lockedUntil !== null && throttle?.lockedUntil !== undefined && throttle.lockedUntil.getTime() > now.getTime();

/** The throttle after one more failure: the fifth locks, and counting starts again after the lock. */
export function afterFailure(throttle: Throttle | undefined, now: Date): Throttle {
  const expired = throttle?.lockedUntil && throttle.lockedUntil.getTime() <= now.getTime();
  const failures = (expired ? 0 : (throttle?.failures ?? 0)) + 1;
  return failures >= MAX_FAILURES ? { failures, lockedUntil: new Date(now.getTime() + LOCKOUT_MS) } : { failures, lockedUntil: null };
}

export type SessionTimes = { createdAt: Date; lastSeenAt: Date; expiresAt: Date; revokedAt: Date | null };
export type SessionState = 'active' | 'idle_locked' | 'expired' | 'revoked';

export function sessionState(session: SessionTimes, now: Date): SessionState {
  if (session.revokedAt) return 'revoked';
  if (now.getTime() >= session.expiresAt.getTime()) return 'expired';
  if (now.getTime() - session.lastSeenAt.getTime() >= IDLE_LOCK_MS) return 'idle_locked';
  return 'active';
}
