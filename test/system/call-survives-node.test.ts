import { mkdtemp, rm } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingCommand } from '../../src/domain/routing/commands.js';
import { RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { EdgePhones } from '../../src/telephony/edge-phones.js';
import { RtpengineClient } from '../../src/telephony/media/rtpengine.js';
import { type Service, startSharedEdge } from '../../src/telephony/processes.js';
import { realTimeClockFrom } from '../support/app.js';
import { type Softphone, startSoftphone } from '../support/baresip.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { assertBuilt, baseEnv, CLI, freeHttpPort, freePort, type Running, run, waitForOutput, waitUntil } from '../support/processes.js';
import { freeUdpPort, freeUdpRange, packetsBySide, type SippResult, sipp, testPhoneBook } from '../support/telephony.js';

/**
 * A call outlives the call-control node that holds it (issue #17's acceptance). One Kamailio and one rtpengine,
 * shared; two Switchboard processes with telephony on one database, both hearing every key through rtpengine's TCP
 * ng port. A SIPp caller presses 2 (Spanish) on the UAC line and reaches whichever node the edge picks; that node is
 * SIGKILLed. The other adopts the call from the state saved with its record:
 * - connected to a baresip agent: audio keeps flowing both ways through rtpengine; the agent hangs up, the edge
 *   gives that BYE to the survivor (the holder is silent), which sends the caller our BYE: the call ends completed;
 * - waiting in queue: the survivor keeps the caller's task (so their place and arrival time), rings the agent when
 *   they are free, and the call goes on as on the node that took it.
 */

const SECRET = 'b'.repeat(64);
/** caller-stays-with-agent.xml talks until ~36 s after its INVITE and only then waits for our BYE. */
const TALK_ENDS_MS = 40_000;

let db: TestDatabase;
const dirs: string[] = [];
const children: Running[] = [];
const services: Service[] = [];
type Shared = { edgePort: number; ngPort: number; tcpPort: number };
type Node = { id: string; name: string; sipPort: number; process: Running };
let shared: Shared;
let ng: RtpengineClient;
let phone: Softphone;
const nodes = new Map<string, Node>();

const tempDir = async (name: string) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sb-${name}-`));
  dirs.push(dir);
  return dir;
};

async function startNode(name: string, sipPort: number): Promise<Node> {
  const env = baseEnv({
    SWITCHBOARD_DATA_DIR: await tempDir(name),
    PORT: String(await freeHttpPort()),
    DATABASE_URL: db.url,
    SWITCHBOARD_SECRET_KEY: SECRET,
    SWITCHBOARD_DEMO_ON_FIRST_START: 'false',
    SWITCHBOARD_NODE_ID: name,
    ROUTING_LEASE_MS: '1500',
    TELEPHONY_SHARED: 'true',
    SIP_EDGE_PORT: String(shared.edgePort),
    SIP_NODE_PORT: String(sipPort),
    RTPENGINE_NG_PORT: String(shared.ngPort),
    RTPENGINE_TCP_NG_PORT: String(shared.tcpPort),
    LOG_LEVEL: 'info',
  });
  const running = run(CLI, ['start', '--telephony'], env);
  children.push(running);
  await waitForOutput(running, 'stderr', /telephony: SIP edge/, 90_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${running.stderr().slice(-3_000)}\n${running.stdout().slice(-2_000)}`);
  });
  const node = { id: name, name: `${hostname()}:${sipPort}`, sipPort, process: running };
  nodes.set(node.name, node);
  return node;
}

/**
 * A supervisor's tool joins the cluster for one routing command (it follows; the nodes lead). The nodes are real
 * processes on real time; the tool's command must be on their clock, or an offer it makes times out at their next
 * tick. Their shared clock is the database's, read here (listed in test/unit/no-wall-clock.test.ts): the test
 * depends on no date, only on agreeing with the nodes.
 */
