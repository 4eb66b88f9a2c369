import { rm } from 'node:fs/promises';
import { sql, type Transaction } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import type { Database } from '../storage/schema.js';
import { blobPath } from './attachment.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import { getSetting } from './safeguard-settings.service.js';

/**
 * Retention: tips closed as unsubstantiated are purged after a set number of
 * days (a two-person safeguard setting, default 180) unless under legal hold.
 * A purge removes the case, its timeline, the reports only it holds, their
 * subjects' observations and names from those reports, and persons known from
 * nothing else. Kept, always: UAC cases (children's records), cases with a
 * referral (a record of an action taken), and the audit log (≥ 1 year; never
 * purged here). The purge is audited by kind and count, never by content.
 *
 * It runs as the schema owner (the only role the timeline triggers let delete,
 * and only in a transaction that declares itself a purge).
 */

type Trx = Transaction<Database>;

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
};

export type RetentionResult = { dryRun: boolean; retentionDays: number; cutoff: string; counts: RetentionCounts };

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

async function purgeable(trx: Trx | Db, cutoff: Date): Promise<string[]> {
  return ids(
    await trx
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

/** Purges what the schedule says is due. `owner` must be a connection as the schema owner. */
export async function runRetention(
  owner: Db,
  ctx: RequestContext,
  options: { dryRun: boolean; attachmentsDir?: string | undefined },
): Promise<RetentionResult> {
  const retentionDays = await getSetting(owner, 'unsubstantiated_retention_days');
  const cutoff = new Date(ctx.now.getTime() - retentionDays * 86_400_000);
  const orphanBlobs: string[] = [];
  const result = await owner
    .transaction()
    .execute(async (trx) => {
      await sql`SET LOCAL switchboard.purge = 'on'`.execute(trx);
      const caseIds = await purgeable(trx, cutoff);
      const counts: RetentionCounts = {
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
        const hashes = (await trx.selectFrom('attachments').select('sha256').where('case_id', 'in', caseIds).execute()).map(
          (r) => r.sha256,
        );
        counts.attachments = await del(() => trx.deleteFrom('attachments').where('case_id', 'in', caseIds).execute());
        // Files no other attachment shares go too, after the commit (a crash leaves an unreferenced file, never a missing one).
        const stillUsed = new Set(
          hashes.length === 0
            ? []
            : (await trx.selectFrom('attachments').select('sha256').where('sha256', 'in', hashes).execute()).map((r) => r.sha256),
        );
        orphanBlobs.push(...new Set(hashes.filter((h) => !stillUsed.has(h))));
        counts.caseEvents = await del(() => trx.deleteFrom('case_events').where('case_id', 'in', caseIds).execute());
        await trx.deleteFrom('case_reports').where('case_id', 'in', caseIds).execute();
        await trx.deleteFrom('case_subjects').where('case_id', 'in', caseIds).execute();
        if (reportIds.length > 0) {
          counts.locationObservations = await del(() =>
            trx.deleteFrom('location_observations').where('report_id', 'in', reportIds).execute(),
          );
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
      // A dry run does the same work and then rolls it back; only its audit entry (below) stays.
      if (options.dryRun) throw new DryRun({ dryRun: true, retentionDays, cutoff: cutoff.toISOString(), counts });
      await appendAudit(trx, ctx, {
        action: 'retention.purge',
        outcome: 'allowed',
        resourceType: 'retention',
        details: { schedule: 'unsubstantiated_tips', retentionDays, cutoff: cutoff.toISOString(), counts },
      });
      return { dryRun: false, retentionDays, cutoff: cutoff.toISOString(), counts };
    })
    .catch(async (error: unknown) => {
      if (!(error instanceof DryRun)) throw error;
      await owner.transaction().execute((trx) =>
        appendAudit(trx, ctx, {
          action: 'retention.dry_run',
          outcome: 'allowed',
          resourceType: 'retention',
          details: { schedule: 'unsubstantiated_tips', retentionDays, cutoff: cutoff.toISOString(), counts: error.result.counts },
        }),
      );
      return error.result;
    });
  if (options.attachmentsDir && !result.dryRun) {
    const dir = options.attachmentsDir;
    await Promise.all(orphanBlobs.map((h) => rm(blobPath(dir, h), { force: true })));
  }
  return result;
}

class DryRun extends Error {
  constructor(readonly result: RetentionResult) {
    super('dry run');
  }
}

/** A legal hold keeps a case from every purge until lifted; both are on the timeline and audited. */
export async function setLegalHold(db: Db, ctx: RequestContext & { actor: Actor }, caseId: string, reason: string | null): Promise<void> {
  const actorId = staffOnly(ctx.actor, 'Only staff set legal holds.').userId;
  await withCase(db, ctx, caseId, 'case.legal_hold', async (trx) => {
    await trx
      .updateTable('cases')
      .set({ legal_hold_reason: reason, legal_hold_by: reason ? actorId : null, updated_at: ctx.now, version: sql`version + 1` })
      .where('id', '=', caseId)
      .execute();
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId,
      kind: reason ? 'legal_hold_set' : 'legal_hold_lifted',
      details: reason ? { reason } : {},
    });
    await appendAudit(trx, ctx, {
      action: reason ? 'case.legal_hold' : 'case.legal_hold_lift',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
    });
  });
}
