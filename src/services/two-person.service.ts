import type { Transaction } from 'kysely';
import { AppError } from '../domain/errors/app-error.js';
import { type CredentialAct, type CredentialActKind, independenceProblem } from '../domain/identity/two-person.js';
import * as identity from '../storage/repositories/identity.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { getSetting } from './safeguard-settings.service.js';

/**
 * The check every two-person approval makes (safeguard settings, legal review
 * of referrals and of requests to partners, API client requests): the
 * approver and the proposer are independent — neither created, or reset the
 * password or second factor of, or changed the access of, the other's account within the cooling-off
 * period (safeguard setting `two_person_cooling_off_days`).
 */

const DAY_MS = 86_400_000;
const KIND_BY_ACTION: Record<string, CredentialActKind> = {
  'user.add': 'created',
  'user.reset_mfa': 'mfa_reset',
  'user.reset_password': 'password_reset',
  'user.change_access': 'access_changed',
};

/**
 * Undefined when the pair is independent. Otherwise appends the refusal to the
 * audit (action, reason and the act that binds them) in the caller's
 * transaction and returns the error for the caller to throw after it commits.
 */
export async function refuseDependentApprover(
  trx: Transaction<Database>,
  ctx: RequestContext,
  input: { proposerId: string; approverId: string; action: string; resourceType: string; resourceId: string },
): Promise<AppError | undefined> {
  const days = await getSetting(trx, 'two_person_cooling_off_days');
  const since = new Date(ctx.now.getTime() - days * DAY_MS);
  const acts: CredentialAct[] = (await identity.credentialActsBetween(trx, input.proposerId, input.approverId, since)).flatMap((a) => {
    const kind = KIND_BY_ACTION[a.action];
    return kind ? [{ actorId: a.actorId, subjectId: a.subjectId, kind, at: a.at }] : [];
  });
  const problem = independenceProblem(input, acts, ctx.now, days);
  if (!problem) return undefined;
  await appendAudit(trx, ctx, {
    action: input.action,
    outcome: 'denied',
    resourceType: input.resourceType,
    resourceId: input.resourceId,
    details: {
      reason: 'not_independent',
      rule: 'two_person_cooling_off',
      proposerId: input.proposerId,
      approverId: input.approverId,
      act: problem.act.kind,
      actBy: problem.act.actorId,
      actAt: problem.act.at.toISOString(),
      until: problem.until.toISOString(),
      coolingOffDays: days,
    },
  });
  return new AppError('forbidden', `Not an independent second person: ${problem.message}.`, {
    issues: [{ path: '', code: 'not_independent', message: problem.message }],
  });
}
