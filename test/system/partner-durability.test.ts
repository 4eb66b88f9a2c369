import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, CLI, freeHttpPort, type Running, run, stopLeftovers, waitReady, waitUntil } from '../support/processes.js';

/**
 * SIGKILL of the server during a burst of partner submissions: every
 * submission that got a 202 is there after the restart and gets processed.
 * The real compiled server on its embedded database, over HTTP on loopback.
 */

let dataDir: string;
/**
 * The server here runs on the machine's clock; a time safely in its past (it refuses only times in its future), so the
 * test does not depend on today's date.
 */
const OCCURRED_AT = '2026-11-28T10:00:00-06:00';
const children: Running[] = [];

beforeAll(async () => {
  assertBuilt();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sb-partner-kill-'));
});
afterAll(async () => {
  await stopLeftovers(dataDir, children);
  await rm(dataDir, { recursive: true, force: true });
});

describe('partner submissions survive a SIGKILL', () => {
  it('keeps and processes every acknowledged submission', { timeout: 240_000 }, async () => {
    const port = await freeHttpPort();
    const env = baseEnv({ SWITCHBOARD_DATA_DIR: dataDir, PORT: String(port), SWITCHBOARD_DEMO_ON_FIRST_START: 'true' });
    const first = run(CLI, ['start'], env);
    children.push(first);
    await waitReady(port, first, 120_000);
    const base = `http://127.0.0.1:${port}`;

    // A partner client of an agency whose task-force agreement is active (demo data holds the synthetic agencies).
    const added = run(CLI, ['client', 'add', '--agency', 'TX0312100', '--name', 'RMS', '--scopes', 'submissions:write', '--json'], env);
    children.push(added);
    const done = await added.exited;
    expect(done.code, added.stderr()).toBe(0);
    const client = JSON.parse(added.stdout()) as { clientId: string; clientSecret: string };
    const tokenRes = await fetch(`${base}/api/partner/v1/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };

    const acknowledged: string[] = [];
    let stop = false;
    const burst = async (worker: number) => {
      for (let i = 0; !stop && i < 400; i++) {
        try {
          const res = await fetch(`${base}/api/partner/v1/submissions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              type: 'location_report',
              occurredAt: OCCURRED_AT,
              narrative: `Burst ${worker}-${i}`,
              subject: { givenNames: 'Burst', familyName1: `Sintético${worker}x${i}` },
              location: { zip: '78520' },
            }),
          });
          if (res.status === 202) acknowledged.push(((await res.json()) as { id: string }).id);
          else await res.arrayBuffer();
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = [0, 1, 2, 3].map(burst);
    await waitUntil('some acknowledged submissions', () => acknowledged.length >= 30, 60_000);
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await first.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(30);

    const second = run(CLI, ['start'], env);
    children.push(second);
    await waitReady(port, second, 120_000);
    const statusOf = async (id: string) =>
      (
        (await (await fetch(`${base}/api/partner/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
          status?: string;
        }
      ).status;
    // Every acknowledged submission exists, and the restarted server's processor accepts each of them.
    await waitUntil(
      'every acknowledged submission accepted',
      async () => {
        const statuses = await Promise.all(acknowledged.map(statusOf));
        return statuses.every((s) => s === 'accepted');
      },
      120_000,
    );
    // The processor is a background job of the runner (src/jobs): its runs are counted in /metrics.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const runs = /^switchboard_job_runs_total\{job="partner processor"\} (\d+)$/m.exec(metrics);
    expect(Number(runs?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^switchboard_job_failures_total\{job="retention"\} 0$/m);
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
