// Over 500 lines: one sign-in flow (throttle, password, second factor, enrollment, sessions) sharing private throttle and audit helpers.
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { isRole, type UserActor } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { checkPassword } from '../domain/identity/password-policy.js';
import {
  ACCOUNT_WINDOW_MS,
  type Admission,
  admit,
  afterFailure,
  CHALLENGE_LIFETIME_MS,
  QUIET_RESET_MS,
  SEEN_WRITE_INTERVAL_MS,
  SESSION_LIFETIME_MS,
  type SignInStep,
  type SourceThrottle,
  sessionState,
  sourceKey,
  withoutProvisionalFailure,
} from '../domain/identity/sign-in-policy.js';
import type { Db } from '../storage/database.js';
import type { UserRow } from '../storage/repositories/identity.repository.js';
import * as identity from '../storage/repositories/identity.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { IdentityDeps } from './identity-context.js';
import { csrfTokenFor, decrypt, digest, encrypt, newToken } from './keys.js';
import { argon2Queue, BUSY_MESSAGE, hashPassword, verifyPassword } from './passwords.js';
import { checkTotp, newTotpSecret, qrSvg, totpUri } from './totp.js';

/**
 * Staff sign-in: password, then a mandatory TOTP second factor (enrolled on
 * first sign-in), then a server-side session — or both factors in one request,
 * which is what still works while the password alone is paused. Failures count
 * against the name typed and the address it came from (existing account or
 * not); the rules are in domain/identity/sign-in-policy.ts. No database
 * connection is held while argon2 works: a password attempt is admitted and
 * counted as a failure in one short transaction, checked in the bounded argon2
 * queue, and settled in a second.
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
const RECOVERY_CODES = 10;
/** Records of a source untouched this long are forgotten (a few per failure). */
const PRUNE_BATCH = 20;

// A real argon2id hash of a random password: unknown names cost the same time as known ones.
let dummyHash: Promise<string> | undefined;
const timingDecoy = (): Promise<string> => {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  dummyHash.catch(() => {
    dummyHash = undefined;
  });
  return dummyHash;
};

const nameKey = (username: string): string => username.trim().toLowerCase();

type Trx = Transaction<Database>;
type Outcome<T> = { ok: true; value: T } | { ok: false; error: AppError };
/** One name typed, from one source: the unit that failures are counted in. */
type Attempt = { key: string; source: string };

const attemptOf = (username: string, ctx: RequestContext): Attempt => ({ key: nameKey(username), source: sourceKey(ctx.sourceIp) });

