import { type Insertable, type Selectable, sql } from 'kysely';
import type { Trx } from '../database.js';
import type { PartnerSubmissionsTable, SubmissionBatchesTable } from '../schema.js';

/** Bulk uploads of partner submissions: the stored file, its claims by the splitter, and the submissions it became. */
export type BatchRow = Selectable<SubmissionBatchesTable>;

/** Submissions written in one statement at most: a 5,000-row upload is ten statements, not one too large to send. */
const INSERT_CHUNK = 500;

/** The agency's upload sent earlier with this Idempotency-Key, if any. */
export function findBatchByKey(db: Trx, ori: string, idempotencyKey: string) {
  return db
    .selectFrom('submission_batches')
    .select(['id', 'status', 'received_at', 'body_hash'])
    .where('agency_ori', '=', ori)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
}

/**
 * Stores an upload; undefined when one with the same agency and Idempotency-Key is already there (the same key
 * sent twice at once: the second insert waits for the first to commit, then does nothing).
 */
export function insertBatch(db: Trx, values: Insertable<SubmissionBatchesTable>) {
  return db
    .insertInto('submission_batches')
    .values(values)
    .onConflict((oc) => oc.columns(['agency_ori', 'idempotency_key']).doNothing())
    .returning(['id', 'received_at'])
    .executeTakeFirst();
}

/** Uploads still splitting after `maxAttempts` tries whose last claim is older than `staleBefore` are marked failed. */
export async function failExhaustedBatches(db: Trx, staleBefore: Date, maxAttempts: number): Promise<void> {
  await db
    .updateTable('submission_batches')
    .set({ status: 'failed' })
    .where('status', '=', 'splitting')
    .where('attempts', '>=', maxAttempts)
    .where('claimed_at', '<', staleBefore)
    .execute();
}

/**
 * Claims at most `limit` uploads, oldest first: those waiting and those whose claim is older than `staleBefore`
 * (fewer than `maxAttempts` tries). SKIP LOCKED, so several nodes share the work.
 */
export async function claimBatches(db: Trx, now: Date, staleBefore: Date, maxAttempts: number, limit: number): Promise<BatchRow[]> {
  const { rows } = await sql<BatchRow>`
    UPDATE submission_batches SET status = 'splitting', attempts = attempts + 1, claimed_at = ${now}
    WHERE id IN (
      SELECT id FROM submission_batches
      WHERE status = 'received' OR (status = 'splitting' AND claimed_at < ${staleBefore} AND attempts < ${maxAttempts})
      ORDER BY received_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(db);
  return rows;
}

/** The submissions an upload became; a row already stored (an earlier split) is left as it is. */
export async function insertBatchSubmissions(db: Trx, values: readonly Insertable<PartnerSubmissionsTable>[]): Promise<void> {
  for (let at = 0; at < values.length; at += INSERT_CHUNK) {
    await db
      .insertInto('partner_submissions')
      .values(values.slice(at, at + INSERT_CHUNK))
      .onConflict((oc) => oc.columns(['batch_id', 'batch_row']).doNothing())
      .execute();
  }
}

export async function markBatchSplit(db: Trx, id: string, split: { totalRows: number; rowErrors: string; splitAt: Date }): Promise<void> {
  await db
    .updateTable('submission_batches')
    .set({ status: 'split', total_rows: split.totalRows, row_errors: split.rowErrors, split_at: split.splitAt })
    .where('id', '=', id)
    .execute();
}

export function findBatch(db: Trx, id: string): Promise<BatchRow | undefined> {
  return db.selectFrom('submission_batches').selectAll().where('id', '=', id).executeTakeFirst();
}

/** How many of the upload's submissions are in each status. */
export function countBatchSubmissions(db: Trx, batchId: string) {
  return db
    .selectFrom('partner_submissions')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('batch_id', '=', batchId)
    .groupBy('status')
    .execute();
}

export function listAgencyBatches(db: Trx, ori: string, limit: number): Promise<BatchRow[]> {
  return db
    .selectFrom('submission_batches')
    .selectAll()
    .where('agency_ori', '=', ori)
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute();
}

export function batchSubmissions(db: Trx, batchId: string) {
  return db
    .selectFrom('partner_submissions')
    .select(['id', 'batch_row', 'status', 'reference', 'reasons'])
    .where('batch_id', '=', batchId)
    .execute();
}
