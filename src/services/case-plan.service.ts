import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday } from '../domain/calendar/calendar-day.js';
import {
  CLOSURE_LIFECYCLE,
  isOverdue,
  type NeedType,
  OPEN_SERVICE,
  outcomeRequired,
  PLAN_LIFECYCLE,
  type PlanAction,
  SERVICE_ACTION_TO,
  SERVICE_LIFECYCLE,
  type ServiceStatus,
  type ServiceType,
} from '../domain/cases/case-plan.js';
import { type CaseStatus, type CloseReason, checkTransition, isUacCase } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { WORK_PRIORITY } from '../domain/routing/work-priority.js';
import { step } from '../domain/workflow/lifecycle.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, type CaseRow, updateCaseAtVersion } from '../storage/repositories/case.repository.js';
import * as plans from '../storage/repositories/case-plan.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import { askPurpose, purposeAudit, type Stated } from './purpose-of-use.service.js';
import type { RoutingService } from './routing.service.js';
import { refuseDependentApprover } from './two-person.service.js';

/**
 * A child's services and case plan (issue #22 item 3): needs assessed on a UAC case, services planned against
 * them and followed to an outcome, the plan approved (or returned) by a supervisor who is not its submitter, the
 * case closed only on a supervisor's approval of a closure request once every service is resolved, and a sweep
 * that alerts the UAC unit once about each service past its due day. Rules: domain/cases/case-plan.ts.
 *
 * Every refusal after the case is found is appended to the audit (denied, with its rule) and returned, never
 * thrown inside the transaction, so the denial commits; the caller throws it afterwards.
 */

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };
type Refused = { refused: AppError };
type Done<T> = { value: T } | Refused;
export type CasePlanDeps = { db: Db; routing: RoutingService; timeZone: string };

async function refuse(trx: Trx, ctx: RequestContext, action: string, caseId: string, rule: string, error: AppError): Promise<Refused> {
  await appendAudit(trx, ctx, { action, outcome: 'denied', resourceType: 'case', resourceId: caseId, details: { rule, reason: rule } });
  return { refused: error };
}

const unprocessable = (code: string, message: string, path = '') =>
  new AppError('unprocessable', message, { issues: [{ path, code, message }] });

/**
 * The case (need-to-know; locked for a change), a UAC case, then `work`; a refusal committed with its audit, then
 * thrown. A change (`lock`) to the plan of a closed case is refused: 422 case_closed.
 */
async function onChildCase<T>(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  action: string,
  work: (trx: Trx, row: CaseRow) => Promise<Done<T>>,
  lock = true,
): Promise<T> {
  const done = await withCase(
    db,
    ctx,
    caseId,
    action,
    async (trx, row): Promise<Done<T>> => {
      if (!isUacCase(row.type))
        return refuse(trx, ctx, action, caseId, 'not_a_uac_case', unprocessable('not_a_uac_case', 'Only a UAC case has a case plan.'));
      if (lock && row.status === 'closed')
        return refuse(
          trx,
          ctx,
          action,
          caseId,
          'case_closed',
          unprocessable('case_closed', 'The case is closed: its plan is kept as it was.'),
        );
      return work(trx, row);
    },
    lock,
  );
  if ('refused' in done) throw done.refused;
  return done.value;
}

/** The plan's row, made (as a draft) on the first need or service. */
async function planOf(trx: Trx, ctx: RequestContext, caseId: string): Promise<plans.CasePlanRow> {
  return (
    (await plans.findPlan(trx, caseId)) ??
    plans.insertPlan(trx, { case_id: caseId, status: 'draft', created_at: ctx.now, updated_at: ctx.now })
  );
}

