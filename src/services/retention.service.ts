import { rm } from 'node:fs/promises';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import {
  declarePurge,
  purgeableCaseIds,
  purgeCallRecords,
  purgeCases,
  type RetentionCounts,
  setCaseLegalHold,
} from '../storage/repositories/retention.repository.js';
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
 * Call records have their own schedule (call_record_retention_days, default 365; voicemails' audio
 * voicemail_retention_days and recordings recording_retention_days, default 90 each): see purgeCallRecords for what is kept.
 *
 * It runs as the schema owner (the only role the timeline triggers let delete,
 * and only in a transaction that declares itself a purge).
 */

export type { RetentionCounts };

export type RetentionResult = {
  dryRun: boolean;
  retentionDays: number;
  cutoff: string;
  /** The call records' schedule: calls (and finished callbacks) and voicemails, each with its days and cutoff. */
  calls: { retentionDays: number; cutoff: string };
  voicemails: { retentionDays: number; cutoff: string };
  recordings: { retentionDays: number; cutoff: string };
  counts: RetentionCounts;
};

/** Purges what the schedule says is due. `owner` must be a connection as the schema owner. */
export async function runRetention(
  owner: Db,
  ctx: RequestContext,
  options: { dryRun: boolean; attachmentsDir?: string | undefined },
): Promise<RetentionResult> {
  const retentionDays = await getSetting(owner, 'unsubstantiated_retention_days');
  const cutoff = new Date(ctx.now.getTime() - retentionDays * 86_400_000);
  const callDays = await getSetting(owner, 'call_record_retention_days');
  const voicemailDays = await getSetting(owner, 'voicemail_retention_days');
  const recordingDays = await getSetting(owner, 'recording_retention_days');
  const recordingCutoff = new Date(ctx.now.getTime() - recordingDays * 86_400_000);
  const callCutoff = new Date(ctx.now.getTime() - callDays * 86_400_000);
  const voicemailCutoff = new Date(ctx.now.getTime() - voicemailDays * 86_400_000);
  const schedules = {
    calls: { retentionDays: callDays, cutoff: callCutoff.toISOString() },
    voicemails: { retentionDays: voicemailDays, cutoff: voicemailCutoff.toISOString() },
    recordings: { retentionDays: recordingDays, cutoff: recordingCutoff.toISOString() },
  };
  const orphanBlobs: string[] = [];
  const result = await owner
    .transaction()
    .execute(async (trx) => {
      await declarePurge(trx);
      const caseIds = await purgeableCaseIds(trx, cutoff);
      const { counts: caseCounts, orphanBlobs: orphans } = await purgeCases(trx, caseIds);
      orphanBlobs.push(...orphans);
      const calls = await purgeCallRecords(trx, { calls: callCutoff, voicemails: voicemailCutoff, recordings: recordingCutoff });
      orphanBlobs.push(...calls.orphanBlobs);
      const counts: RetentionCounts = {
        ...caseCounts,
        calls: calls.calls,
        voicemails: calls.voicemails,
        recordings: calls.recordings,
        callbacks: calls.callbacks,
      };
      // A dry run does the same work and then rolls it back; only its audit entry (below) stays.
      if (options.dryRun) throw new DryRun({ dryRun: true, retentionDays, cutoff: cutoff.toISOString(), ...schedules, counts });
      await appendAudit(trx, ctx, {
        action: 'retention.purge',
        outcome: 'allowed',
        resourceType: 'retention',
        details: { schedule: 'unsubstantiated_tips', retentionDays, cutoff: cutoff.toISOString(), ...schedules, counts },
      });
      return { dryRun: false, retentionDays, cutoff: cutoff.toISOString(), ...schedules, counts };
    })
    .catch(async (error: unknown) => {
      if (!(error instanceof DryRun)) throw error;
      await owner.transaction().execute((trx) =>
        appendAudit(trx, ctx, {
          action: 'retention.dry_run',
          outcome: 'allowed',
          resourceType: 'retention',
          details: {
            schedule: 'unsubstantiated_tips',
            retentionDays,
            cutoff: cutoff.toISOString(),
            ...schedules,
            counts: error.result.counts,
          },
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
    await setCaseLegalHold(trx, caseId, { reason, by: reason ? actorId : null }, ctx.now);
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
