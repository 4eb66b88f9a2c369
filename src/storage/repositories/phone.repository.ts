import type { Selectable, Updateable } from 'kysely';
import type { Trx } from '../database.js';
import type { PhoneBindingsTable } from '../schema.js';

/** Accounts' phones at the SIP edge (migration 0037): the SIP user each account is bound to and its credentials' HA1, encrypted. */

export type PhoneBindingRow = Selectable<PhoneBindingsTable>;

export const findPhoneBinding = (db: Trx, userId: string) =>
  db.selectFrom('phone_bindings').selectAll().where('user_id', '=', userId).executeTakeFirst();

export const findPhoneBindingBySipUser = (db: Trx, sipUser: string) =>
  db.selectFrom('phone_bindings').selectAll().where('sip_user', '=', sipUser).executeTakeFirst();

export const listPhoneBindings = (db: Trx) => db.selectFrom('phone_bindings').selectAll().orderBy('sip_user').execute();

export async function insertPhoneBinding(db: Trx, row: PhoneBindingRow): Promise<void> {
  await db.insertInto('phone_bindings').values(row).execute();
}

export async function updatePhoneBinding(db: Trx, userId: string, change: Updateable<PhoneBindingsTable>): Promise<void> {
  await db.updateTable('phone_bindings').set(change).where('user_id', '=', userId).execute();
}

export async function deletePhoneBinding(db: Trx, userId: string): Promise<void> {
  await db.deleteFrom('phone_bindings').where('user_id', '=', userId).execute();
}