/** A change to what is planned: a plan submitted, approved or returned goes back to draft, to be approved again. */
async function planChanged(trx: Trx, ctx: RequestContext, caseId: string, actorId: string, what: string): Promise<void> {
  const plan = await planOf(trx, ctx, caseId);
  const moved = step(PLAN_LIFECYCLE, 'change', plan.status);
  if (!moved.ok) return;
  await plans.updatePlan(trx, caseId, { status: moved.to, updated_at: ctx.now });
  await addCaseEvent(trx, { caseId, at: ctx.now, actorId, kind: 'case_plan_reopened', details: { from: plan.status, change: what } });
}

export type PlanView = {
  plan: plans.CasePlanRow | null;
  needs: plans.CaseNeedRow[];
  services: (plans.CaseServiceRow & { overdue: boolean })[];
  closure: plans.ClosureRequestRow | null;
};

async function planView(trx: Trx, caseId: string, today: CalendarDay): Promise<PlanView> {
  const services = await plans.servicesOfCase(trx, caseId);
  return {
    plan: (await plans.findPlan(trx, caseId)) ?? null,
    needs: await plans.needsOfCase(trx, caseId),
    services: services.map((s) => ({ ...s, overdue: isOverdue({ status: s.status, dueOn: s.due_on }, today) })),
    closure: (await plans.latestClosureRequest(trx, caseId)) ?? null,
  };
}

/**
 * The case plan as the workspace shows it: plan status, needs, services (overdue marked) and the closure request.
 * It reveals a child's needs (medical, mental health, legal), so it asks for a purpose of use (kept in the audit,
 * refusals too) as the best-interest view does.
 */
export async function readPlan(db: Db, ctx: ActorCtx, caseId: string, stated: Stated): Promise<PlanView> {
  return onChildCase<PlanView>(
    db,
    ctx,
    caseId,
    'case_plan.read',
    async (trx) => {
      const asked = await askPurpose(
        trx,
        ctx,
        { action: 'case_plan.read', resourceType: 'case', resourceId: caseId, aboutChild: true, what: "This child's case plan" },
        stated,
      );
      if ('error' in asked) return { refused: asked.error };
      const view = await planView(trx, caseId, centerToday(ctx));
      const { purpose, details } = purposeAudit(asked.purpose);
      await appendAudit(trx, ctx, {
        action: 'case_plan.read',
        outcome: 'allowed',
        resourceType: 'case',
        resourceId: caseId,
        purpose,
        details: { needs: view.needs.length, services: view.services.length, ...details },
      });
      return { value: view };
    },
    false,
  );
}

export async function addNeed(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  input: { need: NeedType; assessedOn: CalendarDay; notes?: string | undefined },
): Promise<plans.CaseNeedRow> {
  const userId = staffOnly(ctx.actor, 'Only staff assess needs.').userId;
  return onChildCase(db, ctx, caseId, 'case_plan.need_add', async (trx) => {
    if (input.assessedOn > centerToday(ctx))
      return refuse(
        trx,
        ctx,
        'case_plan.need_add',
        caseId,
        'in_future',
        new AppError('validation_failed', 'A need is assessed on a day that has come.', {
          issues: [{ path: 'body.assessedOn', code: 'in_future', message: 'a day on or before today' }],
        }),
      );
    const row = await plans.insertNeed(trx, {
      case_id: caseId,
      need: input.need,
      assessed_on: input.assessedOn,
      notes: input.notes ?? null,
      assessed_by: userId,
      created_at: ctx.now,
    });
    await planChanged(trx, ctx, caseId, userId, 'need_added');
    await addCaseEvent(trx, { caseId, at: ctx.now, actorId: userId, kind: 'need_assessed', details: { needId: row.id, need: row.need } });
    await appendAudit(trx, ctx, {
      action: 'case_plan.need_add',
      outcome: 'allowed',
      resourceType: 'case_need',
      resourceId: row.id,
      details: { caseId, need: row.need },
    });
    return { value: row };
  });
}

