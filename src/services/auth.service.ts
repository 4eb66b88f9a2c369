import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { isRole, type UserActor } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { checkPassword } from '../domain/identity/password-policy.js';
import {
  afterFailure,
  CHALLENGE_LIFETIME_MS,
  isLocked,
  LOCKOUT_MS,
  SEEN_WRITE_INTERVAL_MS,
  SESSION_LIFETIME_MS,
  sessionState,
} from '../domain/identity/sign-in-policy.js';
import type { Db } from '../storage/database.js';
import type { UserRow } from '../storage/repositories/identity.repository.js';
import * as identity from '../storage/repositories/identity.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { IdentityDeps } from './identity-context.js';
import { csrfTokenFor, decrypt, digest, encrypt, newToken } from './keys.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { checkTotp, newTotpSecret, qrSvg, totpUri } from './totp.js';

/**
 * Staff sign-in: password, then a mandatory TOTP second factor (enrolled on
 * first sign-in), then a server-side session. Failures of either factor count
 * against the name that was typed — existing account or not — and the fifth
 * locks it for ten minutes with the same answer either way.
 */

export type EnrollmentSetup = { otpauthUri: string; qrSvg: string; secret: string };
export type Challenge = { next: 'totp' | 'enroll'; challengeToken: string; expiresAt: Date; enrollment?: EnrollmentSetup };
export type NewSession = {
  sessionToken: string;
  csrfToken: string;
  expiresAt: Date;
  user: { id: string; username: string; displayName: string; role: string };
  recoveryCodes?: string[];
};

const FAILED = 'The username, password or code is not right.';
const LOCKED = `Too many failed attempts: sign-in with this name is paused for ${LOCKOUT_MS / 60_000} minutes.`;
const RECOVERY_CODES = 10;

// A real argon2id hash of a random password: unknown names cost the same time as known ones.
let dummyHash: Promise<string> | undefined;
const timingDecoy = (): Promise<string> => {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
};

const nameKey = (username: string): string => username.trim().toLowerCase();

type Outcome<T> = { ok: true; value: T } | { ok: false; error: AppError };

/** Runs a transaction that may record a failure: the failure (and its audit event) commits, then the error is thrown. */
async function committed<T>(db: Db, work: (trx: Transaction<Database>) => Promise<Outcome<T>>): Promise<T> {
  const outcome = await db.transaction().execute(work);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

async function lockThrottleRow(trx: Transaction<Database>, key: string, now: Date) {
  await trx
    .insertInto('sign_in_throttle')
    .values({ username_key: key, failures: 0, locked_until: null, updated_at: now })
    .onConflict((oc) => oc.column('username_key').doNothing())
    .execute();
  const row = await identity.getThrottle(trx, key);
  return row ? { failures: row.failures, lockedUntil: row.locked_until } : undefined;
}

async function recordFailure(
  trx: Transaction<Database>,
  ctx: RequestContext,
  key: string,
  throttle: { failures: number; lockedUntil: Date | null } | undefined,
  user: UserRow | undefined,
  action: string,
  reason: string,
): Promise<Outcome<never>> {
  const next = afterFailure(throttle, ctx.now);
  await identity.setThrottle(trx, key, next.failures, next.lockedUntil, ctx.now);
  await auditRefusal(trx, ctx, user, action, {
    reason,
    failures: next.failures,
    locked: next.lockedUntil !== null,
    accountExists: user !== undefined,
  });
  return { ok: false, error: new AppError('sign_in_failed', FAILED) };
}

/** A refused sign-in step, audited against the account when there is one (never the name typed: it may be a password). */
function auditRefusal(
  trx: Transaction<Database>,
  ctx: RequestContext,
  user: UserRow | undefined,
  action: string,
  details: Record<string, unknown>,
) {
  return appendAudit(
    trx,
    { ...ctx, actor: null },
    { action, outcome: 'denied', resourceType: 'user', ...(user ? { resourceId: user.id } : {}), details },
  );
}

async function refuseLocked(
  trx: Transaction<Database>,
  ctx: RequestContext,
  user: UserRow | undefined,
  action: string,
): Promise<Outcome<never>> {
  await auditRefusal(trx, ctx, user, action, { reason: 'locked' });
  return { ok: false, error: new AppError('account_locked', LOCKED) };
}

async function newChallenge(
  trx: Transaction<Database>,
  deps: IdentityDeps,
  user: UserRow,
  now: Date,
  pendingSecret: string | null,
): Promise<Challenge> {
  const token = newToken();
  const expiresAt = new Date(now.getTime() + CHALLENGE_LIFETIME_MS);
  await identity.insertChallenge(trx, {
    token_hash: digest(token),
    user_id: user.id,
    purpose: pendingSecret ? 'enroll' : 'totp',
    pending_secret_enc: pendingSecret ? encrypt(deps.keys, pendingSecret) : null,
    expires_at: expiresAt,
  });
  if (!pendingSecret) return { next: 'totp', challengeToken: token, expiresAt };
  const uri = totpUri(pendingSecret, user.username);
  return {
    next: 'enroll',
    challengeToken: token,
    expiresAt,
    enrollment: { otpauthUri: uri, qrSvg: await qrSvg(uri), secret: pendingSecret },
  };
}

async function newSession(trx: Transaction<Database>, deps: IdentityDeps, user: UserRow, ctx: RequestContext): Promise<NewSession> {
  const token = newToken();
  const expiresAt = new Date(ctx.now.getTime() + SESSION_LIFETIME_MS);
  await identity.insertSession(trx, {
    token_hash: digest(token),
    user_id: user.id,
    created_at: ctx.now,
    last_seen_at: ctx.now,
    expires_at: expiresAt,
    source_ip: ctx.sourceIp,
  });
  return {
    sessionToken: token,
    csrfToken: csrfTokenFor(deps.keys, token),
    expiresAt,
    user: { id: user.id, username: user.username, displayName: user.display_name, role: user.role },
  };
}

/** Step 1: the password. Answers with a challenge for the second factor (or its enrollment). */
export async function signIn(deps: IdentityDeps, ctx: RequestContext, input: { username: string; password: string }): Promise<Challenge> {
  const key = nameKey(input.username);
  return committed(deps.db, async (trx) => {
    const throttle = await lockThrottleRow(trx, key, ctx.now);
    const user = await identity.findUserByUsername(trx, key);
    if (isLocked(throttle, ctx.now)) return refuseLocked(trx, ctx, user, 'auth.sign_in');
    const usable = user && !user.disabled_at && user.password_hash;
    const passwordOk =
      usable && user.password_hash
        ? await verifyPassword(user.password_hash, input.password)
        : await verifyPassword(await timingDecoy(), input.password);
    if (!user || !usable || !passwordOk)
      return recordFailure(trx, ctx, key, throttle, user, 'auth.sign_in', user?.disabled_at ? 'disabled' : 'password');
    const enrolled = user.totp_enrolled_at !== null && user.totp_secret_enc !== null;
    const challenge = await newChallenge(trx, deps, user, ctx.now, enrolled ? null : newTotpSecret());
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      {
        action: 'auth.password_verified',
        outcome: 'allowed',
        resourceType: 'user',
        resourceId: user.id,
        details: { next: challenge.next },
      },
    );
    return { ok: true, value: challenge };
  });
}

