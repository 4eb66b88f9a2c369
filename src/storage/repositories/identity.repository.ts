import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../database.js';
import type { AuthChallengesTable, PartnerClientsTable, SessionsTable, UsersTable } from '../schema.js';

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ChallengeRow = Selectable<AuthChallengesTable>;
export type ClientRow = Selectable<PartnerClientsTable>;

export const listRolePermissions = (db: Db) => db.selectFrom('role_permissions').select(['role', 'permission']).execute();

export const findUserByUsername = (db: Db, username: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();

export const findUserById = (db: Db, id: string) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

export const findUserByEnrollmentToken = (db: Db, tokenHash: string) =>
  db.selectFrom('users').selectAll().where('enrollment_token_hash', '=', tokenHash).executeTakeFirst();

export const listUsers = (db: Db) => db.selectFrom('users').selectAll().orderBy('username').execute();

export const insertUser = (db: Db, user: Insertable<UsersTable>) =>
  db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();

export async function updateUser(db: Db, id: string, changes: Updateable<UsersTable>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

export const getThrottle = (db: Db, usernameKey: string) =>
  db
    .selectFrom('sign_in_throttle')
    .select(['failures', 'locked_until'])
    .where('username_key', '=', usernameKey)
    .forUpdate()
    .executeTakeFirst();

export async function setThrottle(db: Db, usernameKey: string, failures: number, lockedUntil: Date | null, now: Date): Promise<void> {
  await db
    .insertInto('sign_in_throttle')
    .values({ username_key: usernameKey, failures, locked_until: lockedUntil, updated_at: now })
    .onConflict((oc) => oc.column('username_key').doUpdateSet({ failures, locked_until: lockedUntil, updated_at: now }))
    .execute();
}

export async function clearThrottle(db: Db, usernameKey: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('username_key', '=', usernameKey).execute();
}

export async function insertChallenge(db: Db, challenge: Insertable<AuthChallengesTable>): Promise<void> {
  await db.insertInto('auth_challenges').values(challenge).execute();
}

export const findChallengeForUpdate = (db: Db, tokenHash: string) =>
  db.selectFrom('auth_challenges').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();

export async function markChallengeUsed(db: Db, tokenHash: string, now: Date): Promise<void> {
  await db.updateTable('auth_challenges').set({ used_at: now }).where('token_hash', '=', tokenHash).execute();
}

export const insertSession = (db: Db, session: Insertable<SessionsTable>) =>
  db.insertInto('sessions').values(session).returningAll().executeTakeFirstOrThrow();

export const findSessionByTokenHash = (db: Db, tokenHash: string) =>
  db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();

export async function touchSession(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function revokeSession(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function revokeUserSessions(db: Db, userId: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function replaceRecoveryCodes(db: Db, userId: string, codeHashes: string[]): Promise<void> {
  await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
  if (codeHashes.length > 0)
    await db
      .insertInto('user_recovery_codes')
      .values(codeHashes.map((code_hash) => ({ user_id: userId, code_hash })))
      .execute();
}

/** Marks one unused recovery code used; false if it does not exist or was used. */
export async function consumeRecoveryCode(db: Db, userId: string, codeHash: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('user_recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export const insertClient = (db: Db, client: Insertable<PartnerClientsTable>) =>
  db.insertInto('partner_clients').values(client).returningAll().executeTakeFirstOrThrow();

export const findClient = (db: Db, clientId: string) =>
  db.selectFrom('partner_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();

export const listClients = (db: Db) => db.selectFrom('partner_clients').selectAll().orderBy('created_at').execute();

export async function updateClient(db: Db, clientId: string, changes: Updateable<PartnerClientsTable>): Promise<void> {
  await db.updateTable('partner_clients').set(changes).where('client_id', '=', clientId).execute();
}

export const findAgency = (db: Db, ori: string) => db.selectFrom('agencies').selectAll().where('ori', '=', ori).executeTakeFirst();
