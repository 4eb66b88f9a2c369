/**
 * The availability drill (issue #17): the production shape on loopback — etcd, PostgreSQL primary and synchronous
 * standby under Patroni, HAProxy, two Switchboard nodes — under steady partner load (submissions at DRILL_RATE a
 * second, round-robin over the nodes, each retried on the other node when one does not answer, as a partner behind
 * a load balancer would; every 202 recorded). Faults in turn, each after a steady period:
 *   1. SIGKILL the routing leader node (then start it again: it rejoins as a follower);
 *   2. SIGKILL the other node (then start it again);
 *   3. SIGKILL the PostgreSQL primary's machine (postmaster and Patroni; then restart it: it rejoins as standby);
 *   4. SIGSTOP the routing leader for twice its lease, then SIGCONT.
 * For each: acknowledged writes in the phase, requests refused or unanswered, time until every running node is
 * ready again and one leads, and at the end acknowledged writes lost (not in the database, or never processed) and
 * the split-brain check (no epoch's timers fired by two nodes).
 *
 * Calls too (DRILL_CALLS a second, 0: none): one Kamailio and one rtpengine shared by the nodes, SIPp callers on
 * the UAC line who stay DRILL_CALL_S seconds and hang up, DRILL_AGENTS baresip agents answering (a supervisor's tool
 * ends their wrap-up and brings back those marked Missed). Each phase places its own callers from its start, so
 * calls are waiting and talking when the fault comes; for each fault: calls open at that moment (on the node that
 * died), how many ended normally (anything but failed) and SIPp's failed calls.
 *
 *   npm run drill
 *   DRILL_RATE=100 DRILL_STEADY_S=20 DRILL_CALLS=2 npm run drill
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type HaDatabase, startHaDatabase } from '../src/cluster/ha-database.js';
import { type Service, startService } from '../src/platform/child-services.js';
import { RoutingService } from '../src/services/routing.service.js';
import { loadRoutingConfig } from '../src/services/routing-admin.service.js';
import { openDatabase } from '../src/storage/database.js';
import { epochsWithTwoTimekeepers } from '../src/storage/repositories/routing.repository.js';
import { startSharedEdge } from '../src/telephony/processes.js';
import { type Softphone, startSoftphone } from '../test/support/baresip.js';
import { freeUdpPort, freeUdpRange, type SippResult, sipp, sippCounts } from '../test/support/telephony.js';

const RATE = Math.max(1, Math.min(Number(process.env.DRILL_RATE ?? 50), 200));
const STEADY_MS = Math.max(5, Math.min(Number(process.env.DRILL_STEADY_S ?? 10), 120)) * 1000;
const LEASE_MS = 1500;
const MAX_IN_FLIGHT = 64;
const CLI = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.js');
const CALLS = Math.max(0, Math.min(Number(process.env.DRILL_CALLS ?? 1), 5));
const CALL_MS = Math.max(15, Math.min(Number(process.env.DRILL_CALL_S ?? 30), 120)) * 1000;
const AGENTS = Math.max(1, Math.min(Number(process.env.DRILL_AGENTS ?? 4), 8));
const ORI = 'TX0330000';

const root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-drill-'));
chmodSync(root, 0o755);
const secret = () => randomBytes(18).toString('hex');
const key = randomBytes(32).toString('hex');
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Node = { name: string; port: number; service: Service };

const nodes: Node[] = [];
/** Every node process the drill started, the killed ones too: their warnings are read at the end. */
const everyNode: Node[] = [];
let ha: HaDatabase | undefined;
// A failure anywhere stops what the drill started: killed with it, Patroni's PostgreSQL would be orphaned.
let failing = false;
const fail = async (error: unknown) => {
  if (failing) return;
  failing = true;
  log(`drill: failed: ${error instanceof Error ? error.message : String(error)}`);
  for (const node of nodes) await node.service.stop().catch(() => undefined);
  for (const service of edge) await service.stop().catch(() => undefined);
  for (const phone of phones) await phone.stop().catch(() => undefined);
  await ha?.stop().catch(() => undefined);
  process.exit(1);
};
const phones: Softphone[] = [];
const edge: Service[] = [];
process.on('uncaughtException', (error) => void fail(error));
process.on('unhandledRejection', (error) => void fail(error));

