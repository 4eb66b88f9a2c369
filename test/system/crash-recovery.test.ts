import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/domain/demo/synthetic-data.js';
import { DEMO_REFERENCE_DATE } from '../../src/services/demo-seed.service.js';
import { isProcessAlive } from '../../src/storage/data-dir-lock.js';
import { runningEmbeddedConnectionString } from '../../src/storage/embedded-postgres.js';
import { loadMigrations } from '../../src/storage/migrator.js';
import { migrationsDir } from '../../src/storage/paths.js';
import {
  assertBuilt,
  baseEnv,
  CLI,
  freeHttpPort,
  isReady,
  postmasterPid,
  type Running,
  run,
  stopLeftovers,
  WRITER,
  waitForOutput,
  waitReady,
  waitUntil,
} from '../support/processes.js';

/**
 * Switchboard on its embedded database, killed with SIGKILL while it writes:
 * every write it acknowledged is there after a restart, the restart copes with
 * the database server the killed process left behind, and no migration is
 * applied twice.
 */

const migrationCount = loadMigrations(migrationsDir()).length;
const acked = (writer: Running): string[] => [...writer.stdout().matchAll(/^acked ([0-9a-f-]{36})$/gm)].map((m) => m[1] ?? '');

async function query<T extends pg.QueryResultRow>(dataDir: string, text: string, values: unknown[] = []): Promise<T[]> {
  const url = await runningEmbeddedConnectionString(dataDir);
  if (!url) throw new Error('no embedded server is running');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function missingRows(dataDir: string, ids: string[]): Promise<number> {
  const rows = await query<{ missing: string }>(
    dataDir,
    'SELECT count(*) AS missing FROM unnest($1::uuid[]) AS id WHERE id NOT IN (SELECT id FROM persons)',
    [ids],
  );
  return Number(rows[0]?.missing);
}

async function migrationRows(dataDir: string): Promise<{ total: number; distinct: number }> {
  const rows = await query<{ total: string; distinct: string }>(
    dataDir,
    'SELECT count(*) AS total, count(DISTINCT version) AS distinct FROM schema_migrations',
  );
  return { total: Number(rows[0]?.total), distinct: Number(rows[0]?.distinct) };
}

describe('crash safety of the embedded database', () => {
  let dataDir: string;
  const started: Running[] = [];
  const start = (script: string, args: string[], env: Record<string, string>): Running => {
    const running = run(script, args, env);
    started.push(running);
    return running;
  };

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-crash-'));
  });
  afterAll(async () => {
    await stopLeftovers(dataDir, started);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged row through SIGKILLs, adopts the orphaned server, and migrates once', { timeout: 240_000 }, async () => {
    const env = baseEnv({ SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_DEMO_ON_FIRST_START: 'false' });

    // 1. A writer owns the data directory and is killed mid-stream.
    const writer = start(WRITER, [], env);
    await waitUntil('300 acknowledged rows', () => acked(writer).length >= 300);
    writer.child.kill('SIGKILL');
    await writer.exited;
    const firstAcks = acked(writer);
    const orphan = postmasterPid(dataDir);
    expect(orphan && isProcessAlive(orphan), 'the database server outlives the killed process').toBe(true);

    // 2. Switchboard starts on the same directory: it adopts that server instead of starting a second one.
    const port = await freeHttpPort();
    const server = start(CLI, ['start'], { ...env, PORT: String(port) });
    await waitReady(port, server);
    expect(server.stderr()).toContain('adopted');
    expect(server.stderr()).toContain('migrations: up to date');
    expect(postmasterPid(dataDir)).toBe(orphan);
    expect(await missingRows(dataDir, firstAcks)).toBe(0);

    // 3. A second `start` on the same directory is refused with a clear reason, and changes nothing.
    const second = start(CLI, ['start'], { ...env, PORT: String(await freeHttpPort()) });
    const refused = await second.exited;
    expect(refused.code).toBe(1);
    expect(second.stderr()).toMatch(/another Switchboard process \(pid \d+, "start"/);
    expect(await isReady(port)).toBe(true);

    // 4. Power-cut: Switchboard, its database server and a writer attached to it all die at once.
    const attached = start(WRITER, [], env);
    await waitUntil('300 more acknowledged rows', () => acked(attached).length >= 300);
    const postmaster = postmasterPid(dataDir) ?? 0;
    server.child.kill('SIGKILL');
    process.kill(postmaster, 'SIGKILL');
    attached.child.kill('SIGKILL');
    await Promise.all([server.exited, attached.exited]);
    await waitUntil('the killed database server to disappear', () => !isProcessAlive(postmaster), 10_000);
    const secondAcks = acked(attached);
    expect(attached.stderr()).toContain('using the embedded database server');

    // 5. The restart recovers the database (its WAL) and finds every acknowledged row of both writers.
    const restarted = start(CLI, ['start'], { ...env, PORT: String(port) });
    await waitReady(port, restarted);
    expect(restarted.stderr()).not.toContain('adopted');
    expect(await missingRows(dataDir, [...firstAcks, ...secondAcks])).toBe(0);
    expect(await migrationRows(dataDir)).toEqual({ total: migrationCount, distinct: migrationCount });

    // 6. A graceful stop takes the database server down with it and releases the directory.
    const newPostmaster = postmasterPid(dataDir) ?? 0;
    restarted.child.kill('SIGTERM');
    expect((await restarted.exited).code).toBe(0);
    expect(isProcessAlive(newPostmaster)).toBe(false);
    expect(existsSync(path.join(dataDir, 'switchboard.lock'))).toBe(false);
  });
});

describe('a crash during the first start', () => {
  let dataDir: string;
  const started: Running[] = [];

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-seedcrash-'));
  });
  afterAll(async () => {
    await stopLeftovers(dataDir, started);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves no half-written demo data: the next start adds all of it', { timeout: 120_000 }, async () => {
    const port = await freeHttpPort();
    const env = baseEnv({ SWITCHBOARD_DATA_DIR: dataDir, PORT: String(port) });
    const first = run(CLI, ['start'], env);
    started.push(first);
    // Killed the moment the seed's transaction has begun writing (agencies first, then accounts, persons, cases).
    await waitForOutput(first, 'stderr', /adding 60 synthetic partner agencies/);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = run(CLI, ['start'], env);
    started.push(second);
    await waitReady(port, second);
    expect(second.stderr()).toContain('adding demo data');
    const expected = generateDataset(1, DEMO_REFERENCE_DATE);
    const rows = await query<{ persons: string; cases: string; users: string }>(
      dataDir,
      'SELECT (SELECT count(*) FROM persons) AS persons, (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM users) AS users',
    );
    expect(rows[0]).toEqual({ persons: String(expected.persons.length), cases: String(expected.cases.length), users: '9' });
    expect(second.stdout()).toMatch(/demo\.admin\s+\S{23}\s+\(admin\)/);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
