import { sql } from 'kysely';
import type { Trx } from '../database.js';

/** Merging person records: the rows of a merge and its undoing, and the survivor's match keys. */

/** Both records, locked in a fixed order (by id) so two merges of the same pair cannot interleave. */
export const lockPersonsForMerge = (db: Trx, ids: readonly string[]) =>
  db.selectFrom('persons').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();

/** Points the merged record at its survivor (null: it stands on its own again). */
export async function setMergedInto(db: Trx, personId: string, survivorId: string | null, now: Date): Promise<void> {
  await db.updateTable('persons').set({ merged_into: survivorId, updated_at: now }).where('id', '=', personId).execute();
}

/** Adds keys to a record's match keys (no duplicates): the survivor is also found under the merged record's keys. */
export async function addMatchKeys(db: Trx, personId: string, keys: readonly string[], now: Date): Promise<void> {
  await db
    .updateTable('persons')
    .set({ match_keys: sql<string[]>`ARRAY(SELECT DISTINCT unnest(match_keys || ${keys}::text[]))`, updated_at: now })
    .where('id', '=', personId)
    .execute();
}

export async function setMatchKeys(db: Trx, personId: string, keys: string[], now: Date): Promise<void> {
  await db.updateTable('persons').set({ match_keys: keys, updated_at: now }).where('id', '=', personId).execute();
}

export async function insertMerge(
  db: Trx,
  m: { survivorId: string; mergedId: string; reason: string; evidence: string[]; mergedBy: string; mergedAt: Date },
): Promise<string> {
  const row = await db
    .insertInto('person_merges')
    .values({
      survivor_id: m.survivorId,
      merged_id: m.mergedId,
      reason: m.reason,
      evidence: JSON.stringify(m.evidence),
      merged_by: m.mergedBy,
      merged_at: m.mergedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The merge of this record not yet undone, locked. */
export const findActiveMergeForUpdate = (db: Trx, mergedId: string) =>
  db
    .selectFrom('person_merges')
    .selectAll()
    .where('merged_id', '=', mergedId)
    .where('undone_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();

export async function markMergeUndone(db: Trx, mergeId: string, by: string, at: Date, reason: string): Promise<void> {
  await db.updateTable('person_merges').set({ undone_at: at, undone_by: by, undo_reason: reason }).where('id', '=', mergeId).execute();
}

/** The match keys of every record still merged into the survivor. */
export async function matchKeysOfMergedInto(db: Trx, survivorId: string): Promise<string[][]> {
  const rows = await db.selectFrom('persons').select('match_keys').where('merged_into', '=', survivorId).execute();
  return rows.map((r) => r.match_keys);
}