log(`drill: starting the database cluster in ${root}…`);
ha = await startHaDatabase({
  dir: path.join(root, 'database'),
  passwords: { superuser: secret(), replication: secret(), owner: secret(), app: secret() },
});
// The shared SIP edge and media server: the edge dispatches to both nodes' call control.
const telephony = CALLS
  ? {
      edgePort: await freeUdpPort(),
      ngPort: await freeUdpPort(),
      tcpPort: await freeUdpPort(),
      sip: { 'node-1': await freeUdpPort(), 'node-2': await freeUdpPort() } as Record<string, number>,
    }
  : null;
if (telephony) {
  const rtp = await freeUdpRange(2_000);
  edge.push(
    ...(await startSharedEdge({
      sip: { host: '127.0.0.1', port: telephony.edgePort },
      rtpengine: { host: '127.0.0.1', port: telephony.ngPort, tcpPort: telephony.tcpPort, portMin: rtp.min, portMax: rtp.max },
      nodes: Object.values(telephony.sip).map((port) => ({ host: '127.0.0.1', port })),
      dir: root,
      template: path.join(import.meta.dirname, '..', '..', 'deploy', 'kamailio', 'kamailio.cfg'),
    })),
  );
}
const telephonyEnv = (name: string): NodeJS.ProcessEnv => {
  const sipPort = telephony?.sip[name];
  if (!telephony || !sipPort) return {};
  return {
    TELEPHONY_SHARED: 'true',
    SIP_EDGE_PORT: String(telephony.edgePort),
    SIP_NODE_PORT: String(sipPort),
    RTPENGINE_NG_PORT: String(telephony.ngPort),
    RTPENGINE_TCP_NG_PORT: String(telephony.tcpPort),
  };
};
const env = (name: string, port: number): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  // Info: each node's log goes to a file in the drill's folder, read at the end to explain every failed call.
  LOG_LEVEL: telephony ? 'info' : 'warn',
  PORT: String(port),
  SWITCHBOARD_DATA_DIR: path.join(root, name),
  DATABASE_URL: ha.url,
  DATABASE_MIGRATION_URL: ha.migrationUrl,
  SWITCHBOARD_SECRET_KEY: key,
  SWITCHBOARD_NODE_ID: name,
  SWITCHBOARD_DEMO_ON_FIRST_START: 'false',
  ROUTING_LEASE_MS: String(LEASE_MS),
  ...telephonyEnv(name),
});

