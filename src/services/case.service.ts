import type { Transaction, Updateable } from 'kysely';
import type { z } from 'zod';
import type { ZCasePatch, ZCaseSearchQuery } from '../contracts/cases.js';
import type { Actor } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday } from '../domain/calendar/calendar-day.js';
import { type CaseStatus, checkTransition, closesOnApprovalOnly, mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { fold } from '../domain/matching/names.js';
import { normalizePhone } from '../domain/persons/person-rules.js';
import { auditPurpose, checkPurpose, type PurposeCode } from '../domain/safeguards/purpose.js';
import type { Db } from '../storage/database.js';
import * as cases from '../storage/repositories/case.repository.js';
import { addCaseEvent, type CaseRow } from '../storage/repositories/case.repository.js';
import type { CasesTable, Database } from '../storage/schema.js';
import { ageVerdictsOf } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { RoutingService } from './routing.service.js';

/**
 * Cases: reading one with everything on it, finding them, and changing them —
 * status through the workflow, priority, assignee, area of responsibility —
 * each change an event on the timeline, each read and write audited. UAC cases
 * are need-to-know: to anyone outside the unit they do not exist (404), and
 * the attempt is audited as denied.
 */

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };

export type { CaseRow };

const actorIdOf = (ctx: ActorCtx) => (ctx.actor.kind === 'user' ? ctx.actor.userId : null);

/** The case, if it exists and the viewer may know it does; otherwise 404 (audited). */
export async function loadCaseFor(trx: Trx, ctx: ActorCtx, caseId: string, action: string, lock = false): Promise<CaseRow> {
  const row = await cases.findCase(trx, caseId, lock);
  if (!row || !mayReadUnit(ctx.actor, row.unit)) {
    await appendAudit(trx, ctx, {
      action,
      outcome: row ? 'denied' : 'error',
      resourceType: 'case',
      resourceId: caseId,
      details: { reason: row ? 'need_to_know_unit' : 'not_found' },
    });
    return Promise.reject(new AppError('not_found', 'There is no such case.'));
  }
  return row;
}

