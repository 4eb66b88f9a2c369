import type { Transaction } from 'kysely';
import { isRole, type Role } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { ENROLLMENT_LIFETIME_MS } from '../domain/identity/sign-in-policy.js';
import type { UserRow } from '../storage/repositories/identity.repository.js';
import * as identity from '../storage/repositories/identity.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/** The account row as stored (presenters pick what may leave the server). */
export type { UserRow };

import type { EnrollmentCourier, EnrollmentLink, IdentityDeps } from './identity-context.js';
import { digest, newToken } from './keys.js';

/**
 * Staff accounts, managed by admins (API) or the server's operator (CLI). A
 * new account has no password: it gets a one-time enrollment link (72 h)
 * where its owner chooses a password and enrolls an authenticator; a password
 * reset sends a new link (the authenticator stays). The link travels out of
 * band — the enrollment outbox for the API, the operator's terminal for the
 * CLI — and is never returned to the admin who asked: otherwise one admin
 * could create a legal reviewer, enroll it and be both halves of a
 * two-person rule. Every action is audited (who created or reset whom is what
 * the two-person rules' cooling-off reads).
 */

export type NewUserInput = {
  displayName: string;
  role: Role;
  username?: string | undefined;
  unit?: string | null | undefined;
  agencyOri?: string | null | undefined;
  fieldOfficeCode?: string | null | undefined;
};

/** What the one who asked learns: the account, and where the link went — not the link. */
export type InvitedUser = { user: UserRow; enrollment: { channel: string; expiresAt: Date } };

type Trx = Transaction<Database>;

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

function usernameFrom(displayName: string): string {
  const base = displayName
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .trim()
    .split(/\s+/)
    .join('.')
    .replace(/[^a-z0-9._-]/g, '')
    .slice(0, 56);
  return base.length >= 3 ? base : `user.${base}`;
}

const requestedBy = (ctx: RequestContext): string =>
  ctx.actor?.kind === 'user' ? `user:${ctx.actor.userId}` : (ctx.system ?? 'anonymous');

/** Sets a fresh enrollment token on the account and hands the link to the courier, inside the caller's transaction. */
async function issueEnrollmentLink(
  trx: Trx,
  deps: IdentityDeps,
  ctx: RequestContext,
  user: UserRow,
  reason: EnrollmentLink['reason'],
  courier: EnrollmentCourier,
): Promise<Date> {
  const token = newToken();
  const expiresAt = new Date(ctx.now.getTime() + ENROLLMENT_LIFETIME_MS);
  await identity.updateUser(trx, user.id, { enrollment_token_hash: digest(token), enrollment_expires_at: expiresAt });
  // Delivered before the commit: if the courier fails, the account (or reset) is not made. A link whose
  // transaction then fails to commit does not work, so nothing usable is left behind either way.
  await courier.deliver({
    userId: user.id,
    username: user.username,
    displayName: user.display_name,
    role: user.role,
    reason,
    url: `${deps.publicUrl}/enroll#token=${token}`,
    expiresAt,
    requestedBy: requestedBy(ctx),
  });
  return expiresAt;
}

/**
 * Adds an account; its enrollment link goes to `courier` (by default the
 * configured outbox; the CLI passes the operator's terminal).
 */
export async function addUser(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: NewUserInput,
  courier: EnrollmentCourier = deps.enrollmentCourier,
): Promise<InvitedUser> {
  if (!isRole(input.role)) throw new AppError('validation_failed', `There is no role ${String(input.role)}.`);
  const issues = scopeIssues(input.role, input.agencyOri ?? null, input.fieldOfficeCode ?? null);
  const username = (input.username ?? usernameFrom(input.displayName)).toLowerCase();
  if (!USERNAME.test(username))
    issues.push({ path: 'username', code: 'invalid', message: 'must be 3–64 characters: letters, digits, dot, dash, underscore' });
  if (issues.length > 0) throw new AppError('validation_failed', 'The account was not added.', { issues });

  return deps.db.transaction().execute(async (trx) => {
    if (await identity.findUserByUsername(trx, username)) throw new AppError('conflict', `The username ${username} is taken.`);
    await requireScopes(trx, input.agencyOri ?? null, input.fieldOfficeCode ?? null);
    const user = await identity.insertUser(trx, {
      username,
      display_name: input.displayName,
      role: input.role,
      unit: input.unit ?? null,
      agency_ori: input.agencyOri ?? null,
      field_office_code: input.fieldOfficeCode ?? null,
      password_hash: null,
    });
    const expiresAt = await issueEnrollmentLink(trx, deps, ctx, user, 'new_account', courier);
    await appendAudit(trx, ctx, {
      action: 'user.add',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { role: user.role, agencyOri: user.agency_ori, enrollmentLinkTo: courier.channel },
    });
    return { user, enrollment: { channel: courier.channel, expiresAt } };
  });
}

