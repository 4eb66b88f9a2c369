import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ZSsoInfo } from '../../contracts/identity.js';
import { AppError, isAppError } from '../../domain/errors/app-error.js';
import { sourceKey } from '../../domain/identity/sign-in-policy.js';
import { beginSsoSignIn, completeSsoSignIn, SSO_LOGIN_LIFETIME_MS, type SsoClient } from '../../services/sso.service.js';
import { type AppContext, requestContext } from '../context.js';
import { readCookie, SSO_LOGIN_COOKIE, sessionCookie, ssoLoginCookie } from '../cookies.js';
import { STATUS_BY_CODE } from '../error-handler.js';
import { createRateLimiter } from '../rate-limit.js';
import { defineRoute } from '../route.js';
import { SIGN_IN_REQUESTS_PER_ADDRESS } from './auth.routes.js';

const SSO = 'single sign-on: authenticates the caller itself, through the identity provider';
const START = '/api/v1/auth/oidc/start';
const HTML = 'text/html; charset=utf-8';
/** The refusal page: text only, nothing loaded, never framed. */
const PAGE_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A refused single sign-on, as a page a person reads: what happened, its stable code, and the way back. */
function refusalPage(error: AppError, requestId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in refused — Switchboard</title></head>
<body><main id="main" data-error-code="${escapeHtml(error.code)}">
<h1>You are not signed in</h1>
<p role="alert">${escapeHtml(error.message)}</p>
<p>Error code: <code>${escapeHtml(error.code)}</code> · request <code>${escapeHtml(requestId)}</code></p>
<p><a href="/">Back to the sign-in page</a></p>
</main></body></html>
`;
}

const wantsJson = (request: FastifyRequest): boolean => {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
};

/**
 * Single sign-on with the agency's identity provider (OpenID Connect, code flow with PKCE). The routes exist whether
 * or not it is configured, so the API description is one; unconfigured, they answer 404.
 */
export function ssoRoutes(ctx: AppContext, sso: SsoClient | null) {
  const perAddress = createRateLimiter(SIGN_IN_REQUESTS_PER_ADDRESS, 60_000);
  const limit = (request: FastifyRequest, reply: FastifyReply) => {
    const verdict = perAddress.hit(sourceKey(request.ip), ctx.clock().getTime());
    if (!verdict.allowed) {
      reply.header('retry-after', String(verdict.retryAfterSeconds));
      throw new AppError('rate_limited', `Too many sign-in requests from this address; try again in ${verdict.retryAfterSeconds} s.`);
    }
  };
  const configured = (): SsoClient => {
    if (!sso) throw new AppError('not_found', 'Single sign-on is not configured here; sign in with your password and code.');
    return sso;
  };
  const clearLogin = ssoLoginCookie('', 0, ctx.secureCookies);

  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/auth/oidc',
      summary: 'Whether the sign-in page offers single sign-on, and the name of the identity provider',
      tags: ['auth'],
      access: { public: true, reason: 'the sign-in page asks before anyone is signed in' },
      response: ZSsoInfo,
      handler: async () =>
        sso
          ? { enabled: true, providerName: sso.settings.providerName, startUrl: START }
          : { enabled: false, providerName: null, startUrl: null },
    }),
    defineRoute({
      method: 'GET',
      url: START,
      summary: 'Single sign-on, step 1: redirects the browser to the identity provider (authorization code with PKCE)',
      description:
        "Sets a short-lived cookie (10 minutes) that ties the provider's answer to this browser. Rate-limited per address like the other sign-in steps.",
      tags: ['auth'],
      access: { public: true, reason: SSO },
      response: z.string(),
      contentType: HTML,
      successStatus: 302,
      errors: [404, 429, 503],
      handler: async ({ request, reply }) => {
        limit(request, reply);
        const login = await beginSsoSignIn(ctx.identity, configured(), ctx.clock());
        reply.header('set-cookie', ssoLoginCookie(login.cookie, SSO_LOGIN_LIFETIME_MS / 1000, ctx.secureCookies));
        reply.header('location', login.url);
        return '';
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/auth/oidc/callback',
      summary: 'Single sign-on, step 2: the identity provider sends the browser back here; opens the session',
      description:
        "Exchanges the code (PKCE, state and nonce checked), maps the ID token's claims to a role and scopes, checks the assurance (acr) the role needs, and opens a session (the same cookie as a password sign-in), then redirects to the app. A refusal is a page with the reason and its stable code (JSON for clients that accept only JSON); every sign-in and refusal is audited with the issuer and subject.",
      tags: ['auth'],
      access: { public: true, reason: SSO },
      // The provider's answer: code and state, or an error. The raw query string goes to openid-client, which checks it whole.
      query: z.object({
        code: z.string().max(4096).optional(),
        state: z.string().max(512).optional(),
        iss: z.string().max(2048).optional(),
        error: z.string().max(256).optional(),
        error_description: z.string().max(2048).optional(),
        session_state: z.string().max(512).optional(),
      }),
      response: z.string(),
      contentType: HTML,
      successStatus: 303,
      errors: [403, 404, 409, 429, 503],
      handler: async ({ request, reply }) => {
        try {
          limit(request, reply);
          const client = configured();
          const rawQuery = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
          const session = await completeSsoSignIn(ctx.identity, client, requestContext(ctx, request), {
            callbackQuery: rawQuery,
            loginCookie: readCookie(request.headers.cookie, SSO_LOGIN_COOKIE),
          });
          const maxAge = (session.expiresAt.getTime() - ctx.clock().getTime()) / 1000;
          reply.header('set-cookie', [clearLogin, sessionCookie(session.sessionToken, maxAge, ctx.secureCookies)]);
          reply.header('location', '/');
          return '';
        } catch (error) {
          if (!isAppError(error) || wantsJson(request)) throw error;
          reply.header('set-cookie', clearLogin);
          reply.header('content-security-policy', PAGE_POLICY);
          reply.status(STATUS_BY_CODE[error.code]);
          return refusalPage(error, request.id);
        }
      },
    }),
  ];
}
