import type { Transaction } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { AppError } from '../domain/errors/app-error.js';
import {
  type ConsentFact,
  type ConsentScope,
  checkDisclosure,
  type DisclosureBasis,
  type Recipient,
} from '../domain/safeguards/disclosure.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, caseSubjectIds, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import * as consents from '../storage/repositories/consent.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';

/**
 * Consent and disclosure (issue #22 item 2): a child's (or guardian's) decisions about what may be shared with
 * whom, recorded with their day, basis and recorder and withdrawn in writing; and `checkChildDisclosure`, the
 * one check every disclosure of a child's information to an outside organisation calls (requests to partner
 * agencies now; hand-offs of welfare referrals, issue #22 item 4, next). The rules are
 * domain/safeguards/disclosure.ts.
 */

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };
export type ConsentRow = consents.ConsentRow;

const factOf = (r: ConsentRow): ConsentFact => ({
  id: r.id,
  scope: r.scope,
  recipientKind: r.recipient_kind,
  recipientName: r.recipient_name,
  decision: r.decision,
  givenOn: r.given_on,
  withdrawnOn: r.withdrawn_on,
});

export type DisclosureCheck =
  | { allowed: true; basis: DisclosureBasis; consentId?: string }
  | { allowed: false; code: string; error: AppError };

/**
 * Whether the child's information may go to this recipient today. A refusal is audited (as `action`, denied, with
 * the rule) in the caller's transaction — the caller returns rather than throws, so the audit commits — and comes
 * with the 422 `disclosure_refused` error to answer.
 */
export async function checkChildDisclosure(
  trx: Trx,
  ctx: RequestContext,
  q: { caseId: string; personId: string; recipient: Recipient; childInDanger: boolean; action: string },
): Promise<DisclosureCheck> {
  const cluster = await personCluster(trx, await survivorOf(trx, q.personId));
  const rows = await consents.consentsOfPersons(trx, cluster);
  const answer = checkDisclosure({
    recipient: q.recipient,
    consents: rows.map(factOf),
    today: centerToday(ctx),
    childInDanger: q.childInDanger,
  });
  if (answer.allowed) return answer;
  await appendAudit(trx, ctx, {
    action: q.action,
    outcome: 'denied',
    resourceType: 'case',
    resourceId: q.caseId,
    details: {
      rule: answer.code,
      reason: answer.code,
      recipientKind: q.recipient.kind,
      recipient: q.recipient.name ?? null,
      ...(answer.consentId ? { consentId: answer.consentId } : {}),
    },
  });
  return {
    allowed: false,
    code: answer.code,
    error: new AppError('disclosure_refused', `The child's information cannot be disclosed to this recipient: ${answer.message}.`, {
      issues: [{ path: 'consent', code: answer.code, message: answer.message }],
    }),
  };
}

/** For callers outside a transaction of their own (the hand-offs of item 4): the check, its audit committed, then throws. */
export async function requireChildDisclosure(
  db: Db,
  ctx: RequestContext,
  q: Parameters<typeof checkChildDisclosure>[2],
): Promise<{ basis: DisclosureBasis; consentId?: string }> {
  const answer = await db.transaction().execute((trx) => checkChildDisclosure(trx, ctx, q));
  if (!answer.allowed) throw answer.error;
  return answer.consentId ? { basis: answer.basis, consentId: answer.consentId } : { basis: answer.basis };
}

export type RecordConsentInput = {
  personId: string;
  scope: ConsentScope;
  recipientKind?: string | undefined;
  recipientName?: string | undefined;
  decision: 'granted' | 'refused';
  givenBy: 'child' | 'guardian';
  guardianName?: string | undefined;
  givenOn: string;
  basis: string;
};

