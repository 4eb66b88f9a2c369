import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Actor, authorize, type Permission, type PermissionTable } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { sameText } from '../services/keys.js';
import type { Access } from './route.js';

/**
 * Every route declares its access rule, or the server refuses to start. A
 * public route names why it is public; every other route names the permission
 * it needs and how callers prove who they are (a staff session cookie, or a
 * partner system's bearer token). The guard authenticates, checks CSRF on
 * cookie-authenticated state changes, and authorises in `onRequest`: from the
 * headers alone, before a byte of the body is read, parsed or validated, so an
 * anonymous caller costs nothing whatever it sends. Provider webhooks are the
 * one exception: their signature covers the form body, so they are checked
 * after it is parsed (and their bodies are small: see registerRoute).
 */

export type Authenticated = { actor: Actor; via: 'session' | 'client' | 'handoff'; csrfToken?: string };

/** Resolves the caller; null when the request carries no valid credential of that kind. May throw (locked session). */
export type Authenticator = (request: FastifyRequest, via: 'session' | 'client' | 'handoff') => Promise<Authenticated | null>;

/** Told of every refusal of an authenticated caller, so it can be audited. */
export type DenialRecorder = (request: FastifyRequest, actor: Actor, permission: Permission, reason: string) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** Routes that plugins register for the interactive API docs (static assets of swagger-ui). */
const DOCS_PREFIX = '/api/docs';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function installAccessGuard(
  app: FastifyInstance,
  options: {
    authenticate: Authenticator;
    permissions: () => PermissionTable;
    onDenied?: DenialRecorder;
    /** Checks a provider webhook's signature; absent → such routes refuse everything. */
    verifyWebhook?: (request: FastifyRequest, provider: 'twilio') => boolean;
    onBadSignature?: (request: FastifyRequest, provider: 'twilio') => Promise<void>;
  },
): void {
  app.decorateRequest('actor', null);
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { access?: Access };
    if (!config.access) {
      if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) {
        route.config = { ...config, access: { public: true, reason: 'interactive API documentation' } };
        return;
      }
      throw new Error(
        `route ${String(route.method)} ${route.url} declares no access rule; every route must be public with a reason or name a permission`,
      );
    }
  });
  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || !('webhook' in access)) return;
    if (options.verifyWebhook?.(request, access.webhook)) return;
    await options.onBadSignature?.(request, access.webhook);
    throw new AppError('forbidden', 'The request is not signed by the telephony provider.');
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // Not-found and other framework responses have no route config: nothing to protect there.
    if (!access || 'public' in access) return;
    if ('webhook' in access) {
      // The provider signs form posts only: anything else cannot carry a valid signature and is refused unread.
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type === 'application/x-www-form-urlencoded') return;
      await options.onBadSignature?.(request, access.webhook);
      throw new AppError('forbidden', 'The request is not signed by the telephony provider.');
    }
    const via = access.via ?? 'session';
    const found = await options.authenticate(request, via);
    if (!found) {
      throw new AppError(
        'unauthenticated',
        via === 'client'
          ? 'Send a valid bearer access token.'
          : via === 'handoff'
            ? 'Send a valid hand-off credential.'
            : 'Sign in to use this.',
      );
    }
    if (found.via === 'session' && !SAFE_METHODS.has(request.method)) {
      const header = request.headers['x-csrf-token'];
      if (typeof header !== 'string' || !found.csrfToken || !sameText(header, found.csrfToken)) {
        await options.onDenied?.(request, found.actor, access.permission, 'missing or wrong x-csrf-token');
        throw new AppError(
          'csrf_failed',
          'This change was refused: the x-csrf-token header is missing or wrong. Reload the page and try again.',
        );
      }
    }
    const decision = authorize(options.permissions(), found.actor, access.permission);
    if (!decision.allowed) {
      await options.onDenied?.(request, found.actor, access.permission, decision.reason);
      throw new AppError('forbidden', 'You do not have permission to do this.');
    }
    request.actor = found.actor;
  });
}

/**
 * The resource a request is about, from its route: the last `/<collection>/:<param>` pair
 * (`/api/v1/referrals/:id/review` → referral and its id), so a refusal in the audit names what it was about.
 */
export function resourceOf(url: string, params: unknown): { resourceType?: string; resourceId?: string } {
  const pairs = [...url.matchAll(/\/([a-z][a-z-]*)\/:([A-Za-z]+)/g)];
  const last = pairs.at(-1);
  if (!last?.[1] || !last[2]) return {};
  const value = typeof params === 'object' && params !== null ? (params as Record<string, unknown>)[last[2]] : undefined;
  const collection = last[1] === 'requests' && url.startsWith('/api/partner/') ? 'partner-requests' : last[1];
  return {
    resourceType: collection.replace(/s$/, '').replace(/-/g, '_'),
    // Only an id-shaped value: anything else (a NUL, a path of dots) is what was refused, not an id to file it under.
    ...(typeof value === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(value) ? { resourceId: value } : {}),
  };
}

/** For handlers behind a permission: the guard has set the actor. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('unauthenticated', 'Sign in to use this.');
  return request.actor;
}
