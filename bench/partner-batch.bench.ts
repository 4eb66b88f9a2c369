/**
 * Partner bulk uploads benchmark: one CSV batch of BENCH_ROWS rows (default
 * 5,000, the most a file may have) next to the same number of single JSON
 * submissions, in the same run, over real HTTP on loopback. For each: the time
 * to the 202, then the processing — split (batches), intake, status, work
 * item — as the `start` command's job runs it, in rows per second, and the
 * peak resident memory of this process (the server; PostgreSQL runs apart).
 * Then what a hostile upload costs: 4 MB of blank lines, signed in and
 * anonymous — the time to the refusal and the longest event-loop stall.
 *
 *   npm run bench:partner-batch
 *   BENCH_ROWS=2000 npm run bench:partner-batch
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { offlineGeocoder } from '../src/services/geonames.js';
import { loadBannedPasswords, loadPermissionTable } from '../src/services/identity-context.js';
import { deriveKeys } from '../src/services/keys.js';
import { addClient } from '../src/services/partner-client.service.js';
import { runPartnerJobs } from '../src/services/partner-jobs.service.js';
import { loadReferenceData, syntheticAgencyRows } from '../src/services/reference-data.service.js';
import { RoutingService } from '../src/services/routing.service.js';
import { loadRoutingConfig } from '../src/services/routing-admin.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { insertAgencies } from '../src/storage/repositories/reference.repository.js';
import { benchDatabase } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const ROWS = Math.max(1, Math.min(Number(process.env.BENCH_ROWS ?? 5000), 5000));
const CONCURRENCY = 8;
/** Every phase stops after this long, finished or not (and says so). */
const PHASE_MS = 15 * 60_000;

const database = await benchDatabase(config.DATABASE_URL);
const handle = openDatabase(database.url, { poolSize: 10 });

/** The peak resident memory while `run` runs, sampled every 10 ms. */
async function peakRss<T>(run: () => Promise<T>): Promise<{ result: T; peakMb: number; beforeMb: number }> {
  const beforeMb = process.memoryUsage.rss() / 1e6;
  let peak = beforeMb;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss() / 1e6);
  }, 10);
  try {
    const result = await run();
    peak = Math.max(peak, process.memoryUsage.rss() / 1e6);
    return { result, peakMb: peak, beforeMb };
  } finally {
    clearInterval(sampler);
  }
}

