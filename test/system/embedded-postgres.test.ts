import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/storage/data-dir-lock.js';
import { openDatabase } from '../../src/storage/database.js';
import { openEmbeddedPostgres, type SupervisorEvent } from '../../src/storage/embedded-postgres.js';
import { waitUntil } from '../support/processes.js';

async function select1(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}

describe('the embedded PostgreSQL server', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-embedded-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is created once with a generated password, listens on loopback only, and keeps fsync on', async () => {
    const progress: string[] = [];
    const server = await openEmbeddedPostgres({ dataDir, progress: (line) => progress.push(line) });
    try {
      expect(server.origin).toBe('created');
      expect(progress.join('\n')).toContain('creating the embedded PostgreSQL 15 database cluster');
      const credentials = JSON.parse(await readFile(path.join(dataDir, 'postgres-credentials.json'), 'utf8'));
      expect(credentials.appPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(server.connectionString).toContain('@127.0.0.1:');
      const client = new pg.Client({ connectionString: server.connectionString });
      await client.connect();
      const settings = await client.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'listen_addresses', 'server_version_num', 'full_page_writes')",
      );
      await client.end();
      const byName = Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]));
      expect(byName).toMatchObject({ fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', listen_addresses: '127.0.0.1' });
      expect(Number(byName.server_version_num)).toBeGreaterThanOrEqual(150000);
      expect(Number(byName.server_version_num)).toBeLessThan(160000);
      const wrong = new pg.Client({ connectionString: server.connectionString.replace(/:[^:@/]+@/, ':wrong-password@') });
      wrong.on('error', () => undefined);
      await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    } finally {
      await server.stop();
    }
    expect(isProcessAlive(server.pid)).toBe(false);
  });

  it('starts again on the same directory without creating anything', async () => {
    const progress: string[] = [];
    const server = await openEmbeddedPostgres({ dataDir, progress: (line) => progress.push(line) });
    try {
      expect(server.origin).toBe('started');
      expect(progress.join('\n')).not.toContain('creating');
      expect(await select1(server.connectionString)).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('treats a recorded pid that now belongs to another program as stale, and never signals that program', async () => {
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
      // What a machine restart leaves behind: a lock file whose pid was reused.
      await writeFile(pidFile, `${bystander.pid}\n${path.join(dataDir, 'postgres')}\n1700000000\n5432\n\n127.0.0.1\n  1234  5678\nready\n`);
      const server = await openEmbeddedPostgres({ dataDir });
      try {
        expect(server.origin).toBe('started');
        expect(server.pid).not.toBe(bystander.pid);
        expect(await select1(server.connectionString)).toBe(1);
      } finally {
        await server.stop();
      }
      expect(isProcessAlive(bystander.pid ?? 0)).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('refuses to attach when no server runs, and explains a foreign folder in its place', async () => {
    await expect(openEmbeddedPostgres({ dataDir, mode: 'attach' })).rejects.toThrow(/not running/);
    const other = await mkdtemp(path.join(os.tmpdir(), 'switchboard-embedded-'));
    try {
      await mkdir(path.join(other, 'postgres'));
      await writeFile(path.join(other, 'postgres', 'notes.txt'), 'not a database');
      await expect(openEmbeddedPostgres({ dataDir: other })).rejects.toThrow(/holds no PostgreSQL cluster/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('recovers from a first creation that was interrupted (a half-made staging folder)', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'switchboard-embedded-'));
    try {
      await mkdir(path.join(other, 'postgres.initdb', 'base'), { recursive: true });
      const server = await openEmbeddedPostgres({ dataDir: other });
      try {
        expect(server.origin).toBe('created');
        expect(await select1(server.connectionString)).toBe(1);
      } finally {
        await server.stop();
      }
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('when supervised, starts its postmaster again after a SIGKILL — on another port if its own was taken', async () => {
    const events: SupervisorEvent[] = [];
    const server = await openEmbeddedPostgres({ dataDir, supervise: { onEvent: (event) => events.push(event), intervalMs: 500 } });
    // A pool that reads the address for each new connection, as Switchboard's does.
    const handle = openDatabase(() => server.ownerConnectionString, { poolSize: 2 });
    let squatter: Server | undefined;
    try {
      await sql`CREATE TABLE IF NOT EXISTS outage_probe (n int)`.execute(handle.db);
      await sql`INSERT INTO outage_probe VALUES (1)`.execute(handle.db);
      const first = { pid: server.pid, port: server.port };
      // Another program takes the port the moment it is free (should the supervisor win that race, it is run again).
      for (let round = 0; !squatter && round < 3; round++) {
        const victim = server.pid;
        process.kill(victim, 'SIGKILL');
        await waitUntil('the postmaster gone', () => !isProcessAlive(victim), 10_000);
        const candidate = createServer();
        const bound = await new Promise<boolean>((resolve) => {
          candidate.once('error', () => resolve(false));
          candidate.listen(first.port, '127.0.0.1', () => resolve(true));
        });
        if (bound) squatter = candidate;
        else await waitUntil('the first restart', () => server.pid !== victim && isProcessAlive(server.pid), 60_000);
      }
      expect(squatter).toBeDefined();
      await waitUntil('the restart on another port', () => events.at(-1)?.type === 'restarted' && server.port !== first.port, 60_000).catch(
        async (error: unknown) => {
          const log = await readFile(path.join(dataDir, 'postgres.log'), 'utf8').catch(() => '');
          throw new Error(`${String(error)}\nevents: ${JSON.stringify(events)}\n${log.split('\n').slice(-15).join('\n')}`);
        },
      );

      expect(events[0]).toEqual({ type: 'died', pid: first.pid });
      expect(events.at(-1)).toMatchObject({ type: 'restarted', pid: server.pid, port: server.port });
      expect(server.pid).not.toBe(first.pid);
      expect(server.port).not.toBe(first.port);
      expect(server.connectionString).toContain(`@127.0.0.1:${server.port}/`);
      // The committed row survived (WAL replay), and the same pool reaches the server where it now listens.
      const { rows } = await sql<{ n: number }>`SELECT n FROM outage_probe`.execute(handle.db);
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await handle.close();
      squatter?.close();
      await server.stop();
    }
    expect(isProcessAlive(server.pid)).toBe(false);
  });
});
