import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Trx } from '../database.js';
import type { AgenciesTable, PartnerSubmissionsTable, WebhookDeliveriesTable } from '../schema.js';

/** Partner submissions: their rows, the claims of the processor, and what a processed one leaves for its agency. */
export type SubmissionRow = Selectable<PartnerSubmissionsTable>;
export type AgencyRow = Selectable<AgenciesTable>;

export function findAgency(db: Trx, ori: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').selectAll().where('ori', '=', ori).executeTakeFirst();
}

/** The agency's submission sent earlier with this Idempotency-Key, if any. */
export function findSubmissionByKey(db: Trx, ori: string, idempotencyKey: string) {
  return db
    .selectFrom('partner_submissions')
    .select(['id', 'status', 'received_at', 'body_hash'])
    .where('agency_ori', '=', ori)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
}

/**
 * Stores a submission; undefined when one with the same agency and Idempotency-Key is already there. The same key
 * sent twice at once: the second insert waits for the first to commit, then does nothing.
 */
export function insertSubmission(db: Trx, values: Insertable<PartnerSubmissionsTable>) {
  return db
    .insertInto('partner_submissions')
    .values(values)
    .onConflict((oc) => oc.columns(['agency_ori', 'idempotency_key']).doNothing())
    .returning(['id', 'received_at'])
    .executeTakeFirst();
}

export function findSubmission(db: Trx, id: string): Promise<SubmissionRow | undefined> {
  return db.selectFrom('partner_submissions').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listAgencySubmissions(
  db: Trx,
  ori: string,
  status: SubmissionRow['status'] | undefined,
  limit: number,
): Promise<SubmissionRow[]> {
  let q = db.selectFrom('partner_submissions').selectAll().where('agency_ori', '=', ori);
  if (status) q = q.where('status', '=', status);
  return q.orderBy('received_at', 'desc').limit(limit).execute();
}

/**
 * Claims at most `limit` submissions, oldest first: those waiting and those whose claim is older than `staleBefore`
 * (fewer than 10 attempts). SKIP LOCKED, so several nodes share the work.
 */
export async function claimSubmissions(db: Trx, now: Date, staleBefore: Date, limit: number): Promise<SubmissionRow[]> {
  const { rows } = await sql<SubmissionRow>`
    UPDATE partner_submissions SET status = 'processing', attempts = attempts + 1, claimed_at = ${now}
    WHERE id IN (
      SELECT id FROM partner_submissions
      WHERE status = 'received' OR (status = 'processing' AND claimed_at < ${staleBefore} AND attempts < 10)
      ORDER BY received_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(db);
  return rows;
}

/** Accepted submissions processed after `since` that named a work item, with their case. */
export function acceptedSubmissionsWithTasks(db: Trx, since: Date) {
  return db
    .selectFrom('partner_submissions as s')
    .innerJoin('cases as c', 'c.id', 's.case_id')
    .select(['s.id', 's.type', 's.agency_ori', 's.task_id', 'c.id as case_id', 'c.case_number', 'c.unit'])
    .where('s.task_id', 'is not', null)
    .where('s.status', '=', 'accepted')
    .where('s.processed_at', '>', since)
    .execute();
}

export function findUserName(db: Trx, userId: string) {
  return db.selectFrom('users').select(['id', 'username']).where('id', '=', userId).executeTakeFirst();
}

/** The case of the report that filed this submission, if its intake was already saved. */
export function findCaseOfSubmissionReport(db: Trx, submissionId: string) {
  return db
    .selectFrom('reports as r')
    .innerJoin('case_reports as cr', 'cr.report_id', 'r.id')
    .innerJoin('cases as c', 'c.id', 'cr.case_id')
    .select(['c.id', 'c.case_number', 'c.unit'])
    .where('r.submission_id', '=', submissionId)
    .executeTakeFirst();
}

/** Stores the outcome of a submission still being processed; false when it no longer is (another processor took it). */
export async function storeSubmissionOutcome(db: Trx, id: string, outcome: Updateable<PartnerSubmissionsTable>): Promise<boolean> {
  const updated = await db
    .updateTable('partner_submissions')
    .set(outcome)
    .where('id', '=', id)
    .where('status', '=', 'processing')
    .returning('id')
    .executeTakeFirst();
  return updated !== undefined;
}

export async function agencyHasWebhook(db: Trx, ori: string): Promise<boolean> {
  return (await db.selectFrom('agency_webhooks').select('agency_ori').where('agency_ori', '=', ori).executeTakeFirst()) !== undefined;
}

export async function insertWebhookDelivery(db: Trx, values: Insertable<WebhookDeliveriesTable>): Promise<void> {
  await db.insertInto('webhook_deliveries').values(values).execute();
}

export async function upsertAgencyWebhook(db: Trx, ori: string, url: string, secretEnc: string, now: Date): Promise<void> {
  await db
    .insertInto('agency_webhooks')
    .values({ agency_ori: ori, url, secret_enc: secretEnc, updated_at: now })
    .onConflict((oc) => oc.column('agency_ori').doUpdateSet({ url, secret_enc: secretEnc, updated_at: now }))
    .execute();
}
