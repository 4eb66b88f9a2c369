/**
 * SIP benchmark: SIPp callers through Kamailio (the edge) into a Switchboard
 * call-control node — media anchored in rtpengine, a call record in
 * PostgreSQL, the IVR playing its first prompt — next to the same path into a
 * bare answering server (SIPp as UAS: 200 OK at once, no media, no state),
 * measured in the same run. Two figures each: the highest call rate (calls/s,
 * 1 s calls) with no failed call, and the most concurrent held calls (20 s
 * calls) with no failed call. The ratio is Switchboard / bare (goal ≥ 0.5).
 *
 *   npm run bench:sip
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { CallRecordService } from '../src/services/call-record.service.js';
import { loadReferenceData } from '../src/services/reference-data.service.js';
import { RoutingService } from '../src/services/routing.service.js';
import { loadRoutingConfig } from '../src/services/routing-admin.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir, packageRoot } from '../src/storage/paths.js';
import { type Service, startKamailio } from '../src/telephony/processes.js';
import { startTelephony } from '../src/telephony/runtime.js';
import { freeUdpPort, freeUdpRange, SIPP_DIR, sipp, sippCounts } from '../test/support/telephony.js';
import { benchDatabase } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const RATES = [20, 40, 80, 120, 160, 200, 250, 300, 400, 500, 600, 800];
const CONCURRENT = [50, 100, 200, 400, 600, 800];

type Target = { name: string; edge: string; line: string };

async function maxRate(t: Target): Promise<{ best: number; steps: string[] }> {
  let best = 0;
  const steps: string[] = [];
  for (const rate of RATES) {
    const calls = Math.min(rate * 4, 2_000);
    const r = await sipp('caller-hangs-up.xml', t.edge, { service: t.line, calls, rate, holdMs: 1_000, limit: rate * 3, timeoutS: 60 });
    const c = sippCounts(r.stdout);
    steps.push(`${rate}/s: ${c.successful} ok, ${c.failed} failed`);
    if (r.code !== 0 || c.failed > 0 || c.successful !== calls) break;
    best = rate;
  }
  return { best, steps };
}

async function maxConcurrent(t: Target): Promise<{ best: number; steps: string[] }> {
  let best = 0;
  const steps: string[] = [];
  for (const n of CONCURRENT) {
    const r = await sipp('caller-hangs-up.xml', t.edge, { service: t.line, calls: n, rate: 50, holdMs: 20_000, limit: n, timeoutS: 90 });
    const c = sippCounts(r.stdout);
    steps.push(`${n} held: ${c.successful} ok, ${c.failed} failed`);
    if (r.code !== 0 || c.failed > 0 || c.successful !== n) break;
    best = n;
  }
  return { best, steps };
}

function startBareServer(port: number): { stop: () => Promise<void> } {
  const child = spawn(
    'sipp',
    ['-sf', path.join(SIPP_DIR, 'bare-uas.xml'), '-i', '127.0.0.1', '-p', String(port), '-mp', '16000', '-aa', '-nostdin'],
    {
      stdio: 'ignore',
    },
  );
  return {
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const database = await benchDatabase(config.DATABASE_URL);
const handle = openDatabase(database.url, { poolSize: 10 });
let kamailio: Service | undefined;
try {
  await migrate(handle.pool, loadMigrations(migrationsDir()));
  await loadReferenceData(handle.db);
  const routing = await RoutingService.open(handle.db, await loadRoutingConfig(handle.db), () => new Date());
  routing.start();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-sip-'));
  const range = await freeUdpRange(4_000);
  const ngPort = await freeUdpPort();
  const tel = await startTelephony({
    calls: new CallRecordService(handle.db, routing),
    flowsDir: path.join(packageRoot(), 'reference', 'ivr'),
    kamailioTemplate: path.join(packageRoot(), 'deploy', 'kamailio', 'kamailio.cfg'),
    routing,
    dataDir,
    node: 'bench',
    timeZone: 'America/Chicago',
    clock: () => new Date(),
    log: () => undefined,
    sip: { host: '127.0.0.1', port: 0 },
    edge: null,
    rtpengine: { host: '127.0.0.1', port: ngPort, portMin: range.min, portMax: range.max },
  });
  const results: Record<string, { rate: Awaited<ReturnType<typeof maxRate>>; held: Awaited<ReturnType<typeof maxConcurrent>> }> = {};
  for (const which of ['bare', 'switchboard'] as const) {
    const edgePort = await freeUdpPort();
    const barePort = await freeUdpPort();
    const bare = which === 'bare' ? startBareServer(barePort) : undefined;
    kamailio = await startKamailio({
      listen: { host: '127.0.0.1', port: edgePort },
      nodes: [{ host: '127.0.0.1', port: which === 'bare' ? barePort : tel.endpoint.port }],
      rtpengine: { host: '127.0.0.1', port: ngPort },
      dir: path.join(dataDir, `kamailio-${which}`),
      template: path.join(packageRoot(), 'deploy', 'kamailio', 'kamailio.cfg'),
    });
    await new Promise((r) => setTimeout(r, 2_500)); // the dispatcher's first pings
    const target = { name: which, edge: `127.0.0.1:${edgePort}`, line: '+16155550102' };
    results[which] = { rate: await maxRate(target), held: await maxConcurrent(target) };
    await kamailio.stop();
    kamailio = undefined;
    await bare?.stop();
    console.log(`${which}: rate steps — ${results[which].rate.steps.join('; ')}`);
    console.log(`${which}: held steps — ${results[which].held.steps.join('; ')}`);
  }
  const s = results.switchboard;
  const b = results.bare;
  if (s && b) {
    console.log('');
    console.log(`| measurement | Switchboard | bare server | ratio |`);
    console.log(`| --- | --- | --- | --- |`);
    console.log(
      `| calls/s with 0 failed calls | ${s.rate.best} | ${b.rate.best} | ${(s.rate.best / Math.max(b.rate.best, 1)).toFixed(2)} |`,
    );
    console.log(
      `| concurrent held calls with 0 failed | ${s.held.best} | ${b.held.best} | ${(s.held.best / Math.max(b.held.best, 1)).toFixed(2)} |`,
    );
    console.log(`(${database.kind} PostgreSQL; ${os.cpus().length} cores; ${new Date().toISOString()})`);
  }
  await tel.stop();
  await routing.stop();
} finally {
  await kamailio?.stop();
  await handle.close();
  await database.close();
}
