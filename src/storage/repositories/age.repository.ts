import { sql } from 'kysely';
import type { Db } from '../database.js';

/**
 * Date-of-birth assertions and age determinations (migration 0020). Rows are
 * added, never changed: the history of who said what about a person's age is
 * the evidence a legal reviewer weighs.
 */

export type DobAssertionRow = {
  id: string;
  person_id: string;
  dob: string | null;
  dob_basis: 'exact' | 'estimated' | 'claimed' | 'unknown';
  report_id: string | null;
  report_reference: string | null;
  report_source: string | null;
  recorded_at: Date;
};

export type AgeDeterminationRow = {
  id: string;
  person_id: string;
  dob: string;
  basis: 'documents' | 'age_assessment' | 'court_finding';
  evidence: string;
  determined_by: string;
  determined_by_name: string | null;
  determined_at: Date;
};

export async function addDobAssertion(
  db: Db,
  a: {
    personId: string;
    dob: string | null;
    basis: DobAssertionRow['dob_basis'];
    reportId: string | null;
    recordedBy: string | null;
    at: Date;
  },
): Promise<void> {
  await db
    .insertInto('person_dob_assertions')
    .values({
      person_id: a.personId,
      dob: a.dob,
      dob_basis: a.basis,
      report_id: a.reportId,
      recorded_by: a.recordedBy,
      recorded_at: a.at,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Every assertion on these records, oldest first, with the report that made it. */
export function dobAssertionsOf(db: Db, personIds: readonly string[]): Promise<DobAssertionRow[]> {
  if (personIds.length === 0) return Promise.resolve([]);
  return (
    db
      .selectFrom('person_dob_assertions as a')
      // A record's own date of birth (no report of its own) came with the first report about the record, if any.
      .leftJoin('reports as r', (join) =>
        join.on((eb) =>
          eb(
            'r.id',
            '=',
            eb.fn.coalesce(
              'a.report_id',
              eb
                .selectFrom('report_subjects as rs')
                .innerJoin('reports as r0', 'r0.id', 'rs.report_id')
                .select('rs.report_id')
                .whereRef('rs.person_id', '=', 'a.person_id')
                .orderBy('r0.received_at')
                .orderBy('r0.id')
                .limit(1),
            ),
          ),
        ),
      )
      .select([
        'a.id',
        'a.person_id',
        'a.dob',
        'a.dob_basis',
        'r.id as report_id',
        'r.reference as report_reference',
        'r.source as report_source',
        'a.recorded_at',
      ])
      .where('a.person_id', 'in', personIds)
      .orderBy('a.recorded_at')
      .orderBy('a.seq')
      .execute()
  );
}

/** Every determination on these records, oldest first. */
export function ageDeterminationsOf(db: Db, personIds: readonly string[]): Promise<AgeDeterminationRow[]> {
  if (personIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('age_determinations as d')
    .leftJoin('users as u', 'u.id', 'd.determined_by')
    .select([
      'd.id',
      'd.person_id',
      'd.dob',
      'd.basis',
      'd.evidence',
      'd.determined_by',
      'u.display_name as determined_by_name',
      'd.determined_at',
    ])
    .where('d.person_id', 'in', personIds)
    .orderBy('d.determined_at')
    .orderBy('d.id')
    .execute();
}

export async function insertAgeDetermination(
  db: Db,
  d: { personId: string; dob: string; basis: AgeDeterminationRow['basis']; evidence: string; by: string; at: Date },
): Promise<string> {
  const row = await db
    .insertInto('age_determinations')
    .values({ person_id: d.personId, dob: d.dob, basis: d.basis, evidence: d.evidence, determined_by: d.by, determined_at: d.at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * For each of these records, every record of the person it belongs to: up to
 * the surviving record, then down to everything merged into it at any depth.
 */
export async function clustersOf(db: Db, personIds: readonly string[]): Promise<Map<string, string[]>> {
  const clusters = new Map<string, string[]>(personIds.map((id) => [id, []]));
  if (personIds.length === 0) return clusters;
  const { rows } = await sql<{ start: string; id: string }>`
    WITH RECURSIVE up(start, id, merged_into, depth) AS (
      SELECT p.id, p.id, p.merged_into, 0 FROM persons p WHERE p.id = ANY(${[...personIds]}::uuid[])
      UNION ALL
      SELECT up.start, p.id, p.merged_into, up.depth + 1 FROM persons p JOIN up ON p.id = up.merged_into WHERE up.depth < 50
    ), down(start, id) AS (
      SELECT start, id FROM up WHERE merged_into IS NULL
      UNION
      SELECT d.start, p.id FROM persons p JOIN down d ON p.merged_into = d.id
    ) SELECT start, id FROM down`.execute(db);
  for (const r of rows) clusters.get(r.start)?.push(r.id);
  for (const [id, members] of clusters) if (members.length === 0) members.push(id);
  return clusters;
}

/**
 * Of these records, the ones that are the UAC unit's need-to-know: a person
 * recorded as unaccompanied, or on a UAC case — by any record of their cluster.
 */
export async function uacUnitPersons(db: Db, personIds: readonly string[]): Promise<Set<string>> {
  const clusters = await clustersOf(db, personIds);
  const all = [...new Set([...clusters.values()].flat())];
  if (all.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    SELECT p.id FROM persons p WHERE p.id = ANY(${all}::uuid[]) AND p.unaccompanied
    UNION
    SELECT cs.person_id FROM case_subjects cs JOIN cases c ON c.id = cs.case_id
     WHERE cs.person_id = ANY(${all}::uuid[]) AND c.unit = 'uac'`.execute(db);
  const flagged = new Set(rows.map((r) => r.id));
  return new Set([...clusters].filter(([, members]) => members.some((m) => flagged.has(m))).map(([id]) => id));
}