/** Runs a transaction that may record a failure: the failure (and its audit event) commits, then the error is thrown. */
async function committed<T>(db: Db, work: (trx: Trx) => Promise<Outcome<T>>): Promise<T> {
  const outcome = await db.transaction().execute(work);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

const throttleOf = (row: { failures: number; last_failure_at: Date | null; locked_until: Date | null }): SourceThrottle => ({
  failures: row.failures,
  lastFailureAt: row.last_failure_at,
  lockedUntil: row.locked_until,
});

/** Locks the attempt's row and asks the policy whether this step may be tried now. */
async function admission(trx: Trx, attempt: Attempt, step: SignInStep, now: Date) {
  const throttle = throttleOf(await identity.lockSourceThrottle(trx, attempt.key, attempt.source, now));
  const evidence = await identity.failuresAcrossSources(trx, attempt.key, new Date(now.getTime() - ACCOUNT_WINDOW_MS));
  return { throttle, verdict: admit(step, throttle, evidence, now) };
}

/** A refused sign-in step, audited against the account when there is one (never the name typed: it may be a password). */
function auditRefusal(trx: Trx, ctx: RequestContext, user: UserRow | undefined, action: string, details: Record<string, unknown>) {
  return appendAudit(
    trx,
    { ...ctx, actor: null },
    { action, outcome: 'denied', resourceType: 'user', ...(user ? { resourceId: user.id } : {}), details },
  );
}

/**
 * While single sign-on is on, password sign-in is kept for break-glass accounts (an admin's flag). Asked only once the
 * password was right, so the answer says nothing about which names exist.
 */
async function ssoGate(trx: Trx, deps: IdentityDeps, ctx: RequestContext, user: UserRow, action: string): Promise<Outcome<never> | null> {
  if (!deps.singleSignOn || user.break_glass) return null;
  await auditRefusal(trx, ctx, user, action, { reason: 'sso_required' });
  return {
    ok: false,
    error: new AppError(
      'sso_required',
      `Sign in with ${deps.singleSignOn.providerName}: password sign-in is kept for break-glass accounts while single sign-on is on.`,
    ),
  };
}

function pausedError(verdict: Exclude<Admission, { allowed: true }>): AppError {
  const both = verdict.bothFactorsAccepted
    ? ' You can still sign in with your password and the code from your authenticator app together.'
    : '';
  const minutes = Math.max(1, Math.ceil(verdict.retryAfterMs / 60_000));
  return new AppError(
    'account_locked',
    verdict.reason === 'source_locked'
      ? `Too many failed attempts: signing in with this name from this address is paused for ${minutes} minutes.${both}`
      : `Too many failed attempts from several places: signing in with this name by password alone is paused.${both}`,
  );
}

async function refusePaused(
  trx: Trx,
  ctx: RequestContext,
  user: UserRow | undefined,
  action: string,
  verdict: Exclude<Admission, { allowed: true }>,
): Promise<Outcome<never>> {
  await auditRefusal(trx, ctx, user, action, { reason: verdict.reason, bothFactorsAccepted: verdict.bothFactorsAccepted });
  return { ok: false, error: pausedError(verdict) };
}

/** Audits a failure whose count is already written (`throttle` is the record after it). */
async function auditFailure(
  trx: Trx,
  ctx: RequestContext,
  throttle: SourceThrottle,
  user: UserRow | undefined,
  action: string,
  reason: string,
): Promise<Outcome<never>> {
  await identity.pruneThrottle(trx, new Date(ctx.now.getTime() - QUIET_RESET_MS), ctx.now, PRUNE_BATCH);
  await auditRefusal(trx, ctx, user, action, {
    reason,
    failures: throttle.failures,
    locked: throttle.lockedUntil !== null && throttle.lockedUntil.getTime() > ctx.now.getTime(),
    accountExists: user !== undefined,
  });
  return { ok: false, error: new AppError('sign_in_failed', FAILED) };
}

/** Counts a failure of a step that needs no password check (a code), then audits it. */
async function recordFailure(
  trx: Trx,
  ctx: RequestContext,
  attempt: Attempt,
  throttle: SourceThrottle,
  user: UserRow | undefined,
  action: string,
  reason: string,
): Promise<Outcome<never>> {
  const next = afterFailure(throttle, ctx.now);
  await identity.setSourceThrottle(trx, attempt.key, attempt.source, next, ctx.now);
  return auditFailure(trx, ctx, next, user, action, reason);
}

/** Takes back the provisional failure of a password attempt whose password was right (or that was never checked). */
async function takeBack(trx: Trx, attempt: Attempt, now: Date): Promise<void> {
  const row = throttleOf(await identity.lockSourceThrottle(trx, attempt.key, attempt.source, now));
  await identity.setSourceThrottle(trx, attempt.key, attempt.source, withoutProvisionalFailure(row), now);
}

type Admitted<S> = { user: UserRow | undefined; subject: S; provisional: SourceThrottle };

/**
 * A step that checks a password: admitted and provisionally counted as a
 * failure in one short transaction, the password checked in the argon2 queue
 * with no connection held, then settled by `settle` in a second transaction
 * (which audits a wrong password itself, or takes the provisional failure back).
 */
async function passwordStep<S, T>(
  deps: IdentityDeps,
  ctx: RequestContext,
  attempt: Attempt,
  step: SignInStep,
  action: string,
  find: (trx: Trx) => Promise<Outcome<{ user: UserRow | undefined; subject: S }>>,
  password: string,
  settle: (trx: Trx, admitted: Admitted<S>, passwordOk: boolean) => Promise<Outcome<T>>,
): Promise<T> {
  // Refused before anything is written when argon2's queue is full: the rest of the server keeps its share.
  if (!argon2Queue.hasRoom()) throw new AppError('rate_limited', BUSY_MESSAGE);
  const admitted = await committed(deps.db, async (trx): Promise<Outcome<Admitted<S>>> => {
    const found = await find(trx);
    if (!found.ok) return found;
    const { throttle, verdict } = await admission(trx, attempt, step, ctx.now);
    if (!verdict.allowed) return refusePaused(trx, ctx, found.value.user, action, verdict);
    const provisional = afterFailure(throttle, ctx.now);
    await identity.setSourceThrottle(trx, attempt.key, attempt.source, provisional, ctx.now);
    return { ok: true, value: { ...found.value, provisional } };
  });
  const user = admitted.user;
  const usable = user && !user.disabled_at && user.password_hash ? user.password_hash : undefined;
  let passwordOk = false;
  try {
    if (usable) passwordOk = await verifyPassword(usable, password);
    else await verifyPassword(await timingDecoy(), password);
  } catch (error) {
    await deps.db.transaction().execute((trx) => takeBack(trx, attempt, ctx.now));
    throw error;
  }
  return committed(deps.db, (trx) => settle(trx, admitted, passwordOk));
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

/** Opens a session (password and SSO sign-ins alike): the same cookie, lifetime and idle lock. */
export async function newSession(trx: Transaction<Database>, deps: IdentityDeps, user: UserRow, ctx: RequestContext): Promise<NewSession> {
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
  const attempt = attemptOf(input.username, ctx);
  return passwordStep(
    deps,
    ctx,
    attempt,
    'password',
    'auth.sign_in',
    async (trx) => ({ ok: true, value: { user: await identity.findUserByUsername(trx, attempt.key), subject: null } }),
    input.password,
    async (trx, { user, provisional }, passwordOk) => {
      if (!user || !passwordOk)
        return auditFailure(trx, ctx, provisional, user, 'auth.sign_in', user?.disabled_at ? 'disabled' : 'password');
      await takeBack(trx, attempt, ctx.now);
      const gate = await ssoGate(trx, deps, ctx, user, 'auth.sign_in');
      if (gate) return gate;
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
    },
  );
}

/**
 * Checks a code against the user's authenticator and claims its time step in one
 * compare-and-set: of parallel requests with the same code, exactly one wins.
 */
async function spendTotpCode(trx: Trx, deps: IdentityDeps, user: UserRow, code: string, now: Date) {
  if (!user.totp_secret_enc) return { valid: false as const, reason: 'wrong' as const };
  const check = await checkTotp(
    decrypt(deps.keys, user.totp_secret_enc),
    code,
    now,
    user.totp_last_step === null ? null : Number(user.totp_last_step),
  );
  if (check.valid && !(await identity.advanceTotpStep(trx, user.id, check.timeStep)))
    return { valid: false as const, reason: 'reused' as const };
  return check;
}

/** The second factor given with a challenge or with the password: a TOTP code (once) or a recovery code (once). */
async function spendSecondFactor(
  trx: Trx,
  deps: IdentityDeps,
  user: UserRow,
  input: { code?: string | undefined; recoveryCode?: string | undefined },
  now: Date,
): Promise<{ ok: true; method: 'totp' | 'recovery_code' } | { ok: false; reason: string }> {
  if (input.code !== undefined) {
    const check = await spendTotpCode(trx, deps, user, input.code, now);
    return check.valid ? { ok: true, method: 'totp' } : { ok: false, reason: check.reason === 'reused' ? 'reused_code' : 'wrong_code' };
  }
  if (input.recoveryCode !== undefined) {
    const consumed = await identity.consumeRecoveryCode(trx, user.id, digest(normalizeRecoveryCode(input.recoveryCode)), now);
    return consumed ? { ok: true, method: 'recovery_code' } : { ok: false, reason: 'wrong_recovery_code' };
  }
  throw new AppError('validation_failed', 'Give the code from your authenticator app or a recovery code.');
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
  if (input.code === undefined && input.recoveryCode === undefined)
    throw new AppError('validation_failed', 'Give the code from your authenticator app or a recovery code.');
  return committed(deps.db, async (trx) => {
    const opened = await openChallenge(trx, input.challengeToken, 'totp', ctx.now);
    if (!opened) return challengeInvalid();
    const { user } = opened;
    const gate = await ssoGate(trx, deps, ctx, user, 'auth.second_factor');
    if (gate) return gate;
    const attempt = attemptOf(user.username, ctx);
    const { throttle, verdict } = await admission(trx, attempt, 'code', ctx.now);
    if (!verdict.allowed) return refusePaused(trx, ctx, user, 'auth.second_factor', verdict);
    const spent = await spendSecondFactor(trx, deps, user, input, ctx.now);
    if (!spent.ok) return recordFailure(trx, ctx, attempt, throttle, user, 'auth.second_factor', spent.reason);
    await identity.markChallengeUsed(trx, digest(input.challengeToken), ctx.now);
    await identity.clearSourceThrottle(trx, attempt.key, attempt.source);
    const session = await newSession(trx, deps, user, ctx);
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      { action: 'auth.sign_in', outcome: 'allowed', resourceType: 'user', resourceId: user.id, details: { method: spent.method } },
    );
    return { ok: true, value: session };
  });
}

/**
 * Both factors in one request: the password and a TOTP or recovery code. The
 * answer is only yes or no, so it teaches a guesser nothing about the
 * password; that is why it is still taken while the password alone is paused
 * — how a person whose name is under attack signs in.
 */
export async function signInWithBothFactors(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { username: string; password: string; code?: string | undefined; recoveryCode?: string | undefined },
): Promise<NewSession> {
  if (input.code === undefined && input.recoveryCode === undefined)
    throw new AppError('validation_failed', 'Give the code from your authenticator app or a recovery code.');
  const attempt = attemptOf(input.username, ctx);
  return passwordStep(
    deps,
    ctx,
    attempt,
    'both',
    'auth.sign_in',
    async (trx) => ({ ok: true, value: { user: await identity.findUserByUsername(trx, attempt.key), subject: null } }),
    input.password,
    async (trx, { user, provisional }, passwordOk) => {
      if (!user || !passwordOk)
        return auditFailure(trx, ctx, provisional, user, 'auth.sign_in', user?.disabled_at ? 'disabled' : 'password');
      const current = await identity.findUserById(trx, user.id);
      if (current && deps.singleSignOn && !current.break_glass) {
        // The password was right: no failure counts, and the answer points to single sign-on.
        await takeBack(trx, attempt, ctx.now);
        const gate = await ssoGate(trx, deps, ctx, current, 'auth.sign_in');
        if (gate) return gate;
      }
      if (!current?.totp_enrolled_at) return auditFailure(trx, ctx, provisional, user, 'auth.sign_in', 'not_enrolled');
      const spent = await spendSecondFactor(trx, deps, current, input, ctx.now);
      if (!spent.ok) return auditFailure(trx, ctx, provisional, user, 'auth.sign_in', spent.reason);
      await identity.clearSourceThrottle(trx, attempt.key, attempt.source);
      const session = await newSession(trx, deps, current, ctx);
      await appendAudit(
        trx,
        { ...ctx, actor: null },
        {
          action: 'auth.sign_in',
          outcome: 'allowed',
          resourceType: 'user',
          resourceId: user.id,
          details: { method: spent.method, bothFactorsAtOnce: true },
        },
      );
      return { ok: true, value: session };
    },
  );
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
    // After a password reset the authenticator stays: the link alone does not open a session.
    const enrolled = current.totp_enrolled_at !== null && current.totp_secret_enc !== null;
    const challenge = await newChallenge(trx, deps, current, ctx.now, enrolled ? null : newTotpSecret());
    await appendAudit(
      trx,
      { ...ctx, actor: null },
      { action: 'auth.password_set', outcome: 'allowed', resourceType: 'user', resourceId: user.id, details: { next: challenge.next } },
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
    const gate = await ssoGate(trx, deps, ctx, user, 'auth.mfa_enroll');
    if (gate) return gate;
    const attempt = attemptOf(user.username, ctx);
    const { throttle, verdict } = await admission(trx, attempt, 'code', ctx.now);
    if (!verdict.allowed) return refusePaused(trx, ctx, user, 'auth.mfa_enroll', verdict);
    const secret = decrypt(deps.keys, challenge.pending_secret_enc ?? '');
    const check = await checkTotp(secret, input.code, ctx.now, null);
    if (!check.valid) return recordFailure(trx, ctx, attempt, throttle, user, 'auth.mfa_enroll', 'wrong_code');
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
    await identity.clearSourceThrottle(trx, attempt.key, attempt.source);
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
  const session = await identity.findSessionWithUser(deps.db, digest(token));
  if (!session) return null;
  const state = sessionState(
    { createdAt: session.created_at, lastSeenAt: session.last_seen_at, expiresAt: session.expires_at, revokedAt: session.revoked_at },
    now,
  );
  if (state === 'revoked') return null;
  if (state === 'expired') throw new AppError('session_expired', 'Your session has ended (12 hours after sign-in). Sign in again.');
  if (state === 'idle_locked')
    throw new AppError('session_locked', 'Your session is locked after 30 idle minutes. Enter your password and code to continue.');
  const role = session.role;
  if (session.disabled_at || !isRole(role)) return null;
  if (now.getTime() - session.last_seen_at.getTime() >= SEEN_WRITE_INTERVAL_MS) await identity.touchSession(deps.db, session.id, now);
  return {
    actor: {
      kind: 'user',
      userId: session.user_id,
      username: session.username,
      role,
      agencyOri: session.agency_ori,
      fieldOfficeCode: session.field_office_code,
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
  const signInAgain = (): Outcome<never> => ({ ok: false, error: new AppError('unauthenticated', 'Sign in again.') });
  // The name is known only once the session is found; the attempt is keyed like every other for that name.
  const session = await identity.findSessionByTokenHash(deps.db, digest(input.sessionToken));
  const owner = session ? await identity.findUserById(deps.db, session.user_id) : undefined;
  if (!session || !owner) throw new AppError('unauthenticated', 'Sign in again.');
  const attempt = attemptOf(owner.username, ctx);
  const live = (s: typeof session) => {
    const state = sessionState(
      { createdAt: s.created_at, lastSeenAt: s.last_seen_at, expiresAt: s.expires_at, revokedAt: s.revoked_at },
      ctx.now,
    );
    return state !== 'revoked' && state !== 'expired';
  };
  return passwordStep(
    deps,
    ctx,
    attempt,
    'both',
    'auth.unlock',
    async (trx) => {
      const current = await identity.findSessionByTokenHash(trx, digest(input.sessionToken));
      const user = current ? await identity.findUserById(trx, current.user_id) : undefined;
      if (!current || !live(current) || !user || user.disabled_at || !user.password_hash || !user.totp_secret_enc) return signInAgain();
      return { ok: true, value: { user, subject: current } };
    },
    input.password,
    async (trx, { user, subject, provisional }, passwordOk) => {
      if (!user) return signInAgain();
      if (!passwordOk) return auditFailure(trx, ctx, provisional, user, 'auth.unlock', 'password');
      const current = await identity.findUserById(trx, user.id);
      if (!current) return signInAgain();
      const check = await spendTotpCode(trx, deps, current, input.code, ctx.now);
      if (!check.valid)
        return auditFailure(trx, ctx, provisional, user, 'auth.unlock', check.reason === 'reused' ? 'reused_code' : 'wrong_code');
      await identity.touchSession(trx, subject.id, ctx.now);
      await identity.clearSourceThrottle(trx, attempt.key, attempt.source);
      await appendAudit(
        trx,
        { ...ctx, actor: null },
        { action: 'auth.unlock', outcome: 'allowed', resourceType: 'session', resourceId: subject.id, details: { userId: user.id } },
      );
      return {
        ok: true,
        value: {
          sessionToken: input.sessionToken,
          csrfToken: csrfTokenFor(deps.keys, input.sessionToken),
          expiresAt: subject.expires_at,
          user: { id: user.id, username: user.username, displayName: user.display_name, role: user.role },
        },
      };
    },
  );
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