/** What a role's scopes must be: a partner officer has an agency (and only they do), a field officer an office. */
function scopeIssues(role: Role, agencyOri: string | null, fieldOfficeCode: string | null) {
  const issues = [];
  if (role === 'partner_officer' && !agencyOri)
    issues.push({ path: 'agencyOri', code: 'required', message: 'a partner officer belongs to an agency' });
  if (role === 'field_officer' && !fieldOfficeCode)
    issues.push({ path: 'fieldOfficeCode', code: 'required', message: 'a field officer belongs to a field office' });
  if (role !== 'partner_officer' && agencyOri)
    issues.push({ path: 'agencyOri', code: 'not_allowed', message: 'only partner officers belong to an agency' });
  return issues;
}

/** The agency and field office named exist. */
async function requireScopes(trx: Trx, agencyOri: string | null, fieldOfficeCode: string | null): Promise<void> {
  if (agencyOri && !(await identity.findAgency(trx, agencyOri))) throw new AppError('not_found', `No agency has the ORI ${agencyOri}.`);
  if (fieldOfficeCode && !(await identity.findFieldOffice(trx, fieldOfficeCode)))
    throw new AppError('not_found', `No field office has the code ${fieldOfficeCode}.`);
}

export type AccessChange = {
  role?: Role | undefined;
  unit?: string | null | undefined;
  agencyOri?: string | null | undefined;
  fieldOfficeCode?: string | null | undefined;
};

/**
 * Changes what an account may see and do: its role, unit, field office or agency. Its sessions end, so the change
 * holds from the next request; the audit keeps what it was and what it is. Nobody changes their own access.
 */
export async function changeAccess(deps: IdentityDeps, ctx: RequestContext, username: string, change: AccessChange): Promise<UserRow> {
  const user = await requireUser(deps, username);
  if (ctx.actor?.kind === 'user' && ctx.actor.userId === user.id)
    throw new AppError('forbidden', 'Nobody changes their own access: ask another administrator.');
  const role = change.role ?? user.role;
  if (!isRole(role)) throw new AppError('validation_failed', `There is no role ${String(role)}.`);
  const next = {
    role,
    unit: change.unit !== undefined ? change.unit : user.unit,
    agency_ori: change.agencyOri !== undefined ? change.agencyOri : user.agency_ori,
    field_office_code: change.fieldOfficeCode !== undefined ? change.fieldOfficeCode : user.field_office_code,
  };
  const issues = scopeIssues(role, next.agency_ori, next.field_office_code);
  if (issues.length > 0) throw new AppError('validation_failed', 'The access was not changed.', { issues });
  return deps.db.transaction().execute(async (trx) => {
    await requireScopes(trx, next.agency_ori, next.field_office_code);
    await identity.updateUser(trx, user.id, next);
    const revoked = await identity.revokeUserSessions(trx, user.id, ctx.now);
    await appendAudit(trx, ctx, {
      action: 'user.change_access',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: {
        before: { role: user.role, unit: user.unit, agencyOri: user.agency_ori, fieldOfficeCode: user.field_office_code },
        after: { role: next.role, unit: next.unit, agencyOri: next.agency_ori, fieldOfficeCode: next.field_office_code },
        sessionsRevoked: revoked,
      },
    });
    return { ...user, ...next };
  });
}

async function requireUser(deps: IdentityDeps, username: string): Promise<UserRow> {
  const user = await identity.findUserByUsername(deps.db, username);
  if (!user) throw new AppError('not_found', `There is no account ${username}.`);
  return user;
}

