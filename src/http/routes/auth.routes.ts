import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  ZBothFactorsSignInRequest,
  ZChallenge,
  ZEnrollmentConfirmRequest,
  ZEnrollmentPasswordRequest,
  ZSecondFactorRequest,
  ZSession,
  ZSignInRequest,
  ZSignOutRequest,
  ZSignOutResult,
  ZUnlockRequest,
} from '../../contracts/identity.js';
import { AppError } from '../../domain/errors/app-error.js';
import { IDLE_LOCK_MS, sourceKey } from '../../domain/identity/sign-in-policy.js';
import * as auth from '../../services/auth.service.js';
import { csrfTokenFor, sameText } from '../../services/keys.js';
import { actorOf } from '../access-guard.js';
import { type AppContext, requestContext } from '../context.js';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from '../cookies.js';
import { createRateLimiter } from '../rate-limit.js';
import { defineRoute } from '../route.js';

const SIGN_IN = 'staff sign-in: authenticates the caller itself';

/**
 * Every unauthenticated identity request (sign-in steps, enrollment, unlock)
 * from one address, per minute: enough for an office of a hundred behind one
 * NAT signing in at shift change, far too few to flood argon2 from one place.
 */
export const SIGN_IN_REQUESTS_PER_ADDRESS = 60;
const SIGN_IN_WINDOW_MS = 60_000;
/** What a caller refused because argon2's queue is full is told to wait. */
const BUSY_RETRY_SECONDS = 2;

const presentChallenge = (c: auth.Challenge): z.input<typeof ZChallenge> => ({
  next: c.next,
  challengeToken: c.challengeToken,
  expiresAt: c.expiresAt.toISOString(),
  ...(c.enrollment ? { enrollment: c.enrollment } : {}),
});

