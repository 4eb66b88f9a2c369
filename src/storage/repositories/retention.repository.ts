import { sql } from 'kysely';
import type { Db } from '../database.js';

/**
 * Retention purges (unsubstantiated tips past their retention days). Every statement here runs as the schema owner,
 * in a transaction that declared itself a purge (the only one the timeline triggers let delete).
 */

export type RetentionCounts = {
  cases: number;
  caseEvents: number;
  reports: number;
  locationObservations: number;
  personNames: number;
  personIdentifiers: number;
  persons: number;
  attachments: number;
  partnerSubmissions: number;
  calls: number;
  voicemails: number;
  recordings: number;
  callbacks: number;
};

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

/** Declares the transaction a purge: the timeline triggers let it delete. */
export async function declarePurge(trx: Db): Promise<void> {
  await sql`SET LOCAL switchboard.purge = 'on'`.execute(trx);
}

/**
 * Cases due: closed as unsubstantiated before the cutoff, not under legal hold. Never UAC cases (children's records)
 * nor cases with a referral (a record of an action taken).
 */
export async function purgeableCaseIds(db: Db, cutoff: Date): Promise<string[]> {
  return ids(
    await db
      .selectFrom('cases')
      .select('id')
      .where('status', '=', 'closed')
      .where('status_reason', '=', 'unsubstantiated')
      .where('closed_at', '<', cutoff)
      .where('legal_hold_reason', 'is', null)
      .where('unit', '!=', 'uac')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('referrals').select('id').whereRef('referrals.case_id', '=', 'cases.id'))),
      )
      .execute(),
  );
}

/**
 * Removes the cases, their timeline, the reports only they hold, their subjects' observations and names from those
 * reports, and persons known from nothing else; dispositions keep their outcome without the case. Returns what was
 * removed by kind and count, and the attachment files (by hash) no other attachment shares: the caller deletes them
 * after the commit.
 */
export type CaseCounts = Omit<RetentionCounts, 'calls' | 'voicemails' | 'recordings' | 'callbacks'>;

