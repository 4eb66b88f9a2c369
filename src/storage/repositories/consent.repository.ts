import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Trx } from '../database.js';
import type { ConsentsTable } from '../schema.js';

/** A child's consent decisions (migration 0039). No rules here: domain/safeguards/disclosure.ts decides. */

export type ConsentRow = Selectable<ConsentsTable>;

export const insertConsent = (db: Trx, values: Insertable<ConsentsTable>) =>
  db.insertInto('consents').values(values).returningAll().executeTakeFirstOrThrow();

export const updateConsent = (db: Trx, id: string, changes: Updateable<ConsentsTable>) =>
  db.updateTable('consents').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export const findConsent = (db: Trx, id: string, lock: boolean) => {
  const q = db.selectFrom('consents').selectAll().where('id', '=', id);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
};

export const consentsOfCase = (db: Trx, caseId: string) =>
  db.selectFrom('consents').selectAll().where('case_id', '=', caseId).orderBy('recorded_at').execute();

/** A person's consents on any case, across the records merged into them. */
export const consentsOfPersons = (db: Trx, personIds: readonly string[]) =>
  personIds.length === 0 ? Promise.resolve([]) : db.selectFrom('consents').selectAll().where('person_id', 'in', personIds).execute();