export async function addService(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  input: { needId: string; type: ServiceType; provider: string; dueOn: CalendarDay },
): Promise<plans.CaseServiceRow> {
  const userId = staffOnly(ctx.actor, 'Only staff plan services.').userId;
  return onChildCase(db, ctx, caseId, 'case_plan.service_add', async (trx) => {
    const need = await plans.findNeed(trx, input.needId);
    if (!need || need.case_id !== caseId)
      return refuse(
        trx,
        ctx,
        'case_plan.service_add',
        caseId,
        'unknown_need',
        unprocessable('unknown_need', 'A service is planned against a need assessed on this case.', 'body.needId'),
      );
    const row = await plans.insertService(trx, {
      case_id: caseId,
      need_id: need.id,
      type: input.type,
      provider: input.provider,
      due_on: input.dueOn,
      status: 'planned',
      created_by: userId,
      created_at: ctx.now,
      updated_at: ctx.now,
    });
    await plans.insertStatusChange(trx, {
      service_id: row.id,
      from_status: null,
      to_status: 'planned',
      changed_by: userId,
      changed_at: ctx.now,
    });
    await planChanged(trx, ctx, caseId, userId, 'service_added');
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId: userId,
      kind: 'service_planned',
      details: { serviceId: row.id, type: row.type, dueOn: row.due_on },
    });
    await appendAudit(trx, ctx, {
      action: 'case_plan.service_add',
      outcome: 'allowed',
      resourceType: 'case_service',
      resourceId: row.id,
      details: { caseId, type: row.type, dueOn: row.due_on },
    });
    return { value: row };
  });
}

/** Moves a service along its lifecycle; an ending (delivered, not delivered, cancelled) is written with its outcome. */
export async function changeServiceStatus(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  serviceId: string,
  input: { status: Exclude<ServiceStatus, 'planned'>; outcome?: string | undefined },
): Promise<PlanView> {
  const userId = staffOnly(ctx.actor, 'Only staff follow services.').userId;
  const action = 'case_plan.service_status';
  return onChildCase(db, ctx, caseId, action, async (trx) => {
    const row = await plans.findService(trx, serviceId, true);
    if (!row || row.case_id !== caseId)
      return refuse(trx, ctx, action, caseId, 'not_found', new AppError('not_found', 'There is no such service on this case.'));
    const moved = step(SERVICE_LIFECYCLE, SERVICE_ACTION_TO[input.status], row.status);
    if (!moved.ok)
      return refuse(
        trx,
        ctx,
        action,
        caseId,
        'illegal_transition',
        new AppError('conflict', moved.message, { issues: [{ path: 'body.status', code: 'illegal_transition', message: moved.message }] }),
      );
    const outcome = input.outcome?.trim() || null;
    if (outcomeRequired(moved.to) && !outcome)
      return refuse(
        trx,
        ctx,
        action,
        caseId,
        'outcome_required',
        new AppError('validation_failed', 'Say what came of the service.', {
          issues: [{ path: 'body.outcome', code: 'outcome_required', message: 'write the outcome' }],
        }),
      );
    await plans.updateService(trx, serviceId, {
      status: moved.to,
      outcome: outcomeRequired(moved.to) ? outcome : row.outcome,
      updated_at: ctx.now,
    });
    await plans.insertStatusChange(trx, {
      service_id: serviceId,
      from_status: row.status,
      to_status: moved.to,
      outcome: outcomeRequired(moved.to) ? outcome : null,
      changed_by: userId,
      changed_at: ctx.now,
    });
    // Cancelling takes a service out of the plan: the plan changed. Starting or ending one carries the plan out.
    if (moved.to === 'cancelled') await planChanged(trx, ctx, caseId, userId, 'service_cancelled');
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId: userId,
      kind: 'service_status_changed',
      details: { serviceId, from: row.status, to: moved.to },
    });
    await appendAudit(trx, ctx, {
      action,
      outcome: 'allowed',
      resourceType: 'case_service',
      resourceId: serviceId,
      details: { caseId, from: row.status, to: moved.to },
    });
    return { value: await planView(trx, caseId, centerToday(ctx)) };
  });
}

