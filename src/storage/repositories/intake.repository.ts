import { type Insertable, type Selectable, sql } from 'kysely';
import type { Trx } from '../database.js';
import type { CasesTable, PersonsTable, ReportsTable, SubjectRole } from '../schema.js';

/** The statements of an intake: the report, its subjects' person records, and the case it opens or adds to. */
export type PersonRow = Selectable<PersonsTable>;

export async function agencyExists(db: Trx, ori: string): Promise<boolean> {
  return (await db.selectFrom('agencies').select('ori').where('ori', '=', ori).executeTakeFirst()) !== undefined;
}

/** The case an intake adds to, locked until the intake commits. */
export function findCaseForUpdate(db: Trx, id: string) {
  return db
    .selectFrom('cases')
    .select(['id', 'case_number', 'aor_office_code', 'unit'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function insertReport(db: Trx, values: Insertable<ReportsTable>): Promise<string> {
  return (await db.insertInto('reports').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

export async function findPersonIdByANumber(db: Trx, aNumber: string): Promise<string | undefined> {
  return (await db.selectFrom('persons').select('id').where('a_number', '=', aNumber).executeTakeFirst())?.id;
}

export async function insertReportSubject(db: Trx, reportId: string, personId: string, role: SubjectRole): Promise<void> {
  await db
    .insertInto('report_subjects')
    .values({ report_id: reportId, person_id: personId, role })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** A case an intake added to: a new version, and the area of responsibility of the first location when it had none. */
export async function touchCaseForIntake(db: Trx, caseId: string, now: Date, aorOfficeCode: string | null): Promise<void> {
  await db
    .updateTable('cases')
    .set({
      updated_at: now,
      version: sql`version + 1`,
      ...(aorOfficeCode ? { aor_office_code: aorOfficeCode, aor_basis: 'location' as const } : {}),
    })
    .where('id', '=', caseId)
    .execute();
}

export async function insertCase(db: Trx, values: Insertable<CasesTable>): Promise<string> {
  return (await db.insertInto('cases').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

export async function markUnaccompanied(db: Trx, personIds: readonly string[], now: Date): Promise<void> {
  await db.updateTable('persons').set({ unaccompanied: true, updated_at: now }).where('id', 'in', personIds).execute();
}

export async function insertCaseReport(db: Trx, caseId: string, reportId: string): Promise<void> {
  await db.insertInto('case_reports').values({ case_id: caseId, report_id: reportId }).execute();
}

/** Adds the subject to the case; false when it was already there. */
export async function insertCaseSubject(db: Trx, caseId: string, personId: string, role: SubjectRole): Promise<boolean> {
  const added = await db
    .insertInto('case_subjects')
    .values({ case_id: caseId, person_id: personId, role })
    .onConflict((oc) => oc.doNothing())
    .returning('person_id')
    .executeTakeFirst();
  return added !== undefined;
}

export async function insertPerson(db: Trx, values: Insertable<PersonsTable>): Promise<string> {
  return (await db.insertInto('persons').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

export async function insertPersonNames(
  db: Trx,
  personId: string,
  reportId: string,
  names: readonly { kind: 'alias' | 'spelling'; givenNames: string; familyName1: string; familyName2?: string | undefined }[],
): Promise<void> {
  if (names.length === 0) return;
  await db
    .insertInto('person_names')
    .values(
      names.map((a) => ({
        person_id: personId,
        kind: a.kind,
        given_names: a.givenNames,
        family_name_1: a.familyName1,
        family_name_2: a.familyName2 ?? null,
        report_id: reportId,
      })),
    )
    .execute();
}

export async function insertPersonIdentifier(
  db: Trx,
  personId: string,
  reportId: string,
  id: { kind: 'fbi_number' | 'state_id' | 'orr_case_number' | 'passport'; value: string; issuer: string | null },
): Promise<void> {
  await db
    .insertInto('person_identifiers')
    .values({ person_id: personId, kind: id.kind, value: id.value, issuer: id.issuer, report_id: reportId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export function findPerson(db: Trx, id: string): Promise<PersonRow> {
  return db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Adds to a person's match keys, phones, nationalities and languages, each kept once; nothing is removed. */
export async function addToPersonLists(
  db: Trx,
  personId: string,
  add: { matchKeys: readonly string[]; phones: readonly string[]; nationalities: readonly string[]; languages: readonly string[] },
  now: Date,
): Promise<void> {
  await db
    .updateTable('persons')
    .set({
      match_keys: sql<string[]>`ARRAY(SELECT DISTINCT unnest(match_keys || ${add.matchKeys}::text[]))`,
      phones: sql<string[]>`ARRAY(SELECT DISTINCT unnest(phones || ${add.phones}::text[]))`,
      nationalities: sql<string[]>`ARRAY(SELECT DISTINCT unnest(nationalities || ${add.nationalities}::text[]))`,
      languages: sql<string[]>`ARRAY(SELECT DISTINCT unnest(languages || ${add.languages}::text[]))`,
      updated_at: now,
    })
    .where('id', '=', personId)
    .execute();
}

/** Unmerged people other than `personId` sharing a match key with it: at most 200, for scoring. */
export function personsSharingKeys(db: Trx, personId: string, keys: readonly string[]): Promise<PersonRow[]> {
  return db
    .selectFrom('persons')
    .selectAll()
    .where('id', '!=', personId)
    .where('merged_into', 'is', null)
    .where(sql<boolean>`match_keys && ${keys}::text[]`)
    .limit(200)
    .execute();
}
