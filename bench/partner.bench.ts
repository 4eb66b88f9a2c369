/**
 * Partner submissions benchmark: acknowledged submissions per second over real
 * HTTP on loopback (token, JSON validation, agreement check, durable insert,
 * audit append, 202), next to the same database's durable single-row insert
 * rate through bare `pg`, measured in the same run with the same concurrency.
 * The ratio is what the API costs on top of the write itself (goal ≥ 0.5). The
 * submissions are sent twice per round: from the server's own process (as
 * before) and from a child process, whose clients do not share the server's
 * event loop.
 *
 *   npm run bench:partner
 *   BENCH_REQUESTS=3000 BENCH_ROUNDS=3 npm run bench:partner
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { AuditSealer } from '../src/services/audit-sealer.js';
import { loadBannedPasswords, loadPermissionTable, outboxCourier } from '../src/services/identity-context.js';
import { deriveKeys } from '../src/services/keys.js';
import { addClient } from '../src/services/partner-client.service.js';
import { loadReferenceData, syntheticAgencyRows } from '../src/services/reference-data.service.js';
import { RoutingService } from '../src/services/routing.service.js';
import { loadRoutingConfig } from '../src/services/routing-admin.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { insertAgencies } from '../src/storage/repositories/reference.repository.js';
import { benchDatabase, median, opsPerSecond, partnerSubmission } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const REQUESTS = Math.min(Number(process.env.BENCH_REQUESTS ?? 2000), 20_000);
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 3), 10);
const CONCURRENCY = 8;

type ChildRound = { base: string; token: string; requests: number; concurrency: number; offset: number };

/** The child process: one round of submissions per message from the parent; answers with its rate. */
function childLoop(): void {
  process.on('message', (round: ChildRound) => {
    let failures = 0;
    const submit = async (i: number) => {
      const res = await fetch(`${round.base}/api/partner/v1/submissions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${round.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(partnerSubmission(round.offset + i)),
      });
      await res.arrayBuffer();
      if (res.status !== 202) failures += 1;
    };
    void opsPerSecond(submit, round.requests, round.concurrency).then((rate) => process.send?.({ rate, failures }));
  });
}

async function main(): Promise<void> {
  const database = await benchDatabase(config.DATABASE_URL);
  const handle = openDatabase(database.url, { poolSize: 10 });
  const bare = new pg.Pool({ connectionString: database.url, max: CONCURRENCY });
  try {
    await migrate(handle.pool, loadMigrations(migrationsDir()));
    await loadReferenceData(handle.db);
    await insertAgencies(handle.db, syntheticAgencyRows());
    const agency = await handle.db
      .selectFrom('agencies')
      .select('ori')
      .where('agreement_model', '=', 'task_force')
      .where('agreement_status', '=', 'active')
      .executeTakeFirstOrThrow();
    const identity = {
      db: handle.db,
      keys: deriveKeys(randomBytes(32)),
      banned: loadBannedPasswords(),
      permissions: await loadPermissionTable(handle.db),
      publicUrl: 'http://127.0.0.1',
      enrollmentCourier: outboxCourier(path.join(os.tmpdir(), 'switchboard-bench-outbox')),
    };
    const routing = await RoutingService.open(handle.db, await loadRoutingConfig(handle.db), () => new Date());
    const { app } = await buildApp({
      db: handle.db,
      pool: handle.pool,
      migrations: loadMigrations(migrationsDir()),
      timeZone: 'America/Chicago',
      version: 'bench',
      identity,
      secureCookies: false,
      routing,
      attachmentsDir: os.tmpdir(),
    });
    // The audit sealer runs as on a production node: the figures include sealing what the submissions append.
    const sealer = new AuditSealer(handle.db, { nodeId: 'bench', signingKey: identity.keys.auditSigning, intervalMs: 200, leaseMs: 3000 });
    sealer.start();
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = await addClient(
      identity,
      { actor: null, system: 'bench', sourceIp: null, requestId: null, now: new Date(), timeZone: 'America/Chicago' },
      {
        agencyOri: agency.ori,
        name: 'bench',
        scopes: ['submissions:write'],
      },
    );
    const tokenResponse = await fetch(`${base}/api/partner/v1/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.client.client_id}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    await bare.query(
      'CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())',
    );

    const body = (i: number) => JSON.stringify(partnerSubmission(i));
    let failures = 0;
    const submit = async (i: number) => {
      const res = await fetch(`${base}/api/partner/v1/submissions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body(i),
      });
      await res.arrayBuffer();
      if (res.status !== 202) failures += 1;
    };
    const raw = (i: number) => bare.query('INSERT INTO bench_raw (body) VALUES ($1)', [body(i)]);

    // The same submissions from a child process: the server's event loop then serves requests only, not its clients.
    const child = fork(new URL(import.meta.url).pathname, ['--load'], { stdio: 'inherit' });
    const fromChild = (round: number) =>
      new Promise<{ rate: number; failures: number }>((resolve) => {
        child.once('message', (m) => resolve(m as { rate: number; failures: number }));
        child.send({ base, token, requests: REQUESTS, concurrency: CONCURRENCY, offset: (round + 1) * 1_000_000 } satisfies ChildRound);
      });
    const api: number[] = [];
    const apiChild: number[] = [];
    const rawRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rawRates.push(await opsPerSecond(raw, REQUESTS, CONCURRENCY));
      api.push(await opsPerSecond(submit, REQUESTS, CONCURRENCY));
      const c = await fromChild(round);
      apiChild.push(c.rate);
      failures += c.failures;
    }
    child.disconnect();
    const a = median(api);
    const ac = median(apiChild);
    const r = median(rawRates);
    console.log(
      `${database.kind} PostgreSQL, ${REQUESTS} requests × ${ROUNDS} rounds, concurrency ${CONCURRENCY}, Node ${process.version}, ${os.cpus().length} cores`,
    );
    console.log(
      `acknowledged submissions over HTTP, clients in the server's process: ${a.toFixed(0)}/s (rounds: ${api.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `acknowledged submissions over HTTP, clients in a child process:      ${ac.toFixed(0)}/s (rounds: ${apiChild.map((x) => x.toFixed(0)).join(', ')}); non-202 in all rounds: ${failures}`,
    );
    console.log(`bare pg durable single-row inserts:  ${r.toFixed(0)}/s (rounds: ${rawRates.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(
      `ratio API / raw: ${(a / r).toFixed(2)} (clients in process), ${(ac / r).toFixed(2)} (clients in a child process) (goal ≥ 0.50)`,
    );
    await app.close();
    await routing.stop();
    await sealer.stop();
  } finally {
    await bare.end();
    await handle.close();
    await database.close();
  }
}

if (process.argv[2] === '--load') childLoop();
else await main();
