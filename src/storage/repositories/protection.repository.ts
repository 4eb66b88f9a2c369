import type { Insertable, Selectable } from 'kysely';
import type { Trx } from '../database.js';
import type { LegalProtectionsTable, PersonsTable, ProtectionRulesTable } from '../schema.js';

/** Legal protections on persons and class-wide protection orders. No rules here: services decide. */

export type ProtectionRow = Selectable<LegalProtectionsTable>;
export type RuleRow = Selectable<ProtectionRulesTable>;

export const rulesNotRevoked = (db: Trx) => db.selectFrom('protection_rules').selectAll().where('revoked_at', 'is', null).execute();

export const listRuleRows = (db: Trx) => db.selectFrom('protection_rules').selectAll().orderBy('created_at').execute();

export const protectionsOf = (db: Trx, personIds: readonly string[]): Promise<ProtectionRow[]> =>
  personIds.length === 0
    ? Promise.resolve([])
    : db.selectFrom('legal_protections').selectAll().where('person_id', 'in', personIds).orderBy('created_at').execute();

export const insertProtection = (db: Trx, values: Insertable<LegalProtectionsTable>) =>
  db.insertInto('legal_protections').values(values).returningAll().executeTakeFirstOrThrow();

/** Revokes a protection still in force; undefined when there is none by that id. */
export const revokeProtectionRow = (db: Trx, id: string, by: string, at: Date, reason: string) =>
  db
    .updateTable('legal_protections')
    .set({ revoked_by: by, revoked_at: at, revoke_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();

export const insertRule = (db: Trx, values: Insertable<ProtectionRulesTable>) =>
  db.insertInto('protection_rules').values(values).returningAll().executeTakeFirstOrThrow();

/** Revokes a class-wide order still in force; undefined when there is none by that id. */
export const revokeRuleRow = (db: Trx, id: string, by: string, at: Date, reason: string) =>
  db
    .updateTable('protection_rules')
    .set({ revoked_by: by, revoked_at: at, revoke_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();

/** Sets a person's UAC details; false when there is no such person. */
export async function setPersonUacDetails(
  db: Trx,
  personId: string,
  changes: Pick<Partial<Selectable<PersonsTable>>, 'eoir_status' | 'unaccompanied'>,
  now: Date,
): Promise<boolean> {
  const row = await db
    .updateTable('persons')
    .set({ ...changes, updated_at: now })
    .where('id', '=', personId)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
