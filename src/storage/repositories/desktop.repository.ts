import { type Insertable, sql } from 'kysely';
import type { Trx } from '../database.js';
import type { ContactDispositionsTable } from '../schema.js';

/** The agent desktop's own rows: intake drafts per user and key, and the disposition of each contact. */

/** The version of a user's draft, locked (a save checks it, then writes the next one). */
export const findDraftVersionForUpdate = (db: Trx, userId: string, key: string) =>
  db
    .selectFrom('intake_drafts')
    .select('version')
    .where('user_id', '=', userId)
    .where('draft_key', '=', key)
    .forUpdate()
    .executeTakeFirst();

/** Writes the draft under (user, key), replacing an earlier one. */
export async function upsertDraft(
  db: Trx,
  d: { userId: string; key: string; form: string; data: Record<string, unknown>; version: number; at: Date },
): Promise<void> {
  const data = JSON.stringify(d.data);
  await db
    .insertInto('intake_drafts')
    .values({ user_id: d.userId, draft_key: d.key, form: d.form, data, version: d.version, updated_at: d.at })
    .onConflict((oc) => oc.columns(['user_id', 'draft_key']).doUpdateSet({ form: d.form, data, version: d.version, updated_at: d.at }))
    .execute();
}

export const findDraft = (db: Trx, userId: string, key: string) =>
  db.selectFrom('intake_drafts').selectAll().where('user_id', '=', userId).where('draft_key', '=', key).executeTakeFirst();

export async function deleteDraft(db: Trx, userId: string, key: string): Promise<void> {
  await db.deleteFrom('intake_drafts').where('user_id', '=', userId).where('draft_key', '=', key).execute();
}

export type DispositionValues = Omit<Insertable<ContactDispositionsTable>, 'task_id'>;

/** The disposition of a contact; saved again, it replaces the earlier one. */
export async function upsertDisposition(db: Trx, taskId: string, values: DispositionValues): Promise<void> {
  await db
    .insertInto('contact_dispositions')
    .values({ task_id: taskId, ...values })
    .onConflict((oc) => oc.column('task_id').doUpdateSet(values))
    .execute();
}

/** The 20 latest contacts from a number, with the case each led to (if any). */
export const recentContactsFrom = (db: Trx, number: string) =>
  db
    .selectFrom('contact_dispositions as d')
    .leftJoin('cases as c', 'c.id', 'd.case_id')
    .select(['d.created_at', 'd.disposition', 'd.queue_id', 'c.id as case_id', 'c.case_number', 'c.unit'])
    .where('d.caller_number', '=', number)
    .orderBy('d.created_at', 'desc')
    .limit(20)
    .execute();

export async function countContactsFrom(db: Trx, number: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM contact_dispositions WHERE caller_number = ${number}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
