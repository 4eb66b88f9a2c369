import type { Transaction } from 'kysely';
import type { Actor } from '../domain/access/access-control.js';
import { staffOnly } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { checkReview } from '../domain/safeguards/referral-gate.js';
import { statusWords } from '../domain/workflow/lifecycle.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { refuseDependentApprover } from './two-person.service.js';

/**
 * The one review routine of the legal-review gate, used for referrals to field offices and for requests to
 * partner agencies alike (and, for its reviewer checks, the urgent lane's review afterwards):
 *
 *   held for review? → the reviewer is not the author and writes a justification → (approve only) the reviewer
 *   and the author are independent people → (approve only) what the caller must check again at decision time —
 *   the gate, an agreement in force → the decision's writes → the allowed entry in the audit.
 *
 * Every refusal after the status check is appended to the audit in the caller's transaction and RETURNED, never
 * thrown: the caller's transaction commits the denial entry, and `decided` throws the error after the commit. A
 * refusal thrown inside the transaction would roll its own audit entry back — the defect #16 names.
 */

export type ReviewDecision = 'approve' | 'deny';
export type ReviewInput = { decision: ReviewDecision; justification: string };

/** A refusal found at decision time: the rule that refused (for the audit) and the error the reviewer gets. */
export type ReviewRefusal = { rule: string; error: AppError; details?: Record<string, unknown> };

export type Reviewed<T> = { ok: true; value: T } | { ok: false; error: AppError };

export type ReviewSubject = {
  /** The audit action ("referral.review", "partner_request.review"). */
  action: string;
  resourceType: string;
  resourceId: string;
  /** "referral" or "request", for the messages. */
  noun: string;
  status: string;
  authorId: string;
};

type StaffCtx = RequestContext & { actor: Actor };
type Trx = Transaction<Database>;

/** The audited refusal, returned for the caller to throw after its transaction commits. */
export async function refuseReview(
  trx: Trx,
  ctx: RequestContext,
  subject: ReviewSubject,
  refusal: ReviewRefusal,
): Promise<{ ok: false; error: AppError }> {
  await appendAudit(trx, ctx, {
    action: subject.action,
    outcome: 'denied',
    resourceType: subject.resourceType,
    resourceId: subject.resourceId,
    details: { rule: refusal.rule, reason: refusal.rule, ...refusal.details },
  });
  return { ok: false, error: refusal.error };
}

/** The reviewer's own checks: not the author, and a justification written. Undefined when both hold. */
export function reviewerRefusal(reviewerId: string, authorId: string, justification: string): ReviewRefusal | undefined {
  const check = checkReview({ reviewerId, authorId, justification });
  if (check.ok) return undefined;
  const own = check.code === 'own_referral';
  return {
    rule: check.code,
    error: new AppError(own ? 'forbidden' : 'validation_failed', check.message, {
      issues: [{ path: own ? '' : 'body.justification', code: check.code, message: check.message }],
    }),
  };
}

/**
 * Decides a held item. `recheck` runs on approval only, after the reviewer checks (the gate asked again, the
 * agreement still in force); `apply` writes the decision (status, events, webhook) and returns what the caller
 * returns. Throws only a conflict when the item is not held for review (nothing was decided, nothing to audit).
 */
export async function reviewHeld<T>(
  trx: Trx,
  ctx: StaffCtx,
  subject: ReviewSubject,
  input: ReviewInput,
  steps: { recheck?: () => Promise<ReviewRefusal | undefined>; apply: (decision: ReviewDecision) => Promise<T> },
): Promise<Reviewed<T>> {
  const reviewerId = staffOnly(ctx.actor, 'Only staff review.').userId;
  if (subject.status !== 'pending_review') {
    throw new AppError('conflict', `Only a ${subject.noun} held for review can be decided; this one is ${statusWords(subject.status)}.`);
  }
  const own = reviewerRefusal(reviewerId, subject.authorId, input.justification);
  if (own) return refuseReview(trx, ctx, subject, own);
  if (input.decision === 'approve') {
    // Two independent people: refuseDependentApprover audits its own refusal (with the act that binds them).
    const dependent = await refuseDependentApprover(trx, ctx, {
      proposerId: subject.authorId,
      approverId: reviewerId,
      action: subject.action,
      resourceType: subject.resourceType,
      resourceId: subject.resourceId,
    });
    if (dependent) return { ok: false, error: dependent };
    const again = await steps.recheck?.();
    if (again) return refuseReview(trx, ctx, subject, again);
  }
  const value = await steps.apply(input.decision);
  await appendAudit(trx, ctx, {
    action: subject.action,
    outcome: 'allowed',
    resourceType: subject.resourceType,
    resourceId: subject.resourceId,
    details: { decision: input.decision },
  });
  return { ok: true, value };
}

/** After the transaction committed: the value, or the refusal thrown. */
export function decided<T>(reviewed: Reviewed<T>): T {
  if (!reviewed.ok) throw reviewed.error;
  return reviewed.value;
}