async function supervise(command: RoutingCommand): Promise<void> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(db.db);
  const clock = realTimeClockFrom(rows[0]?.now as Date);
  const tool = await RoutingService.open(db.db, await loadRoutingConfig(db.db), clock, { nodeId: 'test-supervisor', leaseMs: 1500 });
  try {
    await tool.execute(command, {
      actor: null,
      system: 'test',
      sourceIp: null,
      requestId: null,
      now: clock(),
      timeZone: 'America/Chicago',
    });
  } finally {
    await tool.stop();
  }
}

beforeAll(async () => {
  assertBuilt();
  db = await createTestDatabase({ empty: true });
  const range = await freeUdpRange(300);
  shared = { edgePort: await freeUdpPort(), ngPort: await freeUdpPort(), tcpPort: await freePort() };
  const sipPorts = [await freeUdpPort(), await freeUdpPort()];
  const [media, kamailio] = await startSharedEdge({
    sip: { host: '127.0.0.1', port: shared.edgePort },
    rtpengine: { host: '127.0.0.1', port: shared.ngPort, tcpPort: shared.tcpPort, portMin: range.min, portMax: range.max },
    nodes: sipPorts.map((port) => ({ host: '127.0.0.1', port })),
    dir: await tempDir('media'),
    template: path.resolve('deploy/kamailio/kamailio.cfg'),
  });
  services.push(media, kamailio);
  // The agent's phone's credentials, in the shared edge's memory (as a node with SIP_EDGE_CTL keeps them).
  const book = testPhoneBook();
  const edgePhones = new EdgePhones(kamailio.ctl, book.source, () => undefined);
  book.source.subscribe(() => edgePhones.sync());
  await startNode('node-a', sipPorts[0] as number);
  await startNode('node-b', sipPorts[1] as number);
  ng = await RtpengineClient.open({ host: '127.0.0.1', port: shared.ngPort });
  phone = await startSoftphone('agent9', shared.edgePort, { password: await book.issue('agent9') });
  await phone.registered();
  await supervise({
    type: 'addWorker',
    worker: {
      id: 'agent-9',
      attributes: { unit: 'uac', languages: ['en', 'es'], skills: [], sipUser: 'agent9' },
      activity: 'Available',
      capacity: { voice: 1, work_item: 0 },
    },
  });
  // Let the edge's pings find both nodes alive.
  await new Promise((r) => setTimeout(r, 2_500));
}, 240_000);
afterAll(async () => {
  await phone?.stop();
  await ng?.close();
  for (const child of children) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const s of services.reverse()) await s.stop().catch(() => undefined);
  await db?.drop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Packets rtpengine relayed from each side of the call. */
const packets = (callId: string) => packetsBySide(ng, callId);

const latestCall = () => db.db.selectFrom('calls').selectAll().orderBy('arrived_at', 'desc').executeTakeFirstOrThrow();

/** Places the caller (2: Spanish, UAC line) and waits for its record to be queued; returns it and the running SIPp. */
async function placeCall(): Promise<{ placedAt: number; caller: Promise<SippResult>; record: Awaited<ReturnType<typeof latestCall>> }> {
  const before = await db.db.selectFrom('calls').select('id').execute();
  const placedAt = performance.now();
  const caller = sipp('caller-stays-with-agent.xml', `127.0.0.1:${shared.edgePort}`, {
    service: '+16155550102',
    keys: [{ digit: '2', atMs: 0 }],
    timeoutS: 150,
  });
  await waitUntil(
    'the call is queued',
    async () => {
      const all = await db.db.selectFrom('calls').select(['id', 'queued_at']).execute();
      return all.length > before.length && all.some((c) => c.queued_at !== null && !before.some((b) => b.id === c.id));
    },
    30_000,
  );
  return { placedAt, caller, record: await latestCall() };
}

/** SIGKILLs the node holding the call; resolves when another node holds it, with how long that took. */
async function killHolder(holder: string): Promise<{ survivor: string; adoptedMs: number; killed: Node }> {
  const node = nodes.get(holder);
  if (!node) throw new Error(`no node ${holder}`);
  node.process.child.kill('SIGKILL');
  const killedAt = performance.now();
  await node.process.exited;
  nodes.delete(holder);
  let survivor = '';
  await waitUntil(
    'another node holds the call',
    async () => {
      survivor = (await latestCall()).node;
      return survivor !== holder && nodes.has(survivor);
    },
    20_000,
  );
  return { survivor, adoptedMs: Math.round(performance.now() - killedAt), killed: node };
}

/** The node that appended the task's `complete` (the routing log says who). */
async function completedBy(taskId: string | null): Promise<string | null | undefined> {
  const commands = await db.db.selectFrom('routing_commands').select(['command', 'node']).orderBy('seq', 'desc').limit(50).execute();
  return commands.find((c) => {
    const command = c.command as { type?: string; taskId?: string };
    return command.type === 'complete' && command.taskId === taskId;
  })?.node;
}

/** The agent hangs up once the caller's scenario waits for our BYE; SIPp must then end normally. */
async function agentHangsUp(placedAt: number, caller: Promise<SippResult>): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, placedAt + TALK_ENDS_MS - performance.now())));
  phone.command('hangup');
  const result = await caller;
  expect(result.code, `${result.stderr}${result.stdout.slice(-2_000)}`).toBe(0);
}

