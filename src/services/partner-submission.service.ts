import { createHash, randomBytes } from 'node:crypto';
import type { Submission } from '../contracts/partner.js';
import type { Actor, ClientActor, UserActor } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { AppError, isAppError } from '../domain/errors/app-error.js';
import type { Geocoder } from '../domain/geo/geocoder.js';
import type { IntakeCommand, IntakeFields } from '../domain/intake/intake-command.js';
import { agreementOf, checkAgreement, INTAKE_OF } from '../domain/partner/submission-rules.js';
import { webhookUrlProblem } from '../domain/partner/webhook-signature.js';
import type { TaskInput } from '../domain/routing/engine-types.js';
import type { Db } from '../storage/database.js';
import * as submissions from '../storage/repositories/partner-submission.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { saveIntake } from './intake.service.js';
import { decrypt, encrypt, type Keys } from './keys.js';
import { type RoutingService, WORK_ITEM_SWEEP_MS } from './routing.service.js';

/**
 * Partner submissions: stored durably, then acknowledged (202) — never the
 * other way round — and processed after: the intake (report, subject,
 * location, case) through the same service as the desktop's, a work item for
 * the ACD, and a status webhook to the agency. Each agency sees only its own.
 */

/** A partner system (client credentials) or a partner officer signed in to the portal: either acts for one agency. */
export type PartnerActor = ClientActor | (UserActor & { agencyOri: string });
type ClientCtx = RequestContext & { actor: PartnerActor };

export function partnerActor(actor: Actor): PartnerActor {
  if (actor.kind === 'client') return actor;
  if (actor.kind === 'user' && actor.role === 'partner_officer' && actor.agencyOri) return { ...actor, agencyOri: actor.agencyOri };
  throw new AppError('forbidden', 'Only partner systems and partner officers submit.');
}
type Row = submissions.SubmissionRow;

export const bodyHash = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

export type Ack = { id: string; status: string; receivedAt: string; replayed: boolean };

export async function receiveSubmission(
  db: Db,
  ctx: ClientCtx,
  submission: Submission,
  rawBody: unknown,
  idempotencyKey: string | undefined,
): Promise<Ack> {
  const ori = ctx.actor.agencyOri;
  const hash = bodyHash(rawBody);
  if (Date.parse(submission.occurredAt) > ctx.now.getTime() + 5 * 60_000) {
    throw new AppError('validation_failed', 'The request was not accepted: 1 field is invalid.', {
      issues: [{ path: 'body.occurredAt', code: 'in_future', message: 'cannot be in the future' }],
    });
  }
  return db.transaction().execute(async (trx) => {
    const agency = await submissions.findAgency(trx, ori);
    if (!agency) throw new AppError('forbidden', 'Your agency is not registered.');
    const check = checkAgreement(agreementOf(agency), submission.type, centerToday(ctx));
    if (!check.ok) {
      throw new AppError('forbidden', `Not accepted: ${check.message}.`, {
        issues: [{ path: 'body.type', code: check.code, message: check.message }],
      });
    }
    const earlier = async (): Promise<Ack | undefined> => {
      if (!idempotencyKey) return undefined;
      const found = await submissions.findSubmissionByKey(trx, ori, idempotencyKey);
      if (found && found.body_hash !== hash)
        throw new AppError('conflict', 'This Idempotency-Key was used with a different body: use a new key for a new submission.');
      return found && { id: found.id, status: found.status, receivedAt: found.received_at.toISOString(), replayed: true };
    };
    const replay = await earlier();
    if (replay) return replay;
    // The same key sent twice at once: the second insert waits for the first to commit, then does nothing and
    // answers as the first did (a unique violation here was a 500).
    const row = await submissions.insertSubmission(trx, {
      agency_ori: ori,
      client_id: ctx.actor.kind === 'client' ? ctx.actor.clientId : null,
      submitted_by: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
      type: submission.type,
      idempotency_key: idempotencyKey ?? null,
      body_hash: hash,
      payload: JSON.stringify(submission),
      status: 'received',
      received_at: ctx.now,
    });
    if (!row) {
      const first = await earlier();
      if (!first) throw new Error('partner submission: an idempotency conflict without the earlier submission');
      return first;
    }
    await appendAudit(trx, ctx, {
      action: 'submission.receive',
      outcome: 'allowed',
      resourceType: 'submission',
      resourceId: row.id,
      details: { type: submission.type, idempotent: idempotencyKey !== undefined },
    });
    return { id: row.id, status: 'received', receivedAt: row.received_at.toISOString(), replayed: false };
  });
}

