import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { SsoSettings } from '../config/config.js';
import { AppError } from '../domain/errors/app-error.js';
import { decideSsoAccess, type SsoAccess } from '../domain/identity/sso-policy.js';
import type { UserRow } from '../storage/repositories/identity.repository.js';
import * as identity from '../storage/repositories/identity.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { type NewSession, newSession } from './auth.service.js';
import type { IdentityDeps } from './identity-context.js';
import { sameText } from './keys.js';

/**
 * Single sign-on with OpenID Connect: the authorization code flow with PKCE,
 * done by `openid-client` (discovery, the authorization URL, the code
 * exchange, and the ID token's signature, issuer, audience, expiry and nonce).
 * What the verified claims give a person is decided in
 * domain/identity/sso-policy.ts; this service keeps the login's secrets, finds
 * or provisions the account bound to the provider's (issuer, subject), and
 * opens the same kind of session as a password sign-in. Every sign-in and
 * every refusal is audited with the issuer, and the subject once known.
 *
 * Nothing is stored for a login in progress: the browser holds a random token
 * and its start time in a short-lived cookie, and the state, nonce and PKCE
 * verifier are HMACs of them under a server key — a login can be finished only
 * in the browser that began it, only within its lifetime.
 */

/** How long a login begun here may take at the identity provider. */
export const SSO_LOGIN_LIFETIME_MS = 10 * 60_000;

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

export type SsoClient = {
  settings: SsoSettings;
  /** The provider's configuration, discovered on first use (and again after a failure): the provider may start after us. */
  configuration: () => Promise<oidc.Configuration>;
};

export function ssoClient(settings: SsoSettings): SsoClient {
  let discovered: Promise<oidc.Configuration> | undefined;
  const issuer = new URL(settings.issuer);
  // Plain HTTP only for a provider on this machine (tests, a development IdP); anything else must be https.
  const insecure = issuer.protocol === 'http:' && LOOPBACK_HOST.test(issuer.hostname);
  return {
    settings,
    configuration: () => {
      discovered ??= oidc
        .discovery(
          issuer,
          settings.clientId,
          settings.clientSecret ?? undefined,
          settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None(),
          { ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}), timeout: 10 },
        )
        .catch((error: unknown) => {
          discovered = undefined;
          throw error;
        });
      return discovered;
    },
  };
}

type LoginSecrets = { state: string; nonce: string; verifier: string };

const derive = (deps: IdentityDeps, cookie: string, purpose: string): string =>
  createHmac('sha256', deps.keys.sso).update(`${purpose}:${cookie}`).digest('base64url');

const secretsOf = (deps: IdentityDeps, cookie: string): LoginSecrets => ({
  state: derive(deps, cookie, 'state'),
  nonce: derive(deps, cookie, 'nonce'),
  verifier: derive(deps, cookie, 'pkce'),
});

/** "<start time, base 36>-<random token>": the time is covered by the HMACs, so changing it breaks the state. */
const loginCookieValue = (now: Date): string => `${now.getTime().toString(36)}-${randomBytes(32).toString('base64url')}`;

function loginStartedAt(cookie: string): number | null {
  const at = cookie.indexOf('-');
  const ms = at > 0 ? Number.parseInt(cookie.slice(0, at), 36) : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}

/** Begins a login: the provider's authorization URL, and the cookie value the browser keeps until it comes back. */
export async function beginSsoSignIn(deps: IdentityDeps, sso: SsoClient, now: Date): Promise<{ url: string; cookie: string }> {
  const configuration = await reachProvider(sso);
  const cookie = loginCookieValue(now);
  const secrets = secretsOf(deps, cookie);
  const url = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: sso.settings.redirectUri,
    scope: sso.settings.scopes,
    code_challenge: await oidc.calculatePKCECodeChallenge(secrets.verifier),
    code_challenge_method: 'S256',
    state: secrets.state,
    nonce: secrets.nonce,
    ...(sso.settings.acrValues ? { acr_values: sso.settings.acrValues } : {}),
  });
  return { url: url.href, cookie };
}

async function reachProvider(sso: SsoClient): Promise<oidc.Configuration> {
  try {
    return await sso.configuration();
  } catch {
    throw new AppError('sso_unavailable', `${sso.settings.providerName} cannot be reached just now. Try again in a minute.`);
  }
}

const audited = (ctx: RequestContext): RequestContext => ({ ...ctx, actor: null });

