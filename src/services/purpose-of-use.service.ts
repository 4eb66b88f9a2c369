import type { Transaction } from 'kysely';
import type { Actor } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { auditPurpose, checkPurpose, type PurposeCode, type StatedPurpose } from '../domain/safeguards/purpose.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * Purpose of use, asked the same way on every path that reveals a child's
 * identity (a person's record, a case, search hits, duplicate lists, a
 * referral packet): without a purpose the refusal is audited — naming the
 * resource and the rule — and the caller returns the error out of its
 * transaction, so the denial commits; with one, the read's audit carries it.
 */

export type Stated = { code?: PurposeCode | undefined; text?: string | undefined };

export type PurposeDecision = { purpose: StatedPurpose | undefined } | { error: AppError };

export async function askPurpose(
  trx: Transaction<Database>,
  ctx: RequestContext & { actor: Actor },
  read: { action: string; resourceType: string; resourceId?: string | undefined; aboutChild: boolean; what: string },
  stated: Stated,
): Promise<PurposeDecision> {
  if (!read.aboutChild) return { purpose: undefined };
  const checked = checkPurpose(stated.code, stated.text);
  if ('purpose' in checked) return { purpose: checked.purpose };
  await appendAudit(trx, ctx, {
    action: read.action,
    outcome: 'denied',
    resourceType: read.resourceType,
    ...(read.resourceId ? { resourceId: read.resourceId } : {}),
    details: { rule: 'purpose_required', reason: 'purpose_required', minorRecord: true },
  });
  return {
    error: new AppError(
      'purpose_required',
      `${read.what} reveals a child's identity (or that of a person whose age is unknown): state the purpose of use — purposeCode from the list and purpose in words.`,
      { issues: checked.issues },
    ),
  };
}

/** The audit fields of a read made with a stated purpose (none without one). */
export const purposeAudit = (
  purpose: StatedPurpose | undefined,
): { purpose: string | null; details: { minorRecord?: true; purposeCode?: PurposeCode } } =>
  purpose ? { purpose: auditPurpose(purpose), details: { minorRecord: true, purposeCode: purpose.code } } : { purpose: null, details: {} };