export async function readSubmission(db: Db, ctx: ClientCtx, id: string) {
  return db
    .transaction()
    .execute(async (trx) => {
      const row = await submissions.findSubmission(trx, id);
      if (!row || row.agency_ori !== ctx.actor.agencyOri) {
        await appendAudit(trx, ctx, {
          action: 'submission.read',
          outcome: row ? 'denied' : 'error',
          resourceType: 'submission',
          resourceId: id,
        });
        return undefined;
      }
      await appendAudit(trx, ctx, { action: 'submission.read', outcome: 'allowed', resourceType: 'submission', resourceId: id });
      return row;
    })
    .then((row) => {
      if (!row) throw new AppError('not_found', 'There is no such submission of your agency.');
      return row;
    });
}

export async function listSubmissions(db: Db, ctx: ClientCtx, status: Row['status'] | undefined, limit: number) {
  return submissions.listAgencySubmissions(db, ctx.actor.agencyOri, status, limit);
}

/**
 * Where the parts of a submission's intake came from in the submission: its one subject, its one location and the
 * time it happened. Rules the intake finds broken are reported to the agency at these paths.
 */
const SUBMISSION_FIELDS: IntakeFields = {
  receivedAt: 'receivedAt',
  reporterPhone: 'reporter.phone',
  agencyOri: 'reporter.agencyOri',
  caseId: 'case.caseId',
  person: () => 'subject',
  personId: (i) => `subjects.${i}.personId`,
  address: () => 'location',
  observedAt: () => 'occurredAt',
};

/** The intake a submission becomes. Partner agencies are graded B2 (usually reliable; probably true) by default. */
function intakeOf(s: Submission, ori: string, submissionId: string): IntakeCommand {
  const kind = INTAKE_OF[s.type];
  const p = s.subject;
  return {
    source: 'partner_officer',
    reporter: {
      agencyOri: ori,
      ...(s.officer.name ? { name: s.officer.name } : {}),
      ...(s.officer.badge ? { badge: s.officer.badge } : {}),
    },
    narrative: s.narrative,
    language: 'en',
    grading: { sourceReliability: 'B', informationCredibility: 2 },
    subjects: [
      {
        role: kind.role,
        person: {
          givenNames: p.givenNames,
          familyName1: p.familyName1,
          familyName2: p.familyName2,
          aliases: [],
          dob: p.dob,
          dobBasis: p.dob ? (p.dobBasis ?? 'claimed') : 'unknown',
          sex: p.sex,
          nationalities: p.nationalities,
          languages: p.languages,
          phones: [],
          identifiers: { aNumber: p.aNumber, fbiNumber: p.fbiNumber, stateId: p.stateId },
        },
      },
    ],
    locations: s.location ? [{ subject: 0, address: s.location, observedAt: new Date(s.occurredAt), confidence: 'high' }] : [],
    case: { open: { type: kind.caseType, priority: kind.priority, summary: `${s.type.replace(/_/g, ' ')} from ${ori}` } },
    submissionId,
    fields: SUBMISSION_FIELDS,
  };
}

/** A claim lasts this long: processing one submission takes milliseconds, so an older claim belongs to a processor that died. */
export const CLAIM_LEASE_MS = 30_000;

