import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { TEXT_RULES, ZErrorResponse } from '../contracts/common.js';
import { DEFAULT_CALLBACK_POLICY } from '../domain/callbacks/callback-policy.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Geocoder } from '../domain/geo/geocoder.js';
import { sourceKey } from '../domain/identity/sign-in-policy.js';
import { MAX_CSV_ROWS } from '../domain/partner/submission-csv.js';
import { RealtimeHub } from '../realtime/hub.js';
import type { AttachmentScanner } from '../services/attachment.service.js';
import { recordAudit } from '../services/audit.service.js';
import { authenticateSession } from '../services/auth.service.js';
import { CallbackService } from '../services/callback.service.js';
import { readCsv } from '../services/csv-reader.js';
import { offlineGeocoder } from '../services/geonames.js';
import { authenticateOrganisation } from '../services/handoff.service.js';
import type { IdentityDeps } from '../services/identity-context.js';
import { IntakeFormsConfig } from '../services/intake-forms.service.js';
import { IvrFlows } from '../services/ivr-flow.service.js';
import { whereaboutsOfCall } from '../services/live-call.service.js';
import { LiveCallRelay } from '../services/live-call-relay.service.js';
import { authenticateClientToken } from '../services/partner-client.service.js';
import { PhoneDirectory } from '../services/phone.service.js';
import type { RoutingService } from '../services/routing.service.js';
import type { SsoClient } from '../services/sso.service.js';
import type { Db } from '../storage/database.js';
import type { Migration } from '../storage/migrator.js';
import { packageRoot } from '../storage/paths.js';
import { type TwilioCalls, type TwilioConfig, verifyTwilioSignature } from '../telephony/adapters/twilio.js';
import { loadFlows } from '../telephony/ivr-flows.js';
import { LiveCallDesks, type LiveCalls } from '../telephony/live-calls.js';
import { type Authenticator, installAccessGuard, resourceOf } from './access-guard.js';
import { installBodyParsers } from './body-parsers.js';
import type { AppContext } from './context.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';
import { installErrorHandling, sendError } from './error-handler.js';
import { installMetrics, type Metrics } from './metrics.js';
import { parseQueryString } from './query-string.js';
import { createRateLimiter } from './rate-limit.js';
import { type AnyRoute, DEFAULT_BODY_LIMIT, registerRoute, WEBHOOK_BODY_LIMIT } from './route.js';
import { adminRoutes } from './routes/admin.routes.js';
import { agencyRoutes } from './routes/agency.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { bestInterestRoutes } from './routes/best-interest.routes.js';
import { callRoutes } from './routes/call.routes.js';
import { callbackRoutes } from './routes/callback.routes.js';
import { caseRoutes } from './routes/case.routes.js';
import { casePlanRoutes } from './routes/case-plan.routes.js';
import { clientRequestRoutes } from './routes/client-request.routes.js';
import { configRoutes } from './routes/config.routes.js';
import { desktopRoutes } from './routes/desktop.routes.js';
import { handoffRoutes } from './routes/handoff.routes.js';
import { liveCallRoutes } from './routes/live-call.routes.js';
import { partnerRoutes } from './routes/partner.routes.js';
import { partnerRequestRoutes } from './routes/partner-request.routes.js';
import { personRoutes } from './routes/person.routes.js';
import { phoneRoutes } from './routes/phone.routes.js';
import { realtimeRoutes } from './routes/realtime.routes.js';
import { referenceRoutes } from './routes/reference.routes.js';
import { referralRoutes } from './routes/referral.routes.js';
import { relationshipRoutes } from './routes/relationship.routes.js';
import { reportRoutes } from './routes/report.routes.js';
import { routingRoutes } from './routes/routing.routes.js';
import { safeguardRoutes } from './routes/safeguard.routes.js';
import { ssoRoutes } from './routes/sso.routes.js';
import { staffingRoutes } from './routes/staffing.routes.js';
import { CSV_UPLOAD_ROUTES, submissionRoutes } from './routes/submission.routes.js';
import { systemRoutes } from './routes/system.routes.js';
import { twilioRoutes } from './routes/twilio.routes.js';
import { webApp } from './web-app.js';