/** Runs `work` in a transaction whose audit event is committed even when `work` refuses with a 404 for need-to-know. */
export async function withCase<T>(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  action: string,
  work: (trx: Trx, row: CaseRow) => Promise<T>,
  lock = false,
): Promise<T> {
  const outcome = await db.transaction().execute(async (trx) => {
    let row: CaseRow;
    try {
      row = await loadCaseFor(trx, ctx, caseId, action, lock);
    } catch (error) {
      return { error };
    }
    return { value: await work(trx, row) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** The same event on the timeline of every case the persons are subjects of (a merge, a verified location). */
export async function addEventOnCasesOf(
  trx: Trx,
  personIds: readonly string[],
  event: { at: Date; actorId: string | null; kind: string; details: Record<string, unknown> },
): Promise<void> {
  for (const caseId of await cases.caseIdsOfPersons(trx, personIds)) await addCaseEvent(trx, { caseId, ...event });
}

export type CaseDetail = Awaited<ReturnType<typeof readCaseDetail>>;

async function readCaseDetail(trx: Trx, row: CaseRow, today: CalendarDay) {
  const subjects = await cases.caseSubjectsWithPersons(trx, row.id);
  const reports = await cases.caseReports(trx, row.id);
  const personIds = subjects.map((s) => s.person_id);
  // Locations of the case's subjects (and of records merged into them), newest first.
  const locations = personIds.length === 0 ? [] : await cases.locationsOfPersonsAndMerged(trx, personIds);
  const referrals = await cases.caseReferralSummaries(trx, row.id);
  // Each subject's age from every date of birth anyone gave (on any merged record) and any age determination.
  const ages = await ageVerdictsOf(trx, personIds, today);
  const attachments = await cases.caseAttachments(trx, row.id);
  const timeline = await cases.caseTimeline(trx, row.id);
  // What can be played from the case (each play is its own audited read, with a purpose).
  const audio = { recordings: await cases.caseRecordings(trx, row.id), voicemails: await cases.caseVoicemails(trx, row.id) };
  return { row, subjects, ages, reports, locations, referrals, attachments, timeline, audio };
}

/** A UAC case is a child's record: reading it needs a stated purpose, kept in the audit (refusals too). */
export async function readCase(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  stated: { code?: PurposeCode | undefined; text?: string | undefined } = {},
): Promise<CaseDetail> {
  const outcome = await withCase(db, ctx, caseId, 'case.read', async (trx, row) => {
    // A child's record: a UAC case, or any case with a subject who is or may be a minor (by anyone's word on any of their records).
    const ages = await ageVerdictsOf(trx, await cases.caseSubjectIds(trx, caseId), centerToday(ctx));
    const aboutChild = row.unit === 'uac' || [...ages.values()].some((v) => v.minor === true);
    const checked = aboutChild ? checkPurpose(stated.code, stated.text) : undefined;
    if (checked && 'issues' in checked) {
      await appendAudit(trx, ctx, {
        action: 'case.read',
        outcome: 'denied',
        resourceType: 'case',
        resourceId: caseId,
        details: { reason: 'purpose_required', minorRecord: true },
      });
      return {
        error: new AppError(
          'purpose_required',
          'This is a case about a child: state the purpose of use — purposeCode from the list and purpose in words.',
          {
            issues: checked.issues,
          },
        ),
      };
    }
    const purpose = checked && 'purpose' in checked ? checked.purpose : undefined;
    const detail = await readCaseDetail(trx, row, centerToday(ctx));
    await appendAudit(trx, ctx, {
      action: 'case.read',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      purpose: purpose ? auditPurpose(purpose) : null,
      details: purpose ? { minorRecord: true, purposeCode: purpose.code } : {},
    });
    return { detail };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.detail;
}

export type CaseSearch = z.output<typeof ZCaseSearchQuery>;

export async function searchCases(
  db: Db,
  ctx: ActorCtx,
  query: CaseSearch,
  canSeeReporters: boolean,
): Promise<{ cases: CaseRow[]; total: number }> {
  const phone = query.phone ? normalizePhone(query.phone) : undefined;
  if (query.phone && !phone) {
    throw new AppError('validation_failed', 'The search was not run: 1 field is invalid.', {
      issues: [{ path: 'query.phone', code: 'invalid_phone', message: 'not a phone number' }],
    });
  }
  return db.transaction().execute(async (trx) => {
    const { cases: found, total } = await cases.searchCaseRows(trx, {
      includeUac: mayReadUnit(ctx.actor, 'uac'),
      status: query.status,
      type: query.type,
      aor: query.aor,
      assigneeId: query.assignedToMe === 'true' ? actorIdOf(ctx) : undefined,
      text: query.q,
      phone,
      phoneOfReporters: canSeeReporters,
      address: query.address,
      sort: query.sort,
      page: query.page,
      pageSize: query.pageSize,
    });
    const { address, phone: typed, q: text, ...filters } = query;
    await appendAudit(trx, ctx, {
      action: 'case.search',
      outcome: 'allowed',
      resourceType: 'case',
      details: {
        filters,
        ...(text ? { text: fold(text) } : {}),
        ...(typed ? { phone } : {}),
        ...(address ? { address } : {}),
        results: found.length,
      },
    });
    return { cases: found, total };
  });
}

export type CasePatch = z.output<typeof ZCasePatch>;

export async function updateCase(db: Db, ctx: ActorCtx, caseId: string, patch: CasePatch): Promise<CaseDetail> {
  return withCase(
    db,
    ctx,
    caseId,
    'case.update',
    async (trx, row) => {
      if (row.version !== patch.version) {
        throw new AppError(
          'conflict',
          `The case changed since you read it (version ${row.version}, yours ${patch.version}); reload it and try again.`,
        );
      }
      const actorId = actorIdOf(ctx);
      const changes: Updateable<CasesTable> = {};
      const events: { kind: string; details: Record<string, unknown> }[] = [];
      if (patch.status && patch.status !== row.status) {
        const check = checkTransition(row.status as CaseStatus, patch.status, patch.reason);
        if (!check.ok)
          throw new AppError('validation_failed', check.message, {
            issues: [{ path: 'body.status', code: check.code, message: check.message }],
          });
        // A child's case closes only on a supervisor's approval of a closure request (case-plan.service.ts).
        if (patch.status === 'closed' && closesOnApprovalOnly(row.type))
          throw new AppError('unprocessable', 'A UAC case is closed by requesting closure and a supervisor approving it.', {
            issues: [{ path: 'body.status', code: 'closure_approval_required', message: 'request closure from the case plan' }],
          });
        changes.status = patch.status;
        changes.status_reason = patch.status === 'closed' || row.status === 'closed' ? (patch.reason ?? null) : null;
        changes.closed_at = patch.status === 'closed' ? ctx.now : null;
        events.push({
          kind: 'status_changed',
          details: { from: row.status, to: patch.status, ...(patch.reason ? { reason: patch.reason } : {}) },
        });
      }
      if (patch.priority && patch.priority !== row.priority) {
        changes.priority = patch.priority;
        events.push({ kind: 'priority_changed', details: { from: row.priority, to: patch.priority } });
      }
      if (patch.assigneeId !== undefined && patch.assigneeId !== row.assignee_id) {
        if (patch.assigneeId) {
          const user = await cases.findUserForAssignment(trx, patch.assigneeId);
          if (!user || user.disabled_at)
            throw new AppError('validation_failed', 'The assignee is not an active staff member.', {
              issues: [{ path: 'body.assigneeId', code: 'unknown_user', message: 'not an active staff member' }],
            });
        }
        changes.assignee_id = patch.assigneeId;
        events.push({ kind: 'assigned', details: { from: row.assignee_id, to: patch.assigneeId } });
      }
      if (patch.aorOfficeCode && patch.aorOfficeCode !== row.aor_office_code) {
        if (!patch.aorReason)
          throw new AppError('validation_failed', 'Setting the area of responsibility by hand needs a reason.', {
            issues: [{ path: 'body.aorReason', code: 'required', message: 'say why the area of responsibility is set by hand' }],
          });
        if (!(await cases.fieldOfficeExists(trx, patch.aorOfficeCode)))
          throw new AppError('unprocessable', `There is no field office ${patch.aorOfficeCode}.`, {
            issues: [{ path: 'body.aorOfficeCode', code: 'unknown_field_office', message: 'no such field office' }],
          });
        changes.aor_office_code = patch.aorOfficeCode;
        changes.aor_basis = 'override';
        events.push({ kind: 'aor_changed', details: { from: row.aor_office_code, to: patch.aorOfficeCode, reason: patch.aorReason } });
      }
      if (events.length === 0)
        throw new AppError('validation_failed', 'Nothing to change.', {
          issues: [{ path: 'body', code: 'no_change', message: 'the patch changes nothing' }],
        });
      const updated = await cases.updateCaseAtVersion(trx, caseId, patch.version, changes, ctx.now);
      for (const e of events) await addCaseEvent(trx, { caseId, at: ctx.now, actorId, kind: e.kind, details: e.details });
      await appendAudit(trx, ctx, {
        action: 'case.update',
        outcome: 'allowed',
        resourceType: 'case',
        resourceId: caseId,
        details: { changes: events.map((e) => e.kind) },
      });
      return readCaseDetail(trx, updated, centerToday(ctx));
    },
    true,
  );
}

export async function addCaseNote(db: Db, ctx: ActorCtx, caseId: string, note: string): Promise<CaseDetail> {
  return withCase(db, ctx, caseId, 'case.note', async (trx, row) => {
    await addCaseEvent(trx, { caseId, at: ctx.now, actorId: actorIdOf(ctx), kind: 'note', details: { note } });
    await cases.touchCase(trx, caseId, ctx.now);
    await appendAudit(trx, ctx, { action: 'case.note', outcome: 'allowed', resourceType: 'case', resourceId: caseId });
    return readCaseDetail(trx, { ...row, version: row.version + 1, updated_at: ctx.now }, centerToday(ctx));
  });
}

/**
 * A follow-up is a work item for the ACD: the workflow routes it like any
 * other (work items to the analysis queue). The task is created first; the
 * case's timeline then records it with the task id.
 */
export async function addFollowUp(
  deps: { db: Db; routing: RoutingService },
  ctx: ActorCtx,
  caseId: string,
  input: { note: string; priority: number },
): Promise<{ taskId: string }> {
  const row = await withCase(deps.db, ctx, caseId, 'case.follow_up', async (_trx, r) => r);
  const taskId = deps.routing.newTaskId();
  await deps.routing.execute(
    {
      type: 'createTask',
      task: {
        id: taskId,
        channel: 'work_item',
        priority: input.priority,
        attributes: { kind: 'work_item', followUp: true, caseId, caseNumber: row.case_number, unit: row.unit, caseType: row.type },
      },
    },
    ctx,
  );
  await deps.db.transaction().execute(async (trx) => {
    await addCaseEvent(trx, {
      caseId,
      at: ctx.now,
      actorId: actorIdOf(ctx),
      kind: 'follow_up_created',
      details: { taskId, note: input.note },
    });
    await appendAudit(trx, ctx, {
      action: 'case.follow_up',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { taskId },
    });
  });
  return { taskId };
}

/** Marks a location observation as verified (by whom, when, how); the case timelines of its person record it. */
export async function verifyLocation(db: Db, ctx: ActorCtx, locationId: string, note: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await cases.findLocationForUpdate(trx, locationId);
    // A location of someone on a case the verifier may not know of (a UAC case) is answered like a missing one.
    const units = row ? await cases.unitsOfPersonCases(trx, row.person_id) : [];
    if (!row || units.some((unit) => !mayReadUnit(ctx.actor, unit)))
      throw new AppError('not_found', 'There is no such location observation.');
    if (row.verified_at) throw new AppError('conflict', 'This observation is already verified.');
    const actorId = actorIdOf(ctx);
    if (!actorId) throw new AppError('forbidden', 'Only staff verify locations.');
    await cases.markLocationVerified(trx, locationId, actorId, ctx.now, note);
    await addEventOnCasesOf(trx, [row.person_id], { at: ctx.now, actorId, kind: 'location_verified', details: { locationId, note } });
    await appendAudit(trx, ctx, { action: 'location.verify', outcome: 'allowed', resourceType: 'location', resourceId: locationId });
  });
}