export async function submitPlan(db: Db, ctx: ActorCtx, caseId: string): Promise<PlanView> {
  const userId = staffOnly(ctx.actor, 'Only staff submit a case plan.').userId;
  const action = 'case_plan.submit';
  return onChildCase(db, ctx, caseId, action, async (trx) => {
    const plan = await plans.findPlan(trx, caseId);
    const services = await plans.servicesOfCase(trx, caseId);
    if (!plan || services.filter((s) => s.status !== 'cancelled').length === 0)
      return refuse(
        trx,
        ctx,
        action,
        caseId,
        'plan_empty',
        unprocessable('plan_empty', 'A case plan is submitted with at least one need and one service.'),
      );
    const moved = step(PLAN_LIFECYCLE, 'submit', plan.status);
    if (!moved.ok) return refuse(trx, ctx, action, caseId, 'illegal_transition', conflict(moved.message));
    await plans.updatePlan(trx, caseId, { status: moved.to, submitted_by: userId, submitted_at: ctx.now, updated_at: ctx.now });
    await addCaseEvent(trx, { caseId, at: ctx.now, actorId: userId, kind: 'case_plan_submitted', details: {} });
    await appendAudit(trx, ctx, { action, outcome: 'allowed', resourceType: 'case', resourceId: caseId });
    return { value: await planView(trx, caseId, centerToday(ctx)) };
  });
}

/** A decision names what it decides (the submission or request it was shown): another one since is a stale click. */
const sameInstant = (at: Date | null, stated: string) => at !== null && at.getTime() === new Date(stated).getTime();
const stale = (message: string) =>
  new AppError('conflict', `${message} Read it again before deciding.`, {
    issues: [{ path: 'body', code: 'stale_decision', message: 'decide what is now waiting' }],
  });

const conflict = (message: string) => new AppError('conflict', message, { issues: [{ path: '', code: 'illegal_transition', message }] });

/** The refusal when the decider is the person who asked: two people make a decision. */
const ownRequest = (code: string, what: string) =>
  new AppError('forbidden', `Someone other than the person who submitted ${what} decides it.`, {
    issues: [{ path: '', code, message: `${what} is decided by a second person` }],
  });

/** A supervisor approves the submitted plan, or returns it with a note; never the person who submitted it. */
export async function decidePlan(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  input: { decision: 'approve' | 'return'; submittedAt: string; note?: string | undefined },
): Promise<PlanView> {
  const userId = staffOnly(ctx.actor, 'Only staff decide a case plan.').userId;
  const action = 'case_plan.decide';
  return onChildCase(db, ctx, caseId, action, async (trx) => {
    const plan = await plans.findPlan(trx, caseId);
    const act: PlanAction = input.decision;
    const moved = step(PLAN_LIFECYCLE, act, plan?.status ?? 'draft');
    if (!plan || !moved.ok)
      return refuse(
        trx,
        ctx,
        action,
        caseId,
        'illegal_transition',
        conflict(moved.ok ? 'There is no case plan to decide.' : moved.message),
      );
    if (!sameInstant(plan.submitted_at, input.submittedAt))
      return refuse(trx, ctx, action, caseId, 'stale_decision', stale('The plan was changed and submitted again since you read it.'));
    const note = input.note?.trim() || null;
    if (input.decision === 'return' && !note)
      return refuse(
        trx,
        ctx,
        action,
        caseId,
        'note_required',
        new AppError('validation_failed', 'Say why the plan is returned.', {
          issues: [{ path: 'body.note', code: 'required', message: 'write what to change' }],
        }),
      );
    const submitter = plan.submitted_by ?? '';
    if (submitter === userId) return refuse(trx, ctx, action, caseId, 'own_plan', ownRequest('own_plan', 'the case plan'));
    if (input.decision === 'approve') {
      const dependent = await refuseDependentApprover(trx, ctx, {
        proposerId: submitter,
        approverId: userId,
        action,
        resourceType: 'case',
        resourceId: caseId,
      });
      if (dependent) return { refused: dependent };
    }
    await plans.updatePlan(trx, caseId, { status: moved.to, decided_by: userId, decided_at: ctx.now, note, updated_at: ctx.now });
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId: userId,
      kind: input.decision === 'approve' ? 'case_plan_approved' : 'case_plan_returned',
      details: note ? { note } : {},
    });
    await appendAudit(trx, ctx, {
      action,
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { decision: input.decision },
    });
    return { value: await planView(trx, caseId, centerToday(ctx)) };
  });
}

