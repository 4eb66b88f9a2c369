import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Trx } from '../database.js';
import type { ReferralEventsTable, ReferralStatus, ReferralsTable } from '../schema.js';

/** Referrals to field offices and their events, and what the gate reads about a case. No rules here: services decide. */

export type ReferralRow = Selectable<ReferralsTable>;
export type ReferralEventRow = Selectable<ReferralEventsTable>;

export async function insertReferralEvent(db: Trx, values: Insertable<ReferralEventsTable>): Promise<void> {
  await db.insertInto('referral_events').values(values).execute();
}

export const referralEvents = (db: Trx, referralId: string) =>
  db.selectFrom('referral_events').selectAll().where('referral_id', '=', referralId).orderBy('id').execute();

/** The case's best location with an area of responsibility: verified ones first, then the latest. */
export async function bestLocationWithAor(
  db: Trx,
  caseId: string,
): Promise<{ id: string; aor_office_code: string; verified: boolean } | undefined> {
  const { rows } = await sql<{ id: string; aor_office_code: string; verified: boolean }>`
    SELECT l.id, l.aor_office_code, l.verified_at IS NOT NULL AS verified
    FROM location_observations l
    JOIN persons p ON p.id = l.person_id
    JOIN case_subjects cs ON cs.person_id = p.id OR cs.person_id = p.merged_into
    WHERE cs.case_id = ${caseId} AND l.aor_office_code IS NOT NULL
    ORDER BY (l.verified_at IS NOT NULL) DESC, l.observed_at DESC
    LIMIT 1`.execute(db);
  return rows[0];
}

export async function fieldOfficeCodeExists(db: Trx, code: string): Promise<boolean> {
  return (await db.selectFrom('field_offices').select('code').where('code', '=', code).executeTakeFirst()) !== undefined;
}

export const insertReferral = (db: Trx, values: Insertable<ReferralsTable>) =>
  db.insertInto('referrals').values(values).returningAll().executeTakeFirstOrThrow();