/** The longest event-loop stall while `run` runs. */
async function longestStall<T>(run: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const result = await run();
    return { result, stallMs: h.max / 1e6 };
  } finally {
    h.disable();
  }
}

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
    // No staff accounts are made here: no enrollment link is ever sent.
    enrollmentCourier: { channel: 'operator', deliver: async () => undefined },
  };
  const routing = await RoutingService.open(handle.db, await loadRoutingConfig(handle.db), () => new Date());
  routing.start();
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
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const client = await addClient(
    identity,
    { actor: null, system: 'bench', sourceIp: null, requestId: null, now: new Date(), timeZone: 'America/Chicago' },
    { agencyOri: agency.ori, name: 'bench', scopes: ['submissions:write', 'submissions:read'] },
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
  const occurred = new Date(Date.now() - 3_600_000).toISOString();
  // A narrative of about 900 characters: 5,000 rows make a file near the 5 MB limit, as a full upload would.
  const NARRATIVE = 'Subject seen at this address during a traffic stop; vehicle and companions noted. '.repeat(10);
  // Names differ per row, as a real file's would: one family of near-duplicates would measure the matcher instead.
  const given = (i: number) => `Bench${i.toString(36)}`;
  const family = (i: number) => `Person${(i * 7919).toString(36)}`;

  const deps = { db: handle.db, routing, geocoder: offlineGeocoder(), timeZone: 'America/Chicago' };
  const pending = async () =>
    Number(
      (
        await handle.db
          .selectFrom('partner_submissions')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('status', 'in', ['received', 'processing'])
          .executeTakeFirstOrThrow()
      ).n,
    );
  const waitingBatches = async () =>
    Number(
      (
        await handle.db
          .selectFrom('submission_batches')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('status', 'in', ['received', 'splitting'])
          .executeTakeFirstOrThrow()
      ).n,
    );
  let jobFailures = 0;
  /** Runs the partner job as `start` does (one run a second, none overlapping) until nothing is left. */
  const drain = async (): Promise<{ seconds: number; finished: boolean }> => {
    const started = performance.now();
    const deadline = Date.now() + PHASE_MS;
    for (;;) {
      const tick = Date.now();
      await runPartnerJobs(
        { ...deps, keys: identity.keys, allowLoopback: true },
        () => new Date(),
        (job, error) => {
          jobFailures += 1;
          console.error(`${job} failed:`, error);
        },
      );
      if ((await waitingBatches()) === 0 && (await pending()) === 0)
        return { seconds: (performance.now() - started) / 1000, finished: true };
      if (Date.now() > deadline) return { seconds: (performance.now() - started) / 1000, finished: false };
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - tick))));
    }
  };

  // Single submissions: acknowledged, then processed.
  const single = (i: number) =>
    JSON.stringify({
      type: 'location_report',
      occurredAt: occurred,
      officer: { name: 'Bench Deputy', badge: `B-${i}` },
      narrative: NARRATIVE,
      subject: { givenNames: given(i), familyName1: family(i), dob: '1985-04-04', dobBasis: 'claimed', nationalities: ['MX'] },
      location: { line1: `${i} Bench Way`, zip: '78520' },
    });
  const runSingles = async () => {
    let nonAccepted = 0;
    const ackStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ROWS) {
          const i = next++;
          const res = await fetch(`${base}/api/partner/v1/submissions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: single(i),
          });
          await res.arrayBuffer();
          if (res.status !== 202) nonAccepted += 1;
        }
      }),
    );
    const singleAckSeconds = (performance.now() - ackStarted) / 1000;
    const singles = await peakRss(drain);
    return { nonAccepted, singleAckSeconds, singles };
  };

  // One batch of the same number of rows.
  const HEADER = 'type,occurred_at,narrative,given_names,family_name_1,dob,nationalities,location_line1,location_zip';
  const rows = Array.from(
    { length: ROWS },
    (_, i) => `location_report,${occurred},"${NARRATIVE}",${given(ROWS + i)},${family(ROWS + i)},1985-04-04,MX,${i} Batch Way,78520`,
  );
  const csv = `${HEADER}\r\n${rows.join('\r\n')}\r\n`;
  const upload = (body: string, auth: boolean) =>
    fetch(`${base}/api/partner/v1/batches`, {
      method: 'POST',
      headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'text/csv' },
      body,
    });
  const runBatch = async () => {
    const batchAckStarted = performance.now();
    const ack = await peakRss(() => longestStall(() => upload(csv, true)));
    const batchAckSeconds = (performance.now() - batchAckStarted) / 1000;
    const ackStatus = ack.result.result.status;
    await ack.result.result.arrayBuffer();
    const batch = await peakRss(drain);
    const accepted = Number(
      (
        await handle.db
          .selectFrom('partner_submissions')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('status', '=', 'accepted')
          .where('batch_id', 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
    return { batchAckSeconds, ack, ackStatus, batch, accepted };
  };
  // Which goes first is a choice (BENCH_ORDER=batch-first): the second runs against the first's cases and ACD queue.
  const batchFirst = process.env.BENCH_ORDER === 'batch-first';
  const [singlesRun, batchRun] = batchFirst
    ? await runBatch().then(async (b) => [await runSingles(), b] as const)
    : await runSingles().then(async (r) => [r, await runBatch()] as const);
  const { nonAccepted, singleAckSeconds, singles } = singlesRun;
  const { batchAckSeconds, ack, ackStatus, batch, accepted } = batchRun;

  // 4 MB of blank lines, signed in and not.
  const blank = '\r\n'.repeat(2_000_000);
  const hostile = async (auth: boolean) => {
    const started = performance.now();
    const { result, stallMs } = await longestStall(async () => {
      const res = await upload(blank, auth);
      await res.arrayBuffer();
      return res.status;
    });
    return { status: result, ms: performance.now() - started, stallMs };
  };
  const signedIn = await hostile(true);
  const anonymous = await hostile(false);

  const rate = (n: number, s: number) => (n / s).toFixed(1);
  console.log(
    `${database.kind} PostgreSQL, ${ROWS} rows each way (${batchFirst ? 'batch' : 'singles'} first), concurrency ${CONCURRENCY} for singles, Node ${process.version}, ${os.cpus().length} cores`,
  );
  console.log(
    `single submissions: ${ROWS} acknowledged in ${singleAckSeconds.toFixed(1)} s (non-202: ${nonAccepted}); processed in ${singles.result.seconds.toFixed(1)} s = ${rate(ROWS, singles.result.seconds)}/s${singles.result.finished ? '' : ' (STOPPED, not finished)'}; RSS ${singles.beforeMb.toFixed(0)} → peak ${singles.peakMb.toFixed(0)} MB`,
  );
  console.log(
    `one ${ROWS}-row batch (${(csv.length / 1e6).toFixed(2)} MB): ${ackStatus} in ${(batchAckSeconds * 1000).toFixed(0)} ms (longest stall ${ack.result.stallMs.toFixed(0)} ms, RSS peak ${ack.peakMb.toFixed(0)} MB); split and processed in ${batch.result.seconds.toFixed(1)} s = ${rate(ROWS, batch.result.seconds)} rows/s${batch.result.finished ? '' : ' (STOPPED, not finished)'} (${accepted} accepted); RSS ${batch.beforeMb.toFixed(0)} → peak ${batch.peakMb.toFixed(0)} MB`,
  );
  console.log(`job failures: ${jobFailures}`);
  console.log(
    `4 MB of blank lines, signed in: ${signedIn.status} in ${signedIn.ms.toFixed(0)} ms, longest stall ${signedIn.stallMs.toFixed(0)} ms`,
  );
  console.log(
    `4 MB of blank lines, anonymous: ${anonymous.status} in ${anonymous.ms.toFixed(0)} ms, longest stall ${anonymous.stallMs.toFixed(0)} ms`,
  );
  await app.close();
  await routing.stop();
} finally {
  await handle.close();
  await database.close();
}