/** Records one consent decision about a subject of the case; a guardian is named; not a day in the future. */
export async function recordConsent(db: Db, ctx: ActorCtx, caseId: string, input: RecordConsentInput): Promise<ConsentRow> {
  const userId = staffOnly(ctx.actor, 'Only staff record consent.').userId;
  return withCase(
    db,
    ctx,
    caseId,
    'consent.record',
    async (trx) => {
      const subjects = await Promise.all((await caseSubjectIds(trx, caseId)).map((id) => survivorOf(trx, id)));
      const person = await survivorOf(trx, input.personId);
      if (!subjects.includes(person))
        throw new AppError('validation_failed', 'Consent is recorded for a subject of this case.', {
          issues: [{ path: 'body.personId', code: 'not_a_subject', message: 'name a subject of this case' }],
        });
      if (input.givenBy === 'guardian' && !input.guardianName)
        throw new AppError('validation_failed', 'Name the guardian who gave it.', {
          issues: [{ path: 'body.guardianName', code: 'required', message: 'name the guardian' }],
        });
      if (input.givenOn > centerToday(ctx))
        throw new AppError('validation_failed', 'Consent cannot be given on a day still to come.', {
          issues: [{ path: 'body.givenOn', code: 'in_future', message: 'a day on or before today' }],
        });
      const row = await consents.insertConsent(trx, {
        case_id: caseId,
        person_id: person,
        scope: input.scope,
        recipient_kind: input.recipientKind ?? null,
        recipient_name: input.recipientName ?? null,
        decision: input.decision,
        given_by: input.givenBy,
        guardian_name: input.givenBy === 'guardian' ? (input.guardianName ?? null) : null,
        given_on: input.givenOn,
        basis: input.basis,
        recorded_by: userId,
        recorded_at: ctx.now,
      });
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId: userId,
        kind: 'consent_recorded',
        details: { consentId: row.id, scope: row.scope, decision: row.decision },
      });
      await appendAudit(trx, ctx, {
        action: 'consent.record',
        outcome: 'allowed',
        resourceType: 'consent',
        resourceId: row.id,
        details: { caseId, scope: row.scope, decision: row.decision },
      });
      return row;
    },
    true,
  );
}

/** Withdraws a consent from a day (today or later, never back-dated), in writing. */
export async function withdrawConsent(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  consentId: string,
  input: { reason: string; withdrawnOn?: string | undefined },
): Promise<ConsentRow> {
  const userId = staffOnly(ctx.actor, 'Only staff record consent.').userId;
  return withCase(
    db,
    ctx,
    caseId,
    'consent.withdraw',
    async (trx) => {
      const row = await consents.findConsent(trx, consentId, true);
      if (!row || row.case_id !== caseId) throw new AppError('not_found', 'There is no such consent on this case.');
      if (row.withdrawn_at) throw new AppError('conflict', 'This consent is already withdrawn.');
      const today = centerToday(ctx);
      const on = input.withdrawnOn ?? today;
      if (on < today)
        throw new AppError('validation_failed', 'A withdrawal counts from today or a later day, never an earlier one.', {
          issues: [{ path: 'body.withdrawnOn', code: 'in_past', message: 'today or later' }],
        });
      const updated = await consents.updateConsent(trx, consentId, {
        withdrawn_on: on,
        withdrawn_by: userId,
        withdrawn_at: ctx.now,
        withdrawal_reason: input.reason,
      });
      await addCaseEvent(trx, { caseId, at: ctx.now, actorId: userId, kind: 'consent_withdrawn', details: { consentId } });
      await appendAudit(trx, ctx, {
        action: 'consent.withdraw',
        outcome: 'allowed',
        resourceType: 'consent',
        resourceId: consentId,
        details: { caseId, withdrawnOn: on },
      });
      return updated;
    },
    true,
  );
}

/** The case's consent decisions, each with whether it is in force today. */
export async function listConsents(db: Db, ctx: ActorCtx, caseId: string) {
  return withCase(db, ctx, caseId, 'consent.list', async (trx) => {
    const rows = await consents.consentsOfCase(trx, caseId);
    await appendAudit(trx, ctx, {
      action: 'consent.list',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { results: rows.length },
    });
    const today = centerToday(ctx);
    return rows.map((r) => ({ row: r, inForce: r.given_on <= today && (r.withdrawn_on === null || r.withdrawn_on > today) }));
  });
}

/** The disclosure check asked ahead, for the screen: would the child's information go to this recipient today? */
export async function previewDisclosure(db: Db, ctx: ActorCtx, caseId: string, q: { personId: string; recipient: Recipient }) {
  return withCase(db, ctx, caseId, 'consent.check', async (trx) => {
    const cluster = await personCluster(trx, await survivorOf(trx, q.personId));
    const rows = await consents.consentsOfPersons(trx, cluster);
    const answer = checkDisclosure({ recipient: q.recipient, consents: rows.map(factOf), today: centerToday(ctx), childInDanger: false });
    await appendAudit(trx, ctx, {
      action: 'consent.check',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { recipientKind: q.recipient.kind, allowed: answer.allowed },
    });
    return answer;
  });
}