async function readiness(node: Node): Promise<{ ready: boolean; role?: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${node.port}/readyz`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { routing?: { role?: string } };
    return { ready: res.status === 200, ...(body.routing?.role ? { role: body.routing.role } : {}) };
  } catch {
    return { ready: false };
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await sleep(50);
  }
  throw new Error(`drill: ${what} did not happen within ${timeoutMs / 1000} s`);
}

function launch(name: string, port: number): Node {
  const args = [CLI, 'start', ...(telephony ? ['--telephony'] : [])];
  const node = { name, port, service: startService(name, process.execPath, args, { env: env(name, port) }) };
  const file = path.join(root, `${name}.log`);
  node.service.child.stdout?.on('data', (chunk: Buffer) => appendFileSync(file, chunk));
  node.service.child.stderr?.on('data', (chunk: Buffer) => appendFileSync(file, chunk));
  everyNode.push(node);
  return node;
}

async function startNode(name: string, port: number): Promise<Node> {
  const node = launch(name, port);
  await until(`${name} ready`, async () => (await readiness(node)).ready);
  return node;
}

async function cli(args: string[]): Promise<string> {
  const service = startService('cli', process.execPath, [CLI, ...args], { env: env('cli', 8999) });
  await new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  if (service.child.exitCode !== 0) throw new Error(`switchboard ${args.join(' ')} failed:\n${service.output()}`);
  return service.output();
}

const ports = [18_080 + Math.floor(Math.random() * 1000), 0];
ports[1] = (ports[0] ?? 18_080) + 1;
nodes.push(await startNode('node-1', ports[0] ?? 18_080));
nodes.push(await startNode('node-2', ports[1] ?? 18_081));
await cli([
  'agency',
  'add',
  '--ori',
  ORI,
  '--name',
  'Synthetic Drill County Sheriff',
  '--type',
  'sheriff',
  '--model',
  'task_force',
  '--effective',
  '2025-01-01',
  '--county',
  'Cameron',
]);
const client = JSON.parse(
  (await cli(['client', 'add', '--agency', ORI, '--name', 'RMS', '--scopes', 'submissions:write', '--json'])).trim().split('\n').at(-1) ??
    '{}',
) as { clientId: string; clientSecret: string };

async function token(node: Node): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${node.port}/api/partner/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
const bearer = await token(nodes[0] as Node);

// ── the agents and their supervisor ───────────────────────────────────────────
// A supervisor's tool in the cluster (it never leads: it does not start the lease): adds the agents, then every
// second ends their wrap-up and brings back those marked Missed, as a supervisor at the wallboard would.
const toolDb = openDatabase(ha.url, { poolSize: 2 });
let supervising: NodeJS.Timeout | undefined;
if (telephony) {
  for (let i = 1; i <= AGENTS; i++) {
    const phone = await startSoftphone(`drill${i}`, telephony.edgePort);
    await phone.registered();
    phones.push(phone);
  }
  const tool = await RoutingService.open(toolDb.db, await loadRoutingConfig(toolDb.db), () => new Date(), {
    nodeId: 'drill-supervisor',
    leaseMs: LEASE_MS,
  });
  const ctx = () => ({ actor: null, system: 'drill', sourceIp: null, requestId: null, now: new Date(), timeZone: 'America/Chicago' });
  for (let i = 1; i <= AGENTS; i++)
    await tool.execute(
      {
        type: 'addWorker',
        worker: {
          id: `drill-agent-${i}`,
          attributes: { unit: 'uac', languages: ['en', 'es'], skills: [], sipUser: `drill${i}` },
          activity: 'Available',
          capacity: { voice: 1, work_item: 0 },
        },
      },
      ctx(),
    );
  let busy = false;
  supervising = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      await tool.follow();
      for (const task of [...tool.engine.allTasks()])
        if (task.status === 'wrapping') await tool.execute({ type: 'finishWrapUp', taskId: task.id }, ctx()).catch(() => undefined);
      for (const worker of [...tool.engine.allWorkers()])
        if (worker.activity === 'Missed')
          await tool.execute({ type: 'setActivity', workerId: worker.id, activity: 'Available' }, ctx()).catch(() => undefined);
    })()
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, 1_000);
}

// ── the callers: each phase places its own from its start ─────────────────────
const check = openDatabase(ha.migrationUrl, { poolSize: 2 });
const callRuns: Promise<SippResult>[] = [];
function callers(): Promise<SippResult> | null {
  if (!telephony) return null;
  // 2 (Spanish) on the UAC line: queued for the UAC agents; the caller stays CALL_MS from the answer, then hangs up.
  const run = sipp('caller-2-2-hangs-up.xml', `127.0.0.1:${telephony.edgePort}`, {
    service: '+16155550102',
    keys: [{ digit: '2', atMs: 0 }],
    calls: Math.max(1, Math.round((CALLS * STEADY_MS) / 1000)),
    rate: CALLS,
    holdMs: CALL_MS,
    limit: 500,
    timeoutS: Math.round((STEADY_MS + CALL_MS) / 1000) + 120,
    extra: ['-max_retrans', '8'],
  });
  callRuns.push(run);
  return run;
}
/** The SIP calls not yet ended, by the node holding each (the call-control name: host:SIP port). */
const openCalls = () =>
  check.db.selectFrom('calls').select(['id', 'node']).where('adapter', '=', 'sip').where('ended_at', 'is', null).execute();
const callControlName = (node: Node | undefined) => (node && telephony ? `${os.hostname()}:${telephony.sip[node.name]}` : '');

// ── the steady load ────────────────────────────────────────────────────────
type Phase = { name: string; acked: number; refused: Map<string, number> };
const acked: string[] = [];
let phase: Phase = { name: 'warm-up', acked: 0, refused: new Map() };
let sent = 0;
let inFlight = 0;
let loading = true;

async function submitOnce(node: Node, n: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${node.port}/api/partner/v1/submissions`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'location_report',
        occurredAt: '2025-06-01T08:30:00-05:00',
        narrative: `Drill ${n}`,
        subject: { givenNames: 'Drill', familyName1: `Sintético ${n}` },
        location: { zip: '78520' },
      }),
    });
    const body = (await res.json()) as { id?: string; error?: { code?: string } };
    if (res.status === 202 && body.id) return body.id;
    const reason = `${res.status} ${body.error?.code ?? ''}`.trim();
    phase.refused.set(reason, (phase.refused.get(reason) ?? 0) + 1);
  } catch {
    phase.refused.set('no answer', (phase.refused.get('no answer') ?? 0) + 1);
  }
  return undefined;
}