/** Changes a referral (its version raised) and returns it as stored. */
export const updateReferral = (db: Trx, id: string, changes: Omit<Updateable<ReferralsTable>, 'version'>) =>
  db
    .updateTable('referrals')
    .set({ ...changes, version: sql`version + 1` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

/** A referral with its case's number, unit, status and type; locked for the transaction when asked. */
export function findReferralWithCase(db: Trx, id: string, lock: boolean) {
  let q = db
    .selectFrom('referrals as r')
    .innerJoin('cases as c', 'c.id', 'r.case_id')
    .selectAll('r')
    .select(['c.case_number', 'c.unit as case_unit', 'c.status as case_status', 'c.type as case_type'])
    .where('r.id', '=', id);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export type ReferralListFilter = {
  /** A field officer's inbox: this office, these statuses only. */
  inbox?: { office: string; statuses: readonly ReferralStatus[] };
  excludeUac: boolean;
  status?: ReferralStatus | undefined;
  office?: string | undefined;
};

/** A page of referrals, most recently changed first, with their case numbers, and how many match in all. */
export async function listReferralRows(db: Trx, f: ReferralListFilter, page: { limit: number; offset: number }) {
  let q = db.selectFrom('referrals as r').innerJoin('cases as c', 'c.id', 'r.case_id');
  if (f.inbox) q = q.where('r.field_office_code', '=', f.inbox.office).where('r.status', 'in', [...f.inbox.statuses]);
  else if (f.excludeUac) q = q.where('c.unit', '!=', 'uac');
  if (f.status) q = q.where('r.status', '=', f.status);
  if (f.office) q = q.where('r.field_office_code', '=', f.office);
  const count = await q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  const rows = await q
    .selectAll('r')
    .select('c.case_number')
    .orderBy('r.updated_at', 'desc')
    .orderBy('r.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { rows, total: Number(count?.n ?? 0) };
}

export const personsByIds = (db: Trx, ids: readonly string[]) =>
  ids.length > 0 ? db.selectFrom('persons').selectAll().where('id', 'in', ids).execute() : Promise.resolve([]);

/** The grading of the reports linked to a case. */
export const caseReportGrades = (db: Trx, caseId: string) =>
  db
    .selectFrom('case_reports as cr')
    .innerJoin('reports as r', 'r.id', 'cr.report_id')
    .select(['r.id', 'r.reference', 'r.source_reliability', 'r.information_credibility'])
    .where('cr.case_id', '=', caseId)
    .execute();

/** Locations of the case's subjects (and records merged into them) verified by someone other than `notBy`. */
export async function verifiedLocationsNotBy(db: Trx, caseId: string, notBy: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM location_observations l
    JOIN persons p ON p.id = l.person_id
    JOIN case_subjects cs ON cs.person_id = p.id OR cs.person_id = p.merged_into
    WHERE cs.case_id = ${caseId} AND l.verified_at IS NOT NULL AND l.verified_by <> ${notBy}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

export async function caseHasWelfareScreening(db: Trx, caseId: string): Promise<boolean> {
  return (await db.selectFrom('welfare_screenings').select('id').where('case_id', '=', caseId).executeTakeFirst()) !== undefined;
}

/** Sets a case's status (its version raised); `clearReason` also clears the reason given for the one before. */
export async function setCaseStatus(
  db: Trx,
  caseId: string,
  status: 'referred' | 'active',
  now: Date,
  clearReason: boolean,
): Promise<void> {
  await db
    .updateTable('cases')
    .set({ status, ...(clearReason ? { status_reason: null } : {}), updated_at: now, version: sql`version + 1` })
    .where('id', '=', caseId)
    .execute();
}

// ——— What a referral packet (the PDF a field office receives) reads ———

export const fieldOfficeName = (db: Trx, code: string) =>
  db.selectFrom('field_offices').select('name').where('code', '=', code).executeTakeFirst();

/** The other names and the identifiers recorded for these person records. */
export async function namesAndIdentifiersOf(db: Trx, personIds: readonly string[]) {
  const [names, identifiers] = await Promise.all([
    db.selectFrom('person_names').selectAll().where('person_id', 'in', personIds).execute(),
    db.selectFrom('person_identifiers').selectAll().where('person_id', 'in', personIds).execute(),
  ]);
  return { names, identifiers };
}

/** The latest `limit` locations of these person records, each with the grading of the report it came from. */
export const locationsWithSourceOf = (db: Trx, personIds: readonly string[], limit: number) =>
  db
    .selectFrom('location_observations as l')
    .leftJoin('reports as r', 'r.id', 'l.report_id')
    .select([
      'l.line1',
      'l.city',
      'l.county',
      'l.state',
      'l.zip',
      'l.precision',
      'l.latitude',
      'l.longitude',
      'l.observed_at',
      'l.reported_at',
      'l.confidence',
      'l.verified_at',
      'r.reference',
      'r.source',
      'r.source_reliability',
      'r.information_credibility',
    ])
    .where('l.person_id', 'in', personIds)
    .orderBy('l.observed_at', 'desc')
    .limit(limit)
    .execute();

/** The content of a case's reports, oldest first: the reporter_* columns are not even selected. */
export const reportContentsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('case_reports as cr')
    .innerJoin('reports as r', 'r.id', 'cr.report_id')
    .select(['r.reference', 'r.source', 'r.source_reliability', 'r.information_credibility', 'r.received_at', 'r.language', 'r.narrative'])
    .where('cr.case_id', '=', caseId)
    .orderBy('r.received_at')
    .execute();

/** The latest review decision on a referral, if any. */
export const latestReviewEvent = (db: Trx, referralId: string) =>
  db
    .selectFrom('referral_events')
    .select(['kind', 'at'])
    .where('referral_id', '=', referralId)
    .where('kind', 'in', ['review_approved', 'review_denied'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