/** Disables the account and ends its sessions at once. */
export async function disableUser(deps: IdentityDeps, ctx: RequestContext, username: string): Promise<UserRow> {
  const user = await requireUser(deps, username);
  return deps.db.transaction().execute(async (trx) => {
    await identity.updateUser(trx, user.id, { disabled_at: user.disabled_at ?? ctx.now });
    const revoked = await identity.revokeUserSessions(trx, user.id, ctx.now);
    await appendAudit(trx, ctx, {
      action: 'user.disable',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { sessionsRevoked: revoked },
    });
    return { ...user, disabled_at: user.disabled_at ?? ctx.now };
  });
}

/**
 * Break-glass accounts keep password+TOTP sign-in while single sign-on is on, for when the identity provider is down.
 * Nobody marks their own account; taking the mark away ends the account's sessions while SSO is on.
 */
export async function setBreakGlass(deps: IdentityDeps, ctx: RequestContext, username: string, breakGlass: boolean): Promise<UserRow> {
  const user = await requireUser(deps, username);
  if (ctx.actor?.kind === 'user' && ctx.actor.userId === user.id)
    throw new AppError('forbidden', 'Nobody marks their own account as break-glass: ask another administrator.');
  return deps.db.transaction().execute(async (trx) => {
    await identity.updateUser(trx, user.id, { break_glass: breakGlass });
    const revoked =
      !breakGlass && deps.singleSignOn && user.sso_subject === null ? await identity.revokeUserSessions(trx, user.id, ctx.now) : 0;
    await appendAudit(trx, ctx, {
      action: 'user.break_glass',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { before: user.break_glass, after: breakGlass, sessionsRevoked: revoked },
    });
    return { ...user, break_glass: breakGlass };
  });
}

/** Forgets the authenticator and recovery codes; the next sign-in enrolls a new one. Sessions end. */
export async function resetMfa(deps: IdentityDeps, ctx: RequestContext, username: string): Promise<UserRow> {
  const user = await requireUser(deps, username);
  return deps.db.transaction().execute(async (trx) => {
    await identity.updateUser(trx, user.id, { totp_secret_enc: null, totp_enrolled_at: null, totp_last_step: null });
    await identity.replaceRecoveryCodes(trx, user.id, []);
    const revoked = await identity.revokeUserSessions(trx, user.id, ctx.now);
    await appendAudit(trx, ctx, {
      action: 'user.reset_mfa',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { sessionsRevoked: revoked },
    });
    return { ...user, totp_secret_enc: null, totp_enrolled_at: null, totp_last_step: null };
  });
}

/**
 * A forgotten (or exposed) password: the old one stops working and sessions
 * end; a new one-time link goes out of band. The authenticator stays, so the
 * link alone opens nothing.
 */
export async function resetPassword(
  deps: IdentityDeps,
  ctx: RequestContext,
  username: string,
  courier: EnrollmentCourier = deps.enrollmentCourier,
): Promise<InvitedUser> {
  const user = await requireUser(deps, username);
  if (user.disabled_at) throw new AppError('conflict', `The account ${username} is disabled.`);
  return deps.db.transaction().execute(async (trx) => {
    await identity.updateUser(trx, user.id, { password_hash: null });
    const revoked = await identity.revokeUserSessions(trx, user.id, ctx.now);
    const expiresAt = await issueEnrollmentLink(trx, deps, ctx, user, 'password_reset', courier);
    await appendAudit(trx, ctx, {
      action: 'user.reset_password',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { sessionsRevoked: revoked, enrollmentLinkTo: courier.channel },
    });
    return { user: { ...user, password_hash: null }, enrollment: { channel: courier.channel, expiresAt } };
  });
}

export async function listUsers(deps: IdentityDeps, ctx: RequestContext): Promise<UserRow[]> {
  return deps.db.transaction().execute(async (trx) => {
    const users = await identity.listUsers(trx);
    await appendAudit(trx, ctx, { action: 'user.list', outcome: 'allowed', resourceType: 'user', details: { count: users.length } });
    return users;
  });
}