/** The services still to be resolved, as a refusal naming each (closing with them open would drop them silently). */
function openServicesRefusal(services: readonly plans.CaseServiceRow[]): AppError | undefined {
  const open = services.filter((s) => OPEN_SERVICE.includes(s.status));
  if (open.length === 0) return undefined;
  return new AppError('unprocessable', `Resolve every service first: ${open.length} still planned or in progress.`, {
    issues: open.map((s) => ({
      path: `services.${s.id}`,
      code: 'open_services',
      message: `${s.type.replaceAll('_', ' ')} with ${s.provider} is ${s.status.replaceAll('_', ' ')}`,
    })),
  });
}

/** Asks a supervisor to close the child's case: every service resolved first, one request open at a time. */
export async function requestClosure(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  input: { reason: CloseReason; note: string },
): Promise<PlanView> {
  const userId = staffOnly(ctx.actor, 'Only staff request closure.').userId;
  const action = 'case_closure.request';
  return onChildCase(db, ctx, caseId, action, async (trx) => {
    const latest = await plans.latestClosureRequest(trx, caseId, true);
    if (latest?.status === 'requested')
      return refuse(
        trx,
        ctx,
        action,
        caseId,
        'closure_pending',
        new AppError('conflict', 'A closure request is already waiting for a supervisor.', {
          issues: [{ path: '', code: 'closure_pending', message: 'a closure request is already waiting' }],
        }),
      );
    const open = openServicesRefusal(await plans.servicesOfCase(trx, caseId));
    if (open) return refuse(trx, ctx, action, caseId, 'open_services', open);
    const request = await plans.insertClosureRequest(trx, {
      case_id: caseId,
      status: 'requested',
      close_reason: input.reason,
      note: input.note,
      requested_by: userId,
      requested_at: ctx.now,
    });
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId: userId,
      kind: 'closure_requested',
      details: { closureRequestId: request.id, reason: input.reason },
    });
    await appendAudit(trx, ctx, {
      action,
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { closureRequestId: request.id, reason: input.reason },
    });
    return { value: await planView(trx, caseId, centerToday(ctx)) };
  });
}

/**
 * A supervisor (not the requester) approves the closure — the case closes, with the request's reason, through the
 * case workflow's own check — or refuses it with a reason. Services are checked again: one may have been added.
 */
