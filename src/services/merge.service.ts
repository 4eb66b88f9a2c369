import { sql } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { personKeys } from '../domain/matching/blocking.js';
import { scoreMatch } from '../domain/matching/score.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
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
    const rows = await trx.selectFrom('persons').selectAll().where('id', 'in', [survivorId, mergedId]).orderBy('id').forUpdate().execute();
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
    await trx.updateTable('persons').set({ merged_into: survivorId, updated_at: ctx.now }).where('id', '=', mergedId).execute();
    // The survivor is also found under the merged record's keys.
    await trx
      .updateTable('persons')
      .set({ match_keys: sql<string[]>`ARRAY(SELECT DISTINCT unnest(match_keys || ${merged.match_keys}::text[]))`, updated_at: ctx.now })
      .where('id', '=', survivorId)
      .execute();
    const merge = await trx
      .insertInto('person_merges')
      .values({
        survivor_id: survivorId,
        merged_id: mergedId,
        reason,
        evidence: JSON.stringify(score.evidence.map((e) => e.feature)),
        merged_by: actorId,
        merged_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cases = await trx.selectFrom('case_subjects').select('case_id').where('person_id', 'in', [survivorId, mergedId]).execute();
    for (const caseId of new Set(cases.map((c) => c.case_id))) {
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId,
        kind: 'persons_merged',
        details: { survivorId, mergedId, mergeId: merge.id },
      });
    }
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
    const merge = await trx
      .selectFrom('person_merges')
      .selectAll()
      .where('merged_id', '=', mergedId)
      .where('undone_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!merge) throw new AppError('not_found', 'This record is not merged into another.');
    await trx.updateTable('persons').set({ merged_into: null, updated_at: ctx.now }).where('id', '=', mergedId).execute();
    await trx
      .updateTable('person_merges')
      .set({ undone_at: ctx.now, undone_by: actorId, undo_reason: reason })
      .where('id', '=', merge.id)
      .execute();
    // The survivor's keys go back to its own names plus any other active merges.
    const survivor = await trx.selectFrom('persons').selectAll().where('id', '=', merge.survivor_id).executeTakeFirstOrThrow();
    const stillMerged = await trx.selectFrom('persons').select('match_keys').where('merged_into', '=', merge.survivor_id).execute();
    const names = await trx.selectFrom('person_names').selectAll().where('person_id', '=', survivor.id).execute();
    const own = personKeys(
      toMatchable(survivor),
      names.map((n) => ({ givenNames: n.given_names, familyName1: n.family_name_1, familyName2: n.family_name_2 })),
    );
    const keys = [...new Set([...own, ...stillMerged.flatMap((r) => r.match_keys)])];
    await trx.updateTable('persons').set({ match_keys: keys, updated_at: ctx.now }).where('id', '=', survivor.id).execute();
    const cases = await trx.selectFrom('case_subjects').select('case_id').where('person_id', 'in', [merge.survivor_id, mergedId]).execute();
    for (const caseId of new Set(cases.map((c) => c.case_id))) {
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId,
        kind: 'persons_unmerged',
        details: { survivorId: merge.survivor_id, mergedId, mergeId: merge.id },
      });
    }
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
