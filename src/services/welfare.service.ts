import { randomUUID } from 'node:crypto';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { isUacCase } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import {
  escalationDue,
  escalationPriority,
  OPEN_WELFARE_REFERRAL,
  referralPriority,
  WELFARE_REFERRAL_LIFECYCLE,
} from '../domain/safeguards/welfare-referral-workflow.js';
import { type ScreeningAnswers, scoreScreening } from '../domain/safeguards/welfare-screening.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import * as welfare from '../storage/repositories/welfare.repository.js';
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
    const subject = await welfare.subjectRoleOnCase(trx, caseId, input.personId);
    if (!subject) {
      throw new AppError('validation_failed', 'That person is not on this case.', {
        issues: [{ path: 'body.personId', code: 'not_on_case', message: 'screen a child who is a subject of the case' }],
      });
    }
    const screening = {
      id: await welfare.insertScreening(trx, {
        case_id: caseId,
        person_id: input.personId,
        answers: JSON.stringify(input.answers),
        outcome: result.outcome,
        notes: input.notes ?? null,
        completed_by: actorId,
        completed_at: ctx.now,
      }),
    };
    const dueAt = new Date(ctx.now.getTime() + hours * 3_600_000);
    const referrals: { id: string; agency: string; dueAt: string; taskId: string; priority: number }[] = [];
    for (const r of result.referrals) {
      const taskId = randomUUID();
      const id = await welfare.insertWelfareReferral(trx, {
        case_id: caseId,
        screening_id: screening.id,
        agency: r.agency,
        reasons: r.reasons,
        status: 'open',
        due_at: dueAt,
        task_id: taskId,
        created_at: ctx.now,
      });
      referrals.push({ id, agency: r.agency, dueAt: dueAt.toISOString(), taskId, priority: referralPriority(r.reasons) });
    }
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId,
      kind: 'welfare_screened',
      details: { screeningId: screening.id, outcome: result.outcome, welfareReferrals: referrals.map((r) => r.agency) },
    });
    if (result.outcome === 'positive' && row.priority !== 'urgent') {
      await welfare.setCasePriority(trx, caseId, 'urgent', ctx.now);
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
  const row = await welfare.findWelfareReferral(db, id);
  if (!row) throw new AppError('not_found', 'There is no such welfare referral.');
  await withCase(db, ctx, row.case_id, 'welfare.referral_done', async (trx) => {
    const close = WELFARE_REFERRAL_LIFECYCLE.transitions.close;
    const done = await welfare.moveWelfareReferral(trx, id, close.from, {
      status: close.to,
      done_by: actorId,
      done_at: ctx.now,
      done_note: note,
    });
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
  const open = await welfare.welfareReferralsIn(deps.db, OPEN_WELFARE_REFERRAL);
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
    if (!escalationDue(r, now)) continue;
    const escalationTaskId = randomUUID();
    const marked = await deps.db.transaction().execute(async (trx) => {
      if (!(await welfare.markEscalated(trx, r.id, OPEN_WELFARE_REFERRAL, now, escalationTaskId))) return false;
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
