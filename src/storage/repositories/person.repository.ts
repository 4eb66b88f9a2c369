import type { Selectable } from 'kysely';
import type { Db } from '../database.js';
import type { LocationObservationsTable, PersonIdentifiersTable, PersonMergesTable, PersonNamesTable, PersonsTable } from '../schema.js';

export type PersonRow = Selectable<PersonsTable>;
export type LocationRow = Selectable<LocationObservationsTable>;
export type PersonNameRow = Selectable<PersonNamesTable>;
export type PersonIdentifierRow = Selectable<PersonIdentifiersTable>;
export type PersonMergeRow = Selectable<PersonMergesTable>;

export const findPerson = (db: Db, id: string) => db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();

/** Observations newest first: "where is this person now" is a question over these, not a field. */
export const listLocations = (db: Db, personIds: readonly string[]) =>
  db
    .selectFrom('location_observations')
    .selectAll()
    .where('person_id', 'in', personIds)
    .orderBy('observed_at', 'desc')
    .limit(100)
    .execute();