async function submit(n: number): Promise<void> {
  inFlight += 1;
  try {
    // Round robin; the other node when one does not acknowledge (a partner behind a load balancer), a few tries.
    for (let attempt = 0; attempt < 6; attempt++) {
      const node = nodes[(n + attempt) % nodes.length] as Node;
      const id = await submitOnce(node, n);
      if (id) {
        acked.push(id);
        phase.acked += 1;
        return;
      }
      await sleep(200);
    }
  } finally {
    inFlight -= 1;
  }
}

const load = (async () => {
  const started = performance.now();
  while (loading) {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    while (sent < due && inFlight < MAX_IN_FLIGHT) void submit(sent++);
    await sleep(5);
  }
})();

// ── the faults ─────────────────────────────────────────────────────────────
type Result = {
  fault: string;
  acked: number;
  refused: string;
  readyAfterMs: number;
  /** Calls open at the fault, those of them on the node that died (or paused), and the phase's SIPp run. */
  calls?: { open: string[]; onVictim: string[]; run: Promise<SippResult> | null };
};
const results: Result[] = [];
const leaderOf = async (): Promise<Node | undefined> => {
  for (const node of nodes) if ((await readiness(node)).role === 'leader') return node;
  return undefined;
};
const allReadyWithLeader = async (running: Node[]) => {
  const states = await Promise.all(running.map(readiness));
  return states.every((s) => s.ready) && states.some((s) => s.role === 'leader');
};

async function fault(
  name: string,
  act: () => Promise<Node[]>,
  recover: () => Promise<void>,
  victim?: () => Promise<Node | undefined>,
): Promise<void> {
  const run = callers();
  await sleep(STEADY_MS);
  phase = { name, acked: 0, refused: new Map() };
  log(`drill: ${name}`);
  const open = telephony ? await openCalls() : [];
  const target = callControlName(await victim?.());
  const calls = { open: open.map((c) => c.id), onVictim: open.filter((c) => c.node === target).map((c) => c.id), run };
  const running = await act();
  const readyAfterMs = await until(`ready again after ${name}`, () => allReadyWithLeader(running));
  await sleep(STEADY_MS);
  results.push({
    fault: name,
    acked: phase.acked,
    refused: [...phase.refused].map(([reason, count]) => `${count}× ${reason}`).join(', ') || 'none',
    readyAfterMs: Math.round(readyAfterMs),
    calls,
  });
  await recover();
}

const steadyRun = callers();
await sleep(STEADY_MS);
results.push({
  fault: 'steady (no fault)',
  calls: { open: [], onVictim: [], run: steadyRun },
  acked: phase.acked,
  refused: [...phase.refused].map(([r, c]) => `${c}× ${r}`).join(', ') || 'none',
  readyAfterMs: 0,
});

async function killNode(which: 'leader' | 'follower'): Promise<{ victim: Node; running: Node[] }> {
  const leader = await leaderOf();
  const victim = which === 'leader' ? (leader as Node) : (nodes.find((n) => n !== leader) as Node);
  victim.service.child.kill('SIGKILL');
  return { victim, running: nodes.filter((n) => n !== victim) };
}
async function restartNode(victim: Node): Promise<void> {
  const index = nodes.indexOf(victim);
  nodes[index] = await startNode(victim.name, victim.port);
}

let killed: Node | undefined;
await fault(
  'SIGKILL the routing leader node',
  async () => {
    const { victim, running } = await killNode('leader');
    killed = victim;
    return running;
  },
  () => restartNode(killed as Node),
  () => leaderOf(),
);
await fault(
  'SIGKILL the follower node',
  async () => {
    const { victim, running } = await killNode('follower');
    killed = victim;
    return running;
  },
  () => restartNode(killed as Node),
  async () => {
    const leader = await leaderOf();
    return nodes.find((n) => n !== leader);
  },
);
let deadMember = '';
await fault(
  'SIGKILL the PostgreSQL primary (postmaster and Patroni)',
  async () => {
    deadMember = (await ha.primary()) ?? 'pg1';
    const pid = ha.postmasterPid(deadMember);
    if (pid) process.kill(pid, 'SIGKILL');
    const patroni = ha.members.find((m) => m.name === deadMember)?.patroni.child.pid;
    if (patroni) process.kill(-patroni, 'SIGKILL');
    // Until the standby is promoted the nodes answer 503: wait for that first, then for ready.
    await until('a node notices', async () => (await Promise.all(nodes.map(readiness))).some((s) => !s.ready), 30_000).catch(() => 0);
    return [...nodes];
  },
  () => ha.restart(deadMember),
);
let paused: Node | undefined;
await fault(
  `SIGSTOP the routing leader for ${(2 * LEASE_MS) / 1000} s, then SIGCONT`,
  async () => {
    paused = await leaderOf();
    paused?.service.child.kill('SIGSTOP');
    const others = nodes.filter((n) => n !== paused);
    await until('another node leads', async () => (await Promise.all(others.map(readiness))).some((s) => s.role === 'leader'), 30_000);
    await sleep(Math.max(0, 2 * LEASE_MS - LEASE_MS));
    paused?.service.child.kill('SIGCONT');
    return [...nodes];
  },
  async () => undefined,
  () => leaderOf(),
);

