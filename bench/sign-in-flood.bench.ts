/**
 * Sign-in flood benchmark: a signed-in supervisor's statistics call
 * (`GET /api/v1/queues/stats`, the wallboard's poll) timed alone, then while
 * a flood of sign-ins with random names arrives over real HTTP on loopback
 * from many source addresses (127.0.0.2 … 127.0.0.201), in the same run on
 * the same server. The flood is open-loop: requests leave at the set rate
 * whatever the answers, as an attacker's would.
 *
 *   npm run bench:sign-in-flood
 *   BENCH_FLOOD_RATES=6,12,30,60 BENCH_PHASE_SECONDS=15 npm run bench:sign-in-flood
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { type EnrollmentLink, loadBannedPasswords, loadPermissionTable, outboxCourier } from '../src/services/identity-context.js';
import { deriveKeys } from '../src/services/keys.js';
import { loadReferenceData } from '../src/services/reference-data.service.js';
import { RoutingService } from '../src/services/routing.service.js';
import { loadRoutingConfig } from '../src/services/routing-admin.service.js';
import { totpCode } from '../src/services/totp.js';
import { addUser } from '../src/services/user-admin.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { benchDatabase } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const RATES = (process.env.BENCH_FLOOD_RATES ?? '6,12,30')
  .split(',')
  .map(Number)
  .filter((n) => Number.isFinite(n) && n > 0 && n <= 200);
const PHASE_MS = Math.min(Number(process.env.BENCH_PHASE_SECONDS ?? 15), 60) * 1000;
const SOURCES = 200;

type Answer = { status: number; body: string; headers: http.IncomingHttpHeaders };

/** One HTTP request from a chosen loopback source address. */
function request(
  base: URL,
  method: 'GET' | 'POST',
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; from?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path: url,
        localAddress: options.from ?? '127.0.0.1',
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    if (payload) req.write(payload);
    req.end();
  });
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

const database = await benchDatabase(config.DATABASE_URL);
const handle = openDatabase(database.url, { poolSize: 10 });
try {
  await migrate(handle.pool, loadMigrations(migrationsDir()));
  await loadReferenceData(handle.db);
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
    version: 'bench',
    identity,
    secureCookies: false,
    routing,
    attachmentsDir: os.tmpdir(),
    timeZone: 'America/Chicago',
  });
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));

  // The supervisor enrolls through the real flow, with the link the operator's CLI would print.
  let link: EnrollmentLink | undefined;
  await addUser(
    identity,
    { actor: null, system: 'bench', sourceIp: null, requestId: null, now: new Date(), timeZone: 'America/Chicago' },
    { displayName: 'Bench Supervisor', role: 'supervisor', username: 'bench.supervisor' },
    {
      channel: 'operator',
      deliver: async (l) => {
        link = l;
      },
    },
  );
  const enrollmentToken = link?.url.split('#token=')[1] ?? '';
  const password = `Vx-${randomBytes(9).toString('base64url')}-q7`;
  const step1 = await request(base, 'POST', '/api/v1/auth/enrollment/password', { body: { enrollmentToken, password } });
  const challenge = JSON.parse(step1.body) as { challengeToken: string; enrollment: { secret: string } };
  const step2 = await request(base, 'POST', '/api/v1/auth/enrollment/confirm', {
    body: { challengeToken: challenge.challengeToken, code: await totpCode(challenge.enrollment.secret, new Date()) },
  });
  const cookie = /sb_session=[^;]+/.exec(String(step2.headers['set-cookie']))?.[0] ?? '';
  if (step2.status !== 200 || !cookie) throw new Error(`enrollment failed: ${step2.status} ${step2.body}`);

  /** The supervisor's statistics call, one after another, for the phase. */
  const sampleStats = async (until: number): Promise<{ latencies: number[]; errors: number }> => {
    const latencies: number[] = [];
    let errors = 0;
    while (Date.now() < until && latencies.length < 10_000) {
      const started = performance.now();
      const res = await request(base, 'GET', '/api/v1/queues/stats', { headers: { cookie } });
      latencies.push(performance.now() - started);
      if (res.status !== 200) errors += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { latencies, errors };
  };

  /** Sign-ins with random names at `rate` a second from rotating source addresses, until `until`. */
  const flood = async (rate: number, until: number) => {
    const statuses = new Map<number, number>();
    const inFlight: Promise<void>[] = [];
    const interval = 1000 / rate;
    let sent = 0;
    const started = Date.now();
    while (Date.now() < until && sent < rate * 120) {
      const from = `127.0.0.${2 + (sent % SOURCES)}`;
      const name = `flood.${randomBytes(6).toString('hex')}`;
      inFlight.push(
        request(base, 'POST', '/api/v1/auth/sign-in', {
          from,
          body: { username: name, password: `guess-${randomBytes(6).toString('hex')}` },
        }).then(
          (res) => {
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          },
          () => {
            statuses.set(0, (statuses.get(0) ?? 0) + 1);
          },
        ),
      );
      sent += 1;
      const next = started + sent * interval;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    await Promise.all(inFlight);
    return { sent, statuses };
  };

  const report = (label: string, s: { latencies: number[]; errors: number }) =>
    `${label.padEnd(28)} p50 ${percentile(s.latencies, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(s.latencies, 95).toFixed(1).padStart(7)} ms   (${s.latencies.length} calls, ${s.errors} not 200)`;

  console.log(
    `${database.kind} PostgreSQL, Node ${process.version}, ${os.cpus().length} cores, ${PHASE_MS / 1000} s per phase, flood from ${SOURCES} loopback addresses`,
  );
  await sampleStats(Date.now() + 2000); // warm-up
  console.log(report('stats alone', await sampleStats(Date.now() + PHASE_MS)));
  for (const rate of RATES) {
    const until = Date.now() + PHASE_MS;
    const [stats, load] = await Promise.all([sampleStats(until), flood(rate, until)]);
    const answers = [...load.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status === 0 ? 'no answer' : status}: ${n}`)
      .join(', ');
    console.log(`${report(`stats, flood ${rate}/s`, stats)}   flood: ${load.sent} sent; ${answers}`);
    await new Promise((r) => setTimeout(r, 3000)); // let the queue drain before the next phase
  }
  await app.close();
  await routing.stop();
} finally {
  await handle.close();
  await database.close();
}
