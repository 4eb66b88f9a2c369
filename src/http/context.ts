import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Actor } from '../domain/access/access-control.js';
import type { Geocoder } from '../domain/geo/geocoder.js';
import type { RealtimeHub } from '../realtime/hub.js';
import type { AttachmentScanner } from '../services/attachment.service.js';
import type { RequestContext } from '../services/audit.service.js';
import type { CallbackService } from '../services/callback.service.js';
import type { IdentityDeps } from '../services/identity-context.js';
import type { IntakeFormsConfig } from '../services/intake-forms.service.js';
import type { IvrFlows } from '../services/ivr-flow.service.js';
import type { PhoneDeps } from '../services/phone.service.js';
import type { RoutingService } from '../services/routing.service.js';
import type { Db } from '../storage/database.js';
import type { Migration } from '../storage/migrator.js';
import type { LiveCallDesks } from '../telephony/live-calls.js';
import type { Metrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';

/** What route modules may use: services get the database handle and identity keys from here. */
export type AppContext = {
  db: Db;
  pool: pg.Pool;
  migrations: Migration[];
  metrics: Metrics;
  log: FastifyBaseLogger;
  identity: IdentityDeps;
  clock: () => Date;
  /** The center's time zone: the calendar of every date-only field. */
  timeZone: string;
  secureCookies: boolean;
  tokenRateLimit: RateLimiter;
  routing: RoutingService;
  realtime: RealtimeHub;
  openapi: () => Record<string, unknown>;
  geocoder: Geocoder;
  /** Plain HTTP on loopback (no Secure cookies): development. Webhooks may then point at this machine. */
  development: boolean;
  attachments: { dir: string; scanner?: AttachmentScanner | undefined };
  callbacks: CallbackService;
  /** The live calls this node can help on: its own SIP calls (once its telephony has started) and Twilio's. */
  liveCalls: LiveCallDesks;
  /** The longest an audit event may wait unsealed before `verify` reports it. */
  auditMaxMergeDelayMs: number;
  /** The IVR flows' versions, changed from the admin console. */
  ivrFlows: IvrFlows;
  /** The intake forms' and dispositions' versions, changed from the admin console. */
  intakeForms: IntakeFormsConfig;
  /** Agents' phones: bindings and digest credentials, and the softphone gateway. */
  phones: PhoneDeps;
};

/** The service-call context of a request: who, from where, which request, when. */
export function requestContext(ctx: AppContext, request: FastifyRequest): RequestContext {
  return { actor: request.actor, sourceIp: request.ip, requestId: request.id, now: ctx.clock(), timeZone: ctx.timeZone };
}

/** For routes behind a permission: the guard has authenticated the actor. */
export function actorContext(ctx: AppContext, request: FastifyRequest): RequestContext & { actor: Actor } {
  const base = requestContext(ctx, request);
  if (!base.actor) throw new Error('actorContext used on a route without a permission');
  return { ...base, actor: base.actor };
}
