import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import { resolveAor } from '../domain/geo/area-of-responsibility.js';
import {
  OPEN_AT_AGENCY,
  PARTNER_REQUEST_LIFECYCLE,
  VISIBLE_TO_AGENCY,
  visibleToAgency,
} from '../domain/partner/partner-request-workflow.js';
import { step } from '../domain/workflow/lifecycle.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, findCase, insertObservation, nextReference, survivorOf } from '../storage/repositories/case.repository.js';
import * as requests from '../storage/repositories/partner-request.repository.js';
import type { PartnerRequestOutcome, PartnerRequestStatus } from '../storage/schema.js';
import { appendAudit } from './audit.service.js';
import { addEvent, type PartnerCtx, type PartnerRequestDeps, type Trx } from './partner-request-record.service.js';
import { ensureWorkItem, workItemFor } from './partner-request-work.service.js';
import { loadAorTable } from './reference-data.service.js';
import { shieldRequestRow } from './sponsor-shield.service.js';

/** The agency's side of a request: its list, one request, acknowledging, answering. Only sent requests, only its own. */

async function loadForAgency(trx: Trx, ctx: PartnerCtx, id: string, action: string) {
  const row = await requests.findRequestForUpdate(trx, id);
  const mine = row !== undefined && row.agency_ori === ctx.actor.agencyOri && visibleToAgency(row);
  await appendAudit(trx, ctx, {
    action,
    outcome: mine ? 'allowed' : row ? 'denied' : 'error',
    resourceType: 'partner_request',
    resourceId: id,
  });
  return mine ? row : undefined;
}

export async function agencyRequests(db: Db, ctx: PartnerCtx, status: PartnerRequestStatus | undefined, limit: number) {
  return db.transaction().execute(async (trx) => {
    // Open ones first, by deadline; then the rest, newest first.
    const rows = await requests.agencyRequestRows(trx, ctx.actor.agencyOri, status ? [status] : VISIBLE_TO_AGENCY, OPEN_AT_AGENCY, limit);
    await appendAudit(trx, ctx, {
      action: 'partner_request.list',
      outcome: 'allowed',
      resourceType: 'partner_request',
      details: { results: rows.length },
    });
    // Sponsor protection: what the agency is shown now, never a sponsor no legal reviewer approved naming.
    const shown: typeof rows = [];
    for (const r of rows) shown.push(await shieldRequestRow(trx, r));
    return shown;
  });
}

export async function agencyRequest(db: Db, ctx: PartnerCtx, id: string) {
  const row = await db.transaction().execute(async (trx) => {
    const found = await loadForAgency(trx, ctx, id, 'partner_request.read');
    return found ? shieldRequestRow(trx, found) : undefined;
  });
  if (!row) throw new AppError('not_found', 'There is no such request for your agency.');
  return row;
}

export async function acknowledgeRequest(db: Db, ctx: PartnerCtx, id: string) {
  const row = await db.transaction().execute(async (trx) => {
    const found = await loadForAgency(trx, ctx, id, 'partner_request.acknowledge');
    if (!found) return undefined;
    if (found.status === 'acknowledged') return shieldRequestRow(trx, found);
    const acknowledgement = step(PARTNER_REQUEST_LIFECYCLE, 'acknowledge', found.status);
    if (!acknowledgement.ok) throw new AppError('conflict', acknowledgement.message);
    const next = await requests.updatePartnerRequest(trx, id, { status: acknowledgement.to, updated_at: ctx.now });
    await addEvent(trx, { requestId: id, at: ctx.now, actor: ctx.actor, kind: 'acknowledged', from: 'sent', to: 'acknowledged' });
    return shieldRequestRow(trx, next);
  });
  if (!row) throw new AppError('not_found', 'There is no such request for your agency.');
  return row;
}

export type AnswerInput = {
  outcome: PartnerRequestOutcome;
  notes: string;
  officer?: { name?: string | undefined; badge?: string | undefined } | undefined;
  location?:
    | {
        line1?: string | undefined;
        city?: string | undefined;
        county?: string | undefined;
        state?: string | undefined;
        zip?: string | undefined;
      }
    | undefined;
  observedAt?: string | undefined;
};

