import type { Selectable } from 'kysely';
import type { Db } from '../database.js';
import type { LocationObservationsTable, PersonsTable } from '../schema.js';

export type PersonRow = Selectable<PersonsTable>;
export type LocationRow = Selectable<LocationObservationsTable>;

export const findPerson = (db: Db, id: string) => db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();

/** Observations newest first: "where is this person now" is a question over these, not a field. */
export const listLocations = (db: Db, personId: string) =>
  db.selectFrom('location_observations').selectAll().where('person_id', '=', personId).orderBy('observed_at', 'desc').limit(50).execute();
