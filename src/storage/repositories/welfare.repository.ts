import type { Insertable, Selectable } from 'kysely';
import type { Trx } from '../database.js';
import type { WelfareReferralsTable, WelfareScreeningsTable } from '../schema.js';

/** Welfare screenings and the welfare referrals they raise. No rules here: services decide. */

export type WelfareReferralRow = Selectable<WelfareReferralsTable>;
type WelfareStatus = WelfareReferralRow['status'];

/** The person's role on the case, if they are on it. */
export const subjectRoleOnCase = (db: Trx, caseId: string, personId: string) =>
  db.selectFrom('case_subjects').select('role').where('case_id', '=', caseId).where('person_id', '=', personId).executeTakeFirst();

export async function insertScreening(db: Trx, values: Insertable<WelfareScreeningsTable>): Promise<string> {
  return (await db.insertInto('welfare_screenings').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

export async function insertWelfareReferral(db: Trx, values: Insertable<WelfareReferralsTable>): Promise<string> {
  return (await db.insertInto('welfare_referrals').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

export async function setCasePriority(db: Trx, caseId: string, priority: 'urgent', now: Date): Promise<void> {
  await db.updateTable('cases').set({ priority, updated_at: now }).where('id', '=', caseId).execute();
}

export const findWelfareReferral = (db: Trx, id: string) =>
  db.selectFrom('welfare_referrals').selectAll().where('id', '=', id).executeTakeFirst();

export const welfareReferralsIn = (db: Trx, statuses: readonly WelfareStatus[]) =>
  db
    .selectFrom('welfare_referrals')
    .selectAll()
    .where('status', 'in', [...statuses])
    .execute();

/** Moves a referral from one of `from` to its next status; false when it was not in one of them (someone was first). */
export async function moveWelfareReferral(
  db: Trx,
  id: string,
  from: readonly WelfareStatus[],
  changes: { status: WelfareStatus; done_by: string | null; done_at: Date; done_note: string },
): Promise<boolean> {
  const row = await db
    .updateTable('welfare_referrals')
    .set(changes)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks an open referral escalated once; false when it already was, or is no longer open. */
export async function markEscalated(db: Trx, id: string, open: readonly WelfareStatus[], now: Date, taskId: string): Promise<boolean> {
  const row = await db
    .updateTable('welfare_referrals')
    .set({ escalated_at: now, escalation_task_id: taskId })
    .where('id', '=', id)
    .where('escalated_at', 'is', null)
    .where('status', 'in', [...open])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
