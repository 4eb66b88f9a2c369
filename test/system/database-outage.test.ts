import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/storage/data-dir-lock.js';
import { packageRoot } from '../../src/storage/paths.js';
import {
  assertBuilt,
  baseEnv,
  CLI,
  freeHttpPort,
  postmasterPid,
  type Running,
  run,
  stopLeftovers,
  waitReady,
  waitUntil,
} from '../support/processes.js';

/**
 * PostgreSQL dies under a running Switchboard (the real compiled server, over
 * HTTP on loopback). The process stays up, /readyz answers 503 while the
 * database is away and 200 once it is back — the embedded server restarted by
 * Switchboard itself, an external one by its operator — and every write
 * acknowledged before, during and after is there and gets processed.
 */

const execFileAsync = promisify(execFile);
const EXTERNAL_POSTGRES = path.join(packageRoot(), 'scripts', 'external-postgres.sh');
const AGENCY = 'TX9990001';

type Partner = { base: string; token: string };

/** An agency and a partner client, made with the CLI beside the running server. */
async function partnerClient(port: number, env: Record<string, string>, children: Running[]): Promise<Partner> {
  const cli = async (args: string[]): Promise<string> => {
    const child = run(CLI, args, env);
    children.push(child);
    const done = await child.exited;
    expect(done.code, child.stderr()).toBe(0);
    return child.stdout();
  };
  await cli([
    'agency',
    'add',
    '--ori',
    AGENCY,
    '--name',
    'Synthetic Outage County Sheriff',
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
    await cli(['client', 'add', '--agency', AGENCY, '--name', 'RMS', '--scopes', 'submissions:write', '--json']),
  ) as {
    clientId: string;
    clientSecret: string;
  };
  const base = `http://127.0.0.1:${port}`;
  const res = await fetch(`${base}/api/partner/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  return { base, token: ((await res.json()) as { access_token: string }).access_token };
}

/** One partner submission: its id if acknowledged (202), else the status and error code it got. */
async function submit(partner: Partner, label: string): Promise<{ id: string } | { status: number; code: string | undefined }> {
  const res = await fetch(`${partner.base}/api/partner/v1/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${partner.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'location_report',
      occurredAt: '2025-06-01T08:30:00-05:00',
      narrative: `Outage probe ${label}`,
      subject: { givenNames: 'Probe', familyName1: `Sintético ${label}` },
      location: { zip: '78520' },
    }),
  });
  const body = (await res.json()) as { id?: string; error?: { code: string } };
  if (res.status === 202 && body.id) return { id: body.id };
  return { status: res.status, code: body.error?.code };
}

async function submitAll(partner: Partner, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await submit(partner, `${prefix}-${i}`);
    if (!('id' in result)) throw new Error(`submission ${prefix}-${i} was refused: ${result.status} ${result.code}`);
    ids.push(result.id);
  }
  return ids;
}

