import type { Insertable, Selectable } from 'kysely';
import type { Trx } from '../database.js';
import type { AttachmentsTable } from '../schema.js';

/** Attachment rows (the content itself is on disk, named by its hash). */

export type AttachmentRow = Selectable<AttachmentsTable>;

export async function reportIsOnCase(db: Trx, caseId: string, reportId: string): Promise<boolean> {
  const linked = await db
    .selectFrom('case_reports')
    .select('report_id')
    .where('case_id', '=', caseId)
    .where('report_id', '=', reportId)
    .executeTakeFirst();
  return linked !== undefined;
}

export const insertAttachment = (db: Trx, values: Insertable<AttachmentsTable>): Promise<AttachmentRow> =>
  db.insertInto('attachments').values(values).returningAll().executeTakeFirstOrThrow();

export const findAttachment = (db: Trx, id: string): Promise<AttachmentRow | undefined> =>
  db.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();

/** The unit of the case an attachment belongs to (need-to-know is decided on it). */
export const findCaseUnit = (db: Trx, caseId: string) => db.selectFrom('cases').select('unit').where('id', '=', caseId).executeTakeFirst();