/** Checks a code against the user's authenticator and, if good, records its time step so it cannot be used again. */
async function spendTotpCode(trx: Transaction<Database>, deps: IdentityDeps, user: UserRow, code: string, now: Date) {
  const check = await checkTotp(
    decrypt(deps.keys, user.totp_secret_enc ?? ''),
    code,
    now,
    user.totp_last_step === null ? null : Number(user.totp_last_step),
  );
  if (check.valid) await identity.updateUser(trx, user.id, { totp_last_step: check.timeStep });
  return check;
}

async function openChallenge(trx: Transaction<Database>, token: string, purpose: 'totp' | 'enroll', now: Date) {
  const challenge = await identity.findChallengeForUpdate(trx, digest(token));
  if (!challenge || challenge.purpose !== purpose || challenge.used_at || challenge.expires_at.getTime() <= now.getTime()) return undefined;
  const user = await identity.findUserById(trx, challenge.user_id);
  if (!user || user.disabled_at) return undefined;
  return { challenge, user };
}

const challengeInvalid = (): Outcome<never> => ({
  ok: false,
  error: new AppError('challenge_invalid', 'This sign-in step has expired or was already used; start again with your password.'),
});

/** Step 2: the TOTP code (or a one-time recovery code). Opens the session. */
export async function completeSignIn(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { challengeToken: string; code?: string; recoveryCode?: string },
): Promise<NewSession> {
  return committed(deps.db, async (trx) => {
    const opened = await openChallenge(trx, input.challengeToken, 'totp', ctx.now);
    if (!opened) return challengeInvalid();
    const { user } = opened;
    const key = nameKey(user.username);
    const throttle = await lockThrottleRow(trx, key, ctx.now);
    if (isLocked(throttle, ctx.now)) return refuseLocked(trx, ctx, user, 'auth.second_factor');
    let method: 'totp' | 'recovery_code';
    if (input.code !== undefined) {
      const check = await spendTotpCode(trx, deps, user, input.code, ctx.now);
      if (!check.valid)
        return recordFailure(trx, ctx, key, throttle, user, 'auth.second_factor', check.reason === 'reused' ? 'reused_code' : 'wrong_code');
      method = 'totp';
    } else if (input.recoveryCode !== undefined) {
      const consumed = await identity.consumeRecoveryCode(trx, user.id, digest(normalizeRecoveryCode(input.recoveryCode)), ctx.now);
      if (!consumed) return recordFailure(trx, ctx, key, throttle, user, 'auth.second_factor', 'wrong_recovery_code');
      method = 'recovery_code';
    } else {
      return { ok: false, error: new AppError('validation_failed', 'Give the code from your authenticator app or a recovery code.') };
    }
    await identity.markChallengeUsed(trx, digest(input.challengeToken), ctx.now);
    await identity.clearThrottle(trx, key);
    const session = await newSession(trx, deps, user, ctx);
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      { action: 'auth.sign_in', outcome: 'allowed', resourceType: 'user', resourceId: user.id, details: { method } },
    );
    return { ok: true, value: session };
  });
}

