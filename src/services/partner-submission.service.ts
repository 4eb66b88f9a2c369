import { createHash, randomBytes } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { Submission } from '../contracts/partner.js';
import type { Actor, ClientActor, UserActor } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { AppError, isAppError } from '../domain/errors/app-error.js';
import type { Geocoder } from '../domain/geo/geocoder.js';
import { agreementOf, checkAgreement, INTAKE_OF } from '../domain/partner/submission-rules.js';
import { webhookUrlProblem } from '../domain/partner/webhook-signature.js';
import type { TaskInput } from '../domain/routing/engine-types.js';
import type { Db } from '../storage/database.js';
import type { PartnerSubmissionsTable } from '../storage/schema.js';
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
  if (actor.role === 'partner_officer' && actor.agencyOri) return { ...actor, agencyOri: actor.agencyOri };
  throw new AppError('forbidden', 'Only partner systems and partner officers submit.');
}
type Row = Selectable<PartnerSubmissionsTable>;

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
    const agency = await trx.selectFrom('agencies').selectAll().where('ori', '=', ori).executeTakeFirst();
    if (!agency) throw new AppError('forbidden', 'Your agency is not registered.');
    const check = checkAgreement(agreementOf(agency), submission.type, centerToday(ctx));
    if (!check.ok) {
      throw new AppError('forbidden', `Not accepted: ${check.message}.`, {
        issues: [{ path: 'body.type', code: check.code, message: check.message }],
      });
    }
    const earlier = async (): Promise<Ack | undefined> => {
      if (!idempotencyKey) return undefined;
      const found = await trx
        .selectFrom('partner_submissions')
        .select(['id', 'status', 'received_at', 'body_hash'])
        .where('agency_ori', '=', ori)
        .where('idempotency_key', '=', idempotencyKey)
        .executeTakeFirst();
      if (found && found.body_hash !== hash)
        throw new AppError('conflict', 'This Idempotency-Key was used with a different body: use a new key for a new submission.');
      return found && { id: found.id, status: found.status, receivedAt: found.received_at.toISOString(), replayed: true };
    };
    const replay = await earlier();
    if (replay) return replay;
    // The same key sent twice at once: the second insert waits for the first to commit, then does nothing and
    // answers as the first did (a unique violation here was a 500).
    const row = await trx
      .insertInto('partner_submissions')
      .values({
        agency_ori: ori,
        client_id: ctx.actor.kind === 'client' ? ctx.actor.clientId : null,
        submitted_by: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
        type: submission.type,
        idempotency_key: idempotencyKey ?? null,
        body_hash: hash,
        payload: JSON.stringify(submission),
        status: 'received',
        received_at: ctx.now,
      })
      .onConflict((oc) => oc.columns(['agency_ori', 'idempotency_key']).doNothing())
      .returning(['id', 'received_at'])
      .executeTakeFirst();
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
      const row = await trx.selectFrom('partner_submissions').selectAll().where('id', '=', id).executeTakeFirst();
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
  let q = db.selectFrom('partner_submissions').selectAll().where('agency_ori', '=', ctx.actor.agencyOri);
  if (status) q = q.where('status', '=', status);
  return q.orderBy('received_at', 'desc').limit(limit).execute();
}

