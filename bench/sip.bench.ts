/**
 * SIP benchmark: SIPp callers through Kamailio (the edge) into a Switchboard
 * call-control node — media anchored in rtpengine, a call record in
 * PostgreSQL, the IVR playing its first prompt — next to the same path into a
 * bare answering server (SIPp as UAS: 200 OK at once, no media, no state), and
 * into the fair baseline (issue #18): a bare server that does the same media
 * work per call and nothing else — offer and answer through the same rtpengine,
 * the same first prompt played to the caller, delete at the BYE — measured in
 * the same run. Two figures each: the highest call rate (calls/s, 1 s calls)
 * with no failed call, and the most concurrent held calls (20 s calls) with no
 * failed call. Ratios: Switchboard / bare and Switchboard / media-doing bare
 * (goal ≥ 0.8).
 *
 *   npm run bench:sip
 *   BENCH_SIP_TARGETS=media,switchboard npm run bench:sip
 */
import { spawn } from 'node:child_process';
import { createSocket, type RemoteInfo } from 'node:dgram';
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
import type { MediaGateway } from '../src/telephony/media/media-gateway.js';
import { type Service, startKamailio } from '../src/telephony/processes.js';
import { startTelephony } from '../src/telephony/runtime.js';
import { first, makeResponse, parseMessage, parseNameAddr, randomToken, serialize } from '../src/telephony/sip/message.js';
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

/**
 * The fair baseline: a SIP answering server that does Switchboard's media work per call and nothing else — no call
 * record, no IVR, no routing. INVITE: rtpengine offer and answer (through the same MediaGateway, against the same
 * sink), 200 OK with rtpengine's SDP, then the line's first prompt played to the caller; BYE: 200 OK and delete.
 * Retransmitted INVITEs get the same answer again.
 */
async function startMediaServer(gateway: MediaGateway, promptFile: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const socket = createSocket('udp4');
  const answered = new Map<string, Buffer | 'pending'>();
  let session = 1;
  const send = (msg: Buffer, rinfo: RemoteInfo) => socket.send(msg, rinfo.port, rinfo.address);
  socket.on('message', (raw, rinfo) => {
    const parsed = parseMessage(raw);
    if (!parsed.ok || parsed.message.kind !== 'request') return;
    const request = parsed.message;
    const callId = first(request, 'call-id');
    if (request.method === 'INVITE') {
      const done = answered.get(callId);
      if (done instanceof Buffer) send(done, rinfo);
      if (done) return;
      answered.set(callId, 'pending');
      const localTag = randomToken();
      const call = { callId, callerTag: parseNameAddr(first(request, 'from'))?.params.tag ?? '', localTag, callerSdp: request.body };
      void (async () => {
        try {
          const sdp = await gateway.anchor(call, gateway.sinkSdp(session++), () => undefined);
          const ok = serialize(
            makeResponse(request, 200, 'OK', { toTag: localTag, headers: [['Contact', `<sip:bare@127.0.0.1:${port}>`]], body: sdp }),
          );
          answered.set(callId, ok);
          send(ok, rinfo);
          await gateway.play(call, promptFile);
        } catch {
          answered.delete(callId);
          send(serialize(makeResponse(request, 500, 'Media Failed', { toTag: localTag })), rinfo);
        }
      })();
    } else if (request.method === 'BYE') {
      send(serialize(makeResponse(request, 200, 'OK')), rinfo);
      if (answered.delete(callId)) {
        const callerTag = parseNameAddr(first(request, 'from'))?.params.tag ?? '';
        void gateway.release({ callId, callerTag, localTag: '', callerSdp: '' });
      }
    } else if (request.method !== 'ACK') send(serialize(makeResponse(request, 200, 'OK')), rinfo);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  return { port, stop: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** bare: SIPp answers; media: the fair baseline; switchboard. */
const TARGETS = (process.env.BENCH_SIP_TARGETS ?? 'bare,media,switchboard').split(',') as ('bare' | 'media' | 'switchboard')[];
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
  // The first prompt the UAC line plays (its language menu), as the media-doing baseline plays it.
  const promptFile = await tel.prompts.file('language-menu', 'en');
  for (const which of TARGETS) {
    const edgePort = await freeUdpPort();
    const barePort = await freeUdpPort();
    const bare = which === 'bare' ? startBareServer(barePort) : undefined;
    const media = which === 'media' ? await startMediaServer(tel.gateway, promptFile) : undefined;
    kamailio = await startKamailio({
      listen: { host: '127.0.0.1', port: edgePort },
      nodes: [{ host: '127.0.0.1', port: which === 'bare' ? barePort : media ? media.port : tel.endpoint.port }],
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
    await media?.stop();
    console.log(`${which}: rate steps — ${results[which].rate.steps.join('; ')}`);
    console.log(`${which}: held steps — ${results[which].held.steps.join('; ')}`);
  }
  const s = results.switchboard;
  const b = results.bare;
  const m = results.media;
  if (s) {
    const cell = (x: number | undefined) => (x === undefined ? '–' : String(x));
    const ratio = (x: number, y: number | undefined) => (y === undefined ? '–' : (x / Math.max(y, 1)).toFixed(2));
    console.log('');
    console.log(
      '| measurement | Switchboard | bare server (no media) | bare server doing the media work | Switchboard / bare | Switchboard / media-doing bare |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(
      `| calls/s with 0 failed calls | ${s.rate.best} | ${cell(b?.rate.best)} | ${cell(m?.rate.best)} | ${ratio(s.rate.best, b?.rate.best)} | ${ratio(s.rate.best, m?.rate.best)} |`,
    );
    console.log(
      `| concurrent held calls with 0 failed | ${s.held.best} | ${cell(b?.held.best)} | ${cell(m?.held.best)} | ${ratio(s.held.best, b?.held.best)} | ${ratio(s.held.best, m?.held.best)} |`,
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