/**
 * Submissions of one claim processed at once: each intake spends most of its time waiting on the database, so a
 * few side by side (their audit appends still one at a time) go faster than one after another.
 */
const PARALLEL = 4;

export type ProcessorDeps = { db: Db; routing: RoutingService; geocoder: Geocoder; timeZone: string };

/**
 * Processes what is waiting, oldest first: one claim of at most `limit`. A row is claimed with SKIP LOCKED,
 * so several nodes can share the work. If a crash came after the intake
 * committed but before the status did, the report carries the submission id
 * and the next run finishes the status without a second intake. A submission
 * that fails stays claimed until its lease runs out (then it is tried again);
 * the others go on, and the first failure is thrown at the end.
 */
export async function processSubmissions(deps: ProcessorDeps, now: Date, limit = 20): Promise<number> {
  const claimed = await deps.db
    .transaction()
    .execute((trx) => submissions.claimSubmissions(trx, now, new Date(now.getTime() - CLAIM_LEASE_MS), limit));
  const failures: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, claimed.length) }, async () => {
      for (let row = claimed[next++]; row; row = claimed[next++]) await processOne(deps, row, now).catch((error) => failures.push(error));
    }),
  );
  if (failures.length > 0) throw failures[0];
  return claimed.length;
}

/** The ACD work item an accepted submission puts in front of the case's unit. */
function workItemOf(s: { id: string; type: Row['type']; agency_ori: string; task_id: string }, c: CaseRef): TaskInput {
  return {
    id: s.task_id,
    channel: 'work_item',
    priority: INTAKE_OF[s.type].taskPriority,
    attributes: {
      kind: 'work_item',
      unit: c.unit,
      caseId: c.id,
      caseNumber: c.caseNumber,
      submissionId: s.id,
      partner: s.agency_ori,
    },
  };
}
type CaseRef = { id: string; caseNumber: string; unit: string };

/**
 * Accepted submissions whose work item was named with their status but is not in the ACD — a crash (or a failed
 * routing write) came between the two — get it made now, once (every minute in `start`).
 */
export async function sweepSubmissionWorkItems(deps: ProcessorDeps, now: Date): Promise<number> {
  const named = await submissions.acceptedSubmissionsWithTasks(deps.db, new Date(now.getTime() - WORK_ITEM_SWEEP_MS));
  const ctx: RequestContext = { actor: null, system: 'partner.processor', sourceIp: null, requestId: null, now, timeZone: deps.timeZone };
  let made = 0;
  for (const s of named) {
    if (!s.task_id || deps.routing.engine.task(s.task_id)) continue;
    const item = workItemOf({ ...s, task_id: s.task_id }, { id: s.case_id, caseNumber: s.case_number, unit: s.unit });
    if (await deps.routing.ensureTask(item, ctx)) made += 1;
  }
  return made;
}