describe('a call outlives its call-control node', () => {
  it('a connected SIPp↔baresip call stays up when the node holding it is SIGKILLed, and ends normally on the other node', {
    timeout: 180_000,
  }, async () => {
    const events = phone.events.length;
    const { placedAt, caller, record } = await placeCall();
    await waitUntil('the agent answered', () => phone.events.slice(events).some((e) => e.type === 'CALL_ESTABLISHED'), 30_000);
    await waitUntil('the record says answered', async () => Boolean((await latestCall()).answered_at), 10_000);
    const connected = await latestCall();
    expect(connected).toMatchObject({ id: record.id, language: 'es', agent_worker_id: 'agent-9', end_reason: null });
    await new Promise((r) => setTimeout(r, 2_000));
    const atFault = await packets(connected.external_id);

    const { survivor, adoptedMs, killed } = await killHolder(connected.node);
    const afterAdoption = await packets(connected.external_id);
    await new Promise((r) => setTimeout(r, 4_000));
    const later = await packets(connected.external_id);
    console.log(
      `connected call: adopted ${adoptedMs} ms after its node's SIGKILL; packets by side at the fault ${atFault.join('/')}, after adoption ${afterAdoption.join('/')}, 4 s later ${later.join('/')}`,
    );
    // Audio both ways after the fault: each side's count still grows, by at least 2 s of 20 ms packets.
    expect(later).toHaveLength(2);
    for (const i of [0, 1]) expect((later[i] as number) - (afterAdoption[i] as number)).toBeGreaterThan(100);

    // The agent's BYE reaches the survivor through the edge (the dead node is silent); it ends the caller's side.
    await agentHangsUp(placedAt, caller);
    await waitUntil('the record ends', async () => (await latestCall()).end_reason !== null, 20_000);
    const ended = await latestCall();
    expect(ended).toMatchObject({ end_reason: 'completed', node: survivor, agent_worker_id: 'agent-9', adapter_state: null });
    expect(await completedBy(ended.task_id)).toMatch(/^node-[ab]$/);

    // The killed node comes back (same name and SIP port): it holds nothing, and the next call may go to it.
    await startNode(killed.id, killed.sipPort);
    // The agent's wrap-up ends; they are free again.
    await supervise({ type: 'finishWrapUp', taskId: ended.task_id as string });
  });

  it('a caller waiting in queue keeps their task when their node is SIGKILLed, and the survivor puts them through to the agent', {
    timeout: 180_000,
  }, async () => {
    // The agent steps away: the caller waits.
    await supervise({ type: 'setActivity', workerId: 'agent-9', activity: 'Break' });
    const events = phone.events.length;
    const { placedAt, caller, record } = await placeCall();
    const { survivor, adoptedMs, killed } = await killHolder(record.node);
    const adopted = await latestCall();
    // Same record, same task, same time of queueing: the caller's place is kept.
    expect(adopted).toMatchObject({ id: record.id, task_id: record.task_id, end_reason: null, answered_at: null });
    expect(adopted.queued_at).toEqual(record.queued_at);

    await supervise({ type: 'setActivity', workerId: 'agent-9', activity: 'Available' });
    await waitUntil('the agent answered', () => phone.events.slice(events).some((e) => e.type === 'CALL_ESTABLISHED'), 30_000).catch(
      async (error: unknown) => {
        throw new Error(
          `${String(error)}\nrecord: ${JSON.stringify(await latestCall())}\nsurvivor: ${nodes.get(survivor)?.process.stdout().slice(-4_000)}\ncommands: ${JSON.stringify(await db.db.selectFrom('routing_commands').select(['seq', 'command', 'node']).orderBy('seq', 'desc').limit(8).execute())}`,
        );
      },
    );
    await waitUntil('the record says answered', async () => Boolean((await latestCall()).answered_at), 10_000);
    const before = await packets(adopted.external_id);
    await new Promise((r) => setTimeout(r, 4_000));
    const after = await packets(adopted.external_id);
    console.log(
      `queued call: adopted ${adoptedMs} ms after its node's SIGKILL; put through by the survivor; packets by side ${before.join('/')} → ${after.join('/')} over 4 s`,
    );
    expect(after).toHaveLength(2);
    for (const i of [0, 1]) expect((after[i] as number) - (before[i] as number)).toBeGreaterThan(100);

    await agentHangsUp(placedAt, caller);
    await waitUntil('the record ends', async () => (await latestCall()).end_reason !== null, 20_000);
    const ended = await latestCall();
    expect(ended).toMatchObject({ end_reason: 'completed', node: survivor, agent_worker_id: 'agent-9', adapter_state: null });
    await startNode(killed.id, killed.sipPort);
    await supervise({ type: 'finishWrapUp', taskId: ended.task_id as string });
  });

  it('a node stopped for an upgrade (SIGTERM) hands its connected call to the other node, which ends it normally', {
    timeout: 180_000,
  }, async () => {
    const events = phone.events.length;
    const { placedAt, caller } = await placeCall();
    await waitUntil('the agent answered', () => phone.events.slice(events).some((e) => e.type === 'CALL_ESTABLISHED'), 30_000);
    await waitUntil('the record says answered', async () => Boolean((await latestCall()).answered_at), 10_000);
    const connected = await latestCall();
    const holder = nodes.get(connected.node) as Node;
    holder.process.child.kill('SIGTERM');
    const stoppedAt = performance.now();
    expect((await holder.process.exited).code).toBe(0);
    nodes.delete(holder.name);
    let survivor = '';
    await waitUntil(
      'the other node holds the call',
      async () => {
        survivor = (await latestCall()).node;
        return nodes.has(survivor);
      },
      10_000,
    );
    const handedMs = Math.round(performance.now() - stoppedAt);
    expect(holder.process.stdout()).toMatch(/"handed":1/);
    const before = await packets(connected.external_id);
    await new Promise((r) => setTimeout(r, 4_000));
    const after = await packets(connected.external_id);
    console.log(
      `rolling restart: the call was held by the other node ${handedMs} ms after SIGTERM; packets ${before.join('/')} → ${after.join('/')} over 4 s`,
    );
    for (const i of [0, 1]) expect((after[i] as number) - (before[i] as number)).toBeGreaterThan(100);
    await agentHangsUp(placedAt, caller);
    await waitUntil('the record ends', async () => (await latestCall()).end_reason !== null, 20_000);
    expect(await latestCall()).toMatchObject({ end_reason: 'completed', node: survivor, adapter_state: null });
  });
});
