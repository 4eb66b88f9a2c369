import { sql } from 'kysely';
import type { Db, Trx } from '../database.js';

/** The `ivr_flow_versions` table (migration 0034): every statement that reads or writes it. */

export type StoredFlowVersion = {
  line: string;
  version: number;
  flow: Record<string, unknown>;
  note: string;
  restoredFrom: number | null;
  createdBy: string | null;
  createdByUsername: string | null;
  createdAt: Date;
};

const columns = sql<StoredFlowVersion>`json_build_object(
  'line', v.line, 'version', v.version, 'flow', v.flow, 'note', v.note, 'restoredFrom', v.restored_from,
  'createdBy', v.created_by, 'createdByUsername', u.username, 'createdAt', v.created_at)`;

const revive = (row: { v: StoredFlowVersion }): StoredFlowVersion => ({ ...row.v, createdAt: new Date(row.v.createdAt) });

/** Each line's newest version. */
export async function newestFlowVersions(db: Db): Promise<StoredFlowVersion[]> {
  const { rows } = await sql<{ v: StoredFlowVersion }>`
    SELECT DISTINCT ON (v.line) ${columns} AS v
      FROM ivr_flow_versions v LEFT JOIN users u ON u.id = v.created_by
     ORDER BY v.line, v.version DESC`.execute(db);
  return rows.map(revive);
}

/** One line's versions, the newest first. */
export async function flowVersions(db: Db, line: string): Promise<StoredFlowVersion[]> {
  const { rows } = await sql<{ v: StoredFlowVersion }>`
    SELECT ${columns} AS v FROM ivr_flow_versions v LEFT JOIN users u ON u.id = v.created_by
     WHERE v.line = ${line} ORDER BY v.version DESC`.execute(db);
  return rows.map(revive);
}

export async function flowVersion(db: Db, line: string, version: number): Promise<StoredFlowVersion | undefined> {
  const { rows } = await sql<{ v: StoredFlowVersion }>`
    SELECT ${columns} AS v FROM ivr_flow_versions v LEFT JOIN users u ON u.id = v.created_by
     WHERE v.line = ${line} AND v.version = ${version}`.execute(db);
  const row = rows[0];
  return row ? revive(row) : undefined;
}

/**
 * The line's next version, after the newest (under a lock on the line's key, so two saves at once are two versions,
 * never one lost), and a notification to every node that the line's flow changed.
 */
export async function insertNextFlowVersion(
  trx: Trx,
  v: { line: string; flow: unknown; note: string; restoredFrom: number | null; createdBy: string | null; at: Date },
): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('ivr_flow_versions'), hashtext(${v.line}))`.execute(trx);
  const { rows } = await sql<{ version: number }>`
    INSERT INTO ivr_flow_versions (line, version, flow, note, restored_from, created_by, created_at)
    SELECT ${v.line}, coalesce(max(version), 0) + 1, ${JSON.stringify(v.flow)}::json, ${v.note}, ${v.restoredFrom},
           ${v.createdBy}, ${v.at}
      FROM ivr_flow_versions WHERE line = ${v.line}
    RETURNING version`.execute(trx);
  await sql`SELECT pg_notify('ivr_flows', ${v.line})`.execute(trx);
  return Number(rows[0]?.version);
}
