import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Trx } from '../database.js';
import type {
  CaseClosureRequestsTable,
  CaseNeedsTable,
  CasePlansTable,
  CaseServiceStatusChangesTable,
  CaseServicesTable,
} from '../schema.js';

/** A child's needs, services, case plan and closure requests (migration 0041). No rules here: domain/cases/case-plan.ts decides. */

export type CasePlanRow = Selectable<CasePlansTable>;
export type CaseNeedRow = Selectable<CaseNeedsTable>;
export type CaseServiceRow = Selectable<CaseServicesTable>;
export type ClosureRequestRow = Selectable<CaseClosureRequestsTable>;

export const findPlan = (db: Trx, caseId: string) =>
  db.selectFrom('case_plans').selectAll().where('case_id', '=', caseId).executeTakeFirst();

export const insertPlan = (db: Trx, values: Insertable<CasePlansTable>) =>
  db.insertInto('case_plans').values(values).returningAll().executeTakeFirstOrThrow();

export const updatePlan = (db: Trx, caseId: string, changes: Updateable<CasePlansTable>) =>
  db.updateTable('case_plans').set(changes).where('case_id', '=', caseId).returningAll().executeTakeFirstOrThrow();

export const insertNeed = (db: Trx, values: Insertable<CaseNeedsTable>) =>
  db.insertInto('case_needs').values(values).returningAll().executeTakeFirstOrThrow();

export const findNeed = (db: Trx, id: string) => db.selectFrom('case_needs').selectAll().where('id', '=', id).executeTakeFirst();

export const needsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('case_needs')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('assessed_on')
    .orderBy('created_at')
    .orderBy('id')
    .execute();

export const insertService = (db: Trx, values: Insertable<CaseServicesTable>) =>
  db.insertInto('case_services').values(values).returningAll().executeTakeFirstOrThrow();

export const findService = (db: Trx, id: string, lock: boolean) => {
  const q = db.selectFrom('case_services').selectAll().where('id', '=', id);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
};

export const updateService = (db: Trx, id: string, changes: Updateable<CaseServicesTable>) =>
  db.updateTable('case_services').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export const servicesOfCase = (db: Trx, caseId: string) =>
  db.selectFrom('case_services').selectAll().where('case_id', '=', caseId).orderBy('due_on').orderBy('created_at').orderBy('id').execute();

export const insertStatusChange = (db: Trx, values: Insertable<CaseServiceStatusChangesTable>) =>
  db.insertInto('case_service_status_changes').values(values).execute();

/** Services in one of the statuses, not yet alerted, due before the day (the overdue sweep's candidates). */
export const unalertedServicesDueBefore = (db: Trx, statuses: readonly CaseServiceRow['status'][], day: string) =>
  db
    .selectFrom('case_services')
    .selectAll('case_services')
    .where('case_services.status', 'in', statuses)
    .where('overdue_alerted_at', 'is', null)
    .where('due_on', '<', day)
    // A closed case raises no work: its open services are left as they were when it closed.
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('cases').select('cases.id').whereRef('cases.id', '=', 'case_services.case_id').where('cases.status', '<>', 'closed'),
      ),
    )
    .orderBy('due_on')
    .orderBy('case_services.id')
    .execute();

/** Marks the alert once: false when another sweep (or a status change) got there first. */
export async function markOverdueAlerted(
  db: Trx,
  id: string,
  statuses: readonly CaseServiceRow['status'][],
  at: Date,
  taskId: string,
): Promise<boolean> {
  const r = await db
    .updateTable('case_services')
    .set({ overdue_alerted_at: at, alert_task_id: taskId })
    .where('id', '=', id)
    .where('overdue_alerted_at', 'is', null)
    .where('status', 'in', statuses)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export const latestClosureRequest = (db: Trx, caseId: string, lock = false) => {
  const q = db.selectFrom('case_closure_requests').selectAll().where('case_id', '=', caseId).orderBy('seq', 'desc').limit(1);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
};

export const insertClosureRequest = (db: Trx, values: Insertable<CaseClosureRequestsTable>) =>
  db.insertInto('case_closure_requests').values(values).returningAll().executeTakeFirstOrThrow();

export const updateClosureRequest = (db: Trx, id: string, changes: Updateable<CaseClosureRequestsTable>) =>
  db.updateTable('case_closure_requests').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
