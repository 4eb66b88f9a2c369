import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Actor, authorize } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Access } from './route.js';

/**
 * Every route declares its access rule, or the server refuses to start. A
 * public route names why it is public; every other route names the permission
 * it needs, and its request is authenticated and authorised before the
 * handler runs. Nothing is reachable by accident.
 */

/** Resolves the caller of a request; null when it carries no valid credential. */
export type Authenticator = (request: FastifyRequest) => Promise<Actor | null>;

/**
 * Until staff sign-in lands (Identity issue) no credential is accepted, so
 * every protected route answers 401: the guard fails closed.
 */
export const rejectAllCredentials: Authenticator = async () => null;

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

export function installAccessGuard(app: FastifyInstance, authenticate: Authenticator): void {
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
    // Not-found and other framework responses have no route config: nothing to protect there.
    if (!access || 'public' in access) return;
    const actor = await authenticate(request);
    if (!actor) throw new AppError('unauthenticated', 'Sign in to use this.');
    const decision = authorize(actor, access.permission);
    if (!decision.allowed) throw new AppError('forbidden', 'You do not have permission to do this.');
    request.actor = actor;
  });
}
