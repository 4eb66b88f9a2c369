import { type RawBuilder, type Selectable, sql, type Updateable } from 'kysely';
import { type CenterClock, centerToday, yearOf } from '../../domain/calendar/calendar-day.js';
import { formatReference } from '../../domain/cases/case-workflow.js';
import type { Geocode } from '../../domain/geo/geocoder.js';
import { fold } from '../../domain/matching/names.js';
import type { Trx } from '../database.js';
import { likeLiteral } from '../like.js';
import type { CasesTable } from '../schema.js';

export type CaseRow = Selectable<CasesTable>;

const SEQUENCES = { C: 'case_number_seq', R: 'report_number_seq', F: 'referral_number_seq', Q: 'partner_request_number_seq' } as const;

/** The next case (C), report (R), referral (F) or partner request (Q) reference, e.g. "C-2026-000042". */
/** The next reference of a kind, in the year of the center's calendar (C-2026-… until midnight in Nashville, not UTC). */
export async function nextReference(db: Trx, prefix: keyof typeof SEQUENCES, clock: CenterClock): Promise<string> {
  const seq = SEQUENCES[prefix];
  const { rows } = await sql<{ n: string }>`SELECT nextval(${seq}) AS n`.execute(db);
  return formatReference(prefix, yearOf(centerToday(clock)), rows[0]?.n ?? '0');
}

