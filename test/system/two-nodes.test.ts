import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochsWithTwoTimekeepers } from '../../src/storage/repositories/routing.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { addProbeClient, probeStatuses, probeSubmitAll, probeToken } from '../support/partner-probe.js';
import { assertBuilt, baseEnv, CLI, freeHttpPort, freePort, type Running, run, waitReady, waitUntil } from '../support/processes.js';

/**
 * Two Switchboard processes on one database (issue #17's acceptance): one leads the routing engine (fires its
 * timers), the other follows the command log; both take background jobs from the job queue. SIGKILL the leader:
 * the other takes over with the same tasks and the jobs go on there. SIGSTOP the new leader past its lease: the restarted node takes over, and
 * the stopped one, resumed, follows — no epoch's timers were ever fired by two nodes. Partner submissions
 * acknowledged (202) by either node before, between and after the faults are all accepted.
 */

const AGENCY = 'TX0310000';
const LEASE_MS = 1500;
const SECRET = 'a'.repeat(64);

type Node = { name: string; port: number; process: Running };

let db: TestDatabase;
const dirs: string[] = [];
const children: Running[] = [];

beforeAll(async () => {
  assertBuilt();
  db = await createTestDatabase({ empty: true });
});
afterAll(async () => {
  for (const child of children) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await db.drop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function envFor(name: string, port: number): Promise<Record<string, string>> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `sb-${name}-`));
  dirs.push(dataDir);
  return baseEnv({
    SWITCHBOARD_DATA_DIR: dataDir,
    PORT: String(port),
    DATABASE_URL: db.url,
    SWITCHBOARD_SECRET_KEY: SECRET,
    SWITCHBOARD_DEMO_ON_FIRST_START: 'false',
    SWITCHBOARD_NODE_ID: name,
    ROUTING_LEASE_MS: String(LEASE_MS),
  });
}

async function startNode(name: string): Promise<Node> {
  const port = await freeHttpPort();
  const running = run(CLI, ['start'], await envFor(name, port));
  children.push(running);
  await waitReady(port, running);
  return { name, port, process: running };
}

type Readiness = { status: string; routing: { node: string | null; role: 'leader' | 'follower'; epoch: number | null } };
const readiness = async (node: Node): Promise<Readiness | undefined> =>
  fetch(`http://127.0.0.1:${node.port}/readyz`).then(
    async (res) => (await res.json()) as Readiness,
    () => undefined,
  );
const role = async (node: Node) => (await readiness(node))?.routing.role;

/** The routing figures a node exports: tasks by status and how far it applied the log. */
async function routingFigures(node: Node): Promise<{ pending: number; position: number; fenced: number }> {
  const text = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    pending: value(/^switchboard_routing_tasks\{status="pending"\} (\d+)$/m),
    position: value(/^switchboard_routing_log_position (\d+)$/m),
    fenced: value(/^switchboard_routing_fenced_ticks (\d+)$/m),
  };
}

describe('two Switchboard nodes on one database', () => {
  it('hand the routing engine and the jobs over when the leader dies or pauses, losing no acknowledged write', {
    timeout: 240_000,
  }, async () => {
    const a = await startNode('node-a');
    await waitUntil('node-a leads', async () => (await role(a)) === 'leader', 15_000);
    const b = await startNode('node-b');
    expect(await role(b)).toBe('follower');
    const partner = await addProbeClient(await envFor('cli', await freePort()), children, AGENCY);
    const tokenB = await probeToken(b.port, partner);

    // Submissions acknowledged by the follower; the leader's processor accepts them and makes their work items.
    const first = await probeSubmitAll(b.port, tokenB, 'first', 8);
    await waitUntil(
      'both engines hold the 8 work items',
      async () => {
        const [fa, fb] = await Promise.all([routingFigures(a), routingFigures(b)]);
        return fa.pending === 8 && fb.pending === 8 && fa.position === fb.position;
      },
      60_000,
    );

    // SIGKILL the leader: the follower takes over within the lease and a little more.
    const killedAt = performance.now();
    a.process.child.kill('SIGKILL');
    await waitUntil('node-b leads', async () => (await role(b)) === 'leader', 15_000);
    const takeoverMs = Math.round(performance.now() - killedAt);
    expect((await routingFigures(b)).pending).toBe(8);

    // The jobs go on on the surviving node: new submissions are accepted and queued.
    const second = await probeSubmitAll(b.port, tokenB, 'second', 4);
    await waitUntil('node-b made the 4 new work items', async () => (await routingFigures(b)).pending === 12, 60_000);

    // A node comes back and follows; then the leader is paused (SIGSTOP) past its lease.
    const c = await startNode('node-c');
    await waitUntil('node-c follows with the same work', async () => (await routingFigures(c)).pending === 12, 30_000);
    expect(await role(c)).toBe('follower');
    const epochB = (await readiness(b))?.routing.epoch ?? 0;
    b.process.child.kill('SIGSTOP');
    await waitUntil('node-c leads while node-b is paused', async () => (await role(c)) === 'leader', 15_000);
    const epochC = (await readiness(c))?.routing.epoch ?? 0;
    expect(epochC).toBeGreaterThan(epochB);
    const tokenC = await probeToken(c.port, partner);
    const third = await probeSubmitAll(c.port, tokenC, 'third', 3);
    b.process.child.kill('SIGCONT');
    // Resumed, node-b finds its lease taken over and follows; it never fired a timer under node-c's epoch.
    await waitUntil('node-b follows again', async () => (await role(b)) === 'follower', 15_000);
    await waitUntil(
      'all 15 work items on both nodes',
      async () => {
        const [fb, fc] = await Promise.all([routingFigures(b), routingFigures(c)]);
        return fb.pending === 15 && fc.pending === 15 && fb.position === fc.position;
      },
      60_000,
    );
    expect(await epochsWithTwoTimekeepers(db.db)).toEqual([]);

    // Every acknowledged submission is there and accepted.
    const all = [...first, ...second, ...third];
    await waitUntil(
      'every acknowledged submission accepted',
      async () => (await probeStatuses(c.port, tokenC, all)).every((s) => s === 'accepted'),
      60_000,
    );
    console.log(
      `two nodes: takeover after SIGKILL of the leader ${takeoverMs} ms (lease ${LEASE_MS} ms); node-b fenced ticks after SIGCONT: ${(await routingFigures(b)).fenced}`,
    );

    for (const node of [b, c]) node.process.child.kill('SIGTERM');
    const exits = await Promise.all([b.process.exited, c.process.exited]);
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  });
});
