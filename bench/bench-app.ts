import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config/config.js';
import type { Role } from '../src/domain/access/access-control.js';
import { buildApp } from '../src/http/app.js';
import type { AnyRoute } from '../src/http/route.js';
import { AuditSealer } from '../src/services/audit-sealer.js';
import { type IdentityDeps, loadBannedPasswords, loadPermissionTable } from '../src/services/identity-context.js';
import { deriveKeys } from '../src/services/keys.js';
import { addClient } from '../src/services/partner-client.service.js';
import { loadReferenceData, syntheticAgencyRows } from '../src/services/reference-data.service.js';
import { RoutingService } from '../src/services/routing.service.js';
import { loadRoutingConfig } from '../src/services/routing-admin.service.js';
import { totpCode } from '../src/services/totp.js';
import { addUser } from '../src/services/user-admin.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { insertAgencies } from '../src/storage/repositories/reference.repository.js';
import { benchDatabase } from './support.js';

/**
 * The real server for HTTP benchmarks: a throwaway embedded PostgreSQL (or
 * DATABASE_URL), migrated, with reference data and the synthetic agencies, the
 * app listening on loopback. Staff are enrolled through the real flow
 * (invitation, password, authenticator); partner systems get a token from the
 * real token endpoint.
 */

export type BenchApp = {
  app: FastifyInstance;
  routes: AnyRoute[];
  base: string;
  identity: IdentityDeps;
  databaseKind: 'embedded' | 'external';
  /** A staff member of the role, signed in: headers for any request (cookie and CSRF token). */
  staff: (role: Role, agencyOri?: string) => Promise<Record<string, string>>;
  /** The same, with the account's id and its session cookie's value (for a browser). */
  staffMember: (role: Role, agencyOri?: string) => Promise<{ headers: Record<string, string>; userId: string; session: string }>;
  routing: RoutingService;
  /** A partner system of the agency with the scopes: the Authorization header. */
  partner: (agencyOri: string, scopes: string[]) => Promise<Record<string, string>>;
  /** The database's URL (the owner's), for a bare pg baseline in the same run. */
  databaseUrl: string;
  /** An agency with an active task-force agreement: one whose partner systems may submit. */
  partnerAgency: () => Promise<string>;
  close: () => Promise<void>;
};

export async function startBenchApp(): Promise<BenchApp> {
  const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
  const database = await benchDatabase(config.DATABASE_URL);
  const handle = openDatabase(database.url, { poolSize: 10 });
  const attachmentsDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-attachments-'));
  await migrate(handle.pool, loadMigrations(migrationsDir()));
  await loadReferenceData(handle.db);
  await insertAgencies(handle.db, syntheticAgencyRows());
  const identity: IdentityDeps = {
    db: handle.db,
    keys: deriveKeys(randomBytes(32)),
    banned: loadBannedPasswords(),
    permissions: await loadPermissionTable(handle.db),
    publicUrl: 'http://127.0.0.1',
    // Bench accounts are enrolled by the operator (as `switchboard user add` does): links come back here, never to an outbox.
    enrollmentCourier: { channel: 'operator', deliver: async () => undefined },
  };
  const routing = await RoutingService.open(handle.db, await loadRoutingConfig(handle.db), () => new Date());
  const { app, routes } = await buildApp({
    db: handle.db,
    pool: handle.pool,
    migrations: loadMigrations(migrationsDir()),
    version: 'bench',
    identity,
    secureCookies: false,
    routing,
    attachmentsDir,
    timeZone: 'America/Chicago',
  });
  // The audit sealer runs as on a production node, so every figure includes sealing.
  const sealer = new AuditSealer(handle.db, { nodeId: 'bench', signingKey: identity.keys.auditSigning, intervalMs: 200, leaseMs: 3000 });
  sealer.start();
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const ctx = () => ({ actor: null, system: 'bench', sourceIp: null, requestId: null, now: new Date(), timeZone: 'America/Chicago' });
  let counter = 0;

  const post = async (url: string, body: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    return {
      json: (await res.json()) as Record<string, unknown>,
      cookie: /sb_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? '',
    };
  };

  const staffMember = async (role: Role, agencyOri?: string) => {
    counter += 1;
    const username = `bench-${role.replace(/_/g, '-')}.${counter}`;
    let url = '';
    await addUser(
      identity,
      ctx(),
      {
        displayName: `Bench ${role} ${counter}`,
        role,
        username,
        agencyOri: agencyOri ?? (role === 'partner_officer' ? 'TX1430300' : undefined),
        fieldOfficeCode: role === 'field_officer' ? 'NOL' : undefined,
      },
      {
        channel: 'operator',
        deliver: async (link) => {
          url = link.url;
        },
      },
    );
    const enrollmentToken = url.split('#token=')[1] ?? '';
    const password = `Vx-${randomBytes(9).toString('base64url')}-q7`;
    const step1 = await post('/api/v1/auth/enrollment/password', { enrollmentToken, password });
    const secret = (step1.json.enrollment as { secret: string }).secret;
    const step2 = await post('/api/v1/auth/enrollment/confirm', {
      challengeToken: step1.json.challengeToken,
      code: await totpCode(secret, new Date()),
    });
    return {
      headers: { cookie: step2.cookie, 'x-csrf-token': String(step2.json.csrfToken) },
      userId: String((step2.json.user as { id: string }).id),
      session: step2.cookie.replace(/^sb_session=/, ''),
    };
  };

  return {
    app,
    routes,
    base,
    identity,
    databaseKind: database.kind,
    staff: async (role, agencyOri) => (await staffMember(role, agencyOri)).headers,
    staffMember: (role, agencyOri) => staffMember(role, agencyOri),
    routing,
    databaseUrl: database.url,
    partnerAgency: async () =>
      (
        await handle.db
          .selectFrom('agencies')
          .select('ori')
          .where('agreement_model', '=', 'task_force')
          .where('agreement_status', '=', 'active')
          .executeTakeFirstOrThrow()
      ).ori,
    partner: async (agencyOri, scopes) => {
      const client = await addClient(identity, ctx(), { agencyOri, name: 'bench', scopes });
      const res = await fetch(`${base}/api/partner/v1/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.client.client_id}:${client.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      const { access_token: token } = (await res.json()) as { access_token: string };
      return { authorization: `Bearer ${token}` };
    },
    close: async () => {
      await app.close();
      await routing.stop();
      await sealer.stop();
      await handle.close();
      await database.close();
      await rm(attachmentsDir, { recursive: true, force: true });
    },
  };
}
