import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Trx } from '../database.js';
import type { PartnerRequestEventsTable, PartnerRequestStatus, PartnerRequestsTable, ReportsTable } from '../schema.js';

/** Requests to partner agencies, their events, and the reports their answers become. No rules here: services decide. */

export type PartnerRequestRow = Selectable<PartnerRequestsTable>;
export type PartnerRequestEventRow = Selectable<PartnerRequestEventsTable>;

export async function insertRequestEvent(db: Trx, values: Insertable<PartnerRequestEventsTable>): Promise<void> {
  await db.insertInto('partner_request_events').values(values).execute();
}

/** The latest location observation of any of the given person records (a person and the records merged into them). */
export const latestLocationOf = (db: Trx, personIds: readonly string[]) =>
  db
    .selectFrom('location_observations')
    .selectAll()
    .where('person_id', 'in', personIds)
    .orderBy('observed_at', 'desc')
    .limit(1)
    .executeTakeFirst();

/** Agencies registered for a county of a state (the county compared without case), by ORI. */
export const agenciesOfCounty = (db: Trx, state: string, county: string) =>
  db
    .selectFrom('agencies')
    .selectAll()
    .where('state', '=', state)
    .where(sql<boolean>`lower(county) = lower(${county})`)
    .orderBy('ori')
    .execute();

/** The answers of the latest completed welfare screening of any of the person's records on a case. */
export async function latestScreeningAnswers(db: Trx, caseId: string, personIds: readonly string[]): Promise<unknown> {
  const latest = await db
    .selectFrom('welfare_screenings')
    .select('answers')
    .where('case_id', '=', caseId)
    .where('person_id', 'in', personIds)
    .orderBy('completed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest?.answers;
}

export const insertPartnerRequest = (db: Trx, values: Insertable<PartnerRequestsTable>) =>
  db.insertInto('partner_requests').values(values).returningAll().executeTakeFirstOrThrow();

/** Changes a request and returns it as stored. */
export const updatePartnerRequest = (db: Trx, id: string, changes: Updateable<PartnerRequestsTable>) =>
  db.updateTable('partner_requests').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

/** A request with the unit, type and number of its case, locked for the rest of the transaction. */
export const findRequestWithCaseForUpdate = (db: Trx, id: string) =>
  db
    .selectFrom('partner_requests as q')
    .innerJoin('cases as c', 'c.id', 'q.case_id')
    .selectAll('q')
    .select(['c.unit as case_unit', 'c.type as case_type', 'c.case_number'])
    .where('q.id', '=', id)
    .forUpdate()
    .executeTakeFirst();

export const findRequestForUpdate = (db: Trx, id: string) =>
  db.selectFrom('partner_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();

/** A case's requests, newest first, and the events of those requests in order. */
export async function requestsOfCase(db: Trx, caseId: string): Promise<{ rows: PartnerRequestRow[]; events: PartnerRequestEventRow[] }> {
  const rows = await db.selectFrom('partner_requests').selectAll().where('case_id', '=', caseId).orderBy('created_at', 'desc').execute();
  const events =
    rows.length === 0
      ? []
      : await db
          .selectFrom('partner_request_events')
          .selectAll()
          .where(
            'request_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('id')
          .execute();
  return { rows, events };
}

/** Held requests and urgent-lane ones not yet reviewed afterwards, oldest first (UAC cases only when asked for). */
export function reviewQueueRows(db: Trx, includeUac: boolean, limit: number) {
  let q = db
    .selectFrom('partner_requests as q')
    .innerJoin('cases as c', 'c.id', 'q.case_id')
    .selectAll('q')
    .select('c.case_number')
    .where((eb) =>
      eb.or([eb('q.status', '=', 'pending_review'), eb.and([eb('q.urgent_lane', '=', true), eb('q.post_reviewed_at', 'is', null)])]),
    );
  if (!includeUac) q = q.where('c.unit', '!=', 'uac');
  return q.orderBy('q.created_at').limit(limit).execute();
}

/** An agency's sent requests in the given statuses: open ones first by deadline, then the rest newest first. */
export function agencyRequestRows(
  db: Trx,
  ori: string,
  statuses: readonly PartnerRequestStatus[],
  open: readonly PartnerRequestStatus[],
  limit: number,
) {
  return db
    .selectFrom('partner_requests')
    .selectAll()
    .where('agency_ori', '=', ori)
    .where('sent_at', 'is not', null)
    .where('status', 'in', [...statuses])
    .orderBy(sql`CASE WHEN status IN (${sql.join([...open])}) THEN 0 ELSE 1 END`)
    .orderBy(sql`CASE WHEN status IN (${sql.join([...open])}) THEN due_at END`)
    .orderBy('sent_at', 'desc')
    .limit(limit)
    .execute();
}

/** The report an agency's answer becomes, linked to its subject and to the case. Returns its id. */
export async function insertAnswerReport(
  db: Trx,
  report: Insertable<ReportsTable>,
  links: { personId: string; caseId: string },
): Promise<string> {
  const { id } = await db.insertInto('reports').values(report).returning('id').executeTakeFirstOrThrow();
  await db
    .insertInto('report_subjects')
    .values({ report_id: id, person_id: links.personId, role: 'subject' })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db.insertInto('case_reports').values({ case_id: links.caseId, report_id: id }).execute();
  return id;
}

/** Open requests past their deadline and not escalated, with their case's unit and number; locked, skipping locked ones. */
export const overdueRequestsForUpdate = (db: Trx, open: readonly PartnerRequestStatus[], now: Date, limit: number) =>
  db
    .selectFrom('partner_requests as q')
    .innerJoin('cases as c', 'c.id', 'q.case_id')
    .selectAll('q')
    .select(['c.unit', 'c.case_number'])
    .where('q.status', 'in', [...open])
    .where('q.escalated_at', 'is', null)
    .where('q.due_at', '<', now)
    .orderBy('q.due_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();

/** Urgent-lane requests whose review afterwards is late and not yet escalated; locked, skipping locked ones. */
export const latePostReviewsForUpdate = (db: Trx, now: Date, limit: number) =>
  db
    .selectFrom('partner_requests')
    .select(['id', 'case_id', 'reference', 'post_review_due_at'])
    .where('urgent_lane', '=', true)
    .where('post_reviewed_at', 'is', null)
    .where('post_review_escalated_at', 'is', null)
    .where('post_review_due_at', '<', now)
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();

/**
 * Requests that named work items which may need making again: answered or escalated since `since`, and urgent-lane
 * ones not yet reviewed afterwards (however old), with their case's id, unit and number.
 */
export const requestsNamingWorkItems = (db: Trx, since: Date) =>
  db
    .selectFrom('partner_requests as q')
    .innerJoin('cases as c', 'c.id', 'q.case_id')
    .selectAll('q')
    .select(['c.id as case_row_id', 'c.unit', 'c.case_number'])
    .where((eb) =>
      eb.or([
        eb.and([
          eb.or([eb('q.answer_task_id', 'is not', null), eb('q.escalation_task_id', 'is not', null)]),
          eb('q.updated_at', '>', since),
        ]),
        eb.and([eb('q.urgent_lane', '=', true), eb('q.post_reviewed_at', 'is', null)]),
      ]),
    )
    .execute();
