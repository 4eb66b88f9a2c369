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
 *   npm run drill
 *   DRILL_RATE=100 DRILL_STEADY_S=20 npm run drill
 *
 * Not yet in it: SIPp callers and baresip agents (calls surviving a node are issue #17 item 3).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type HaDatabase, startHaDatabase } from '../src/cluster/ha-database.js';
import { type Service, startService } from '../src/platform/child-services.js';
import { openDatabase } from '../src/storage/database.js';
import { epochsWithTwoTimekeepers } from '../src/storage/repositories/routing.repository.js';

const RATE = Math.max(1, Math.min(Number(process.env.DRILL_RATE ?? 50), 200));
const STEADY_MS = Math.max(5, Math.min(Number(process.env.DRILL_STEADY_S ?? 10), 120)) * 1000;
const LEASE_MS = 1500;
const MAX_IN_FLIGHT = 64;
const CLI = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.js');
const ORI = 'TX0330000';

const root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-drill-'));
chmodSync(root, 0o755);
const secret = () => randomBytes(18).toString('hex');
const key = randomBytes(32).toString('hex');
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Node = { name: string; port: number; service: Service };

const nodes: Node[] = [];
let ha: HaDatabase | undefined;
// A failure anywhere stops what the drill started: killed with it, Patroni's PostgreSQL would be orphaned.
let failing = false;
const fail = async (error: unknown) => {
  if (failing) return;
  failing = true;
  log(`drill: failed: ${error instanceof Error ? error.message : String(error)}`);
  for (const node of nodes) await node.service.stop().catch(() => undefined);
  await ha?.stop().catch(() => undefined);
  process.exit(1);
};
process.on('uncaughtException', (error) => void fail(error));
process.on('unhandledRejection', (error) => void fail(error));

log(`drill: starting the database cluster in ${root}…`);
ha = await startHaDatabase({
  dir: path.join(root, 'database'),
  passwords: { superuser: secret(), replication: secret(), owner: secret(), app: secret() },
});
const env = (name: string, port: number): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  LOG_LEVEL: 'warn',
  PORT: String(port),
  SWITCHBOARD_DATA_DIR: path.join(root, name),
  DATABASE_URL: ha.url,
  DATABASE_MIGRATION_URL: ha.migrationUrl,
  SWITCHBOARD_SECRET_KEY: key,
  SWITCHBOARD_NODE_ID: name,
  SWITCHBOARD_DEMO_ON_FIRST_START: 'false',
  ROUTING_LEASE_MS: String(LEASE_MS),
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
  return { name, port, service: startService(name, process.execPath, [CLI, 'start'], { env: env(name, port) }) };
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
type Result = { fault: string; acked: number; refused: string; readyAfterMs: number };
const results: Result[] = [];
const leaderOf = async (): Promise<Node | undefined> => {
  for (const node of nodes) if ((await readiness(node)).role === 'leader') return node;
  return undefined;
};
const allReadyWithLeader = async (running: Node[]) => {
  const states = await Promise.all(running.map(readiness));
  return states.every((s) => s.ready) && states.some((s) => s.role === 'leader');
};

async function fault(name: string, act: () => Promise<Node[]>, recover: () => Promise<void>): Promise<void> {
  await sleep(STEADY_MS);
  phase = { name, acked: 0, refused: new Map() };
  log(`drill: ${name}`);
  const running = await act();
  const readyAfterMs = await until(`ready again after ${name}`, () => allReadyWithLeader(running));
  await sleep(STEADY_MS);
  results.push({
    fault: name,
    acked: phase.acked,
    refused: [...phase.refused].map(([reason, count]) => `${count}× ${reason}`).join(', ') || 'none',
    readyAfterMs: Math.round(readyAfterMs),
  });
  await recover();
}

await sleep(STEADY_MS);
results.push({
  fault: 'steady (no fault)',
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
);
await fault(
  'SIGKILL the follower node',
  async () => {
    const { victim, running } = await killNode('follower');
    killed = victim;
    return running;
  },
  () => restartNode(killed as Node),
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
);

loading = false;
await load;
await until('the last requests', async () => inFlight === 0, 60_000);

// ── what was lost ──────────────────────────────────────────────────────────
const check = openDatabase(ha.migrationUrl, { poolSize: 2 });
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
await check.close();

log('');
log(`drill: ${RATE} submissions/s over ${nodes.length} nodes; steady ${STEADY_MS / 1000} s around each fault; lease ${LEASE_MS} ms`);
log('| fault | acknowledged in phase | refused or unanswered (retried on the other node) | ready again after |');
log('| --- | --- | --- | --- |');
for (const r of results)
  log(`| ${r.fault} | ${r.acked} | ${r.refused} | ${r.readyAfterMs === 0 ? '—' : `${(r.readyAfterMs / 1000).toFixed(1)} s`} |`);
log('');
log(`acknowledged: ${acked.length}; lost (not in the database): ${missing}; not processed: ${unprocessed}`);
log(`split brain (epochs whose timers two nodes fired): ${splitBrain.length === 0 ? 'none' : JSON.stringify(splitBrain)}`);
log(JSON.stringify({ rate: RATE, acked: acked.length, lost: missing, unprocessed, splitBrain: splitBrain.length, results }));

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
await ha.stop();
process.exit(missing === 0 && splitBrain.length === 0 ? 0 : 1);