/** First factor for someone invited by an admin: the enrollment link's token, and the password they choose. */
export async function setPasswordFromEnrollment(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { enrollmentToken: string; password: string },
): Promise<Challenge> {
  const hash = digest(input.enrollmentToken);
  const user = await identity.findUserByEnrollmentToken(deps.db, hash);
  if (!user || user.disabled_at || !user.enrollment_expires_at || user.enrollment_expires_at.getTime() <= ctx.now.getTime()) {
    throw new AppError('challenge_invalid', 'This enrollment link has expired or was already used; ask an administrator for a new one.');
  }
  const problems = checkPassword(input.password, { username: user.username, displayName: user.display_name }, deps.banned);
  if (problems.length > 0) {
    throw new AppError('validation_failed', 'Choose another password.', {
      issues: problems.map((p) => ({ path: 'body.password', code: p.code, message: p.message })),
    });
  }
  const passwordHash = await hashPassword(input.password);
  return committed(deps.db, async (trx) => {
    const current = await identity.findUserByEnrollmentToken(trx, hash);
    if (!current || current.id !== user.id) return challengeInvalid();
    await identity.updateUser(trx, user.id, {
      password_hash: passwordHash,
      password_changed_at: ctx.now,
      enrollment_token_hash: null,
      enrollment_expires_at: null,
    });
    const challenge = await newChallenge(trx, deps, user, ctx.now, newTotpSecret());
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      { action: 'auth.password_set', outcome: 'allowed', resourceType: 'user', resourceId: user.id },
    );
    return { ok: true, value: challenge };
  });
}

const normalizeRecoveryCode = (code: string): string =>
  code
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

function newRecoveryCodes(): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return Array.from({ length: RECOVERY_CODES }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** Confirms the authenticator app with its first code; answers with one-time recovery codes, shown only now. */
export async function confirmEnrollment(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { challengeToken: string; code: string },
): Promise<NewSession> {
  return committed(deps.db, async (trx) => {
    const opened = await openChallenge(trx, input.challengeToken, 'enroll', ctx.now);
    if (!opened) return challengeInvalid();
    const { challenge, user } = opened;
    const key = nameKey(user.username);
    const throttle = await lockThrottleRow(trx, key, ctx.now);
    if (isLocked(throttle, ctx.now)) return refuseLocked(trx, ctx, user, 'auth.mfa_enroll');
    const secret = decrypt(deps.keys, challenge.pending_secret_enc ?? '');
    const check = await checkTotp(secret, input.code, ctx.now, null);
    if (!check.valid) return recordFailure(trx, ctx, key, throttle, user, 'auth.mfa_enroll', 'wrong_code');
    const recoveryCodes = newRecoveryCodes();
    await identity.updateUser(trx, user.id, {
      totp_secret_enc: challenge.pending_secret_enc,
      totp_enrolled_at: ctx.now,
      totp_last_step: check.timeStep,
    });
    await identity.replaceRecoveryCodes(
      trx,
      user.id,
      recoveryCodes.map((code) => digest(normalizeRecoveryCode(code))),
    );
    await identity.markChallengeUsed(trx, digest(input.challengeToken), ctx.now);
    await identity.clearThrottle(trx, key);
    const session = await newSession(trx, deps, user, ctx);
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      { action: 'auth.mfa_enrolled', outcome: 'allowed', resourceType: 'user', resourceId: user.id },
    );
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      { action: 'auth.sign_in', outcome: 'allowed', resourceType: 'user', resourceId: user.id, details: { method: 'enrollment' } },
    );
    return { ok: true, value: { ...session, recoveryCodes } };
  });
}

export type SessionCheck = { actor: UserActor; csrfToken: string };

