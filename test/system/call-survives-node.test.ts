import { mkdtemp, rm } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { RtpengineClient } from '../../src/telephony/media/rtpengine.js';
import { type Service, startKamailio, startRtpengine } from '../../src/telephony/processes.js';
import { startSoftphone } from '../support/baresip.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { assertBuilt, baseEnv, CLI, freePort, type Running, run, waitForOutput, waitUntil } from '../support/processes.js';
import { freeUdpPort, freeUdpRange, sipp } from '../support/telephony.js';

/**
 * A call outlives the call-control node that holds it (issue #17's acceptance). One Kamailio and one rtpengine,
 * shared; two Switchboard processes with telephony on one database. A SIPp caller reaches node A (node B is not yet
 * running), presses 2 for Spanish on the UAC line, is queued and answered by a baresip agent. Node B starts; node A
 * is SIGKILLed mid-conversation. Node B adopts the call from the state node A saved with its record; audio keeps
 * flowing both ways through rtpengine; the agent hangs up, the edge sends that BYE to node B (node A is silent), and
 * node B ends the call normally: the caller gets our BYE, the record says completed, the task goes to wrap-up.
 */

const SECRET = 'b'.repeat(64);
/** The instant of the test's own routing commands (a supervisor adding the agent): a fixed day, not the machine's clock. */
const AT = new Date('2026-03-02T15:00:00Z');

let db: TestDatabase;
const dirs: string[] = [];
const children: Running[] = [];
const services: Service[] = [];

beforeAll(async () => {
  assertBuilt();
  db = await createTestDatabase({ empty: true });
});
afterAll(async () => {
  for (const child of children) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const s of services.reverse()) await s.stop().catch(() => undefined);
  await db.drop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const tempDir = async (name: string) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sb-${name}-`));
  dirs.push(dir);
  return dir;
};

type Shared = { edgePort: number; ngPort: number };
type Node = { name: string; sipPort: number; process: Running };

async function startNode(name: string, sipPort: number, shared: Shared, dtmfPort: number): Promise<Node> {
  const env = baseEnv({
    SWITCHBOARD_DATA_DIR: await tempDir(name),
    PORT: String(await freePort()),
    DATABASE_URL: db.url,
    SWITCHBOARD_SECRET_KEY: SECRET,
    SWITCHBOARD_DEMO_ON_FIRST_START: 'false',
    SWITCHBOARD_NODE_ID: name,
    ROUTING_LEASE_MS: '1500',
    TELEPHONY_SHARED: 'true',
    SIP_EDGE_PORT: String(shared.edgePort),
    SIP_NODE_PORT: String(sipPort),
    RTPENGINE_NG_PORT: String(shared.ngPort),
    RTPENGINE_DTMF_PORT: String(dtmfPort),
    LOG_LEVEL: 'info',
  });
  const running = run(CLI, ['start', '--telephony'], env);
  children.push(running);
  await waitForOutput(running, 'stderr', /telephony: SIP edge/, 90_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${running.stderr().slice(-3_000)}\n${running.stdout().slice(-2_000)}`);
  });
  return { name, sipPort, process: running };
}

/** Packets rtpengine relayed from each side of the call (by tag). */
async function packets(ng: RtpengineClient, callId: string): Promise<number[]> {
  const stats = await ng.command('query', { 'call-id': callId });
  const tags = stats.tags as Record<string, { medias?: { streams?: { stats?: { packets?: number } }[] }[] }>;
  return Object.values(tags).map((v) =>
    (v.medias ?? []).flatMap((m) => m.streams ?? []).reduce((n, st) => n + (st.stats?.packets ?? 0), 0),
  );
}

const openCall = () => db.db.selectFrom('calls').selectAll().orderBy('arrived_at', 'desc').executeTakeFirst();