loading = false;
await load;
await until('the last requests', async () => inFlight === 0, 60_000);

// ── what was lost ──────────────────────────────────────────────────────────
let missing = acked.length;
let unprocessed = acked.length;
await until(
  'every acknowledged submission processed',
  async () => {
    const rows = await check.db.selectFrom('partner_submissions').select(['id', 'status']).where('id', 'in', acked).execute();
    missing = acked.length - rows.length;
    unprocessed = rows.filter((r) => r.status !== 'accepted').length + missing;
    return unprocessed === 0;
  },
  180_000,
).catch(() => 0);
if (unprocessed > 0) {
  // Why: the statuses of what is left, and each node's part and its processor's runs.
  const left = await check.db
    .selectFrom('partner_submissions')
    .select(['status', 'attempts'])
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('id', 'in', acked)
    .where('status', '!=', 'accepted')
    .groupBy(['status', 'attempts'])
    .execute();
  log(`drill: not processed, by status and attempts: ${JSON.stringify(left)}`);
  for (const node of nodes) {
    const metrics = await fetch(`http://127.0.0.1:${node.port}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const runs = metrics
      .split('\n')
      .filter((l) => /^switchboard_job_(runs|failures)_total\{job="partner processor"\}|^switchboard_routing_leader /.test(l));
    log(`drill: ${node.name} ${JSON.stringify(await readiness(node))} ${runs.join('; ')}`);
  }
}
const splitBrain = await epochsWithTwoTimekeepers(check.db);

// ── the calls: every caller has hung up by now (or SIPp gave up); how did the calls open at each fault end? ──
const ended = async (ids: string[]) =>
  ids.length === 0
    ? []
    : check.db.selectFrom('calls').select(['id', 'end_reason']).where('id', 'in', ids).where('ended_at', 'is not', null).execute();
type CallFigures = {
  open: number;
  onVictim: number;
  normal: number;
  victimNormal: number;
  reasons: string;
  sippOk: number;
  sippFailed: number;
};
const callFigures: (CallFigures | null)[] = [];
if (telephony) {
  const runs = await Promise.all(callRuns);
  await until(
    'every call open at a fault ended',
    async () => {
      const all = results.flatMap((r) => r.calls?.open ?? []);
      return (await ended(all)).length === all.length;
    },
    120_000,
  ).catch(() => 0);
  for (const r of results) {
    if (!r.calls) {
      callFigures.push(null);
      continue;
    }
    const rows = await ended(r.calls.open);
    const normal = rows.filter((c) => c.end_reason !== 'failed');
    const reasons = new Map<string, number>();
    for (const c of rows) reasons.set(String(c.end_reason), (reasons.get(String(c.end_reason)) ?? 0) + 1);
    const run = r.calls.run ? runs[callRuns.indexOf(r.calls.run)] : undefined;
    const counts = run ? sippCounts(run.stdout) : { successful: 0, failed: 0 };
    callFigures.push({
      open: r.calls.open.length,
      onVictim: r.calls.onVictim.length,
      normal: normal.length,
      victimNormal: normal.filter((c) => r.calls?.onVictim.includes(c.id)).length,
      reasons: [...reasons].map(([k, v]) => `${v} ${k}`).join(', ') || '—',
      sippOk: counts.successful,
      sippFailed: counts.failed,
    });
  }
}
clearInterval(supervising);
await toolDb.close();

log('');
log(`drill: ${RATE} submissions/s over ${nodes.length} nodes; steady ${STEADY_MS / 1000} s around each fault; lease ${LEASE_MS} ms`);
log('| fault | acknowledged in phase | refused or unanswered (retried on the other node) | ready again after |');
log('| --- | --- | --- | --- |');
for (const r of results)
  log(`| ${r.fault} | ${r.acked} | ${r.refused} | ${r.readyAfterMs === 0 ? '—' : `${(r.readyAfterMs / 1000).toFixed(1)} s`} |`);
log('');
log(`acknowledged: ${acked.length}; lost (not in the database): ${missing}; not processed: ${unprocessed}`);
if (telephony) {
  log('');
  log(
    `drill: calls — ${CALLS}/s on the UAC line, each caller staying ${CALL_MS / 1000} s, ${AGENTS} baresip agents; a call ends normally unless its record says failed`,
  );
  log(
    '| fault | calls open at the fault | of them ended normally | on the node that died | of them ended normally | how they ended | SIPp calls ok / failed |',
  );
  log('| --- | --- | --- | --- | --- | --- | --- |');
  results.forEach((r, i) => {
    const c = callFigures[i];
    if (c)
      log(`| ${r.fault} | ${c.open} | ${c.normal} | ${c.onVictim} | ${c.victimNormal} | ${c.reasons} | ${c.sippOk} / ${c.sippFailed} |`);
  });
}
log(`split brain (epochs whose timers two nodes fired): ${splitBrain.length === 0 ? 'none' : JSON.stringify(splitBrain)}`);
log(
  JSON.stringify({
    rate: RATE,
    acked: acked.length,
    lost: missing,
    unprocessed,
    splitBrain: splitBrain.length,
    results: results.map(({ calls: _calls, ...r }, i) => ({ ...r, calls: callFigures[i] ?? null })),
  }),
);

// Why calls failed or were not adopted: the telephony warnings of every node, the killed ones too, by event and error.
const warnings = new Map<string, number>();
const nodeLogs = new Map<string, string[]>();
for (const name of new Set(everyNode.map((n) => n.name))) {
  let text = '';
  try {
    text = readFileSync(path.join(root, `${name}.log`), 'utf8');
  } catch {
    // no log
  }
  nodeLogs.set(name, text.split('\n'));
}
for (const lines of nodeLogs.values())
  for (const line of lines) {
    const event = /"event":"([a-z_]+)"/.exec(line)?.[1];
    if (!event || !line.includes('"level":40')) continue;
    const error = /"error":"([^"]{0,120})/.exec(line)?.[1] ?? '';
    const key = `${event} ${error}`.trim();
    warnings.set(key, (warnings.get(key) ?? 0) + 1);
  }
for (const [key, count] of warnings) log(`drill: telephony warning ×${count}: ${key}`);
// Each failed call's story: what every node logged about it (its SIP Call-ID or record id), in order, event names only.
if (telephony) {
  const failedCalls = await check.db
    .selectFrom('calls')
    .select(['id', 'external_id', 'node'])
    .where('end_reason', '=', 'failed')
    .limit(12)
    .execute();
  for (const call of failedCalls) {
    const story: { time: number; text: string }[] = [];
    for (const [name, lines] of nodeLogs)
      for (const line of lines) {
        if (!line.includes(call.external_id) && !line.includes(call.id)) continue;
        const time = Number(/"time":(\d+)/.exec(line)?.[1] ?? 0);
        const event = /"event":"([a-z_]+)"/.exec(line)?.[1] ?? /"msg":"([^"]{0,60})/.exec(line)?.[1] ?? '?';
        const error = /"error":"([^"]{0,80})/.exec(line)?.[1];
        story.push({ time, text: `${name} ${event}${error ? ` (${error})` : ''}` });
      }
    story.sort((a, b) => a.time - b.time);
    const t0 = story[0]?.time ?? 0;
    log(`drill: failed call ${call.id.slice(0, 8)} held by ${call.node}: ${story.map((s) => `+${s.time - t0} ms ${s.text}`).join('; ')}`);
  }
}
await check.close();
// What the nodes logged as errors (the 500s, if any), a few lines each: the codes, never request bodies.
for (const node of nodes) {
  const errors = node.service
    .output()
    .split('\n')
    .filter((line) => line.includes('"level":50'))
    .slice(0, 5);
  for (const line of errors) log(`${node.name} error: ${line.slice(0, 400)}`);
}
for (const node of nodes) await node.service.stop();
for (const phone of phones) await phone.stop();
for (const service of edge) await service.stop();
await ha.stop();
process.exit(missing === 0 && splitBrain.length === 0 ? 0 : 1);
