import type { Insertable } from 'kysely';
import type { Db } from '../database.js';
import type {
  CaseReportsTable,
  CaseSubjectsTable,
  CasesTable,
  LocationObservationsTable,
  PersonsTable,
  ReportsTable,
  UsersTable,
} from '../schema.js';

/** Bulk writes used by the demo seed; chunked to stay under PostgreSQL's 65,535 bind parameters. */

const CHUNK = 500;

async function insertChunked<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

export async function insertUsers(db: Db, users: Insertable<UsersTable>[]): Promise<void> {
  await insertChunked(users, (chunk) => db.insertInto('users').values(chunk).execute());
}

export async function insertPersons(db: Db, persons: Insertable<PersonsTable>[]): Promise<string[]> {
  const ids: string[] = [];
  await insertChunked(persons, async (chunk) => {
    const rows = await db.insertInto('persons').values(chunk).returning('id').execute();
    ids.push(...rows.map((row) => row.id));
  });
  return ids;
}

export async function insertLocations(db: Db, locations: Insertable<LocationObservationsTable>[]): Promise<void> {
  await insertChunked(locations, (chunk) => db.insertInto('location_observations').values(chunk).execute());
}

export async function insertCases(db: Db, cases: Insertable<CasesTable>[]): Promise<string[]> {
  const ids: string[] = [];
  await insertChunked(cases, async (chunk) => {
    const rows = await db.insertInto('cases').values(chunk).returning('id').execute();
    ids.push(...rows.map((row) => row.id));
  });
  return ids;
}

export async function insertReports(db: Db, reports: Insertable<ReportsTable>[]): Promise<string[]> {
  const ids: string[] = [];
  await insertChunked(reports, async (chunk) => {
    const rows = await db.insertInto('reports').values(chunk).returning('id').execute();
    ids.push(...rows.map((row) => row.id));
  });
  return ids;
}

export async function insertCaseReports(db: Db, links: Insertable<CaseReportsTable>[]): Promise<void> {
  await insertChunked(links, (chunk) => db.insertInto('case_reports').values(chunk).execute());
}

export async function insertCaseSubjects(db: Db, subjects: Insertable<CaseSubjectsTable>[]): Promise<void> {
  await insertChunked(subjects, (chunk) => db.insertInto('case_subjects').values(chunk).execute());
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