describe('a call outlives its call-control node', () => {
  it('a connected SIPp↔baresip call stays up when the node holding it is SIGKILLed, and ends normally on the other node', {
    timeout: 240_000,
  }, async () => {
    const range = await freeUdpRange(300);
    const shared: Shared = { edgePort: await freeUdpPort(), ngPort: await freeUdpPort() };
    const dtmfA = await freeUdpPort();
    const media = await tempDir('media');
    services.push(
      await startRtpengine({
        ng: { host: '127.0.0.1', port: shared.ngPort },
        portMin: range.min,
        portMax: range.max,
        dtmfLogPort: dtmfA,
        recordingDir: path.join(media, 'recordings'),
      }),
    );
    // Both nodes are in the edge's dispatcher set from the start; node B answers only once it runs.
    const sipA = await freeUdpPort();
    const sipB = await freeUdpPort();
    services.push(
      await startKamailio({
        listen: { host: '127.0.0.1', port: shared.edgePort },
        nodes: [
          { host: '127.0.0.1', port: sipA },
          { host: '127.0.0.1', port: sipB },
        ],
        rtpengine: { host: '127.0.0.1', port: shared.ngPort },
        dir: path.join(media, 'kamailio'),
        template: path.resolve('deploy/kamailio/kamailio.cfg'),
      }),
    );
    const a = await startNode('node-a', sipA, shared, dtmfA);
    const ng = await RtpengineClient.open({ host: '127.0.0.1', port: shared.ngPort });
    const phone = await startSoftphone('agent9', shared.edgePort);
    try {
      await phone.registered();
      // A supervisor's tool joins the cluster for one command: the UAC agent whose phone is agent9.
      const tool = await RoutingService.open(db.db, await loadRoutingConfig(db.db), () => AT, { nodeId: 'test-supervisor', leaseMs: 1500 });
      await tool.execute(
        {
          type: 'addWorker',
          worker: {
            id: 'agent-9',
            attributes: { unit: 'uac', languages: ['en', 'es'], skills: [], sipUser: 'agent9' },
            activity: 'Available',
            capacity: { voice: 1, work_item: 0 },
          },
        },
        { actor: null, system: 'test', sourceIp: null, requestId: null, now: AT, timeZone: 'America/Chicago' },
      );
      await tool.stop();
      // Let the edge's pings find node B silent, so the call goes to node A.
      await new Promise((r) => setTimeout(r, 4_500));

      const placedAt = performance.now();
      const caller = sipp('caller-stays-with-agent.xml', `127.0.0.1:${shared.edgePort}`, {
        service: '+16155550102',
        keys: [{ digit: '2', atMs: 0 }],
        timeoutS: 150,
      });
      await phone.waitFor('CALL_ESTABLISHED', 60_000);
      await waitUntil('the record says answered', async () => Boolean((await openCall())?.answered_at), 10_000);
      const connected = await openCall();
      expect(connected).toMatchObject({ node: `${hostname()}:${sipA}`, language: 'es', agent_worker_id: 'agent-9', end_reason: null });
      const callId = connected?.external_id as string;

      // Node B starts and joins the edge; then node A dies with the call.
      const b = await startNode('node-b', sipB, shared, 0);
      await new Promise((r) => setTimeout(r, 3_000));
      const before = await packets(ng, callId);
      a.process.child.kill('SIGKILL');
      const killedAt = performance.now();
      await a.process.exited;

      // Node B adopts it from its saved state once node A's beat is older than the delay.
      await waitUntil('node B holds the call', async () => (await openCall())?.node === `${hostname()}:${sipB}`, 20_000);
      const adoptedMs = Math.round(performance.now() - killedAt);
      const afterFault = await packets(ng, callId);
      await new Promise((r) => setTimeout(r, 4_000));
      const later = await packets(ng, callId);
      // Audio both ways after the fault: each side's count still grows, by at least 2 s of 20 ms packets.
      expect(before.length).toBe(2);
      expect(later.length).toBe(2);
      console.log(
        `call survives its node: adopted by node B ${adoptedMs} ms after node A's SIGKILL; packets by side at the fault ${before.join('/')}, after adoption ${afterFault.join('/')}, 4 s later ${later.join('/')}`,
      );
      for (const i of [0, 1]) expect((later[i] as number) - (afterFault[i] as number)).toBeGreaterThan(100);

      // The agent hangs up once the caller's scenario has finished talking (it waits for our BYE from ~36 s on): node A
      // is silent, the edge gives the BYE to node B, which ends the caller's side.
      await new Promise((r) => setTimeout(r, Math.max(0, placedAt + 40_000 - performance.now())));
      phone.command('hangup');
      const result = await caller;
      expect(result.code, `${result.stderr}${result.stdout.slice(-2_000)}`).toBe(0);
      await waitUntil('the record ends', async () => (await openCall())?.end_reason !== null, 20_000);
      const ended = await openCall();
      expect(ended).toMatchObject({
        end_reason: 'completed',
        node: `${hostname()}:${sipB}`,
        agent_worker_id: 'agent-9',
        adapter_state: null,
      });
      // The task went to wrap-up on the adopting node's command (the log says who appended it).
      const commands = await db.db.selectFrom('routing_commands').select(['command', 'node']).orderBy('seq', 'desc').limit(20).execute();
      const complete = commands.find(
        (c) =>
          (c.command as { type?: string; taskId?: string }).type === 'complete' &&
          (c.command as { taskId?: string }).taskId === ended?.task_id,
      );
      expect(complete?.node).toBe('node-b');
      expect(b.process.child.exitCode).toBeNull();
    } finally {
      await phone.stop();
      await ng.close();
    }
  });
});
