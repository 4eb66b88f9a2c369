import { type Insertable, sql } from 'kysely';
import type { Db } from '../database.js';
import type { RoutingWorkersTable, UsersTable } from '../schema.js';

/**
 * Queries of the demo seed. The seed makes persons, reports, cases, referrals
 * and agencies through the services; what it writes itself are the demo
 * accounts (pre-enrolled, so `switchboard demo codes` can stand in for a
 * phone), its journal in app_meta, and it reads back what it needs to resume.
 */

export async function insertUsers(db: Db, users: Insertable<UsersTable>[]): Promise<void> {
  if (users.length > 0) await db.insertInto('users').values(users).execute();
}

export async function insertRoutingWorkers(db: Db, workers: Insertable<RoutingWorkersTable>[]): Promise<void> {
  if (workers.length > 0) await db.insertInto('routing_workers').values(workers).execute();
}

export async function findUsers(db: Db, usernames: readonly string[]) {
  if (usernames.length === 0) return [];
  return db
    .selectFrom('users')
    .select(['id', 'username', 'role', 'agency_ori', 'field_office_code'])
    .where('username', 'in', [...usernames])
    .execute();
}

export async function setPassword(db: Db, username: string, passwordHash: string, at: Date): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash, password_changed_at: at }).where('username', '=', username).execute();
}

export async function countRows(db: Db): Promise<{ users: number; persons: number; cases: number; locations: number; agencies: number }> {
  const count = async (table: 'users' | 'persons' | 'cases' | 'location_observations' | 'agencies'): Promise<number> => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    users: await count('users'),
    persons: await count('persons'),
    cases: await count('cases'),
    locations: await count('location_observations'),
    agencies: await count('agencies'),
  };
}

/** Whether any server has run its routing engine on this database (opening one writes its configuration to the log). */
export async function hasRoutingCommands(db: Db): Promise<boolean> {
  return (await db.selectFrom('routing_commands').select('seq').limit(1).executeTakeFirst()) !== undefined;
}

/**
 * The seed's lock: a session-level advisory lock, held on the seed's own connection for the whole seed, so that a
 * second seeder waits and a dead one's lock goes with its connection (its journal then says "interrupted").
 */
const DEMO_SEED_LOCK_KEY = 0x53_57_44_4d;

export async function tryLockSeed(conn: Db): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${DEMO_SEED_LOCK_KEY}) AS locked`.execute(conn);
  return rows[0]?.locked === true;
}

export async function lockSeed(conn: Db): Promise<void> {
  await sql`SELECT pg_advisory_lock(${DEMO_SEED_LOCK_KEY})`.execute(conn);
}

export async function unlockSeed(conn: Db): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${DEMO_SEED_LOCK_KEY})`.execute(conn);
}

/**
 * The seed's connection commits without waiting for the WAL flush while it plays its steps: each step is journaled
 * by its audit event and the WAL is written in order, so a crash loses at most the last steps, which a resume replays.
 * The closing marker is committed with the flush (`on`), which makes every step before it durable too.
 */
export async function setSynchronousCommit(conn: Db, on: boolean): Promise<void> {
  await sql`SELECT set_config('synchronous_commit', ${on ? 'on' : 'off'}, false)`.execute(conn);
}

/** The audit events the seed's steps left, by request id (`demo-seed-<seed>-<step>`): the seed's journal. */
export async function listSeedEvents(db: Db, requestIdPrefix: string) {
  return db
    .selectFrom('audit_events')
    .select(['request_id', 'action', 'resource_id', 'details'])
    .where('request_id', 'like', `${requestIdPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    .orderBy(sql`seq NULLS LAST`)
    .orderBy('inbox_id')
    .execute();
}

export async function reportSubjects(db: Db, reportIds: readonly string[]) {
  if (reportIds.length === 0) return [];
  return db
    .selectFrom('report_subjects')
    .select(['report_id', 'person_id', 'role'])
    .where('report_id', 'in', [...reportIds])
    .execute();
}

export async function reportLocations(db: Db, reportIds: readonly string[]) {
  if (reportIds.length === 0) return [];
  return db
    .selectFrom('location_observations')
    .select(['id', 'report_id', 'person_id', 'observed_at'])
    .where('report_id', 'in', [...reportIds])
    .orderBy('observed_at')
    .orderBy('id')
    .execute();
}

/** The version a user editing the case would have read. */
export async function caseVersion(db: Db, caseId: string): Promise<number> {
  return (await db.selectFrom('cases').select('version').where('id', '=', caseId).executeTakeFirstOrThrow()).version;
}

export async function caseType(db: Db, caseId: string): Promise<string> {
  return (await db.selectFrom('cases').select('type').where('id', '=', caseId).executeTakeFirstOrThrow()).type;
}

export async function referralStatus(db: Db, referralId: string): Promise<string> {
  return (await db.selectFrom('referrals').select('status').where('id', '=', referralId).executeTakeFirstOrThrow()).status;
}

export async function findWelfareReferral(db: Db, id: string) {
  return db.selectFrom('welfare_referrals').select(['id', 'agency', 'status']).where('id', '=', id).executeTakeFirst();
}

/** Cases by status, referrals by status, screenings by outcome: what the seed made, for its closing line. */
export async function demoSummary(db: Db): Promise<Record<'cases' | 'referrals' | 'screenings', Record<string, number>>> {
  const tally = (rows: { key: string; n: string }[]) => Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));
  const cases = await db
    .selectFrom('cases')
    .select(['status as key', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  const referrals = await db
    .selectFrom('referrals')
    .select(['status as key', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  const screenings = await db
    .selectFrom('welfare_screenings')
    .select(['outcome as key', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('outcome')
    .execute();
  return { cases: tally(cases), referrals: tally(referrals), screenings: tally(screenings) };
}
