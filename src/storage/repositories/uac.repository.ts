import type { Insertable } from 'kysely';
import type { Trx } from '../database.js';
import type { CustodyDecisionsTable } from '../schema.js';

/** What the UAC unit's board and age-out watch read, and custody decisions. No rules here: services decide. */

/** Subjects of open UAC cases (as linked, one row per case), with their names. */
export const subjectsOfOpenUacCases = (db: Trx) =>
  db
    .selectFrom('case_subjects as cs')
    .innerJoin('cases as c', 'c.id', 'cs.case_id')
    .innerJoin('persons as p', 'p.id', 'cs.person_id')
    .select(['p.id', 'p.given_names', 'p.family_name_1', 'c.id as case_id'])
    .where('c.unit', '=', 'uac')
    .where('c.status', '!=', 'closed')
    .execute();

/** Custody decisions of these persons, oldest first. */
export const custodyDecisionsOf = (db: Trx, personIds: readonly string[]) =>
  personIds.length === 0
    ? Promise.resolve([])
    : db.selectFrom('custody_decisions').selectAll().where('person_id', 'in', personIds).orderBy('decided_at').execute();

export async function insertCustodyDecision(db: Trx, values: Insertable<CustodyDecisionsTable>): Promise<string> {
  return (await db.insertInto('custody_decisions').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

/** Open UAC cases, by priority then age, at most `limit`. */
export const openUacCases = (db: Trx, limit: number) =>
  db
    .selectFrom('cases')
    .selectAll()
    .where('unit', '=', 'uac')
    .where('status', '!=', 'closed')
    .orderBy('priority')
    .orderBy('created_at')
    .limit(limit)
    .execute();

/** The subjects linked to these cases. */
export const subjectLinksOf = (db: Trx, caseIds: readonly string[]) =>
  caseIds.length === 0
    ? Promise.resolve([])
    : db.selectFrom('case_subjects').select(['case_id', 'person_id']).where('case_id', 'in', caseIds).execute();

/** The outcome of a case's latest welfare screening. */
export const latestScreeningOutcome = (db: Trx, caseId: string) =>
  db.selectFrom('welfare_screenings').select('outcome').where('case_id', '=', caseId).orderBy('completed_at', 'desc').executeTakeFirst();

/** A case's open welfare referrals, soonest due first. */
export const openWelfareReferralsOf = (db: Trx, caseId: string) =>
  db
    .selectFrom('welfare_referrals')
    .select(['due_at', 'status'])
    .where('case_id', '=', caseId)
    .where('status', '=', 'open')
    .orderBy('due_at')
    .execute();

/** The latest location of any of these persons (state, county, coordinates only). */
export const latestPlaceOf = (db: Trx, personIds: readonly string[]) =>
  personIds.length === 0
    ? Promise.resolve(undefined)
    : db
        .selectFrom('location_observations')
        .select(['state', 'county', 'latitude', 'longitude'])
        .where('person_id', 'in', personIds)
        .orderBy('observed_at', 'desc')
        .executeTakeFirst();
