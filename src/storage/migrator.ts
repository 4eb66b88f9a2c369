import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

/**
 * Forward-only SQL migrations. Each file `NNNN_name.sql` runs in its own
 * transaction together with its row in schema_migrations, so a failing
 * migration leaves the database as it was. A session advisory lock makes
 * concurrent starts (several app nodes, or `migrate` beside `start`) apply each
 * migration exactly once: the second waits, then finds nothing to do.
 */

export type Migration = { version: string; name: string; sql: string; checksum: string };

export type MigrationReport = { applied: string[]; alreadyApplied: number };

/** Arbitrary constant that names "the Switchboard migration lock" among advisory locks. */
const MIGRATION_LOCK_KEY = 0x53_57_42_4d;
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export function loadMigrations(dir: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match?.[1] || !match[2]) throw new MigrationError(`migration file ${file} is not named NNNN_name.sql`);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    migrations.push({ version: match[1], name: match[2], sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  const versions = migrations.map((m) => m.version);
  const duplicate = versions.find((v, i) => versions.indexOf(v) !== i);
  if (duplicate) throw new MigrationError(`two migration files share the version ${duplicate}`);
  return migrations;
}

const label = (m: { version: string; name: string }): string => `${m.version}_${m.name}`;

type AppliedRow = { version: string; name: string; checksum: string };

async function readApplied(client: pg.PoolClient): Promise<AppliedRow[]> {
  const exists = await client.query<{ present: boolean }>("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present");
  if (!exists.rows[0]?.present) return [];
  const rows = await client.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  return rows.rows;
}

/** Refuses a database that is ahead of this code or whose applied migrations were edited. */
function checkHistory(applied: AppliedRow[], migrations: Migration[]): void {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const known = byVersion.get(row.version);
    if (!known) {
      throw new MigrationError(
        `the database has migration ${label(row)}, which this version of Switchboard does not know: it is newer than this code`,
      );
    }
    if (known.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${label(row)} was changed after it was applied; migrations are forward-only: add a new one instead`,
      );
    }
  }
}

export async function migrate(
  pool: pg.Pool,
  migrations: Migration[],
  log: (line: string) => void = () => undefined,
): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const applied = await readApplied(client);
      checkHistory(applied, migrations);
      const done = new Set(applied.map((row) => row.version));
      const report: MigrationReport = { applied: [], alreadyApplied: done.size };
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        log(`applying migration ${label(migration)}…`);
        try {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          const reason = error instanceof Error ? error.message : String(error);
          throw new MigrationError(`migration ${label(migration)} failed and was rolled back: ${reason}`);
        }
        report.applied.push(label(migration));
      }
      return report;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

export type MigrationStatus = { pending: string[]; problem: string | undefined };

/** For readiness: are all known migrations applied, and is the history sound? */
export async function migrationStatus(pool: pg.Pool, migrations: Migration[]): Promise<MigrationStatus> {
  const client = await pool.connect();
  try {
    const applied = await readApplied(client);
    try {
      checkHistory(applied, migrations);
    } catch (error) {
      return { pending: [], problem: error instanceof Error ? error.message : String(error) };
    }
    const done = new Set(applied.map((row) => row.version));
    return { pending: migrations.filter((m) => !done.has(m.version)).map(label), problem: undefined };
  } finally {
    client.release();
  }
}