export async function purgeCases(trx: Db, caseIds: string[]): Promise<{ counts: CaseCounts; orphanBlobs: string[] }> {
  const counts: CaseCounts = {
    cases: 0,
    caseEvents: 0,
    reports: 0,
    locationObservations: 0,
    personNames: 0,
    personIdentifiers: 0,
    persons: 0,
    attachments: 0,
    partnerSubmissions: 0,
  };
  const orphanBlobs: string[] = [];
  if (caseIds.length > 0) {
    // Reports held only by the cases being purged.
    const reportIds = ids(
      await trx
        .selectFrom('case_reports as cr')
        .select('cr.report_id as id')
        .where('cr.case_id', 'in', caseIds)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('case_reports as other')
                .select('other.case_id')
                .whereRef('other.report_id', '=', 'cr.report_id')
                .where('other.case_id', 'not in', caseIds),
            ),
          ),
        )
        .execute(),
    );
    const subjectIds = [
      ...new Set([
        ...(await trx.selectFrom('case_subjects').select('person_id as id').where('case_id', 'in', caseIds).execute()).map((r) => r.id),
        ...(reportIds.length
          ? (await trx.selectFrom('report_subjects').select('person_id as id').where('report_id', 'in', reportIds).execute()).map(
              (r) => r.id,
            )
          : []),
      ]),
    ];
    const del = async (run: () => Promise<{ numDeletedRows: bigint }[]>) =>
      Number((await run()).reduce((n, r) => n + r.numDeletedRows, 0n));
    // What else points at the purged case and its reports: dispositions keep their outcome without the case, the
    // caller's number or notes; the partner submissions behind them (and their webhook deliveries) go.
    await trx
      .updateTable('contact_dispositions')
      .set({ case_id: null, report_id: null, notes: null, caller_number: null })
      .where((eb) => eb.or([eb('case_id', 'in', caseIds), ...(reportIds.length ? [eb('report_id', 'in', reportIds)] : [])]))
      .execute();
    const submissions = (await trx.selectFrom('partner_submissions').select('id').where('case_id', 'in', caseIds).execute()).map(
      (r) => r.id,
    );
    if (submissions.length > 0) {
      await trx.deleteFrom('webhook_deliveries').where('submission_id', 'in', submissions).execute();
      counts.partnerSubmissions = await del(() => trx.deleteFrom('partner_submissions').where('id', 'in', submissions).execute());
    }
    const hashes = (await trx.selectFrom('attachments').select('sha256').where('case_id', 'in', caseIds).execute()).map((r) => r.sha256);
    counts.attachments = await del(() => trx.deleteFrom('attachments').where('case_id', 'in', caseIds).execute());
    // Files no other attachment (nor a voicemail: the same store) shares go too, after the commit (a crash leaves an
    // unreferenced file, never a missing one).
    const stillUsed = new Set(
      hashes.length === 0
        ? []
        : [
            ...(await trx.selectFrom('attachments').select('sha256').where('sha256', 'in', hashes).execute()),
            ...(await trx.selectFrom('voicemails').select('sha256').where('sha256', 'in', hashes).execute()),
            ...(await trx.selectFrom('recordings').select('sha256').where('sha256', 'in', hashes).execute()),
          ].map((r) => r.sha256),
    );
    orphanBlobs.push(...new Set(hashes.filter((h) => !stillUsed.has(h))));
    counts.caseEvents = await del(() => trx.deleteFrom('case_events').where('case_id', 'in', caseIds).execute());
    await trx.deleteFrom('case_reports').where('case_id', 'in', caseIds).execute();
    await trx.deleteFrom('case_subjects').where('case_id', 'in', caseIds).execute();
    if (reportIds.length > 0) {
      counts.locationObservations = await del(() => trx.deleteFrom('location_observations').where('report_id', 'in', reportIds).execute());
      counts.personNames = await del(() => trx.deleteFrom('person_names').where('report_id', 'in', reportIds).execute());
      counts.personIdentifiers = await del(() => trx.deleteFrom('person_identifiers').where('report_id', 'in', reportIds).execute());
      // What the purged reports said about ages goes with them.
      await trx.deleteFrom('person_dob_assertions').where('report_id', 'in', reportIds).execute();
      await trx.deleteFrom('report_subjects').where('report_id', 'in', reportIds).execute();
      counts.reports = await del(() => trx.deleteFrom('reports').where('id', 'in', reportIds).execute());
    }
    counts.cases = await del(() => trx.deleteFrom('cases').where('id', 'in', caseIds).execute());
    // Persons known from nothing else any more.
    if (subjectIds.length > 0) {
      const { rows } = await sql<{ id: string }>`
      SELECT p.id FROM persons p WHERE p.id = ANY(${subjectIds}::uuid[])
        AND p.merged_into IS NULL
        AND NOT EXISTS (SELECT 1 FROM persons m WHERE m.merged_into = p.id)
        AND NOT EXISTS (SELECT 1 FROM case_subjects x WHERE x.person_id = p.id)
        AND NOT EXISTS (SELECT 1 FROM report_subjects x WHERE x.person_id = p.id)
        AND NOT EXISTS (SELECT 1 FROM location_observations x WHERE x.person_id = p.id)
        AND NOT EXISTS (SELECT 1 FROM person_merges x WHERE x.survivor_id = p.id OR x.merged_id = p.id)
        AND NOT EXISTS (SELECT 1 FROM legal_protections x WHERE x.person_id = p.id)
        AND NOT EXISTS (SELECT 1 FROM custody_decisions x WHERE x.person_id = p.id)
        AND NOT EXISTS (SELECT 1 FROM welfare_screenings x WHERE x.person_id = p.id)`.execute(trx);
      const orphans = rows.map((r) => r.id);
      if (orphans.length > 0) {
        await trx.deleteFrom('person_names').where('person_id', 'in', orphans).execute();
        await trx.deleteFrom('person_dob_assertions').where('person_id', 'in', orphans).execute();
        await trx.deleteFrom('age_determinations').where('person_id', 'in', orphans).execute();
        await trx.deleteFrom('person_identifiers').where('person_id', 'in', orphans).execute();
        counts.persons = await del(() => trx.deleteFrom('persons').where('id', 'in', orphans).execute());
      }
    }
  }
  return { counts, orphanBlobs };
}