export function authRoutes(ctx: AppContext) {
  const perAddress = createRateLimiter(SIGN_IN_REQUESTS_PER_ADDRESS, SIGN_IN_WINDOW_MS);

  /** Counts the request against its address, runs the step, and says when to come back if refused for load. */
  const limited = async <T>(request: FastifyRequest, reply: FastifyReply, step: () => Promise<T>): Promise<T> => {
    const verdict = perAddress.hit(sourceKey(request.ip), ctx.clock().getTime());
    if (!verdict.allowed) {
      reply.header('retry-after', String(verdict.retryAfterSeconds));
      throw new AppError('rate_limited', `Too many sign-in requests from this address; try again in ${verdict.retryAfterSeconds} s.`);
    }
    try {
      return await step();
    } catch (error) {
      if (error instanceof AppError && error.code === 'rate_limited') reply.header('retry-after', String(BUSY_RETRY_SECONDS));
      throw error;
    }
  };

  /** The session token goes only into an HttpOnly cookie; the body carries what the page may read. */
  const openSession = (reply: FastifyReply, session: auth.NewSession): z.input<typeof ZSession> => {
    const now = ctx.clock().getTime();
    reply.header('set-cookie', sessionCookie(session.sessionToken, (session.expiresAt.getTime() - now) / 1000, ctx.secureCookies));
    return {
      user: session.user,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt.toISOString(),
      idleLockMinutes: IDLE_LOCK_MS / 60_000,
      ...(session.recoveryCodes ? { recoveryCodes: session.recoveryCodes } : {}),
    };
  };

  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      summary: 'Sign in, step 1: username and password',
      description:
        'Answers with a challenge for the second factor, or — on first sign-in — with the authenticator to enroll. Five failures from one address pause this step for the name from that address (10 minutes, doubling); failures from several addresses pause it everywhere. While paused, sign in with both factors at once (/api/v1/auth/sign-in/both-factors). The answer is the same whether or not the account exists.',
      tags: ['auth'],
      access: { public: true, reason: SIGN_IN },
      body: ZSignInRequest,
      response: ZChallenge,
      errors: [401, 429],
      handler: async ({ body, request, reply }) =>
        limited(request, reply, async () => presentChallenge(await auth.signIn(ctx.identity, requestContext(ctx, request), body))),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/sign-in/both-factors',
      summary: 'Sign in with the password and the TOTP code (or a recovery code) in one step; opens the session',
      description:
        'Answers only yes or no, so it is still taken while the password alone is paused for the name — how a person whose name is under attack signs in. Counts toward the same limits; from an address already paused, five more tries.',
      tags: ['auth'],
      access: { public: true, reason: SIGN_IN },
      body: ZBothFactorsSignInRequest,
      response: ZSession,
      errors: [401, 429],
      handler: async ({ body, request, reply }) =>
        limited(request, reply, async () =>
          openSession(
            reply,
            await auth.signInWithBothFactors(ctx.identity, requestContext(ctx, request), {
              username: body.username,
              password: body.password,
              ...(body.code !== undefined ? { code: body.code } : {}),
              ...(body.recoveryCode !== undefined ? { recoveryCode: body.recoveryCode } : {}),
            }),
          ),
        ),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/second-factor',
      summary: 'Sign in, step 2: the TOTP code (or a recovery code); opens the session',
      tags: ['auth'],
      access: { public: true, reason: SIGN_IN },
      body: ZSecondFactorRequest,
      response: ZSession,
      errors: [401, 429],
      handler: async ({ body, request, reply }) =>
        limited(request, reply, async () =>
          openSession(
            reply,
            await auth.completeSignIn(ctx.identity, requestContext(ctx, request), {
              challengeToken: body.challengeToken,
              ...(body.code !== undefined ? { code: body.code } : {}),
              ...(body.recoveryCode !== undefined ? { recoveryCode: body.recoveryCode } : {}),
            }),
          ),
        ),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/enrollment/password',
      summary: 'Enrollment, step 1: choose a password with the token from your enrollment link',
      description: 'At least 12 characters, not a common password, not your name.',
      tags: ['auth'],
      access: { public: true, reason: SIGN_IN },
      body: ZEnrollmentPasswordRequest,
      response: ZChallenge,
      errors: [401, 429],
      handler: async ({ body, request, reply }) =>
        limited(request, reply, async () =>
          presentChallenge(await auth.setPasswordFromEnrollment(ctx.identity, requestContext(ctx, request), body)),
        ),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/enrollment/confirm',
      summary: 'Enrollment, step 2: confirm the authenticator with its first code; answers with one-time recovery codes',
      tags: ['auth'],
      access: { public: true, reason: SIGN_IN },
      body: ZEnrollmentConfirmRequest,
      response: ZSession,
      errors: [401, 429],
      handler: async ({ body, request, reply }) =>
        limited(request, reply, async () =>
          openSession(reply, await auth.confirmEnrollment(ctx.identity, requestContext(ctx, request), body)),
        ),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/unlock',
      summary: 'Unlock a session locked after 30 idle minutes (password and code); the same session continues',
      description: 'Needs the session cookie and its x-csrf-token header.',
      tags: ['auth'],
      access: { public: true, reason: 're-authentication of a locked session: authenticates the caller itself' },
      body: ZUnlockRequest,
      response: ZSession,
      errors: [401, 403, 429],
      handler: async ({ body, request, reply }) =>
        limited(request, reply, async () => {
          const token = readCookie(request.headers.cookie, SESSION_COOKIE);
          if (!token) throw new AppError('unauthenticated', 'Sign in again.');
          const csrf = request.headers['x-csrf-token'];
          if (typeof csrf !== 'string' || !sameText(csrf, csrfTokenFor(ctx.identity.keys, token))) {
            throw new AppError('csrf_failed', 'This change was refused: the x-csrf-token header is missing or wrong.');
          }
          return openSession(reply, await auth.unlockSession(ctx.identity, requestContext(ctx, request), { sessionToken: token, ...body }));
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/auth/session',
      summary: 'The signed-in user, and the CSRF token for changes',
      tags: ['auth'],
      access: { permission: 'session:own' },
      response: ZSession,
      handler: async ({ request }) => {
        const actor = actorOf(request);
        if (actor.kind !== 'user') throw new AppError('forbidden', 'Staff sessions only.');
        const summary = await auth.describeSession(ctx.identity, actor, readCookie(request.headers.cookie, SESSION_COOKIE) ?? '');
        return { ...summary, expiresAt: summary.expiresAt.toISOString(), idleLockMinutes: IDLE_LOCK_MS / 60_000 };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/sign-out',
      summary: 'Sign out: ends this session on the server (or, with everywhere, every session of yours)',
      tags: ['auth'],
      access: { permission: 'session:own' },
      body: ZSignOutRequest,
      response: ZSignOutResult,
      handler: async ({ body, request, reply }) => {
        const actor = actorOf(request);
        if (actor.kind !== 'user') throw new AppError('forbidden', 'Staff sessions only.');
        const revoked = await auth.signOut(ctx.identity, requestContext(ctx, request), actor, body.everywhere);
        reply.header('set-cookie', clearedSessionCookie(ctx.secureCookies));
        return { revokedSessions: revoked };
      },
    }),
  ];
}
