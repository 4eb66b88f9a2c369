import type { Selectable } from 'kysely';
import type { Trx } from '../database.js';
import type { LocationObservationsTable, PersonIdentifiersTable, PersonMergesTable, PersonNamesTable, PersonsTable } from '../schema.js';

export type PersonRow = Selectable<PersonsTable>;
export type LocationRow = Selectable<LocationObservationsTable>;
export type PersonNameRow = Selectable<PersonNamesTable>;
export type PersonIdentifierRow = Selectable<PersonIdentifiersTable>;
export type PersonMergeRow = Selectable<PersonMergesTable>;

/** Whether a person record with this id exists (merged records included). */
export async function personExists(db: Trx, id: string): Promise<boolean> {
  return (await db.selectFrom('persons').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export const findPerson = (db: Trx, id: string) => db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();

/** Observations newest first: "where is this person now" is a question over these, not a field. */
export const listLocations = (db: Trx, personIds: readonly string[]) =>
  db
    .selectFrom('location_observations')
    .selectAll()
    .where('person_id', 'in', personIds)
    .orderBy('observed_at', 'desc')
    .limit(100)
    .execute();

/** Other records of a cluster than `id` (the records merged into it). */
export const otherRecordsOf = (db: Trx, cluster: readonly string[], id: string) =>
  db.selectFrom('persons').selectAll().where('id', 'in', cluster).where('id', '!=', id).execute();

/** Names given for these records, oldest first. */
export const listNames = (db: Trx, personIds: readonly string[]) =>
  db.selectFrom('person_names').selectAll().where('person_id', 'in', personIds).orderBy('created_at').execute();

/** Identifiers recorded on these records, oldest first. */
export const listIdentifiers = (db: Trx, personIds: readonly string[]) =>
  db.selectFrom('person_identifiers').selectAll().where('person_id', 'in', personIds).orderBy('created_at').execute();

/** Merges the record took part in, as survivor or as merged, oldest first. */
export const listMergesOf = (db: Trx, personId: string) =>
  db
    .selectFrom('person_merges')
    .selectAll()
    .where((eb) => eb.or([eb('survivor_id', '=', personId), eb('merged_id', '=', personId)]))
    .orderBy('merged_at')
    .execute();

/** The cases these records are subjects of, newest first, with the subject's role and the case's unit. */
export const casesOfPersons = (db: Trx, personIds: readonly string[]) =>
  db
    .selectFrom('case_subjects as cs')
    .innerJoin('cases as c', 'c.id', 'cs.case_id')
    .select(['c.id', 'c.case_number', 'c.type', 'c.status', 'c.unit', 'cs.role'])
    .where('cs.person_id', 'in', personIds)
    .orderBy('c.created_at', 'desc')
    .execute();
