import { sql } from 'kysely';
import type { Db, Trx } from '../database.js';
import type { ConfigVersionsTable } from '../schema.js';

/** The `config_versions` table (migration 0034): every statement that reads or writes it. */

export type ConfigKind = ConfigVersionsTable['kind'];

export type StoredVersion = {
  key: string;
  version: number;
  body: unknown;
  note: string;
  restoredFrom: number | null;
  createdBy: string | null;
  createdByUsername: string | null;
  createdAt: Date;
};

const columns = sql<StoredVersion>`json_build_object(
  'key', v.key, 'version', v.version, 'body', v.body, 'note', v.note, 'restoredFrom', v.restored_from,
  'createdBy', v.created_by, 'createdByUsername', u.username, 'createdAt', v.created_at)`;

const revive = (row: { v: StoredVersion }): StoredVersion => ({ ...row.v, createdAt: new Date(row.v.createdAt) });

/** Each key's newest version of a kind. */
export async function newestVersions(db: Db, kind: ConfigKind): Promise<StoredVersion[]> {
  const { rows } = await sql<{ v: StoredVersion }>`
    SELECT DISTINCT ON (v.key) ${columns} AS v
      FROM config_versions v LEFT JOIN users u ON u.id = v.created_by
     WHERE v.kind = ${kind}
     ORDER BY v.key, v.version DESC`.execute(db);
  return rows.map(revive);
}

/** One key's versions, the newest first. */
export async function versionsOf(db: Db, kind: ConfigKind, key: string): Promise<StoredVersion[]> {
  const { rows } = await sql<{ v: StoredVersion }>`
    SELECT ${columns} AS v FROM config_versions v LEFT JOIN users u ON u.id = v.created_by
     WHERE v.kind = ${kind} AND v.key = ${key} ORDER BY v.version DESC`.execute(db);
  return rows.map(revive);
}

export async function versionOf(db: Db, kind: ConfigKind, key: string, version: number): Promise<StoredVersion | undefined> {
  const { rows } = await sql<{ v: StoredVersion }>`
    SELECT ${columns} AS v FROM config_versions v LEFT JOIN users u ON u.id = v.created_by
     WHERE v.kind = ${kind} AND v.key = ${key} AND v.version = ${version}`.execute(db);
  const row = rows[0];
  return row ? revive(row) : undefined;
}

/** The key's next version, after the newest (under a lock on the key, so two saves at once are two versions). */
export async function insertNextVersion(
  trx: Trx,
  kind: ConfigKind,
  v: { key: string; body: unknown; note: string; restoredFrom: number | null; createdBy: string | null; at: Date },
): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('config_versions'), hashtext(${`${kind}:${v.key}`}))`.execute(trx);
  const { rows } = await sql<{ version: number }>`
    INSERT INTO config_versions (kind, key, version, body, note, restored_from, created_by, created_at)
    SELECT ${kind}, ${v.key}, coalesce(max(version), 0) + 1, ${JSON.stringify(v.body)}::json, ${v.note}, ${v.restoredFrom},
           ${v.createdBy}, ${v.at}
      FROM config_versions WHERE kind = ${kind} AND key = ${v.key}
    RETURNING version`.execute(trx);
  return Number(rows[0]?.version);
}
