import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { ZErrorResponse } from '../contracts/common.js';
import type { Db } from '../storage/database.js';
import type { Migration } from '../storage/migrator.js';
import { type Authenticator, installAccessGuard, rejectAllCredentials } from './access-guard.js';
import type { AppContext } from './context.js';
import { installErrorHandling } from './error-handler.js';
import { installMetrics } from './metrics.js';
import { type AnyRoute, registerRoute } from './route.js';
import { referenceRoutes } from './routes/reference.routes.js';
import { systemRoutes } from './routes/system.routes.js';

export type AppOptions = {
  db: Db;
  pool: pg.Pool;
  migrations: Migration[];
  version: string;
  /** A pino logger; omitted → no logging (tests). */
  logger?: FastifyBaseLogger;
  authenticate?: Authenticator;
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** Log serializers that keep personal data out of logs: no query strings, headers, bodies or row values. */
export const logSerializers = {
  req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
  res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
  err: (err: Error & { code?: unknown }) => ({
    type: err.name,
    // Database errors put row values in `detail`, never in `message`; only the message and code are kept.
    message: err.message,
    code: typeof err.code === 'string' ? err.code : undefined,
    stack: err.stack,
  }),
};

export type BuiltApp = {
  app: FastifyInstance;
  routes: AnyRoute[];
  /** Every method and URL Fastify registered, from any source (plugins included): what the OpenAPI test checks against. */
  registered: { method: string; url: string }[];
};

export async function buildApp(options: AppOptions): Promise<BuiltApp> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1_048_576,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // zod validates (in registerRoute) and presenters shape the output: Fastify's own compilers stand aside.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });

  const registered: BuiltApp['registered'] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method: String(method), url: route.url });
  });
  installErrorHandling(app);
  installAccessGuard(app, options.authenticate ?? rejectAllCredentials);
  const metrics = installMetrics(app, options.pool);

  app.addSchema({ $id: 'Error', ...z.toJSONSchema(ZErrorResponse, { target: 'openapi-3.0' }) });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Switchboard API',
        version: options.version,
        description:
          'Contact center and case management. Every route except health, readiness, metrics and this description requires a signed-in session with the named permission.',
      },
      components: {
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'sb_session',
            description: 'Staff session (sign-in arrives with the Identity issue).',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });

  const ctx: AppContext = {
    db: options.db,
    pool: options.pool,
    migrations: options.migrations,
    metrics,
    log: app.log,
    openapi: () => app.swagger() as unknown as Record<string, unknown>,
  };
  const routes = [...systemRoutes(ctx), ...referenceRoutes(ctx)];
  for (const route of routes) registerRoute(app, route);
  await app.ready();
  return { app, routes, registered };
}
