import { isIPv4, isIPv6 } from 'node:net';

/**
 * Sign-in rules (CJIS Security Policy 5.5.3, 5.5.5).
 *
 * Failures are counted per (name typed, source address), existing account or
 * not. Five consecutive failures from one source pause that source's
 * password-only sign-in for 10 minutes, doubling with each further failure
 * (up to a day); the same name from any other address is untouched, so no one
 * can lock a colleague out from their own desk. The account as a whole is
 * paused only on evidence that spans sources (failures from at least three
 * addresses, ten in all, within 15 minutes): then the password alone gets no
 * answer from anywhere, so a distributed guesser learns nothing.
 *
 * A paused person recovers with their second factor: the password and the
 * code (or a recovery code) together, in one request that says only "yes" or
 * "no", are still taken — five more times from a paused source, then nothing
 * from it until its pause ends.
 *
 * Sessions lock after 30 idle minutes (re-authentication unlocks them,
 * nothing is lost) and end 12 hours after sign-in whatever happens.
 */

/** CJIS 5.5.3: no more than five consecutive invalid attempts. */
export const SOURCE_LOCK_AFTER = 5;
/** With both factors at once, a paused source gets this many failures in all, then nothing until the pause ends. */
export const SOURCE_HARD_LIMIT = 10;
export const LOCKOUT_MS = 10 * 60_000;
export const MAX_LOCKOUT_MS = 24 * 60 * 60_000;
/** A source's consecutive count starts afresh after a day without failures. */
export const QUIET_RESET_MS = 24 * 60 * 60_000;
export const ACCOUNT_WINDOW_MS = 15 * 60_000;
export const ACCOUNT_MIN_SOURCES = 3;
export const ACCOUNT_MIN_FAILURES = 10;

export const IDLE_LOCK_MS = 30 * 60_000;
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
export const ENROLLMENT_LIFETIME_MS = 72 * 60 * 60_000;
/** last_seen_at is written at most this often: a write per request would be waste. */
export const SEEN_WRITE_INTERVAL_MS = 60_000;

/** One source's record for one name. */
export type SourceThrottle = { failures: number; lastFailureAt: Date | null; lockedUntil: Date | null };
/** The name's failures that span sources: sources that failed within the window, and their consecutive failures. */
export type AccountEvidence = { sources: number; failures: number };

/**
 * password: the password alone, answered with a challenge (the step a guesser learns from);
 * code: the second factor after a challenge (the password was right);
 * both: password and second factor in one request (sign-in with both, unlocking an idle session).
 */
export type SignInStep = 'password' | 'code' | 'both';

export type Admission =
  | { allowed: true }
  | { allowed: false; reason: 'source_locked' | 'account_paused'; retryAfterMs: number; bothFactorsAccepted: boolean };

const NONE: SourceThrottle = { failures: 0, lastFailureAt: null, lockedUntil: null };

/** The record as it stands now: a day of quiet forgets the count. */
export function currentThrottle(source: SourceThrottle | undefined, now: Date): SourceThrottle {
  if (!source) return NONE;
  const locked = source.lockedUntil !== null && source.lockedUntil.getTime() > now.getTime();
  const quiet = source.lastFailureAt === null || now.getTime() - source.lastFailureAt.getTime() >= QUIET_RESET_MS;
  return quiet && !locked ? NONE : source;
}

/** The pause after the n-th consecutive failure: 10 minutes at the fifth, doubling, at most a day. */
export function lockDuration(failures: number): number {
  if (failures < SOURCE_LOCK_AFTER) return 0;
  return Math.min(LOCKOUT_MS * 2 ** Math.min(failures - SOURCE_LOCK_AFTER, 20), MAX_LOCKOUT_MS);
}

export const accountPaused = (evidence: AccountEvidence): boolean =>
  evidence.sources >= ACCOUNT_MIN_SOURCES && evidence.failures >= ACCOUNT_MIN_FAILURES;

/** May this step be tried now, from this source, for this name? Decided before any password is checked. */
export function admit(step: SignInStep, source: SourceThrottle | undefined, evidence: AccountEvidence, now: Date): Admission {
  const s = currentThrottle(source, now);
  if (s.lockedUntil !== null && s.lockedUntil.getTime() > now.getTime()) {
    const bothFactorsAccepted = s.failures < SOURCE_HARD_LIMIT;
    if (step === 'both' && bothFactorsAccepted) return { allowed: true };
    return { allowed: false, reason: 'source_locked', retryAfterMs: s.lockedUntil.getTime() - now.getTime(), bothFactorsAccepted };
  }
  if (step === 'password' && accountPaused(evidence))
    return { allowed: false, reason: 'account_paused', retryAfterMs: ACCOUNT_WINDOW_MS, bothFactorsAccepted: true };
  return { allowed: true };
}

/** The source's record after one more failure: the fifth pauses it, each further one doubles the pause. */
export function afterFailure(source: SourceThrottle | undefined, now: Date): SourceThrottle {
  const s = currentThrottle(source, now);
  const failures = s.failures + 1;
  const pause = lockDuration(failures);
  const until = pause > 0 ? now.getTime() + pause : 0;
  const kept = s.lockedUntil !== null && s.lockedUntil.getTime() > until ? s.lockedUntil.getTime() : until;
  return { failures, lastFailureAt: now, lockedUntil: kept > now.getTime() ? new Date(kept) : null };
}

/**
 * An attempt that checks a password is counted as a failure before the check
 * (so parallel attempts cannot get past the fifth); when the password turns
 * out right, that provisional failure is taken back — and the pause it set,
 * unless enough real failures remain for one.
 */
export function withoutProvisionalFailure(source: SourceThrottle): SourceThrottle {
  const failures = Math.max(0, source.failures - 1);
  return { failures, lastFailureAt: source.lastFailureAt, lockedUntil: failures >= SOURCE_LOCK_AFTER ? source.lockedUntil : null };
}

/**
 * Where an attempt comes from, as throttling counts it: an IPv4 address, or the
 * /64 of an IPv6 address (one subscriber usually holds a whole /64).
 */
export function sourceKey(ip: string | null | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return 'unknown';
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export type SessionTimes = { createdAt: Date; lastSeenAt: Date; expiresAt: Date; revokedAt: Date | null };
export type SessionState = 'active' | 'idle_locked' | 'expired' | 'revoked';

export function sessionState(session: SessionTimes, now: Date): SessionState {
  if (session.revokedAt) return 'revoked';
  if (now.getTime() >= session.expiresAt.getTime()) return 'expired';
  if (now.getTime() - session.lastSeenAt.getTime() >= IDLE_LOCK_MS) return 'idle_locked';
  return 'active';
}
