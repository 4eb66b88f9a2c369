import { OPEN_AT_AGENCY } from '../domain/partner/partner-request-workflow.js';
import { WORK_PRIORITY } from '../domain/routing/work-priority.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import * as requests from '../storage/repositories/partner-request.repository.js';
import type { PartnerRequestOutcome } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { addEvent, type PartnerRequestRow, queueWebhook } from './partner-request-record.service.js';
import { type RoutingService, WORK_ITEM_SWEEP_MS } from './routing.service.js';

/** The work items requests put in front of people (answers, overdue requests, reviews afterwards) and the deadline sweep. */

/** Outcomes that need someone at the center soon. */
const URGENT_OUTCOMES: readonly PartnerRequestOutcome[] = ['welfare_concern', 'not_located', 'unable'];

export type CaseRef = { id: string; unit: string; case_number: string };
export type WorkItem = { id: string; priority: number; attributes: Record<string, string | boolean> };

/** The work item an agency's answer puts in front of the case's unit. */
export function workItemFor(r: PartnerRequestRow, c: CaseRef): WorkItem {
  const urgent = (r.answer_outcome !== null && URGENT_OUTCOMES.includes(r.answer_outcome)) || c.unit === 'uac';
  return {
    id: r.answer_task_id as string,
    priority: urgent ? WORK_PRIORITY.partnerRequestUrgentAnswer : WORK_PRIORITY.partnerRequestAnswer,
    attributes: {
      kind: 'work_item',
      unit: c.unit,
      caseId: c.id,
      caseNumber: c.case_number,
      partnerRequest: r.id,
      partner: r.agency_ori,
      outcome: r.answer_outcome ?? 'other',
    },
  };
}

/** The work item an unanswered, overdue request puts in front of the case's unit: follow up by phone. */
function escalationFor(r: PartnerRequestRow, c: CaseRef): WorkItem {
  return {
    id: r.escalation_task_id as string,
    priority: c.unit === 'uac' ? WORK_PRIORITY.partnerRequestOverdueUac : WORK_PRIORITY.partnerRequestOverdue,
    attributes: {
      kind: 'work_item',
      unit: c.unit,
      caseId: c.id,
      caseNumber: c.case_number,
      partnerRequest: r.id,
      partner: r.agency_ori,
      escalation: 'partner_request_overdue',
    },
  };
}

/** A legal reviewer's review, afterwards, of a welfare check sent at once (escalated: a second item, higher). */
export function postReviewFor(r: PartnerRequestRow, c: CaseRef, escalated = false): WorkItem {
  return {
    id: (escalated ? r.post_review_escalation_task_id : r.post_review_task_id) as string,
    priority: escalated ? WORK_PRIORITY.welfareEscalation : WORK_PRIORITY.urgentWelfareCheckReview,
    attributes: {
      kind: 'work_item',
      unit: 'legal',
      caseId: c.id,
      caseNumber: c.case_number,
      partnerRequest: r.id,
      postReview: true,
      ...(escalated ? { escalation: 'post_review_overdue' } : {}),
    },
  };
}

/** Creates the work item unless the engine has it already (the id was stored with the request in its transaction). */
export async function ensureWorkItem(routing: RoutingService, ctx: RequestContext, item: WorkItem): Promise<void> {
  await routing.ensureTask({ id: item.id, channel: 'work_item', priority: item.priority, attributes: item.attributes }, ctx);
}

/**
 * Requests past their deadline with no answer: escalated once — the timeline
 * says so, the agency gets a reminder webhook, and the case's unit a
 * high-priority work item to follow up by phone.
 */
export async function sweepPartnerRequests(deps: { db: Db; routing: RoutingService; timeZone: string }, now: Date): Promise<number> {
  const overdue = await deps.db.transaction().execute(async (trx) => {
    const rows = await requests.overdueRequestsForUpdate(trx, OPEN_AT_AGENCY, now, 100);
    for (const r of rows) {
      const updated = await requests.updatePartnerRequest(trx, r.id, {
        escalated_at: now,
        escalation_task_id: deps.routing.newTaskId(),
        updated_at: now,
      });
      await addEvent(trx, { requestId: r.id, at: now, actor: null, kind: 'escalated', details: { dueAt: r.due_at.toISOString() } });
      await addCaseEvent(trx, {
        caseId: r.case_id,
        at: now,
        actorId: null,
        kind: 'partner_request_overdue',
        details: { requestId: r.id, reference: r.reference, agency: r.agency_ori },
      });
      await queueWebhook(trx, updated, 'request.overdue', now);
    }
    if (rows.length > 0)
      await appendAudit(
        trx,
        { actor: null, system: 'partner.requests', sourceIp: null, requestId: null, now, timeZone: deps.timeZone },
        { action: 'partner_request.escalate', outcome: 'allowed', resourceType: 'partner_request', details: { count: rows.length } },
      );
    return rows;
  });
  const ctx = { actor: null, system: 'partner.requests', sourceIp: null, requestId: null, now, timeZone: deps.timeZone };
  // Welfare checks sent at once whose review afterwards is late: escalated once, with a second, higher work item.
  await deps.db.transaction().execute(async (trx) => {
    const late = await requests.latePostReviewsForUpdate(trx, now, 100);
    for (const r of late) {
      await requests.updatePartnerRequest(trx, r.id, {
        post_review_escalated_at: now,
        post_review_escalation_task_id: deps.routing.newTaskId(),
      });
      await addEvent(trx, {
        requestId: r.id,
        at: now,
        actor: null,
        kind: 'post_review_overdue',
        details: { dueAt: r.post_review_due_at?.toISOString() },
      });
      await addCaseEvent(trx, {
        caseId: r.case_id,
        at: now,
        actorId: null,
        kind: 'partner_request_post_review_overdue',
        details: { requestId: r.id, reference: r.reference },
      });
      await appendAudit(trx, ctx, {
        action: 'partner_request.post_review_escalate',
        outcome: 'allowed',
        resourceType: 'partner_request',
        resourceId: r.id,
      });
    }
  });
  // Every work item an answer or an escalation named, made if it is not there (a crash between the commit and the ACD).
  // A day back for answers and escalations (the engine keeps ended tasks for two, so a done work item is never made
  // again); a review afterwards not yet done, however old.
  const named = await requests.requestsNamingWorkItems(deps.db, new Date(now.getTime() - WORK_ITEM_SWEEP_MS));
  for (const r of named) {
    const caseRow = { id: r.case_row_id, unit: r.unit, case_number: r.case_number };
    if (r.answer_task_id && !deps.routing.engine.task(r.answer_task_id)) await ensureWorkItem(deps.routing, ctx, workItemFor(r, caseRow));
    if (r.escalation_task_id && !deps.routing.engine.task(r.escalation_task_id))
      await ensureWorkItem(deps.routing, ctx, escalationFor(r, caseRow));
    if (r.urgent_lane && !r.post_reviewed_at) {
      if (r.post_review_task_id) await ensureWorkItem(deps.routing, ctx, postReviewFor(r, caseRow));
      if (r.post_review_escalation_task_id) await ensureWorkItem(deps.routing, ctx, postReviewFor(r, caseRow, true));
    }
  }
  return overdue.length;
}
