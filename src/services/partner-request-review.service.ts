import { staffOnly } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { OPEN_AT_AGENCY, PARTNER_REQUEST_LIFECYCLE } from '../domain/partner/partner-request-workflow.js';
import { agreementInForce, agreementOf } from '../domain/partner/submission-rules.js';
import type { GateResult } from '../domain/safeguards/referral-gate.js';
import { step } from '../domain/workflow/lifecycle.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import * as requests from '../storage/repositories/partner-request.repository.js';
import * as submissions from '../storage/repositories/partner-submission.repository.js';
import { appendAudit } from './audit.service.js';
import { withCase } from './case.service.js';
import { checkChildDisclosure } from './consent.service.js';
import { requestGate } from './partner-request.service.js';
import {
  addEvent,
  type PartnerRequestDeps,
  type PartnerRequestRow,
  queueWebhook,
  type StaffCtx,
  type Trx,
} from './partner-request-record.service.js';
import { blockedError, sponsorRefusal } from './referral.service.js';
import { decided, refuseReview, reviewerRefusal, reviewHeld } from './review.service.js';

/** Legal review of held requests (and of urgent-lane ones afterwards), withdrawal, and the lists staff read. */

/** Loads a request for center staff who may read its case; anyone else is told it does not exist (audited). */
async function loadForStaff(trx: Trx, ctx: StaffCtx, id: string, action: string) {
  const row = await requests.findRequestWithCaseForUpdate(trx, id);
  const allowed = row !== undefined && ctx.actor.kind === 'user' && mayReadUnit(ctx.actor, row.case_unit);
  if (!allowed) {
    await appendAudit(trx, ctx, { action, outcome: row ? 'denied' : 'error', resourceType: 'partner_request', resourceId: id });
    return undefined;
  }
  return row;
}

/**
 * A legal reviewer — not the author — approves (it is sent, the deadline counting from now) or denies a held
 * request, through the one review routine (services/review.service.ts) referrals use too: on approval the
 * agency's agreement must still be in force and the gate is asked again; every refusal is audited.
 */
export async function reviewPartnerRequest(
  deps: PartnerRequestDeps,
  ctx: StaffCtx,
  id: string,
  input: { decision: 'approve' | 'deny'; justification: string },
): Promise<PartnerRequestRow> {
  const reviewer = staffOnly(ctx.actor, 'Only staff review.');
  const subject = { action: 'partner_request.review', resourceType: 'partner_request', resourceId: id, noun: 'request' };
  const reviewed = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForStaff(trx, ctx, id, 'partner_request.review');
    if (!row) return undefined;
    let gate: GateResult | undefined;
    return reviewHeld(trx, ctx, { ...subject, status: row.status, authorId: row.created_by }, input, {
      recheck: async () => {
        // Days may have passed since the request was made: the agency's agreement must still be in force.
        const agency = await submissions.findAgency(trx, row.agency_ori);
        const inForce = agency
          ? agreementInForce(agreementOf(agency), centerToday(ctx))
          : { ok: false as const, message: `${row.agency_ori} is no longer a registered agency` };
        if (!inForce.ok) {
          return {
            rule: 'agreement_not_in_force',
            error: new AppError(
              'conflict',
              `The request cannot be sent: ${inForce.message}. Deny it, or withdraw it and ask another agency.`,
            ),
          };
        }
        gate = await requestGate(trx, row, row.case_type, centerToday(ctx));
        if (gate.decision === 'block')
          return { rule: 'gate_blocked', error: blockedError(gate, 'request'), details: { rules: gate.reasons.map((r) => r.rule) } };
        const sponsor = sponsorRefusal(gate);
        if (sponsor) return sponsor;
        // The child's consent decisions, as they stand on the day it would be sent.
        if (gate.reasons.some((r) => r.rule === 'minor_subject')) {
          const consent = await checkChildDisclosure(trx, ctx, {
            caseId: row.case_id,
            personId: row.person_id,
            recipient: { kind: 'partner_agency', name: row.agency_ori },
            childInDanger: false,
            action: 'partner_request.review',
          });
          if (!consent.allowed) return { rule: consent.code, error: consent.error };
        }
        return undefined;
      },
      apply: async (decision) => {
        const to = PARTNER_REQUEST_LIFECYCLE.transitions[decision].to;
        const window = row.due_at.getTime() - row.created_at.getTime();
        const updated = await requests.updatePartnerRequest(trx, id, {
          status: to,
          updated_at: ctx.now,
          ...(to === 'sent'
            ? {
                sent_at: ctx.now,
                due_at: new Date(ctx.now.getTime() + window),
                gate: JSON.stringify({ ...gate, evaluatedAt: ctx.now.toISOString() }),
              }
            : {}),
        });
        await addEvent(trx, {
          requestId: id,
          at: ctx.now,
          actor: ctx.actor,
          kind: decision === 'approve' ? 'review_approved' : 'review_denied',
          from: row.status,
          to,
          details: { justification: input.justification },
        });
        await addCaseEvent(trx, {
          caseId: row.case_id,
          at: ctx.now,
          actorId: reviewer.userId,
          kind: to === 'sent' ? 'partner_request_sent' : 'partner_request_denied',
          details: { requestId: id, reference: row.reference, agency: row.agency_ori },
        });
        if (to === 'sent') await queueWebhook(trx, updated, 'request.created', ctx.now);
        return updated;
      },
    });
  });
  if (!reviewed) throw new AppError('not_found', 'There is no such request.');
  return decided(reviewed);
}

/**
 * A legal reviewer — not the author — reviews afterwards a welfare check that
 * went out at once about a child in danger: proper, or not (in writing). One
 * found improper that the agency has not answered is withdrawn, and the
 * agency told. The review's work item is done with it.
 */