export async function setCaseLegalHold(
  db: Db,
  caseId: string,
  hold: { reason: string | null; by: string | null },
  now: Date,
): Promise<void> {
  await db
    .updateTable('cases')
    .set({ legal_hold_reason: hold.reason, legal_hold_by: hold.by, updated_at: now, version: sql`version + 1` })
    .where('id', '=', caseId)
    .execute();
}

/**
 * Call records, voicemails and finished callbacks past their days (issue #19). Kept: the UAC unit's (children's
 * records, as their cases are), anything that led to a case under legal hold (through the contact's disposition or
 * the voicemail's case), calls with a voicemail still kept, and calls with a callback still owed. Returns the
 * counts and the voicemail audio no row points at any more (to remove from the store after commit).
 */
export async function purgeCallRecords(
  trx: Db,
  cutoffs: { calls: Date; voicemails: Date; recordings: Date },
): Promise<{ calls: number; voicemails: number; recordings: number; callbacks: number; orphanBlobs: string[] }> {
  const held = sql`SELECT d.task_id FROM contact_dispositions d JOIN cases k ON k.id = d.case_id WHERE k.legal_hold_reason IS NOT NULL`;
  const voicemails = await sql<{ sha256: string }>`
    DELETE FROM voicemails v
    WHERE v.created_at < ${cutoffs.voicemails} AND v.unit = 'general'
      AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.id = v.case_id AND k.legal_hold_reason IS NOT NULL)
      AND (v.task_id IS NULL OR v.task_id NOT IN (${held}))
      AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = v.call_id AND c.task_id IN (${held}))
    RETURNING v.sha256`.execute(trx);
  const recordings = await sql<{ sha256: string }>`
    DELETE FROM recordings r
    WHERE r.created_at < ${cutoffs.recordings} AND r.unit = 'general'
      AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = r.call_id AND (c.task_id IN (${held}) OR c.callback_task_id IN (${held})))
    RETURNING r.sha256`.execute(trx);
  const calls = await sql<{ id: string }>`
    DELETE FROM calls c
    WHERE c.ended_at < ${cutoffs.calls} AND c.unit = 'general'
      AND NOT EXISTS (SELECT 1 FROM voicemails v WHERE v.call_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM callbacks b WHERE b.call_id = c.id AND b.status IN ('queued', 'dialing', 'scheduled'))
      AND (c.task_id IS NULL OR c.task_id NOT IN (${held}))
      AND (c.callback_task_id IS NULL OR c.callback_task_id NOT IN (${held}))
    RETURNING c.id`.execute(trx);
  // A finished callback whose call is gone (its number with it), or which never had one, past the same days.
  const callbacks = await sql<{ id: string }>`
    DELETE FROM callbacks b
    WHERE b.call_id IS NULL AND b.unit = 'general' AND b.status IN ('completed', 'closed', 'exhausted') AND b.updated_at < ${cutoffs.calls}
    RETURNING b.id`.execute(trx);
  const hashes = [...new Set([...voicemails.rows, ...recordings.rows].map((r) => r.sha256))];
  const orphans =
    hashes.length === 0
      ? []
      : (
          await sql<{ sha256: string }>`
            SELECT h AS sha256 FROM unnest(${hashes}::text[]) AS h
            WHERE NOT EXISTS (SELECT 1 FROM voicemails v WHERE v.sha256 = h)
              AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.sha256 = h)
              AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = h)`.execute(trx)
        ).rows.map((r) => r.sha256);
  return {
    calls: calls.rows.length,
    voicemails: voicemails.rows.length,
    recordings: recordings.rows.length,
    callbacks: callbacks.rows.length,
    orphanBlobs: orphans,
  };
}