/** Resolves a session cookie. Locked (idle) and expired sessions get their own codes so the app can ask to re-authenticate. */
export async function authenticateSession(deps: IdentityDeps, token: string, now: Date): Promise<SessionCheck | null> {
  const session = await identity.findSessionByTokenHash(deps.db, digest(token));
  if (!session) return null;
  const state = sessionState(
    { createdAt: session.created_at, lastSeenAt: session.last_seen_at, expiresAt: session.expires_at, revokedAt: session.revoked_at },
    now,
  );
  if (state === 'revoked') return null;
  if (state === 'expired') throw new AppError('session_expired', 'Your session has ended (12 hours after sign-in). Sign in again.');
  if (state === 'idle_locked')
    throw new AppError('session_locked', 'Your session is locked after 30 idle minutes. Enter your password and code to continue.');
  const user = await identity.findUserById(deps.db, session.user_id);
  if (!user || user.disabled_at || !isRole(user.role)) return null;
  if (now.getTime() - session.last_seen_at.getTime() >= SEEN_WRITE_INTERVAL_MS) await identity.touchSession(deps.db, session.id, now);
  return {
    actor: {
      kind: 'user',
      userId: user.id,
      username: user.username,
      role: user.role,
      agencyOri: user.agency_ori,
      fieldOfficeCode: user.field_office_code,
      sessionId: session.id,
    },
    csrfToken: csrfTokenFor(deps.keys, token),
  };
}

/** Re-authentication of an idle-locked session: the same session continues, so nothing in progress is lost. */
export async function unlockSession(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { sessionToken: string; password: string; code: string },
): Promise<NewSession> {
  return committed(deps.db, async (trx) => {
    const session = await identity.findSessionByTokenHash(trx, digest(input.sessionToken));
    const state =
      session &&
      sessionState(
        { createdAt: session.created_at, lastSeenAt: session.last_seen_at, expiresAt: session.expires_at, revokedAt: session.revoked_at },
        ctx.now,
      );
    if (!session || state === 'revoked' || state === 'expired')
      return { ok: false, error: new AppError('unauthenticated', 'Sign in again.') };
    const user = await identity.findUserById(trx, session.user_id);
    if (!user || user.disabled_at || !user.password_hash || !user.totp_secret_enc)
      return { ok: false, error: new AppError('unauthenticated', 'Sign in again.') };
    const key = nameKey(user.username);
    const throttle = await lockThrottleRow(trx, key, ctx.now);
    if (isLocked(throttle, ctx.now)) return refuseLocked(trx, ctx, user, 'auth.unlock');
    if (!(await verifyPassword(user.password_hash, input.password)))
      return recordFailure(trx, ctx, key, throttle, user, 'auth.unlock', 'password');
    const check = await spendTotpCode(trx, deps, user, input.code, ctx.now);
    if (!check.valid)
      return recordFailure(trx, ctx, key, throttle, user, 'auth.unlock', check.reason === 'reused' ? 'reused_code' : 'wrong_code');
    await identity.touchSession(trx, session.id, ctx.now);
    await identity.clearThrottle(trx, key);
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      { action: 'auth.unlock', outcome: 'allowed', resourceType: 'session', resourceId: session.id, details: { userId: user.id } },
    );
    return {
      ok: true,
      value: {
        sessionToken: input.sessionToken,
        csrfToken: csrfTokenFor(deps.keys, input.sessionToken),
        expiresAt: session.expires_at,
        user: { id: user.id, username: user.username, displayName: user.display_name, role: user.role },
      },
    };
  });
}

/** Ends this session (or every session of the user) on the server: the cookie stops working wherever it is. */
export async function signOut(deps: IdentityDeps, ctx: RequestContext, actor: UserActor, everywhere: boolean): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    let revoked = 0;
    if (everywhere) revoked = await identity.revokeUserSessions(trx, actor.userId, ctx.now);
    else if (actor.sessionId) {
      await identity.revokeSession(trx, actor.sessionId, ctx.now);
      revoked = 1;
    }
    await appendAudit(trx, ctx, {
      action: 'auth.sign_out',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: actor.userId,
      details: { everywhere, revoked },
    });
    return revoked;
  });
}

export type SessionSummary = { user: NewSession['user']; csrfToken: string; expiresAt: Date };

/** The signed-in user as the page needs it after a reload, including the CSRF token for changes. */
export async function describeSession(deps: IdentityDeps, actor: UserActor, sessionToken: string): Promise<SessionSummary> {
  const user = await identity.findUserById(deps.db, actor.userId);
  const session = await identity.findSessionByTokenHash(deps.db, digest(sessionToken));
  if (!user || !session) throw new AppError('unauthenticated', 'Sign in again.');
  return {
    user: { id: user.id, username: user.username, displayName: user.display_name, role: user.role },
    csrfToken: csrfTokenFor(deps.keys, sessionToken),
    expiresAt: session.expires_at,
  };
}
