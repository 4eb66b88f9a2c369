import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, CLI, freeHttpPort, type Running, run, waitForOutput } from '../support/processes.js';
import { freeUdpPort, freeUdpRange, sipp, sippCounts } from '../support/telephony.js';

/**
 * `switchboard cluster up`, the command a newcomer (and the drill) starts the production shape with: the
 * replicated database and two nodes, one leading the routing engine, with `--telephony` one SIP edge and one
 * rtpengine shared by both; Ctrl-C (SIGTERM here) stops it all.
 */

let parent: string;
const children: Running[] = [];

beforeAll(async () => {
  assertBuilt();
  parent = await mkdtemp(path.join(os.tmpdir(), 'sb-cluster-up-'));
  // The database services run as the `postgres` account when the tests run as root: it must pass through.
  await chmod(parent, 0o755);
});
afterAll(async () => {
  // A test that failed midway leaves `cluster up` running: SIGTERM stops the services it started (SIGKILL would
  // orphan them); whatever of this folder is still running after that is killed.
  const live = children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  for (const child of live) child.child.kill('SIGTERM');
  const stopped = Promise.all(live.map((c) => c.exited));
  const late = await Promise.race([stopped.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 90_000))]);
  for (const child of late ? live : []) child.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  spawnSync('pkill', ['-KILL', '-f', parent]);
  await rm(parent, { recursive: true, force: true });
}, 120_000);

const roleAt = async (port: number) =>
  ((await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { routing: { role: string; node: string } }).routing;

describe('switchboard cluster up', () => {
  it('starts the replicated database and two nodes, one leading, behind one SIP edge, and stops them all on SIGTERM', {
    timeout: 300_000,
  }, async () => {
    const port = await freeHttpPort();
    const edgePort = await freeUdpPort();
    const rtp = await freeUdpRange(200);
    const up = run(
      CLI,
      ['cluster', 'up', '--dir', path.join(parent, 'c1'), '--nodes', '2', '--port', String(port), '--no-demo', '--telephony'],
      baseEnv({
        SIP_EDGE_PORT: String(edgePort),
        // The nodes' call control listens on SIP_NODE_PORT and the next port: two free in a row.
        SIP_NODE_PORT: String((await freeUdpRange(2)).min),
        RTPENGINE_NG_PORT: String(await freeUdpPort()),
        RTPENGINE_TCP_NG_PORT: String(await freeHttpPort()),
        RTP_PORT_MIN: String(rtp.min),
        RTP_PORT_MAX: String(rtp.max),
      }),
    );
    children.push(up);
    const exitedEarly = up.exited.then(({ code }) => {
      throw new Error(`cluster up exited with ${code}`);
    });
    await Promise.race([waitForOutput(up, 'stderr', /cluster up/, 240_000), exitedEarly]).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${up.stdout()}\n${up.stderr()}`);
    });
    expect(up.stderr()).toMatch(/database: primary pg1, standby in sync/);
    const roles = [await roleAt(port), await roleAt(port + 1)];
    expect(roles.map((r) => r.node)).toEqual(['node-1', 'node-2']);
    expect(roles.map((r) => r.role).sort()).toEqual(['follower', 'leader']);
    expect(up.stderr()).toMatch(/telephony: SIP edge on udp 127\.0\.0\.1:\d+ dispatching to 2 nodes/);
    // "cluster up" waits for the edge's dispatcher to mark both nodes active: calls placed at once all get through.
    expect(up.stderr()).toMatch(/telephony: the edge dispatches to all 2 nodes/);
    // Callers reach the center through the one edge, whichever node takes each call.
    const calls = await sipp('caller-hangs-up.xml', `127.0.0.1:${edgePort}`, { service: '+16155550102', calls: 4, rate: 2, holdMs: 1_500 });
    expect(sippCounts(calls.stdout)).toEqual({ successful: 4, failed: 0 });
    up.child.kill('SIGTERM');
    expect((await up.exited).code).toBe(0);
    expect(up.stderr()).toMatch(/stopped/);
    await expect(fetch(`http://127.0.0.1:${port}/readyz`)).rejects.toThrow();
  });

  it('refuses a folder that is not empty, naming it', async () => {
    const dir = path.join(parent, 'used');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'something'), 'x');
    const up = run(CLI, ['cluster', 'up', '--dir', dir], baseEnv({}));
    children.push(up);
    expect((await up.exited).code).toBe(1);
    expect(up.stderr()).toContain(`${dir} is not empty`);
  });
});