/** A refused SSO sign-in, audited with the provider and (when the token was good) the subject; the error to show. */
async function refuse(
  deps: IdentityDeps,
  ctx: RequestContext,
  sso: SsoClient,
  error: AppError,
  details: Record<string, unknown>,
  user?: UserRow,
): Promise<never> {
  await deps.db.transaction().execute((trx) =>
    appendAudit(trx, audited(ctx), {
      action: 'auth.sign_in',
      outcome: 'denied',
      resourceType: 'user',
      ...(user ? { resourceId: user.id } : {}),
      details: { method: 'oidc', issuer: sso.settings.issuer, code: error.code, ...details },
    }),
  );
  throw error;
}

const startAgain = (what: string): AppError => new AppError('sso_failed', `${what} Go back to the sign-in page and start again.`);

/** The exchange failed: which way, in words for the person and a reason for the audit. */
function exchangeFailure(error: unknown, sso: SsoClient): { error: AppError; reason: string; providerError?: string } {
  if (error instanceof oidc.AuthorizationResponseError) {
    const code = /^[a-z_]{1,60}$/.test(error.error) ? error.error : 'error';
    return {
      error: new AppError(
        'sso_failed',
        code === 'access_denied'
          ? `${sso.settings.providerName} did not sign you in (access denied). Go back to the sign-in page and start again, or ask your administrator.`
          : `${sso.settings.providerName} answered with an error (${code}). Go back to the sign-in page and start again.`,
      ),
      reason: 'provider_error',
      providerError: code,
    };
  }
  if (error instanceof oidc.ResponseBodyError) {
    return {
      error: startAgain(`${sso.settings.providerName} refused to complete this sign-in.`),
      reason: 'token_refused',
      providerError: /^[a-z_]{1,60}$/.test(error.error) ? error.error : 'error',
    };
  }
  const message = error instanceof Error ? error.message : '';
  if (error instanceof TypeError && /fetch failed/.test(message))
    return {
      error: new AppError('sso_unavailable', `${sso.settings.providerName} cannot be reached just now. Try again in a minute.`),
      reason: 'provider_unreachable',
    };
  // Anything else openid-client refused: a bad signature, issuer, audience, nonce, expiry or state.
  return { error: startAgain('The answer from the identity provider could not be verified.'), reason: 'invalid_response' };
}

/**
 * Finishes a login at the redirect URI: checks the browser's login cookie,
 * exchanges the code (PKCE, state and nonce checked by openid-client),
 * decides the access the claims give, and opens a session for the account
 * bound to (issuer, subject) — provisioning it on first sign-in.
 */
