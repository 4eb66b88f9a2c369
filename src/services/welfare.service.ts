import { randomUUID } from 'node:crypto';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { isUacCase } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { WORK_PRIORITY } from '../domain/routing/work-priority.js';
import {
  isDangerIndicator,
  QUESTION_IDS,
  type ScreeningAnswers,
  type ScreeningQuestion,
  scoreScreening,
} from '../domain/safeguards/welfare-screening.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import type { RoutingService } from './routing.service.js';
import { getSetting } from './safeguard-settings.service.js';

/**
 * Welfare screenings of UAC cases and the welfare referrals a positive screen
 * creates: one per agency (ORR, CPS, NCMEC), each a priority work item in the
 * UAC unit's work queue with a response-time target; one missed is escalated.
 * The rows commit first; the ACD tasks follow, and the sweep re-creates any
 * task that did not get made, so a crash between the two loses nothing.
 */

type ActorCtx = RequestContext & { actor: Actor };
export type WelfareDeps = { db: Db; routing: RoutingService; timeZone: string };

/** A welfare referral's place in the work: a child in danger above everything, any other welfare referral above routine work. */
const referralPriority = (reasons: readonly string[]): number =>
  reasons.some((r) => isQuestion(r) && isDangerIndicator(r)) ? WORK_PRIORITY.danger : WORK_PRIORITY.welfareReferral;
const escalationPriority = (reasons: readonly string[]): number =>
  reasons.some((r) => isQuestion(r) && isDangerIndicator(r)) ? WORK_PRIORITY.dangerEscalation : WORK_PRIORITY.welfareEscalation;
const isQuestion = (r: string): r is ScreeningQuestion => (QUESTION_IDS as readonly string[]).includes(r);

async function createTask(
  routing: RoutingService,
  ctx: RequestContext,
  taskId: string,
  attributes: Record<string, string | boolean>,
  priority: number,
) {
  await routing.execute(
    {
      type: 'createTask',
      task: { id: taskId, channel: 'work_item', priority, attributes: { kind: 'work_item', unit: 'uac', ...attributes } },
    },
    ctx,
  );
}

export async function completeScreening(
  deps: WelfareDeps,
  ctx: ActorCtx,
  caseId: string,
  input: { personId: string; answers: ScreeningAnswers; notes?: string | undefined },
): Promise<{
  screeningId: string;
  outcome: 'positive' | 'negative';
  welfareReferrals: { id: string; agency: string; dueAt: string; taskId: string }[];
}> {
  const actorId = staffOnly(ctx.actor, 'Only staff screen.').userId;
  const result = scoreScreening(input.answers);
  const hours = await getSetting(deps.db, 'welfare_response_hours');
  const created = await withCase(deps.db, ctx, caseId, 'welfare.screen', async (trx, row) => {
    if (!isUacCase(row.type)) {
      throw new AppError('validation_failed', 'Welfare screenings are for cases about unaccompanied children.', {
        issues: [{ path: 'params.id', code: 'not_uac_case', message: 'not a UAC case' }],
      });
    }
    const subject = await trx
      .selectFrom('case_subjects')
      .select('role')
      .where('case_id', '=', caseId)
      .where('person_id', '=', input.personId)
      .executeTakeFirst();
    if (!subject) {
      throw new AppError('validation_failed', 'That person is not on this case.', {
        issues: [{ path: 'body.personId', code: 'not_on_case', message: 'screen a child who is a subject of the case' }],
      });
    }
    const screening = await trx
      .insertInto('welfare_screenings')
      .values({
        case_id: caseId,
        person_id: input.personId,
        answers: JSON.stringify(input.answers),
        outcome: result.outcome,
        notes: input.notes ?? null,
        completed_by: actorId,
        completed_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const dueAt = new Date(ctx.now.getTime() + hours * 3_600_000);
    const referrals: { id: string; agency: string; dueAt: string; taskId: string; priority: number }[] = [];
    for (const r of result.referrals) {
      const taskId = randomUUID();
      const row2 = await trx
        .insertInto('welfare_referrals')
        .values({
          case_id: caseId,
          screening_id: screening.id,
          agency: r.agency,
          reasons: r.reasons,
          status: 'open',
          due_at: dueAt,
          task_id: taskId,
          created_at: ctx.now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      referrals.push({ id: row2.id, agency: r.agency, dueAt: dueAt.toISOString(), taskId, priority: referralPriority(r.reasons) });
    }
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId,
      kind: 'welfare_screened',
      details: { screeningId: screening.id, outcome: result.outcome, welfareReferrals: referrals.map((r) => r.agency) },
    });
    if (result.outcome === 'positive' && row.priority !== 'urgent') {
      await trx.updateTable('cases').set({ priority: 'urgent', updated_at: ctx.now }).where('id', '=', caseId).execute();
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId,
        kind: 'priority_changed',
        details: { from: row.priority, to: 'urgent', reason: 'positive welfare screen' },
      });
    }
    await appendAudit(trx, ctx, {
      action: 'welfare.screen',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { screeningId: screening.id, outcome: result.outcome, agencies: referrals.map((r) => r.agency) },
    });
    return { screeningId: screening.id, referrals, caseNumber: row.case_number };
  });
  for (const r of created.referrals) {
    await createTask(
      deps.routing,
      ctx,
      r.taskId,
      { welfareReferral: r.id, agency: r.agency, caseId, caseNumber: created.caseNumber },
      r.priority,
    );
  }
  return {
    screeningId: created.screeningId,
    outcome: result.outcome,
    welfareReferrals: created.referrals.map(({ priority: _p, ...r }) => r),
  };
}

