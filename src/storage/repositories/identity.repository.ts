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

/** The account bound to a single sign-on identity: the provider's issuer and the subject it gives the person. */
export const findUserBySsoSubject = (db: Db, issuer: string, subject: string) =>
  db.selectFrom('users').selectAll().where('sso_issuer', '=', issuer).where('sso_subject', '=', subject).executeTakeFirst();

export const findUserById = (db: Db, id: string) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

export const findUserByEnrollmentToken = (db: Db, tokenHash: string) =>
  db.selectFrom('users').selectAll().where('enrollment_token_hash', '=', tokenHash).executeTakeFirst();

export const listUsers = (db: Db) => db.selectFrom('users').selectAll().orderBy('username').execute();

export const insertUser = (db: Db, user: Insertable<UsersTable>) =>
  db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();

export async function updateUser(db: Db, id: string, changes: Updateable<UsersTable>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

/** Makes sure the (name, source) row exists, then locks it: attempts from one source for one name run one at a time. */
export async function lockSourceThrottle(db: Db, usernameKey: string, sourceKey: string, now: Date) {
  await db
    .insertInto('sign_in_throttle')
    .values({ username_key: usernameKey, source_key: sourceKey, failures: 0, updated_at: now })
    .onConflict((oc) => oc.columns(['username_key', 'source_key']).doNothing())
    .execute();
  return db
    .selectFrom('sign_in_throttle')
    .select(['failures', 'last_failure_at', 'locked_until'])
    .where('username_key', '=', usernameKey)
    .where('source_key', '=', sourceKey)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export async function setSourceThrottle(
  db: Db,
  usernameKey: string,
  sourceKey: string,
  throttle: { failures: number; lastFailureAt: Date | null; lockedUntil: Date | null },
  now: Date,
): Promise<void> {
  const values = {
    failures: throttle.failures,
    last_failure_at: throttle.lastFailureAt,
    locked_until: throttle.lockedUntil,
    updated_at: now,
  };
  await db
    .insertInto('sign_in_throttle')
    .values({ username_key: usernameKey, source_key: sourceKey, ...values })
    .onConflict((oc) => oc.columns(['username_key', 'source_key']).doUpdateSet(values))
    .execute();
}

export async function clearSourceThrottle(db: Db, usernameKey: string, sourceKey: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('username_key', '=', usernameKey).where('source_key', '=', sourceKey).execute();
}

/** Sources that failed for this name since `since`, and their consecutive failures. */
export async function failuresAcrossSources(db: Db, usernameKey: string, since: Date): Promise<{ sources: number; failures: number }> {
  const row = await db
    .selectFrom('sign_in_throttle')
    .select((eb) => [eb.fn.countAll<string>().as('sources'), eb.fn.coalesce(eb.fn.sum<string>('failures'), eb.lit(0)).as('failures')])
    .where('username_key', '=', usernameKey)
    .where('failures', '>', 0)
    .where('last_failure_at', '>', since)
    .executeTakeFirstOrThrow();
  return { sources: Number(row.sources), failures: Number(row.failures) };
}

/** Forgets records untouched since `before` and not paused now; a few at a time, so no attempt pays for many. */
export async function pruneThrottle(db: Db, before: Date, now: Date, limit: number): Promise<void> {
  await db
    .deleteFrom('sign_in_throttle')
    .where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple('username_key', 'source_key'),
        'in',
        selectFrom('sign_in_throttle')
          .select(['username_key', 'source_key'])
          .where('updated_at', '<', before)
          .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<', now)]))
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .$asTuple('username_key', 'source_key'),
      ),
    )
    .execute();
}

/**
 * Records that a TOTP time step was accepted, only if no later or equal step was:
 * one compare-and-set, so of parallel requests with one code exactly one wins.
 */
export async function advanceTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where('totp_secret_enc', 'is not', null)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(step))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Who created, reset or changed the access of whose account since `since`, between two people, in either
 * direction — read from the audit log, the tamper-evident record of those acts.
 */
export async function credentialActsBetween(db: Db, a: string, b: string, since: Date) {
  const rows = await db
    .selectFrom('audit_events')
    .select(['actor_id', 'resource_id', 'action', 'occurred_at'])
    .where('resource_type', '=', 'user')
    .where('outcome', '=', 'allowed')
    .where('actor_type', '=', 'user')
    .where('action', 'in', ['user.add', 'user.reset_mfa', 'user.reset_password', 'user.change_access'])
    .where('occurred_at', '>', since)
    .where((eb) =>
      eb.or([eb.and([eb('resource_id', '=', a), eb('actor_id', '=', b)]), eb.and([eb('resource_id', '=', b), eb('actor_id', '=', a)])]),
    )
    .execute();
  return rows.map((r) => ({ actorId: r.actor_id ?? '', subjectId: r.resource_id ?? '', action: r.action, at: r.occurred_at }));
}

export const findFieldOffice = (db: Db, code: string) =>
  db.selectFrom('field_offices').select('code').where('code', '=', code).executeTakeFirst();

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

/**
 * A session and its user in one round trip: every signed-in request resolves its cookie here first, so this is
 * the hottest query of the staff API (issue #18's profile).
 */
export const findSessionWithUser = (db: Db, tokenHash: string) =>
  db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.id',
      's.user_id',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      's.revoked_at',
      'u.username',
      'u.role',
      'u.agency_ori',
      'u.field_office_code',
      'u.disabled_at',
    ])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();

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

/** Replaces the secret of a client that is not revoked and moves to the next generation, so every earlier token stops working. */
export const rotateClientSecret = (db: Db, clientId: string, secretHash: string, now: Date) =>
  db
    .updateTable('partner_clients')
    .set((eb) => ({ secret_hash: secretHash, rotated_at: now, secret_generation: eb('secret_generation', '+', 1) }))
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();

export const findAgency = (db: Db, ori: string) => db.selectFrom('agencies').selectAll().where('ori', '=', ori).executeTakeFirst();