export async function completeSsoSignIn(
  deps: IdentityDeps,
  sso: SsoClient,
  ctx: RequestContext,
  input: { callbackQuery: string; loginCookie: string | undefined },
): Promise<NewSession> {
  const started = input.loginCookie ? loginStartedAt(input.loginCookie) : null;
  if (!input.loginCookie || started === null)
    return refuse(deps, ctx, sso, startAgain('This browser has no sign-in in progress (it may have been opened in another browser).'), {
      reason: 'no_login_in_progress',
    });
  const age = ctx.now.getTime() - started;
  if (age < 0 || age > SSO_LOGIN_LIFETIME_MS)
    return refuse(deps, ctx, sso, startAgain('This sign-in took longer than 10 minutes and has expired.'), { reason: 'login_expired' });

  const secrets = secretsOf(deps, input.loginCookie);
  const configuration = await reachProvider(sso);
  const returned = new URL(sso.settings.redirectUri);
  returned.search = input.callbackQuery;
  // A state that is not ours is refused before the code is spent (openid-client checks it too).
  const state = returned.searchParams.get('state');
  if (state === null || !sameText(state, secrets.state))
    return refuse(deps, ctx, sso, startAgain('This sign-in does not match the one this browser began.'), { reason: 'bad_state' });

  let claims: Record<string, unknown>;
  try {
    const tokens = await oidc.authorizationCodeGrant(configuration, returned, {
      pkceCodeVerifier: secrets.verifier,
      expectedState: secrets.state,
      expectedNonce: secrets.nonce,
      idTokenExpected: true,
    });
    claims = { ...(tokens.claims() ?? {}) };
  } catch (error) {
    const failure = exchangeFailure(error, sso);
    return refuse(deps, ctx, sso, failure.error, {
      reason: failure.reason,
      ...(failure.providerError ? { providerError: failure.providerError } : {}),
    });
  }

  const subject = typeof claims.sub === 'string' ? claims.sub : '';
  const who = { subject, acr: typeof claims.acr === 'string' ? claims.acr : null, amr: Array.isArray(claims.amr) ? claims.amr : null };
  const decision = decideSsoAccess(claims, sso.settings.mapping);
  const bound = await identity.findUserBySsoSubject(deps.db, sso.settings.issuer, subject);
  if (!decision.ok)
    return refuse(
      deps,
      ctx,
      sso,
      new AppError(decision.code, decision.message),
      { ...who, reason: decision.reason, ...decision.details },
      bound,
    );
  if (bound?.disabled_at)
    return refuse(
      deps,
      ctx,
      sso,
      new AppError('sso_no_access', 'Your Switchboard account is disabled. Ask your administrator.'),
      { ...who, reason: 'disabled' },
      bound,
    );
  const scopeProblem = await missingScope(deps, decision.access);
  if (scopeProblem)
    return refuse(deps, ctx, sso, new AppError('sso_no_access', scopeProblem.message), { ...who, reason: scopeProblem.reason }, bound);

  const result = await deps.db.transaction().execute(async (trx) => {
    let user = await identity.findUserBySsoSubject(trx, sso.settings.issuer, subject);
    if (!user) {
      const username =
        decision.username ?? `sso.${createHash('sha256').update(`${sso.settings.issuer} ${subject}`).digest('hex').slice(0, 16)}`;
      if (await identity.findUserByUsername(trx, username)) return { conflict: username } as const;
      user = await identity.insertUser(trx, {
        username,
        display_name: decision.displayName ?? username,
        role: decision.access.role,
        unit: decision.access.unit,
        agency_ori: decision.access.agencyOri,
        field_office_code: decision.access.fieldOfficeCode,
        password_hash: null,
        sso_issuer: sso.settings.issuer,
        sso_subject: subject,
      });
      await appendAudit(trx, audited(ctx), {
        action: 'user.add',
        outcome: 'allowed',
        resourceType: 'user',
        resourceId: user.id,
        details: { provisionedBy: 'oidc', issuer: sso.settings.issuer, subject, ...accessOf(decision.access) },
      });
    } else if (changed(user, decision.access)) {
      // The provider is the source of truth for access: a group change holds from this sign-in, and older sessions end.
      await identity.updateUser(trx, user.id, {
        role: decision.access.role,
        unit: decision.access.unit,
        agency_ori: decision.access.agencyOri,
        field_office_code: decision.access.fieldOfficeCode,
      });
      const revoked = await identity.revokeUserSessions(trx, user.id, ctx.now);
      await appendAudit(trx, audited(ctx), {
        action: 'user.change_access',
        outcome: 'allowed',
        resourceType: 'user',
        resourceId: user.id,
        details: {
          by: 'oidc',
          issuer: sso.settings.issuer,
          subject,
          before: { role: user.role, unit: user.unit, agencyOri: user.agency_ori, fieldOfficeCode: user.field_office_code },
          after: accessOf(decision.access),
          sessionsRevoked: revoked,
        },
      });
      user = {
        ...user,
        role: decision.access.role,
        unit: decision.access.unit,
        agency_ori: decision.access.agencyOri,
        field_office_code: decision.access.fieldOfficeCode,
      };
    }
    const session = await newSession(trx, deps, user, ctx);
    await appendAudit(trx, audited(ctx), {
      action: 'auth.sign_in',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { method: 'oidc', issuer: sso.settings.issuer, ...who },
    });
    return { session } as const;
  });
  if ('conflict' in result)
    return refuse(
      deps,
      ctx,
      sso,
      new AppError(
        'sso_account_conflict',
        `A Switchboard account named ${result.conflict} already exists and is not linked to this sign-in. Ask an administrator to link it to your ${sso.settings.providerName}.`,
      ),
      { ...who, reason: 'username_taken' },
    );
  return result.session;
}

const accessOf = (a: SsoAccess) => ({ role: a.role, unit: a.unit, agencyOri: a.agencyOri, fieldOfficeCode: a.fieldOfficeCode });

const changed = (user: UserRow, a: SsoAccess): boolean =>
  user.role !== a.role || user.unit !== a.unit || user.agency_ori !== a.agencyOri || user.field_office_code !== a.fieldOfficeCode;

/** The field office or agency a claim named must exist: a claim cannot invent a scope. */
async function missingScope(deps: IdentityDeps, a: SsoAccess): Promise<{ reason: string; message: string } | undefined> {
  if (a.fieldOfficeCode && !(await identity.findFieldOffice(deps.db, a.fieldOfficeCode)))
    return {
      reason: 'unknown_field_office',
      message: `Your identity provider names a field office (${a.fieldOfficeCode}) that Switchboard does not know. Ask your administrator.`,
    };
  if (a.agencyOri && !(await identity.findAgency(deps.db, a.agencyOri)))
    return {
      reason: 'unknown_agency',
      message: `Your identity provider names an agency (${a.agencyOri}) that Switchboard does not know. Ask your administrator.`,
    };
  return undefined;
}
