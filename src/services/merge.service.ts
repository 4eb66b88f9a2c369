import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { personKeys } from '../domain/matching/blocking.js';
import { scoreMatch } from '../domain/matching/score.js';
import type { Db } from '../storage/database.js';
import * as merges from '../storage/repositories/merge.repository.js';
import { findPerson, listNames } from '../storage/repositories/person.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { addEventOnCasesOf } from './case.service.js';
import { toMatchable } from './person-search.service.js';

/**
 * Merging duplicates without losing anything: the merged record stays whole
 * — its names, identifiers, locations and links — and points at the record it
 * was merged into. Reads of the survivor gather both. Undoing a merge clears
 * the pointer; the merge and its undoing stay as rows, and both are audited.
 */

type ActorCtx = RequestContext & { actor: Actor };
export type MergeResult = { mergeId: string; survivorId: string; mergedId: string; undone: boolean };

const staffId = (ctx: ActorCtx) => staffOnly(ctx.actor, 'Only staff merge records.').userId;

export async function mergePersons(db: Db, ctx: ActorCtx, survivorId: string, mergedId: string, reason: string): Promise<MergeResult> {
  const actorId = staffId(ctx);
  if (survivorId === mergedId) {
    throw new AppError('validation_failed', 'A record cannot be merged into itself.', {
      issues: [{ path: 'body.mergeId', code: 'same_person', message: 'choose another record' }],
    });
  }
  return db.transaction().execute(async (trx) => {
    // Lock both rows in a fixed order so two merges of the same pair cannot interleave.
    const rows = await merges.lockPersonsForMerge(trx, [survivorId, mergedId]);
    const survivor = rows.find((r) => r.id === survivorId);
    const merged = rows.find((r) => r.id === mergedId);
    if (!survivor || !merged) throw new AppError('not_found', 'There is no such person.');
    if (survivor.merged_into) throw new AppError('conflict', 'This record is itself merged into another; merge into that one.');
    if (merged.merged_into) throw new AppError('conflict', 'The other record is already merged; undo that merge first.');
    if (survivor.a_number && merged.a_number && survivor.a_number !== merged.a_number) {
      throw new AppError(
        'conflict',
        'The two records have different A-numbers: they are different people, or one A-number is wrong. Correct it before merging.',
      );
    }
    const score = scoreMatch(toMatchable(survivor), toMatchable(merged));
    await merges.setMergedInto(trx, mergedId, survivorId, ctx.now);
    // The survivor is also found under the merged record's keys.
    await merges.addMatchKeys(trx, survivorId, merged.match_keys, ctx.now);
    const merge = {
      id: await merges.insertMerge(trx, {
        survivorId,
        mergedId,
        reason,
        evidence: score.evidence.map((e) => e.feature),
        mergedBy: actorId,
        mergedAt: ctx.now,
      }),
    };
    await addEventOnCasesOf(trx, [survivorId, mergedId], {
      at: ctx.now,
      actorId,
      kind: 'persons_merged',
      details: { survivorId, mergedId, mergeId: merge.id },
    });
    await appendAudit(trx, ctx, {
      action: 'person.merge',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: survivorId,
      details: { mergedId, mergeId: merge.id, verdict: score.verdict, evidence: score.evidence.map((e) => e.feature) },
    });
    return { mergeId: merge.id, survivorId, mergedId, undone: false };
  });
}

/** Undoes the active merge of `mergedId`: the record stands on its own again, with everything it had. */
export async function unmergePerson(db: Db, ctx: ActorCtx, mergedId: string, reason: string): Promise<MergeResult> {
  const actorId = staffId(ctx);
  return db.transaction().execute(async (trx) => {
    const merge = await merges.findActiveMergeForUpdate(trx, mergedId);
    if (!merge) throw new AppError('not_found', 'This record is not merged into another.');
    await merges.setMergedInto(trx, mergedId, null, ctx.now);
    await merges.markMergeUndone(trx, merge.id, actorId, ctx.now, reason);
    // The survivor's keys go back to its own names plus any other active merges.
    const survivor = await findPerson(trx, merge.survivor_id);
    if (!survivor) throw new Error(`person merge ${merge.id}: its survivor ${merge.survivor_id} is missing`);
    const stillMerged = await merges.matchKeysOfMergedInto(trx, merge.survivor_id);
    const names = await listNames(trx, [survivor.id]);
    const own = personKeys(
      toMatchable(survivor),
      names.map((n) => ({ givenNames: n.given_names, familyName1: n.family_name_1, familyName2: n.family_name_2 })),
    );
    const keys = [...new Set([...own, ...stillMerged.flat()])];
    await merges.setMatchKeys(trx, survivor.id, keys, ctx.now);
    await addEventOnCasesOf(trx, [merge.survivor_id, mergedId], {
      at: ctx.now,
      actorId,
      kind: 'persons_unmerged',
      details: { survivorId: merge.survivor_id, mergedId, mergeId: merge.id },
    });
    await appendAudit(trx, ctx, {
      action: 'person.unmerge',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: mergedId,
      details: { survivorId: merge.survivor_id, mergeId: merge.id },
    });
    return { mergeId: merge.id, survivorId: merge.survivor_id, mergedId, undone: true };
  });
}