export type AppOptions = {
  db: Db;
  pool: pg.Pool;
  migrations: Migration[];
  version: string;
  /** A pino logger; omitted → no logging (tests). */
  logger?: FastifyBaseLogger;
  identity: IdentityDeps;
  /** Cookies get the Secure attribute unless Switchboard is reached over plain HTTP on loopback. */
  secureCookies: boolean;
  /** Serve HTTPS with this certificate (chain) and private key, PEM (HTTPS_CERT_FILE, HTTPS_KEY_FILE); none: plain HTTP. */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** The time, injectable so tests can let 30 idle minutes pass. */
  clock?: () => Date;
  /** The center's time zone (CENTER_TIME_ZONE): the calendar of every date-only field. */
  timeZone: string;
  routing: RoutingService;
  /** Where attachment content is stored (content-addressed). */
  attachmentsDir: string;
  /** Offline by default (ZIP/city/county/state centroids); a production geocoder plugs in here. */
  geocoder?: Geocoder;
  scanner?: AttachmentScanner;
  /** Development (default: when cookies are not Secure, i.e. plain HTTP on loopback): webhooks may point at this machine. */
  development?: boolean;
  /** AUDIT_MAX_MERGE_DELAY_MS: `GET /audit/verify` fails when an event waits unsealed longer (default 10 s). */
  auditMaxMergeDelayMs?: number;
  /** Callbacks kept (the composition root's, with the CALLBACK_* policy); default: one with the default policy. */
  callbacks?: CallbackService;
  /** This node's connected calls and its call-control node's name (set when its telephony starts); default: none. */
  liveCalls?: { current: LiveCalls | null; node?: string | null };
  /** The built web app; default dist/web of the package. */
  webDir?: string;
  /** The cloud-voice adapter: its account's auth token and public base URL (for signatures), and the calls it serves. */
  twilio?: { config: TwilioConfig; calls: TwilioCalls };
  /** The IVR flows' versions (the composition root's, attached to its call controls); default: over reference/ivr. */
  ivrFlows?: IvrFlows;
  /** The intake forms' versions (the composition root's, polled); default: one read once here. */
  intakeForms?: IntakeFormsConfig;
  /** Single sign-on (OpenID Connect) with the agency's identity provider; while set, password sign-in is for break-glass accounts. */
  sso?: SsoClient;
  /**
   * Agents' phones: the credentials' directory (the composition root's, which its edge follows), the digest realm,
   * and where browsers reach the softphone gateway; default: a directory of its own, realm "switchboard", no softphone.
   */
  phones?: { directory?: PhoneDirectory; realm?: string; softphone?: { wsUrl: string; edgeDomain: string } | null };
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;
/** A "." or ".." path segment, typed or percent-encoded (%2e), between slashes (or backslashes) or at the end. */
const DOT_SEGMENT = /(?:^|[/\\]|%2f|%5c)(?:\.|%2e){1,2}(?:[/\\]|%2f|%5c|$)/i;
const HSTS = 'max-age=31536000; includeSubDomains';
/**
 * The API documentation page: only its own scripts and styles, never in a frame. Swagger UI sets style attributes, and
 * inserts one style element of its own (its hash, as Chromium reports it for swagger-ui 5 in @fastify/swagger-ui 5.2.6;
 * should an upgrade change it, the page still works and the browser console names the new hash).
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

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
  /** The /metrics registry: the composition root adds the background jobs' metrics to it. */
  metrics: Metrics;
};

/** Requests with a hand-off credential, per source address: the credential is looked up on each one. */
const HANDOFF_REQUESTS_PER_MINUTE = 120;

/** Staff: the session cookie. Partner systems: an Authorization bearer token. Receiving organisations: their hand-off credential. */
function identityAuthenticator(identity: IdentityDeps, clock: () => Date): Authenticator {
  const handoffLimit = createRateLimiter(HANDOFF_REQUESTS_PER_MINUTE, 60_000);
  return async (request, via) => {
    if (via === 'handoff') {
      const verdict = handoffLimit.hit(sourceKey(request.ip), clock().getTime());
      if (!verdict.allowed) throw new AppError('rate_limited', `Too many requests; try again in ${verdict.retryAfterSeconds} s.`);
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
      if (!match?.[1]) return null;
      const actor = await authenticateOrganisation(identity.db, match[1]);
      return actor ? { actor, via: 'handoff' } : null;
    }
    if (via === 'client') {
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
      if (!match?.[1]) return null;
      const actor = await authenticateClientToken(identity, match[1], clock());
      return actor ? { actor, via: 'client' } : null;
    }
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token) return null;
    const session = await authenticateSession(identity, token, clock());
    return session ? { actor: session.actor, via: 'session', csrfToken: session.csrfToken } : null;
  };
}