/**
 * The agency's answer, in one transaction: the request is answered, the answer
 * is a report on the case (graded B2, from the agency), a location it gives
 * is a new observation with that report as its source, and the case timeline
 * says so. Then a work item goes to the case's unit through the ACD.
 */
export async function answerRequest(deps: PartnerRequestDeps, ctx: PartnerCtx, id: string, input: AnswerInput) {
  const observedAt = input.observedAt ? new Date(input.observedAt) : ctx.now;
  const issues: FieldIssue[] = [];
  if (observedAt.getTime() > ctx.now.getTime() + 5 * 60_000)
    issues.push({ path: 'body.observedAt', code: 'in_future', message: 'cannot be in the future' });
  const geocode = input.location ? await deps.geocoder.geocode(input.location, 'body.location') : undefined;
  if (geocode && !geocode.ok) issues.push(...geocode.issues);
  if (issues.length > 0)
    throw new AppError('validation_failed', `The answer was not accepted: ${issues.length} field(s) invalid.`, { issues });
  const taskId = deps.routing.newTaskId();
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForAgency(trx, ctx, id, 'partner_request.answer');
    if (!row) return undefined;
    const answer = step(PARTNER_REQUEST_LIFECYCLE, 'answer', row.status);
    if (!answer.ok) throw new AppError('conflict', answer.message);
    const caseRow = await findCase(trx, row.case_id);
    if (!caseRow) throw new AppError('internal', 'The request names a case that is not on record.');
    const person = await survivorOf(trx, row.person_id);
    const reference = await nextReference(trx, 'R', ctx);
    const reportId = await requests.insertAnswerReport(
      trx,
      {
        reference,
        source: 'partner_officer',
        reporter_name: input.officer?.name ?? null,
        reporter_agency_ori: row.agency_ori,
        reporter_badge: input.officer?.badge ?? null,
        narrative: `Answer to ${row.reference} (${row.kind.replace('_', ' ')}): ${input.outcome.replace('_', ' ')}. ${input.notes}`,
        language: 'en',
        source_reliability: 'B',
        information_credibility: 2,
        received_at: ctx.now,
        created_by: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
      },
      { personId: person, caseId: row.case_id },
    );
    let locationId: string | null = null;
    if (geocode?.ok) {
      const geo = geocode.geocode;
      const aor = resolveAor(await loadAorTable(trx), geo.state, geo.county);
      locationId = await insertObservation(trx, {
        personId: person,
        geo,
        aorOfficeCode: aor?.officeCode ?? null,
        source: `partner_officer report ${reference} (answer to ${row.reference})`,
        reportId,
        confidence: 'high',
        observedAt,
        reportedAt: ctx.now,
      });
    }
    const next = await requests.updatePartnerRequest(trx, id, {
      status: answer.to,
      answer_outcome: input.outcome,
      answer_notes: input.notes,
      answer_location_id: locationId,
      answer_report_id: reportId,
      answer_task_id: taskId,
      answered_at: ctx.now,
      answered_by_client: ctx.actor.kind === 'client' ? ctx.actor.clientId : null,
      answered_by_user: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
      updated_at: ctx.now,
    });
    await addEvent(trx, {
      requestId: id,
      at: ctx.now,
      actor: ctx.actor,
      kind: 'answered',
      from: row.status,
      to: 'answered',
      details: { outcome: input.outcome, reportId, locationId },
    });
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: null,
      kind: 'partner_request_answered',
      details: { requestId: id, reference: row.reference, agency: row.agency_ori, outcome: input.outcome, reportId, locationId },
    });
    return { next: await shieldRequestRow(trx, next), caseRow, reportReference: reference };
  });
  if (!result) throw new AppError('not_found', 'There is no such request for your agency.');
  await ensureWorkItem(deps.routing, ctx, workItemFor(result.next, result.caseRow));
  return { request: result.next, reportReference: result.reportReference };
}