export async function postReviewPartnerRequest(
  deps: PartnerRequestDeps,
  ctx: StaffCtx,
  id: string,
  input: { finding: 'proper' | 'improper'; justification: string },
): Promise<PartnerRequestRow> {
  const reviewer = staffOnly(ctx.actor, 'Only staff review.');
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForStaff(trx, ctx, id, 'partner_request.post_review');
    if (!row) return undefined;
    const subject = {
      action: 'partner_request.post_review',
      resourceType: 'partner_request',
      resourceId: id,
      noun: 'request',
      status: row.status,
      authorId: row.created_by,
    };
    const refuse = async (rule: string, error: AppError) => ({
      kind: 'refused' as const,
      error: (await refuseReview(trx, ctx, subject, { rule, error })).error,
    });
    if (!row.urgent_lane)
      return refuse(
        'not_urgent_lane',
        new AppError('conflict', 'Only a welfare check sent at once (the urgent lane) is reviewed afterwards.'),
      );
    if (row.post_reviewed_at) return refuse('already_reviewed', new AppError('conflict', 'This request has been reviewed already.'));
    // The same reviewer checks as every review: not the author, and a justification written.
    const own = reviewerRefusal(reviewer.userId, row.created_by, input.justification);
    if (own) return refuse(own.rule, own.error);
    const withdraw = input.finding === 'improper' && OPEN_AT_AGENCY.includes(row.status);
    const updated = await requests.updatePartnerRequest(trx, id, {
      post_review_finding: input.finding,
      post_review_justification: input.justification,
      post_reviewed_by: reviewer.userId,
      post_reviewed_at: ctx.now,
      updated_at: ctx.now,
      ...(withdraw ? { status: 'withdrawn' as const } : {}),
    });
    await addEvent(trx, {
      requestId: id,
      at: ctx.now,
      actor: ctx.actor,
      kind: 'post_reviewed',
      ...(withdraw ? { from: row.status, to: 'withdrawn' } : {}),
      details: {
        finding: input.finding,
        justification: input.justification,
        late: row.post_review_due_at !== null && ctx.now > row.post_review_due_at,
      },
    });
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: reviewer.userId,
      kind: 'partner_request_post_reviewed',
      details: { requestId: id, reference: row.reference, finding: input.finding, withdrawn: withdraw },
    });
    await appendAudit(trx, ctx, {
      action: 'partner_request.post_review',
      outcome: 'allowed',
      resourceType: 'partner_request',
      resourceId: id,
      details: { finding: input.finding, withdrawn: withdraw },
    });
    if (withdraw) await queueWebhook(trx, updated, 'request.withdrawn', ctx.now);
    return { kind: 'reviewed' as const, updated };
  });
  if (!result) throw new AppError('not_found', 'There is no such request.');
  if (result.kind === 'refused') throw result.error;
  // The review is done: its work items leave the queue if no one has them in hand.
  for (const taskId of [result.updated.post_review_task_id, result.updated.post_review_escalation_task_id]) {
    const task = taskId ? deps.routing.engine.task(taskId) : undefined;
    if (taskId && task && task.status === 'pending')
      await deps.routing.execute({ type: 'cancel', taskId, reason: 'resolved' }, ctx).catch(() => undefined);
  }
  return result.updated;
}

/** The center withdraws a request it no longer needs; the agency is told. */
export async function withdrawPartnerRequest(deps: PartnerRequestDeps, ctx: StaffCtx, id: string, reason: string) {
  const actor = staffOnly(ctx.actor, 'Only staff withdraw requests.');
  const updated = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForStaff(trx, ctx, id, 'partner_request.withdraw');
    if (!row) return undefined;
    const withdrawal = step(PARTNER_REQUEST_LIFECYCLE, 'withdraw', row.status);
    if (!withdrawal.ok) throw new AppError('conflict', withdrawal.message);
    const next = await requests.updatePartnerRequest(trx, id, { status: withdrawal.to, updated_at: ctx.now });
    await addEvent(trx, {
      requestId: id,
      at: ctx.now,
      actor: ctx.actor,
      kind: 'withdrawn',
      from: row.status,
      to: 'withdrawn',
      details: { reason },
    });
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: actor.userId,
      kind: 'partner_request_withdrawn',
      details: { requestId: id },
    });
    await appendAudit(trx, ctx, {
      action: 'partner_request.withdraw',
      outcome: 'allowed',
      resourceType: 'partner_request',
      resourceId: id,
    });
    if (row.status !== 'pending_review') await queueWebhook(trx, next, 'request.withdrawn', ctx.now);
    return next;
  });
  if (!updated) throw new AppError('not_found', 'There is no such request.');
  return updated;
}

/** A case's requests (staff who may read the case), with their timelines. */
export async function caseRequests(db: Db, ctx: StaffCtx, caseId: string) {
  return withCase(db, ctx, caseId, 'partner_request.list', async (trx) => {
    const { rows, events } = await requests.requestsOfCase(trx, caseId);
    return rows.map((r) => ({ request: r, timeline: events.filter((e) => e.request_id === r.id) }));
  });
}

/**
 * What waits for a legal reviewer, oldest first: requests held for review, and
 * welfare checks sent at once that await their review afterwards (due within
 * 24 hours). UAC cases only for those who may read them.
 */
export async function reviewQueue(db: Db, ctx: StaffCtx) {
  return db.transaction().execute(async (trx) => {
    const rows = await requests.reviewQueueRows(trx, mayReadUnit(ctx.actor, 'uac'), 200);
    await appendAudit(trx, ctx, {
      action: 'partner_request.review_queue',
      outcome: 'allowed',
      resourceType: 'partner_request',
      details: { results: rows.length },
    });
    return rows;
  });
}
