import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, type Migration, MigrationError, migrate, migrationStatus } from '../../src/storage/migrator.js';
import { migrationsDir } from '../../src/storage/paths.js';
import { createTestDatabase, databaseKind, type TestDatabase } from '../support/database.js';

const real = loadMigrations(migrationsDir());

function extraMigration(version: string, name: string, sql: string): Migration {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-mig-'));
  writeFileSync(path.join(dir, `${version}_${name}.sql`), sql);
  const [migration] = loadMigrations(dir);
  if (!migration) throw new Error('no migration');
  return migration;
}

const tableExists = async (db: TestDatabase, table: string): Promise<boolean> =>
  (await db.pool.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`public.${table}`])).rows[0]?.present ??
  false;

describe(`migrations on the ${databaseKind()} server`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('apply every migration to an empty database, then nothing the second time', async () => {
    const first = await migrate(db.pool, real);
    expect(first.applied).toEqual(real.map((m) => `${m.version}_${m.name}`));
    const second = await migrate(db.pool, real);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(real.length);
    expect(await migrationStatus(db.pool, real)).toEqual({ pending: [], problem: undefined });
  });

  it('apply each migration once when several processes migrate at the same moment', async () => {
    const fresh = await createTestDatabase({ empty: true });
    const pools = [0, 1, 2, 3].map(() => new pg.Pool({ connectionString: fresh.url, max: 1 }));
    try {
      const reports = await Promise.all(pools.map((pool) => migrate(pool, real)));
      const appliedCounts = reports.map((r) => r.applied.length);
      expect(appliedCounts.reduce((a, b) => a + b, 0)).toBe(real.length);
      const rows = await fresh.pool.query('SELECT version FROM schema_migrations');
      expect(rows.rowCount).toBe(real.length);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await fresh.drop();
    }
  });

  it('leave the database as it was when a migration fails halfway', async () => {
    const broken = extraMigration('9001', 'broken', 'CREATE TABLE half_done (id int);\nSELECT no_such_function();');
    await expect(migrate(db.pool, [...real, broken])).rejects.toThrow(/9001_broken failed and was rolled back/);
    expect(await tableExists(db, 'half_done')).toBe(false);
    const status = await migrationStatus(db.pool, [...real, broken]);
    expect(status.pending).toEqual(['9001_broken']);
  });

  it('refuse a migration edited after it was applied, and a database newer than the code', async () => {
    const first = real[0];
    if (!first) throw new Error('no migrations');
    const edited = { ...first, checksum: 'f'.repeat(64) };
    await expect(migrate(db.pool, [edited, ...real.slice(1)])).rejects.toThrow(MigrationError);
    await expect(migrate(db.pool, [edited, ...real.slice(1)])).rejects.toThrow(/changed after it was applied/);
    const next = extraMigration('9002', 'later', 'CREATE TABLE later_table (id int);');
    await migrate(db.pool, [...real, next]);
    await expect(migrate(db.pool, real)).rejects.toThrow(/newer than this code/);
    expect((await migrationStatus(db.pool, real)).problem).toMatch(/newer than this code/);
  });

  it('create the extensions that search and matching need', async () => {
    const rows = await db.pool.query<{ extname: string }>('SELECT extname FROM pg_extension');
    const names = rows.rows.map((r) => r.extname);
    for (const ext of ['pgcrypto', 'pg_trgm', 'fuzzystrmatch', 'unaccent', 'btree_gin']) expect(names).toContain(ext);
  });
});

describe(`the application role's grants on the ${databaseKind()} server`, () => {
  it('reads and writes rows but cannot change audit events, migration history or the schema', async () => {
    const { grantApplicationRole } = await import('../../src/storage/grants.js');
    const db = await createTestDatabase();
    const role = `sb_app_${Math.random().toString(36).slice(2, 10)}`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    const app = new pg.Client({ connectionString: url.toString() });
    try {
      await grantApplicationRole(db.pool, role);
      await app.connect();
      await app.query("INSERT INTO persons (given_names, family_name_1, dob_basis, sex) VALUES ('Test', 'Grant', 'unknown', 'unknown')");
      // The role appends to the audit inbox; it can neither change nor remove an event there, nor write the chain.
      await app.query(
        "INSERT INTO audit_inbox (occurred_at, actor_type, action, outcome) VALUES ('2026-11-29T15:00:00Z', 'system', 'test', 'allowed')",
      );
      expect((await app.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n).toBe(1);
      await expect(app.query("UPDATE audit_inbox SET action = 'x'")).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM audit_inbox')).rejects.toThrow(/permission denied/);
      await expect(
        app.query(
          "INSERT INTO audit_chain (seq, occurred_at, actor_type, action, outcome, prev_hash, hash) VALUES (1, '2026-11-29T15:00:00Z', 'system', 'test', 'allowed', repeat('0', 64), repeat('1', 64))",
        ),
      ).rejects.toThrow(/permission denied/);
      await expect(app.query("UPDATE audit_chain SET action = 'x'")).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM audit_chain')).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM audit_heads')).rejects.toThrow(/permission denied/);
      await expect(app.query('ALTER TABLE audit_chain DISABLE TRIGGER audit_events_no_update_delete')).rejects.toThrow(/must be owner/);
      await expect(app.query('ALTER TABLE audit_inbox DISABLE TRIGGER audit_inbox_no_update_delete')).rejects.toThrow(/must be owner/);
      // It may seal only through audit_seal(), and only as the lease's holder under its epoch.
      await expect(
        app.query('SELECT audit_seal(\'not-the-holder\', 1, \'[{"inbox_id": 1, "seq": 1, "prev_hash": "x", "hash": "y"}]\', \'{}\')'),
      ).rejects.toThrow(/does not hold the sealing lease/);
      await expect(app.query("DELETE FROM schema_migrations WHERE version = '0001'")).rejects.toThrow(/permission denied/);
      await expect(app.query('CREATE TABLE sneaky (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await app.end().catch(() => undefined);
      await db.drop();
      const admin = new pg.Client({ connectionString: new URL(db.url).toString().replace(/\/[^/]*$/, '/postgres') });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});
