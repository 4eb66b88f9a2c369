import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { SsoSettings } from '../../src/config/config.js';
import type { Role } from '../../src/domain/access/access-control.js';
import { type CallbackPolicy, DEFAULT_CALLBACK_POLICY } from '../../src/domain/callbacks/callback-policy.js';
import { buildApp, logSerializers } from '../../src/http/app.js';
import { CallbackService } from '../../src/services/callback.service.js';
import {
  type EnrollmentCourier,
  type EnrollmentLink,
  type IdentityDeps,
  loadBannedPasswords,
  loadPermissionTable,
  outboxCourier,
} from '../../src/services/identity-context.js';
import type { IvrFlows } from '../../src/services/ivr-flow.service.js';
import { deriveKeys } from '../../src/services/keys.js';
import { PhoneDirectory } from '../../src/services/phone.service.js';
import { loadReferenceData, syntheticAgencyRows } from '../../src/services/reference-data.service.js';
import { RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { ssoClient } from '../../src/services/sso.service.js';
import { totpCode } from '../../src/services/totp.js';
import { addUser } from '../../src/services/user-admin.service.js';
import { loadMigrations } from '../../src/storage/migrator.js';
import { migrationsDir } from '../../src/storage/paths.js';
import { insertAgencies } from '../../src/storage/repositories/reference.repository.js';
import type { LiveCalls } from '../../src/telephony/live-calls.js';
import { sealAudit, type TestDatabase } from './database.js';

/** The center's calendar in every test: Nashville's, as in production. */
export const CENTER_TIME_ZONE = 'America/Chicago';

/** A clock the test moves: 30 idle minutes pass in an instant. */
export type TestClock = { now: Date; advance: (ms: number) => void; get: () => Date };
export function testClock(start = new Date('2026-11-29T15:00:00Z')): TestClock {
  const clock: TestClock = {
    now: start,
    advance: (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    get: () => clock.now,
  };
  return clock;
}

/**
 * A clock for tests whose peers run in real time (SIP phones, SIPp, rtpengine): it starts at a fixed instant and moves
 * on with the elapsed (monotonic) time, so timeouts still pass as the peers see them, but no date or time of day
 * comes from the machine's clock.
 */
export function realTimeClockFrom(start: Date): () => Date {
  const startedAt = performance.now();
  return () => new Date(start.getTime() + (performance.now() - startedAt));
}

/** Links sent through the API land in this app's own enrollment outbox (a temporary folder). */
export async function testIdentity(
  db: TestDatabase,
  outboxDir = mkdtempSync(path.join(tmpdir(), 'sb-outbox-')),
  publicUrl = 'http://127.0.0.1:8080',
): Promise<IdentityDeps> {
  return {
    db: db.db,
    keys: deriveKeys(randomBytes(32)),
    banned: loadBannedPasswords(),
    permissions: await loadPermissionTable(db.db),
    publicUrl,
    enrollmentCourier: outboxCourier(outboxDir),
  };
}

/**
 * The delivery agent's side of the enrollment outbox: takes the links waiting
 * for `username` (oldest first) out of the folder, as a site's agent would
 * before carrying them to the person.
 */
export function collectFromOutbox(outboxDir: string, username: string): { url: string; token: string; reason: string }[] {
  let files: string[];
  try {
    files = readdirSync(outboxDir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
  const links: { url: string; token: string; reason: string }[] = [];
  for (const file of files) {
    const full = path.join(outboxDir, file);
    const link = JSON.parse(readFileSync(full, 'utf8')) as { username: string; url: string; reason: string };
    if (link.username !== username) continue;
    rmSync(full);
    links.push({ url: link.url, token: link.url.split('#token=')[1] ?? '', reason: link.reason });
  }
  return links;
}

/** What the CLI does: the link goes to the operator (here, the test), who hands it to the person. */
export function operatorCourier(): { courier: EnrollmentCourier; link: () => EnrollmentLink } {
  let held: EnrollmentLink | undefined;
  return {
    courier: {
      channel: 'operator',
      deliver: async (link) => {
        held = link;
      },
    },
    link: () => {
      if (!held) throw new Error('no enrollment link was delivered');
      return held;
    },
  };
}

/** The synthetic agencies, for tests that need partner agencies to exist. */
export async function loadTestAgencies(db: TestDatabase): Promise<void> {
  await insertAgencies(db.db, syntheticAgencyRows());
}

export type TestApp = {
  app: FastifyInstance;
  routes: Awaited<ReturnType<typeof buildApp>>['routes'];
  registered: Awaited<ReturnType<typeof buildApp>>['registered'];
  identity: IdentityDeps;
  /** The app's enrollment outbox: where links asked for through the API go. */
  outboxDir: string;
  clock: TestClock;
  logLines: string[];
  routing: RoutingService;
  /** Where this app stores attachment content. */
  attachmentsDir: string;
  /** Seals the audit inbox with this app's signing key, as its sealer would moments later. */
  sealAudit: () => Promise<number>;
  /** Callbacks kept (the app's, on its routing service). */
  callbacks: CallbackService;
  /** The phones' credentials the app issues: a telephony test gives it to its edge (startTelephony's `phones`). */
  phones: PhoneDirectory;
};

export async function buildTestApp(
  db: TestDatabase,
  options: {
    extraMigrations?: ReturnType<typeof loadMigrations>;
    /** The cloud-voice adapter, made with the app's routing service and clock. */
    twilio?: (routing: RoutingService, clock: () => Date) => NonNullable<Parameters<typeof buildApp>[0]['twilio']>;
    /** PUBLIC_URL as the server knows it (default plain HTTP on loopback). */
    publicUrl?: string;
    /** The built web app to serve (default dist/web). */
    webDir?: string;
    /** The callback policy (default: the product's default). */
    callbackPolicy?: CallbackPolicy;
    /** The node's live calls (a telephony test sets `current` once its telephony runs). */
    liveCalls?: { current: LiveCalls | null; node?: string | null };
    /** The IVR flows' versions (a test attaches the flow maps its call controls read). */
    ivrFlows?: IvrFlows;
    /** Serve HTTPS with this certificate and key (PEM), cookies Secure, as HTTPS_CERT_FILE/HTTPS_KEY_FILE do. */
    https?: { cert: string | Buffer; key: string | Buffer };
    /** Single sign-on with a provider the test runs (test/support/oidc-provider.ts). */
    sso?: SsoSettings;
    /** Where browsers reach the SIP edge's WebSocket (the softphone); default: no softphone. */
    softphone?: { wsUrl: string; edgeDomain: string };
  } = {},
): Promise<TestApp> {
  await loadReferenceData(db.db);
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  const logger = pino({ level: 'debug', serializers: logSerializers }, logStream);
  const outboxDir = mkdtempSync(path.join(tmpdir(), 'sb-outbox-'));
  const identity = await testIdentity(db, outboxDir, options.publicUrl);
  const clock = testClock();
  const routing = await RoutingService.open(db.db, await loadRoutingConfig(db.db), clock.get);
  const attachmentsDir = mkdtempSync(path.join(tmpdir(), 'sb-attachments-'));
  const callbacks = new CallbackService({ db: db.db, routing, policy: options.callbackPolicy ?? DEFAULT_CALLBACK_POLICY });
  const phones = new PhoneDirectory(db.db, identity.keys);
  const { app, routes, registered } = await buildApp({
    db: db.db,
    pool: db.pool,
    migrations: [...loadMigrations(migrationsDir()), ...(options.extraMigrations ?? [])],
    version: '0.0.0-test',
    logger,
    identity,
    secureCookies: options.https !== undefined,
    ...(options.https ? { https: options.https } : {}),
    clock: clock.get,
    timeZone: CENTER_TIME_ZONE,
    routing,
    attachmentsDir,
    callbacks,
    ...(options.liveCalls ? { liveCalls: options.liveCalls } : {}),
    ...(options.twilio ? { twilio: options.twilio(routing, clock.get) } : {}),
    ...(options.webDir ? { webDir: options.webDir } : {}),
    ...(options.ivrFlows ? { ivrFlows: options.ivrFlows } : {}),
    ...(options.sso ? { sso: ssoClient(options.sso) } : {}),
    phones: { directory: phones, softphone: options.softphone ?? null },
  });
  const seal = () => sealAudit(db.db, identity.keys.auditSigning);
  return { app, routes, registered, identity, outboxDir, clock, logLines, routing, attachmentsDir, sealAudit: seal, callbacks, phones };
}

export type SignedIn = {
  username: string;
  password: string;
  /** The TOTP seed, as the person's authenticator app holds it. */
  secret: string;
  userId: string;
  cookie: string;
  csrf: string;
  recoveryCodes: string[];
  /** Headers for a state change (cookie and CSRF token). */
  headers: { cookie: string; 'x-csrf-token': string };
};

let counter = 0;

/**
 * A staff member of the role, enrolled through the real flow: invitation (by the operator, as `switchboard user add`
 * does, so no admin account created it), password, authenticator, first code.
 */
export async function enrollAs(t: TestApp, role: Role, extra: { agencyOri?: string; fieldOfficeCode?: string } = {}): Promise<SignedIn> {
  counter += 1;
  const username = `${role.replace(/_/g, '-')}.${counter}.${randomBytes(3).toString('hex')}`;
  const operator = operatorCourier();
  await addUser(
    t.identity,
    { actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' },
    {
      displayName: `Test ${role} ${counter}`,
      role,
      username,
      agencyOri: extra.agencyOri ?? (role === 'partner_officer' ? 'TX1430300' : undefined),
      fieldOfficeCode: extra.fieldOfficeCode ?? (role === 'field_officer' ? 'NOL' : undefined),
    },
    operator.courier,
  );
  return completeEnrollment(t, username, operator.link().url.split('#token=')[1] ?? '');
}

/** The person's side of an enrollment link: chooses a password, enrolls an authenticator, signs in with its first code. */
export async function completeEnrollment(t: TestApp, username: string, enrollmentToken: string): Promise<SignedIn> {
  const password = `Vx-${randomBytes(9).toString('base64url')}-q7`;
  const step1 = await t.app.inject({ method: 'POST', url: '/api/v1/auth/enrollment/password', payload: { enrollmentToken, password } });
  if (step1.statusCode !== 200) throw new Error(`enrollment password failed: ${step1.body}`);
  const challenge = step1.json();
  const secret: string = challenge.enrollment.secret;
  const step2 = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/enrollment/confirm',
    payload: { challengeToken: challenge.challengeToken, code: await totpCode(secret, t.clock.now) },
  });
  if (step2.statusCode !== 200) throw new Error(`enrollment confirm failed: ${step2.body}`);
  const cookie = /sb_session=[^;]+/.exec(String(step2.headers['set-cookie']))?.[0] ?? '';
  const body = step2.json();
  // The next code must come from a later 30-second period: codes are single-use.
  t.clock.advance(30_000);
  return {
    username,
    password,
    secret,
    userId: body.user.id,
    cookie,
    csrf: body.csrfToken,
    recoveryCodes: body.recoveryCodes,
    headers: { cookie, 'x-csrf-token': body.csrfToken },
  };
}

/** Password then TOTP, as a returning user signs in. Returns the raw responses for tests to inspect. */
export async function signInWithCode(t: TestApp, username: string, password: string, code: string) {
  const first = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password } });
  if (first.statusCode !== 200) return { first, second: undefined };
  const second = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/second-factor',
    payload: { challengeToken: first.json().challengeToken, code },
  });
  return { first, second };
}