export async function buildApp(given: AppOptions): Promise<BuiltApp> {
  // With single sign-on, the identity services know it: password sign-in is then kept for break-glass accounts.
  const options: AppOptions = given.sso
    ? { ...given, identity: { ...given.identity, singleSignOn: { providerName: given.sso.settings.providerName } } }
    : given;
  const tls = options.https;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // HTTPS in the process itself: Node's https server (TLS 1.2 or newer), whose type is an http.Server's.
    ...(tls
      ? {
          serverFactory: (handler: http.RequestListener) =>
            https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' as const }, handler),
        }
      : {}),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: DEFAULT_BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { querystringParser: parseQueryString },
    // A URL that cannot be decoded, or a path parameter too long, gets the one error body too.
    frameworkErrors: (error, request, reply) => {
      sendError(error, request, reply);
    },
  });
  // zod validates (in registerRoute) and presenters shape the output: Fastify's own compilers stand aside.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // No address here has a dot segment; refusing them up front keeps every file server (docs, web app) out of path games.
    if (DOT_SEGMENT.test(request.url.split('?')[0] ?? '')) {
      throw new AppError('malformed_request', 'The address has a "." or ".." segment; send it normalised.');
    }
  });
  const clock = options.clock ?? (() => new Date());
  // Behind an https PUBLIC_URL, browsers are told to use nothing else (HSTS).
  const hsts = options.identity.publicUrl.startsWith('https://');
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    if (hsts) reply.header('strict-transport-security', HSTS);
    // The web app runs every countdown and deadline on this clock, not the browser's (web/src/server-clock.ts).
    reply.header('x-server-time', clock().toISOString());
    return payload;
  });

  const registered: BuiltApp['registered'] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method: String(method), url: route.url });
  });
  const softphoneOrigin = options.phones?.softphone ? new URL(options.phones.softphone.wsUrl).origin : null;
  installErrorHandling(app, webApp(options.webDir ?? path.join(packageRoot(), 'dist', 'web'), softphoneOrigin ? [softphoneOrigin] : []));
  // Clients only listen on the realtime connection: tiny inbound frames. Registered before the guard, whose onRequest
  // refusals must find the upgrade marked as such (the plugin then closes the socket of a refused upgrade).
  await app.register(websocket, { options: { maxPayload: 4_096 } });
  installAccessGuard(app, {
    authenticate: identityAuthenticator(options.identity, clock),
    permissions: () => options.identity.permissions,
    verifyWebhook: (request, provider) =>
      provider === 'twilio' &&
      options.twilio !== undefined &&
      verifyTwilioSignature(
        options.twilio.config,
        typeof request.headers['x-twilio-signature'] === 'string' ? request.headers['x-twilio-signature'] : undefined,
        request.url,
        (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, string>,
      ),
    onBadSignature: async (request, provider) => {
      await recordAudit(
        options.db,
        {
          actor: null,
          system: `webhook.${provider}`,
          sourceIp: request.ip,
          requestId: request.id,
          now: clock(),
          timeZone: options.timeZone,
        },
        {
          action: `${request.method} ${request.routeOptions.url ?? ''}`,
          outcome: 'denied',
          details: { reason: 'missing or invalid signature' },
        },
      );
    },
    onDenied: async (request, actor, permission, reason) => {
      await recordAudit(
        options.db,
        { actor, sourceIp: request.ip, requestId: request.id, now: clock(), timeZone: options.timeZone },
        {
          action: `${request.method} ${request.routeOptions.url ?? ''}`,
          outcome: 'denied',
          // What it was about and the rule that refused it, so an auditor can list every refusal about one record.
          ...resourceOf(request.routeOptions.url ?? '', request.params),
          details: { permission, reason, rule: reason.includes('x-csrf-token') ? 'csrf' : `permission:${permission}` },
        },
      );
    },
  });
  installBodyParsers(app);
  await app.register(formbody, { bodyLimit: WEBHOOK_BODY_LIMIT });
  // Attachments arrive as raw bytes; their routes set their own body limit.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Agency imports and bulk submission uploads come as CSV, parsed as a stream while it arrives (csv-parse): a large
  // or hostile file never holds the event loop, and no more than the route's body limit is ever read.
  app.addContentTypeParser('text/csv', (request, payload, done) => {
    const url = request.routeOptions.url ?? '';
    if (url !== '/api/v1/agencies/import' && !CSV_UPLOAD_ROUTES.includes(url)) {
      done(new AppError('unsupported_media_type', 'CSV is accepted only for agency imports and bulk submission uploads.'), undefined);
      return;
    }
    const maxBytes = request.routeOptions.bodyLimit ?? 1_048_576;
    if (Number(request.headers['content-length'] ?? 0) > maxBytes) {
      done(new AppError('payload_too_large', `The file is larger than ${maxBytes.toLocaleString('en-US')} bytes.`), undefined);
      return;
    }
    readCsv(payload, { maxBytes, keepRecords: MAX_CSV_ROWS + 1 }).then(
      (file) => done(null, file),
      (error: Error) => done(error, undefined),
    );
  });
  const metrics = installMetrics(app, options.pool, options.routing);

  app.addSchema({ $id: 'Error', ...z.toJSONSchema(ZErrorResponse, { target: 'openapi-3.0' }) });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Switchboard API',
        version: options.version,
        description: `Contact center and case management. Every route except health, readiness, metrics, this description, sign-in (single sign-on included) and the partner token endpoint requires a staff session or a partner access token with the named permission; it is checked before the request body is read. Dates without a time (dates of birth, startsOn/endsOn, agreement and hearing dates, deadlines in days) are days on the center's calendar (CENTER_TIME_ZONE, America/Chicago by default), never the UTC date; an end date is in force through that whole day. Timestamps are ISO 8601 instants. ${TEXT_RULES}`,
      },
      components: {
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'sb_session',
            description:
              'Staff session from /api/v1/auth/sign-in and /api/v1/auth/second-factor. State changes also need the x-csrf-token header.',
          },
          partnerToken: {
            type: 'oauth2',
            description: 'Partner systems: OAuth 2.0 client credentials, bound to the agency ORI.',
            flows: {
              clientCredentials: {
                tokenUrl: '/api/partner/v1/oauth/token',
                scopes: {
                  'agency:read': "Read your own agency's profile",
                  'submissions:write': 'Submit reports and manage the status webhook',
                  'submissions:read': "Read your agency's submissions and webhook deliveries",
                },
              },
            },
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    // validatorUrl null: no badge image fetched from the internet.
    uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null },
    staticCSP: DOCS_CONTENT_SECURITY_POLICY,
    uiHooks: {
      onRequest: (_request, reply, done) => {
        reply.header('x-frame-options', 'DENY');
        reply.header('referrer-policy', 'no-referrer');
        done();
      },
    },
  });

  const ctx: AppContext = {
    db: options.db,
    pool: options.pool,
    migrations: options.migrations,
    metrics,
    log: app.log,
    identity: options.identity,
    clock,
    timeZone: options.timeZone,
    secureCookies: options.secureCookies,
    tokenRateLimit: createRateLimiter(30, 60_000),
    routing: options.routing,
    realtime: new RealtimeHub(options.routing, clock),
    // @fastify/swagger types its document as OpenAPI V2/V3 unions; the route serves it as plain JSON.
    openapi: () => app.swagger() as unknown as Record<string, unknown>,
    geocoder: options.geocoder ?? offlineGeocoder(),
    development: options.development ?? !options.secureCookies,
    auditMaxMergeDelayMs: options.auditMaxMergeDelayMs ?? 10_000,
    attachments: { dir: options.attachmentsDir, scanner: options.scanner },
    liveCalls: new LiveCallDesks({
      locate: (id) => whereaboutsOfCall(options.db, id),
      sip: () => options.liveCalls?.current ?? null,
      node: () => options.liveCalls?.node ?? null,
      twilio: () => options.twilio?.calls.conference ?? null,
      relay: new LiveCallRelay({ db: options.db, pool: options.pool }),
    }),
    callbacks: options.callbacks ?? new CallbackService({ db: options.db, routing: options.routing, policy: DEFAULT_CALLBACK_POLICY }),
    ivrFlows: options.ivrFlows ?? new IvrFlows({ db: options.db, shipped: loadFlows(path.join(packageRoot(), 'reference', 'ivr')) }),
    intakeForms: options.intakeForms ?? new IntakeFormsConfig({ db: options.db }),
    phones: {
      db: options.db,
      keys: options.identity.keys,
      routing: options.routing,
      directory: options.phones?.directory ?? new PhoneDirectory(options.db, options.identity.keys),
      realm: options.phones?.realm ?? 'switchboard',
      softphone: options.phones?.softphone ?? null,
    },
  };
  if (!options.intakeForms) await ctx.intakeForms.refresh();
  const routes = [
    ...systemRoutes(ctx),
    ...referenceRoutes(ctx),
    ...authRoutes(ctx),
    ...ssoRoutes(ctx, options.sso ?? null),
    ...adminRoutes(ctx),
    ...phoneRoutes(ctx),
    ...auditRoutes(ctx),
    ...configRoutes(ctx),
    ...personRoutes(ctx),
    ...caseRoutes(ctx),
    ...referralRoutes(ctx),
    ...safeguardRoutes(ctx),
    ...desktopRoutes(ctx),
    ...submissionRoutes(ctx),
    ...partnerRequestRoutes(ctx),
    ...relationshipRoutes(ctx),
    ...bestInterestRoutes(ctx),
    ...casePlanRoutes(ctx),
    ...handoffRoutes(ctx),
    ...clientRequestRoutes(ctx),
    ...twilioRoutes(() => options.twilio?.calls),
    ...callRoutes(ctx),
    ...callbackRoutes(ctx),
    ...reportRoutes(ctx),
    ...liveCallRoutes(ctx),
    ...staffingRoutes(ctx),
    ...agencyRoutes(ctx),
    ...partnerRoutes(ctx),
    ...routingRoutes(ctx),
    ...realtimeRoutes(ctx),
  ];
  app.addHook('onClose', async () => ctx.realtime.close());
  for (const route of routes) registerRoute(app, route);
  await app.ready();
  return { app, routes, registered, metrics };
}