export async function addCaseEvent(
  db: Trx,
  event: { caseId: string; at: Date; actorId: string | null; kind: string; details?: Record<string, unknown> },
): Promise<void> {
  await db
    .insertInto('case_events')
    .values({
      case_id: event.caseId,
      at: event.at,
      actor_id: event.actorId,
      actor_system: null,
      kind: event.kind,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

/** A record and every record merged into it (directly or through another merged record). */
export async function personCluster(db: Trx, personId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    WITH RECURSIVE cluster(id) AS (
      SELECT ${personId}::uuid
      UNION
      SELECT p.id FROM persons p JOIN cluster c ON p.merged_into = c.id
    ) SELECT id FROM cluster`.execute(db);
  return rows.map((r) => r.id);
}

/** The record a merged record now lives in (itself if it is not merged). */
export async function survivorOf(db: Trx, personId: string): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    WITH RECURSIVE up(id, merged_into, depth) AS (
      SELECT id, merged_into, 0 FROM persons WHERE id = ${personId}::uuid
      UNION ALL
      SELECT p.id, p.merged_into, up.depth + 1 FROM persons p JOIN up ON p.id = up.merged_into WHERE up.depth < 50
    ) SELECT id FROM up WHERE merged_into IS NULL`.execute(db);
  return rows[0]?.id ?? personId;
}

/** A location observation from a geocode, with its provenance: the report it came from and its area of responsibility. */
export async function insertObservation(
  db: Trx,
  o: {
    personId: string;
    geo: Geocode;
    aorOfficeCode: string | null;
    source: string;
    reportId: string;
    confidence: 'low' | 'medium' | 'high';
    observedAt: Date;
    reportedAt: Date;
  },
): Promise<string> {
  const row = await db
    .insertInto('location_observations')
    .values({
      person_id: o.personId,
      line1: o.geo.line1,
      city: o.geo.city,
      county: o.geo.county,
      state: o.geo.state,
      zip: o.geo.zip,
      latitude: o.geo.latitude,
      longitude: o.geo.longitude,
      precision: o.geo.precision,
      geocoder: o.geo.geocoder,
      aor_office_code: o.aorOfficeCode,
      source: o.source,
      report_id: o.reportId,
      confidence: o.confidence,
      observed_at: o.observedAt,
      reported_at: o.reportedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The case row, locked for update when `lock` (a change reads it, checks its version, then writes it). */
export async function findCase(db: Trx, caseId: string, lock = false): Promise<CaseRow | undefined> {
  let query = db.selectFrom('cases').selectAll().where('id', '=', caseId);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function caseSubjectIds(db: Trx, caseId: string): Promise<string[]> {
  const rows = await db.selectFrom('case_subjects').select('person_id').where('case_id', '=', caseId).execute();
  return rows.map((r) => r.person_id);
}

/** The case's subjects with their names and dates of birth. */
export const caseSubjectsWithPersons = (db: Trx, caseId: string) =>
  db
    .selectFrom('case_subjects as cs')
    .innerJoin('persons as p', 'p.id', 'cs.person_id')
    .select(['cs.person_id', 'cs.role', 'p.given_names', 'p.family_name_1', 'p.family_name_2', 'p.dob', 'p.dob_basis'])
    .where('cs.case_id', '=', caseId)
    .execute();

/** The reports linked to the case, oldest first. */
export const caseReports = (db: Trx, caseId: string) =>
  db
    .selectFrom('case_reports as cr')
    .innerJoin('reports as r', 'r.id', 'cr.report_id')
    .selectAll('r')
    .where('cr.case_id', '=', caseId)
    .orderBy('r.received_at')
    .execute();

/** Locations of these persons and of records merged into them, newest first (at most 200). */
export const locationsOfPersonsAndMerged = (db: Trx, personIds: readonly string[]) =>
  db
    .selectFrom('location_observations')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('person_id', 'in', personIds),
        eb('person_id', 'in', eb.selectFrom('persons').select('id').where('merged_into', 'in', personIds)),
      ]),
    )
    .orderBy('observed_at', 'desc')
    .limit(200)
    .execute();

export const caseReferralSummaries = (db: Trx, caseId: string) =>
  db
    .selectFrom('referrals')
    .select(['id', 'reference', 'status', 'field_office_code', 'purpose'])
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .execute();

export const caseAttachments = (db: Trx, caseId: string) =>
  db.selectFrom('attachments').selectAll().where('case_id', '=', caseId).orderBy('created_at').execute();

/** The tasks (calls, voicemails) the case's reports were taken from: an intake keeps its task's id as `call_id`. */
const reportTaskIds = (db: Trx, caseId: string) =>
  db
    .selectFrom('case_reports as cr')
    .innerJoin('reports as r', 'r.id', 'cr.report_id')
    .select('r.call_id')
    .where('cr.case_id', '=', caseId)
    .where('r.call_id', 'is not', null);

/** The recordings of the calls a case's reports were taken on, oldest first (no audio: what can be played). */
export const caseRecordings = (db: Trx, caseId: string) =>
  db
    .selectFrom('recordings as rec')
    .innerJoin('calls as c', 'c.id', 'rec.call_id')
    .select(['rec.id', 'rec.call_id', 'rec.duration_ms', 'rec.created_at', 'c.line', 'c.direction'])
    .where((eb) => eb.or([eb('c.task_id', 'in', reportTaskIds(db, caseId)), eb('c.callback_task_id', 'in', reportTaskIds(db, caseId))]))
    .orderBy('rec.created_at')
    .limit(100)
    .execute();

/** The voicemails worked into a case, or a report of the case was taken from, oldest first. */
export const caseVoicemails = (db: Trx, caseId: string) =>
  db
    .selectFrom('voicemails')
    .select(['id', 'duration_ms', 'created_at', 'line', 'language'])
    .where((eb) => eb.or([eb('case_id', '=', caseId), eb('task_id', 'in', reportTaskIds(db, caseId))]))
    .orderBy('created_at')
    .limit(100)
    .execute();

export const caseTimeline = (db: Trx, caseId: string) =>
  db.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('id').execute();

/** What a case search filters on, already checked and normalized by the service. */
export type CaseSearchFilters = {
  includeUac: boolean;
  status?: Selectable<CasesTable>['status'] | undefined;
  type?: Selectable<CasesTable>['type'] | undefined;
  aor?: string | undefined;
  assigneeId?: string | null | undefined;
  text?: string | undefined;
  phone?: string | undefined;
  /** Whether a reporter's phone matches too (only for viewers who may see reporters). */
  phoneOfReporters: boolean;
  address?: string | undefined;
  sort?: 'created' | 'priority' | 'updated' | undefined;
  page: number;
  pageSize: number;
};

/** A page of cases matching the filters, and how many match in all. */
export async function searchCaseRows(db: Trx, f: CaseSearchFilters): Promise<{ cases: CaseRow[]; total: number }> {
  /** The cases with a subject (persons as p) for whom the predicate holds. */
  const casesWithSubject = (predicate: RawBuilder<boolean>) =>
    db.selectFrom('case_subjects as cs').innerJoin('persons as p', 'p.id', 'cs.person_id').select('cs.case_id').where(predicate);
  let q = db.selectFrom('cases').selectAll();
  if (!f.includeUac) q = q.where('unit', '!=', 'uac');
  if (f.status) q = q.where('status', '=', f.status);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.aor) q = q.where('aor_office_code', '=', f.aor);
  if (f.assigneeId !== undefined) q = q.where('assignee_id', '=', f.assigneeId);
  if (f.text) {
    const text = f.text;
    const folded = fold(text);
    q = q.where((eb) =>
      eb.or([
        eb('case_number', '=', text.toUpperCase()),
        eb(sql`lower(summary)`, 'like', `%${likeLiteral(text.toLowerCase())}%`),
        eb('id', 'in', casesWithSubject(sql<boolean>`p.search_name % ${folded}`)),
      ]),
    );
  }
  if (f.phone) {
    const phone = f.phone;
    q = q.where((eb) =>
      eb.or([
        eb('id', 'in', casesWithSubject(sql<boolean>`p.phones @> ARRAY[${phone}]::text[]`)),
        ...(f.phoneOfReporters
          ? [
              eb(
                'id',
                'in',
                eb
                  .selectFrom('case_reports as cr')
                  .innerJoin('reports as r', 'r.id', 'cr.report_id')
                  .select('cr.case_id')
                  .where('r.reporter_phone', '=', phone),
              ),
            ]
          : []),
      ]),
    );
  }
  if (f.address) {
    const needle = f.address.toLowerCase();
    const like = `%${likeLiteral(needle)}%`;
    q = q.where(
      'id',
      'in',
      db
        .selectFrom('case_subjects as cs')
        .innerJoin('location_observations as l', 'l.person_id', 'cs.person_id')
        .select('cs.case_id')
        .where((eb) => eb.or([eb(sql`lower(l.line1)`, 'like', like), eb(sql`lower(l.city)`, 'like', like), eb('l.zip', '=', needle)])),
    );
  }
  const countRow = await q
    .clearSelect()
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirst();
  const order =
    f.sort === 'created'
      ? sql`created_at DESC`
      : f.sort === 'priority'
        ? sql`array_position(ARRAY['urgent','high','normal','low']::text[], priority), updated_at DESC`
        : sql`updated_at DESC`;
  const cases = await q
    .orderBy(order)
    .orderBy('id')
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize)
    .execute();
  return { cases, total: Number(countRow?.n ?? 0) };
}

/** A staff member's id and whether they are disabled (for assigning a case). */
export const findUserForAssignment = (db: Trx, userId: string) =>
  db.selectFrom('users').select(['id', 'disabled_at']).where('id', '=', userId).executeTakeFirst();

export async function fieldOfficeExists(db: Trx, code: string): Promise<boolean> {
  const office = await db.selectFrom('field_offices').select('code').where('code', '=', code).executeTakeFirst();
  return office !== undefined;
}

/** Writes the changes if the case is still at `version`, and moves it to the next version. */
export const updateCaseAtVersion = (db: Trx, caseId: string, version: number, changes: Updateable<CasesTable>, now: Date) =>
  db
    .updateTable('cases')
    .set({ ...changes, updated_at: now, version: sql`version + 1` })
    .where('id', '=', caseId)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirstOrThrow();

/** Marks the case changed (a note on its timeline): a new version, a new updated_at. */
export async function touchCase(db: Trx, caseId: string, now: Date): Promise<void> {
  await db.updateTable('cases').set({ updated_at: now, version: sql`version + 1` }).where('id', '=', caseId).execute();
}

/** The cases these persons are subjects of, each once. */
export async function caseIdsOfPersons(db: Trx, personIds: readonly string[]): Promise<string[]> {
  const rows = await db.selectFrom('case_subjects').select('case_id').where('person_id', 'in', personIds).execute();
  return [...new Set(rows.map((r) => r.case_id))];
}

/** The units of the cases a person is a subject of. */
export async function unitsOfPersonCases(db: Trx, personId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('case_subjects as cs')
    .innerJoin('cases as c', 'c.id', 'cs.case_id')
    .select('c.unit')
    .where('cs.person_id', '=', personId)
    .execute();
  return rows.map((r) => r.unit);
}

export const findLocationForUpdate = (db: Trx, locationId: string) =>
  db.selectFrom('location_observations').selectAll().where('id', '=', locationId).forUpdate().executeTakeFirst();

export async function markLocationVerified(db: Trx, locationId: string, by: string, at: Date, note: string): Promise<void> {
  await db
    .updateTable('location_observations')
    .set({ verified_by: by, verified_at: at, verification_note: note })
    .where('id', '=', locationId)
    .execute();
}
