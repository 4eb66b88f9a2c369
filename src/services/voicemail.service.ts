import type { Transaction } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { auditPurpose, checkPurpose, type PurposeCode } from '../domain/safeguards/purpose.js';
import type { Db } from '../storage/database.js';
import * as repo from '../storage/repositories/callback.repository.js';
import type { Database } from '../storage/schema.js';
import { readBlob } from './attachment.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { RoutingService } from './routing.service.js';

/**
 * Voicemail as work. Every message a caller leaves (after hours, on overflow, by choice) is a task in the queue
 * of the line and language it came from, with its audio stored by content. It is played by staff allowed to
 * (voicemail:play) of a unit they may read, and every play is audited with its purpose: for the agent who has the
 * voicemail's task in hand, working that task is the purpose (recorded as such); anyone else states one, as for a
 * child's record. The file is checked against its hash on the way out.
 */

type ActorCtx = RequestContext & { actor: Actor };

export type VoicemailView = {
  id: string;
  callId: string;
  line: string;
  unit: 'general' | 'uac';
  language: string;
  durationMs: number;
  sizeBytes: number;
  taskId: string | null;
  status: 'new' | 'worked';
  caseId: string | null;
  createdAt: string;
};

const view = (r: repo.VoicemailRow): VoicemailView => ({
  id: r.id,
  callId: r.call_id,
  line: r.line,
  unit: r.unit,
  language: r.language,
  durationMs: r.duration_ms,
  sizeBytes: r.size_bytes,
  taskId: r.task_id,
  status: r.status,
  caseId: r.case_id,
  createdAt: r.created_at.toISOString(),
});

/** The voicemail of a task (what the desktop shows for a voicemail in hand); a unit the viewer may not read is not found. */
export async function voicemailOfTask(db: Db, ctx: ActorCtx, taskId: string): Promise<VoicemailView> {
  const row = await repo.findVoicemailByTask(db, taskId);
  if (!row || !mayReadUnit(ctx.actor, row.unit)) throw new AppError('not_found', 'This task has no voicemail.');
  return view(row);
}

/**
 * The audio of a voicemail, audited with its purpose: the task in hand, or a stated purpose code and words. A
 * voicemail of a unit the viewer may not read is answered exactly like a missing one (the refusal audited).
 */
export async function playVoicemail(
  deps: { db: Db; routing: RoutingService; dir: string },
  ctx: ActorCtx,
  id: string,
  stated: { code?: PurposeCode | undefined; text?: string | undefined },
): Promise<{ row: repo.VoicemailRow; content: Buffer }> {
  staffOnly(ctx.actor, 'Only staff play voicemails.');
  return deps.db
    .transaction()
    .execute(async (trx) => {
      const row = await repo.findVoicemail(trx, id);
      if (!row || !mayReadUnit(ctx.actor, row.unit)) {
        if (row)
          await appendAudit(trx, ctx, {
            action: 'voicemail.play',
            outcome: 'denied',
            resourceType: 'voicemail',
            resourceId: id,
            details: { rule: 'need_to_know', unit: row.unit },
          });
        return { error: new AppError('not_found', 'There is no such voicemail.') };
      }
      let purpose: string;
      if (deps.routing.inHand(ctx.actor, row.task_id, ['wrapping'])) purpose = `task_in_hand: working voicemail task ${row.task_id}`;
      else {
        const checked = checkPurpose(stated.code, stated.text);
        if (!('purpose' in checked)) {
          await appendAudit(trx, ctx, {
            action: 'voicemail.play',
            outcome: 'denied',
            resourceType: 'voicemail',
            resourceId: id,
            details: { rule: 'purpose_required' },
          });
          return {
            error: new AppError(
              'purpose_required',
              'Playing a voicemail that is not in your hands needs a purpose: purposeCode and purpose in words.',
              {
                issues: checked.issues,
              },
            ),
          };
        }
        purpose = auditPurpose(checked.purpose);
      }
      const content = await readBlob(deps.dir, row.sha256, `voicemail ${row.id}`);
      await appendAudit(trx, ctx, {
        action: 'voicemail.play',
        outcome: 'allowed',
        resourceType: 'voicemail',
        resourceId: id,
        purpose,
        details: { callId: row.call_id, durationMs: row.duration_ms },
      });
      return { row, content };
    })
    .then((result) => {
      // The refusal's audit commits with its transaction; the error is thrown after.
      if ('error' in result) throw result.error;
      return result;
    });
}

/** The voicemail of a task in hand is worked (its disposition saved), with the case it led to when given. */
export async function voicemailWorked(trx: Transaction<Database>, ctx: ActorCtx, taskId: string, caseId: string | null): Promise<void> {
  const row = await repo.findVoicemailByTask(trx, taskId);
  if (!row || ctx.actor.kind !== 'user') return;
  await repo.markVoicemailWorked(trx, row.id, ctx.actor.userId, ctx.now, caseId);
  await appendAudit(trx, ctx, {
    action: 'voicemail.worked',
    outcome: 'allowed',
    resourceType: 'voicemail',
    resourceId: row.id,
    details: { taskId, ...(caseId ? { caseId } : {}) },
  });
}

/**
 * A call's recording (WAV), for roles allowed (recording:play) of a unit they may read, always with a stated purpose
 * (code and words), audited with it; checked against its hash on the way out. Refusals are audited too.
 */
export async function playRecording(
  db: Db,
  dir: string,
  ctx: ActorCtx,
  callId: string,
  stated: { code?: PurposeCode | undefined; text?: string | undefined },
): Promise<{ row: repo.RecordingRow; content: Buffer }> {
  staffOnly(ctx.actor, 'Only staff play recordings.');
  return db
    .transaction()
    .execute(async (trx) => {
      const row = await repo.findRecordingOfCall(trx, callId);
      const deny = async (rule: string) =>
        appendAudit(trx, ctx, {
          action: 'recording.play',
          outcome: 'denied',
          resourceType: 'recording',
          ...(row ? { resourceId: row.id } : {}),
          details: { rule, callId },
        });
      if (!row || !mayReadUnit(ctx.actor, row.unit)) {
        if (row) await deny('need_to_know');
        return { error: new AppError('not_found', 'This call has no recording.') };
      }
      const checked = checkPurpose(stated.code, stated.text);
      if (!('purpose' in checked)) {
        await deny('purpose_required');
        return {
          error: new AppError('purpose_required', 'Playing a recording needs a purpose: purposeCode and purpose in words.', {
            issues: checked.issues,
          }),
        };
      }
      const content = await readBlob(dir, row.sha256, `recording ${row.id}`);
      await appendAudit(trx, ctx, {
        action: 'recording.play',
        outcome: 'allowed',
        resourceType: 'recording',
        resourceId: row.id,
        purpose: auditPurpose(checked.purpose),
        details: { callId, durationMs: row.duration_ms },
      });
      return { row, content };
    })
    .then((result) => {
      if ('error' in result) throw result.error;
      return result;
    });
}