/** Every acknowledged submission is there and the server's processor accepts it (its timers outlived the outage). */
async function expectAllAccepted(partner: Partner, ids: string[]): Promise<void> {
  const statusOf = async (id: string) =>
    (
      (await (
        await fetch(`${partner.base}/api/partner/v1/submissions/${id}`, { headers: { authorization: `Bearer ${partner.token}` } })
      ).json()) as {
        status?: string;
      }
    ).status;
  let statuses: (string | undefined)[] = [];
  await waitUntil(
    `all ${ids.length} acknowledged submissions accepted`,
    async () => {
      statuses = await Promise.all(ids.map(statusOf));
      return statuses.every((s) => s === 'accepted');
    },
    120_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; statuses: ${JSON.stringify(statuses)}`);
  });
}

/** /readyz as the server answers it now; 0 if nothing answers (the process is gone). */
const readiness = (port: number): Promise<number> =>
  fetch(`http://127.0.0.1:${port}/readyz`).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
    () => 0,
  );

/** Polls /readyz until `done` holds for the answers seen so far; fails if the process exits meanwhile. */
async function watchReadiness(
  port: number,
  server: Running,
  what: string,
  done: (seen: number[]) => boolean,
  seen: number[] = [],
): Promise<number[]> {
  await waitUntil(
    what,
    async () => {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode})\n${server.stdout().slice(-3000)}`);
      }
      const status = await readiness(port);
      if (seen.at(-1) !== status) seen.push(status);
      return done(seen);
    },
    90_000,
  );
  return seen;
}

describe('the embedded database dies under a running Switchboard', () => {
  let dataDir: string;
  const children: Running[] = [];

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sb-db-outage-'));
  });
  afterAll(async () => {
    await stopLeftovers(dataDir, children);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts its postmaster, is not ready meanwhile, never exits, and keeps every acknowledged write', { timeout: 300_000 }, async () => {
    const port = await freeHttpPort();
    const env = baseEnv({ SWITCHBOARD_DATA_DIR: dataDir, PORT: String(port), SWITCHBOARD_DEMO_ON_FIRST_START: 'false' });
    const server = run(CLI, ['start'], env);
    children.push(server);
    await waitReady(port, server);
    const partner = await partnerClient(port, env, children);
    const before = await submitAll(partner, 'before', 20);

    // Writes keep coming while the database dies: whatever got a 202 must survive.
    const during: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 2_000; i++) {
        const result = await submit(partner, `during-${i}`).catch(() => undefined);
        if (result && 'id' in result) during.push(result.id);
      }
    })();
    await waitUntil('writes under way', () => during.length >= 5);

    const killed = postmasterPid(dataDir) ?? 0;
    expect(killed).toBeGreaterThan(0);
    process.kill(killed, 'SIGKILL');
    const seen = await watchReadiness(port, server, 'not ready, then ready again', (s) => s.includes(503) && s.at(-1) === 200);
    writing = false;
    await writer;

    expect(seen).toContain(503);
    expect(seen).not.toContain(0);
    const restarted = postmasterPid(dataDir) ?? 0;
    expect(restarted).not.toBe(killed);
    expect(isProcessAlive(restarted)).toBe(true);
    // The supervisor says what it did (the line may follow the first 200 by a moment).
    await waitUntil('the restart in the log', () => server.stdout().includes('the embedded database server is running again'), 10_000);
    expect(server.stdout()).toContain('the embedded database server stopped unexpectedly; restarting it');

    const after = await submitAll(partner, 'after', 20);
    await expectAllAccepted(partner, [...before, ...during, ...after]);
    expect(server.child.exitCode).toBeNull();

    // A graceful stop still takes the (restarted) database server down with it.
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(isProcessAlive(restarted)).toBe(false);
  });
});

describe('an external database goes away and comes back', () => {
  let dataDir: string;
  let clusterDir: string;
  const children: Running[] = [];
  const cluster = (action: 'start' | 'stop' | 'kill' | 'restart') => execFileAsync('bash', [EXTERNAL_POSTGRES, action, clusterDir]);

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sb-ext-outage-'));
    const parent = await mkdtemp(path.join(os.tmpdir(), 'sb-ext-cluster-'));
    // The cluster's owner (postgres, when the tests run as root) must pass through to its folder.
    await chmod(parent, 0o755);
    clusterDir = path.join(parent, 'pg');
  });
  afterAll(async () => {
    await stopLeftovers(dataDir, children);
    await cluster('stop').catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    await rm(path.dirname(clusterDir), { recursive: true, force: true });
  });

  it('reconnects on its own: 503 while the server is down, 200 when it is back, nothing acknowledged lost', {
    timeout: 300_000,
  }, async () => {
    const superuser = (await cluster('start')).stdout.trim();
    const admin = new pg.Client({ connectionString: superuser });
    await admin.connect();
    await admin.query('CREATE DATABASE switchboard_outage');
    await admin.end();
    const databaseUrl = new URL(superuser);
    databaseUrl.pathname = '/switchboard_outage';

    const port = await freeHttpPort();
    const env = baseEnv({
      SWITCHBOARD_DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: databaseUrl.toString(),
      SWITCHBOARD_DEMO_ON_FIRST_START: 'false',
    });
    const server = run(CLI, ['start'], env);
    children.push(server);
    await waitReady(port, server);
    const partner = await partnerClient(port, env, children);
    const before = await submitAll(partner, 'before', 20);

    await cluster('kill');
    const seen = await watchReadiness(port, server, 'not ready', (s) => s.at(-1) === 503);
    // While it is away a write is refused as "try again", never half-done, and the process stays up.
    const refused = await submit(partner, 'while-down');
    expect(refused).toEqual({ status: 503, code: 'not_ready' });
    expect(await readiness(port)).toBe(503);

    await cluster('restart');
    await watchReadiness(port, server, 'ready again', (s) => s.at(-1) === 200, seen);
    expect(seen).not.toContain(0);

    const after = await submitAll(partner, 'after', 20);
    await expectAllAccepted(partner, [...before, ...after]);
    expect(server.child.exitCode).toBeNull();
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});