export async function decideClosure(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  input: { decision: 'approve' | 'refuse'; requestedAt: string; reason?: string | undefined },
): Promise<PlanView> {
  const userId = staffOnly(ctx.actor, 'Only staff decide a closure.').userId;
  const action = 'case_closure.decide';
  return onChildCase(db, ctx, caseId, action, async (trx, row) => {
    const request = await plans.latestClosureRequest(trx, caseId, true);
    const moved = step(CLOSURE_LIFECYCLE, input.decision, request?.status ?? 'approved');
    if (!request || !moved.ok)
      return refuse(trx, ctx, action, caseId, 'illegal_transition', conflict('There is no closure request waiting for a decision.'));
    if (!sameInstant(request.requested_at, input.requestedAt))
      return refuse(trx, ctx, action, caseId, 'stale_decision', stale('Another closure request was made since you read it.'));
    const reason = input.reason?.trim() || null;
    if (input.decision === 'refuse' && !reason)
      return refuse(
        trx,
        ctx,
        action,
        caseId,
        'reason_required',
        new AppError('validation_failed', 'Say why the case stays open.', {
          issues: [{ path: 'body.reason', code: 'required', message: 'write why the closure is refused' }],
        }),
      );
    if (request.requested_by === userId)
      return refuse(trx, ctx, action, caseId, 'own_closure_request', ownRequest('own_closure_request', 'the closure request'));
    if (input.decision === 'approve') {
      const dependent = await refuseDependentApprover(trx, ctx, {
        proposerId: request.requested_by,
        approverId: userId,
        action,
        resourceType: 'case',
        resourceId: caseId,
      });
      if (dependent) return { refused: dependent };
      const open = openServicesRefusal(await plans.servicesOfCase(trx, caseId));
      if (open) return refuse(trx, ctx, action, caseId, 'open_services', open);
      const check = checkTransition(row.status as CaseStatus, 'closed', request.close_reason);
      if (!check.ok) return refuse(trx, ctx, action, caseId, check.code, unprocessable(check.code, check.message));
      await updateCaseAtVersion(
        trx,
        caseId,
        row.version,
        { status: 'closed', status_reason: request.close_reason, closed_at: ctx.now },
        ctx.now,
      );
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId: userId,
        kind: 'status_changed',
        details: { from: row.status, to: 'closed', reason: request.close_reason, closureRequestId: request.id },
      });
    }
    await plans.updateClosureRequest(trx, request.id, {
      status: moved.to,
      decided_by: userId,
      decided_at: ctx.now,
      refusal_reason: input.decision === 'refuse' ? reason : null,
    });
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId: userId,
      kind: input.decision === 'approve' ? 'closure_approved' : 'closure_refused',
      details: { closureRequestId: request.id, ...(reason ? { reason } : {}) },
    });
    await appendAudit(trx, ctx, {
      action,
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { closureRequestId: request.id, decision: input.decision },
    });
    return { value: await planView(trx, caseId, centerToday(ctx)) };
  });
}

/**
 * The overdue sweep (every minute in `start`; callable from tests with any clock): each service still open whose
 * due day has passed on the center's calendar (on a case still open: a closed case raises no work) is marked once (`overdue_alerted_at`), with an event on the case and
 * an audit entry, and becomes a work item in the UAC unit's queue (the row commits first, as welfare referrals do).
 */
export async function sweepOverdueServices(deps: CasePlanDeps, now: Date): Promise<{ alerted: number }> {
  const ctx: RequestContext = { actor: null, system: 'case_plan.sweep', sourceIp: null, requestId: null, now, timeZone: deps.timeZone };
  const due = await plans.unalertedServicesDueBefore(deps.db, OPEN_SERVICE, centerToday(ctx));
  let alerted = 0;
  for (const s of due) {
    const taskId = randomUUID();
    const marked = await deps.db.transaction().execute(async (trx) => {
      if (!(await plans.markOverdueAlerted(trx, s.id, OPEN_SERVICE, now, taskId))) return false;
      await addCaseEvent(trx, {
        caseId: s.case_id,
        at: now,
        actorId: null,
        kind: 'service_overdue',
        details: { serviceId: s.id, type: s.type, dueOn: s.due_on },
      });
      await appendAudit(trx, ctx, {
        action: 'case_plan.overdue_alert',
        outcome: 'allowed',
        resourceType: 'case_service',
        resourceId: s.id,
        details: { caseId: s.case_id, dueOn: s.due_on },
      });
      return true;
    });
    if (!marked) continue;
    await deps.routing.execute(
      {
        type: 'createTask',
        task: {
          id: taskId,
          channel: 'work_item',
          priority: WORK_PRIORITY.welfareReferral,
          attributes: { kind: 'work_item', unit: 'uac', caseService: s.id, caseId: s.case_id, overdueService: true },
        },
      },
      ctx,
    );
    alerted += 1;
  }
  return { alerted };
}
