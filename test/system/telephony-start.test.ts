import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, CLI, freeHttpPort, type Running, run, stopLeftovers, waitForOutput } from '../support/processes.js';
import { freeUdpPort, freeUdpRange, sipp } from '../support/telephony.js';

/**
 * `switchboard start --telephony` as a real process: it starts Kamailio and
 * rtpengine with the server, a SIPp call through the edge is answered, and
 * SIGTERM stops every one of them — no process of its data directory is left.
 */

let dataDir: string;
const children: Running[] = [];
const leftovers = () => {
  try {
    return execFileSync('pgrep', ['-f', `(kamailio|rtpengine) .*${dataDir}`], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

beforeAll(async () => {
  assertBuilt();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sb-telephony-start-'));
});
afterAll(async () => {
  await stopLeftovers(dataDir, children);
  for (const pid of leftovers().split('\n').filter(Boolean)) process.kill(-Number(pid), 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('start --telephony', () => {
  it('starts the edge and the media server with the server, answers a call, and stops them all on SIGTERM', {
    timeout: 180_000,
  }, async () => {
    const range = await freeUdpRange(200);
    const edgePort = await freeUdpPort();
    const env = baseEnv({
      SWITCHBOARD_DATA_DIR: dataDir,
      PORT: String(await freeHttpPort()),
      SIP_EDGE_PORT: String(edgePort),
      SIP_NODE_PORT: String(await freeUdpPort()),
      RTPENGINE_NG_PORT: String(await freeUdpPort()),
      RTP_PORT_MIN: String(range.min),
      RTP_PORT_MAX: String(range.max),
    });
    const server = run(CLI, ['start', '--telephony'], env);
    children.push(server);
    await waitForOutput(server, 'stderr', /ready: http/, 150_000).catch(async (error) => {
      throw new Error(`${String(error)}\n${server.stdout().slice(-2_000)}\n${server.stderr().slice(-2_000)}`);
    });
    expect(server.stderr()).toMatch(new RegExp(`SIP edge on udp 127\\.0\\.0\\.1:${edgePort} \\(lines [^)]*\\+16155550100`));
    expect(leftovers().split('\n').length).toBeGreaterThanOrEqual(2); // Kamailio and rtpengine, run from this data directory
    const call = await sipp('caller-hangs-up.xml', `127.0.0.1:${edgePort}`, { service: '+16155550102', holdMs: 2_000 });
    expect(call.code, call.stdout.slice(-1_500)).toBe(0);
    server.child.kill('SIGTERM');
    const exited = await server.exited;
    expect(exited.code).toBe(0);
    expect(leftovers()).toBe('');
  });
});