/** The internal intake a submission becomes. Partner agencies are graded B2 (usually reliable; probably true) by default. */
function intakeOf(s: Submission, ori: string) {
  const kind = INTAKE_OF[s.type];
  const p = s.subject;
  return {
    source: 'partner_officer' as const,
    reporter: {
      agencyOri: ori,
      ...(s.officer.name ? { name: s.officer.name } : {}),
      ...(s.officer.badge ? { badge: s.officer.badge } : {}),
    },
    narrative: s.narrative,
    language: 'en',
    grading: { sourceReliability: 'B' as const, informationCredibility: 2 },
    receivedAt: undefined,
    subjects: [
      {
        role: kind.role,
        person: {
          givenNames: p.givenNames,
          familyName1: p.familyName1,
          familyName2: p.familyName2,
          aliases: [],
          dob: p.dob,
          dobBasis: p.dob ? (p.dobBasis ?? 'claimed') : ('unknown' as const),
          sex: p.sex,
          nationalities: p.nationalities,
          languages: p.languages,
          phones: [],
          identifiers: { aNumber: p.aNumber, fbiNumber: p.fbiNumber, stateId: p.stateId },
        },
      },
    ],
    locations: s.location ? [{ subject: 0, address: s.location, observedAt: s.occurredAt, confidence: 'high' as const }] : [],
    case: { open: { type: kind.caseType, priority: kind.priority, summary: `${s.type.replace(/_/g, ' ')} from ${ori}` } },
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
  const claimed = await deps.db.transaction().execute(async (trx) => {
    const { rows } = await sql<Row>`
      UPDATE partner_submissions SET status = 'processing', attempts = attempts + 1, claimed_at = ${now}
      WHERE id IN (
        SELECT id FROM partner_submissions
        WHERE status = 'received' OR (status = 'processing' AND claimed_at < ${new Date(now.getTime() - CLAIM_LEASE_MS)} AND attempts < 10)
        ORDER BY received_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(trx);
    return rows;
  });
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
  const named = await deps.db
    .selectFrom('partner_submissions as s')
    .innerJoin('cases as c', 'c.id', 's.case_id')
    .select(['s.id', 's.type', 's.agency_ori', 's.task_id', 'c.id as case_id', 'c.case_number', 'c.unit'])
    .where('s.task_id', 'is not', null)
    .where('s.status', '=', 'accepted')
    .where('s.processed_at', '>', new Date(now.getTime() - WORK_ITEM_SWEEP_MS))
    .execute();
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
  const officer = row.submitted_by
    ? await deps.db.selectFrom('users').select(['id', 'username']).where('id', '=', row.submitted_by).executeTakeFirst()
    : undefined;
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
  const done = await deps.db
    .selectFrom('reports as r')
    .innerJoin('case_reports as cr', 'cr.report_id', 'r.id')
    .innerJoin('cases as c', 'c.id', 'cr.case_id')
    .select(['c.id', 'c.case_number', 'c.unit'])
    .where('r.submission_id', '=', row.id)
    .executeTakeFirst();
  if (done) outcome = { status: 'accepted', reference: done.case_number, caseId: done.id, unit: done.unit };
  else {
    try {
      const result = await saveIntake({ db: deps.db, geocoder: deps.geocoder }, ctx, intakeOf(submission, row.agency_ori), {
        submissionId: row.id,
      });
      const c = await deps.db.selectFrom('cases').select('unit').where('id', '=', result.case.id).executeTakeFirstOrThrow();
      outcome = { status: 'accepted', reference: result.case.caseNumber, caseId: result.case.id, unit: c.unit };
    } catch (error) {
      if (!isAppError(error) || error.code !== 'validation_failed') throw error;
      outcome = {
        status: 'rejected',
        reasons: (error.details?.issues ?? []).map((i) => ({
          ...i,
          path: i.path
            .replace(/^body\.subjects\.0\.person/, 'subject')
            .replace(/^body\.locations\.0\.address/, 'location')
            .replace(/^body\.locations\.0\.observedAt/, 'occurredAt')
            .replace(/^body\./, ''),
        })),
      };
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
    const updated = await trx
      .updateTable('partner_submissions')
      .set({
        status: outcome.status,
        processed_at: now,
        reference: outcome.status === 'accepted' ? outcome.reference : null,
        case_id: outcome.status === 'accepted' ? outcome.caseId : null,
        reasons: outcome.status === 'rejected' ? JSON.stringify(outcome.reasons) : null,
        task_id: taskId,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'processing')
      .returning('id')
      .executeTakeFirst();
    if (!updated) return false;
    const hook = await trx.selectFrom('agency_webhooks').select('agency_ori').where('agency_ori', '=', row.agency_ori).executeTakeFirst();
    if (hook) {
      await trx
        .insertInto('webhook_deliveries')
        .values({
          agency_ori: row.agency_ori,
          submission_id: row.id,
          event: 'submission.status',
          body: JSON.stringify(event),
          status: 'pending',
          next_attempt_at: now,
          created_at: now,
        })
        .execute();
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
    await trx
      .insertInto('agency_webhooks')
      .values({ agency_ori: ctx.actor.agencyOri, url, secret_enc: encrypt(keys, secret), updated_at: ctx.now })
      .onConflict((oc) => oc.column('agency_ori').doUpdateSet({ url, secret_enc: encrypt(keys, secret), updated_at: ctx.now }))
      .execute();
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