export async function closeWelfareReferral(db: Db, ctx: ActorCtx, id: string, note: string): Promise<void> {
  const actorId = staffOnly(ctx.actor, 'Only staff close welfare referrals.').userId;
  const row = await db.selectFrom('welfare_referrals').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'There is no such welfare referral.');
  await withCase(db, ctx, row.case_id, 'welfare.referral_done', async (trx) => {
    const done = await trx
      .updateTable('welfare_referrals')
      .set({ status: 'done', done_by: actorId, done_at: ctx.now, done_note: note })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .returning('id')
      .executeTakeFirst();
    if (!done) throw new AppError('conflict', 'This welfare referral is already done.');
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId,
      kind: 'welfare_referral_made',
      details: { welfareReferralId: id, agency: row.agency, note },
    });
    await appendAudit(trx, ctx, { action: 'welfare.referral_done', outcome: 'allowed', resourceType: 'welfare_referral', resourceId: id });
  });
}

/**
 * The sweep (every minute in `start`; callable from tests with any clock):
 * open welfare referrals past their target are escalated — a second work item
 * at high priority, an event on the case, an audit entry — and open ones whose
 * ACD task is missing get it made again.
 */
export async function sweepWelfareReferrals(deps: WelfareDeps, now: Date): Promise<{ escalated: number; tasksRecreated: number }> {
  const ctx: RequestContext = { actor: null, system: 'welfare.sweep', sourceIp: null, requestId: null, now, timeZone: deps.timeZone };
  const open = await deps.db.selectFrom('welfare_referrals').selectAll().where('status', '=', 'open').execute();
  let escalated = 0;
  let tasksRecreated = 0;
  for (const r of open) {
    if (!deps.routing.engine.task(r.task_id)) {
      await createTask(
        deps.routing,
        ctx,
        r.task_id,
        { welfareReferral: r.id, agency: r.agency, caseId: r.case_id },
        referralPriority(r.reasons),
      );
      tasksRecreated += 1;
    }
    if (r.escalated_at || r.due_at.getTime() > now.getTime()) continue;
    const escalationTaskId = randomUUID();
    const marked = await deps.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('welfare_referrals')
        .set({ escalated_at: now, escalation_task_id: escalationTaskId })
        .where('id', '=', r.id)
        .where('escalated_at', 'is', null)
        .where('status', '=', 'open')
        .returning('id')
        .executeTakeFirst();
      if (!updated) return false;
      await addCaseEvent(trx, {
        caseId: r.case_id,
        at: now,
        actorId: null,
        kind: 'welfare_referral_escalated',
        details: { welfareReferralId: r.id, agency: r.agency, dueAt: r.due_at.toISOString() },
      });
      await appendAudit(trx, ctx, {
        action: 'welfare.escalate',
        outcome: 'allowed',
        resourceType: 'welfare_referral',
        resourceId: r.id,
        details: { caseId: r.case_id },
      });
      return true;
    });
    if (!marked) continue;
    await createTask(
      deps.routing,
      ctx,
      escalationTaskId,
      { escalation: true, welfareReferral: r.id, agency: r.agency, caseId: r.case_id },
      escalationPriority(r.reasons),
    );
    escalated += 1;
  }
  return { escalated, tasksRecreated };
}