async function processOne(deps: ProcessorDeps, row: Row, now: Date): Promise<void> {
  const submission = row.payload as Submission;
  // The intake is filed as by whoever sent it: the agency's system, or the officer through the portal.
  const officer = row.submitted_by ? await submissions.findUserName(deps.db, row.submitted_by) : undefined;
  const actor: Actor =
    row.client_id || !officer
      ? { kind: 'client', clientId: row.client_id ?? 'portal', agencyOri: row.agency_ori, scopes: ['submissions:write'] }
      : {
          kind: 'user',
          userId: officer.id,
          username: officer.username,
          role: 'partner_officer',
          agencyOri: row.agency_ori,
          fieldOfficeCode: null,
          sessionId: null,
        };
  const ctx = { actor, sourceIp: null, requestId: null, now, timeZone: deps.timeZone };
  let outcome:
    | { status: 'accepted'; reference: string; caseId: string; unit: string }
    | { status: 'rejected'; reasons: { path: string; code: string; message: string }[] };
  const done = await submissions.findCaseOfSubmissionReport(deps.db, row.id);
  if (done) outcome = { status: 'accepted', reference: done.case_number, caseId: done.id, unit: done.unit };
  else {
    try {
      const result = await saveIntake({ db: deps.db, geocoder: deps.geocoder }, ctx, intakeOf(submission, row.agency_ori, row.id));
      outcome = { status: 'accepted', reference: result.case.caseNumber, caseId: result.case.id, unit: result.case.unit };
    } catch (error) {
      // A refused intake names its fields in the submission's own terms (SUBMISSION_FIELDS): they go to the agency as they are.
      if (!isAppError(error) || error.code !== 'validation_failed') throw error;
      outcome = { status: 'rejected', reasons: error.details?.issues ?? [] };
    }
  }
  const event = {
    event: 'submission.status',
    submissionId: row.id,
    status: outcome.status,
    ...(outcome.status === 'accepted' ? { reference: outcome.reference } : { reasons: outcome.reasons }),
    at: now.toISOString(),
  };
  // The work item is named with the status, in one transaction: if it is not made below, the sweep makes it.
  const taskId = outcome.status === 'accepted' ? deps.routing.newTaskId() : null;
  const stored = await deps.db.transaction().execute(async (trx) => {
    // Only while still processing: a processor whose lease ran out and another that took the row over never both
    // store a status (nor name two work items, nor send two webhooks).
    const updated = await submissions.storeSubmissionOutcome(trx, row.id, {
      status: outcome.status,
      processed_at: now,
      reference: outcome.status === 'accepted' ? outcome.reference : null,
      case_id: outcome.status === 'accepted' ? outcome.caseId : null,
      reasons: outcome.status === 'rejected' ? JSON.stringify(outcome.reasons) : null,
      task_id: taskId,
    });
    if (!updated) return false;
    if (await submissions.agencyHasWebhook(trx, row.agency_ori)) {
      await submissions.insertWebhookDelivery(trx, {
        agency_ori: row.agency_ori,
        submission_id: row.id,
        event: 'submission.status',
        body: JSON.stringify(event),
        status: 'pending',
        next_attempt_at: now,
        created_at: now,
      });
    }
    await appendAudit(
      trx,
      { actor: null, system: 'partner.processor', sourceIp: null, requestId: null, now, timeZone: deps.timeZone },
      {
        action: 'submission.process',
        outcome: 'allowed',
        resourceType: 'submission',
        resourceId: row.id,
        details: { status: outcome.status },
      },
    );
    return true;
  });
  if (stored && outcome.status === 'accepted' && taskId) {
    await deps.routing.ensureTask(
      workItemOf({ ...row, task_id: taskId }, { id: outcome.caseId, caseNumber: outcome.reference, unit: outcome.unit }),
      ctx,
    );
  }
}

/** Registers (or replaces) the agency's webhook URL and returns a new signing secret — shown once. */
export async function setWebhook(
  db: Db,
  keys: Keys,
  ctx: ClientCtx,
  url: string,
  allowLoopbackHttp: boolean,
): Promise<{ url: string; secret: string }> {
  const problem = webhookUrlProblem(url, allowLoopbackHttp);
  if (problem)
    throw new AppError('validation_failed', `The webhook URL ${problem}.`, {
      issues: [{ path: 'body.url', code: 'invalid_url', message: problem }],
    });
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  await db.transaction().execute(async (trx) => {
    await submissions.upsertAgencyWebhook(trx, ctx.actor.agencyOri, url, encrypt(keys, secret), ctx.now);
    await appendAudit(trx, ctx, {
      action: 'webhook.set',
      outcome: 'allowed',
      resourceType: 'agency',
      resourceId: ctx.actor.agencyOri,
      details: { url },
    });
  });
  return { url, secret };
}

export const webhookSecret = (keys: Keys, secretEnc: string) => decrypt(keys, secretEnc);
