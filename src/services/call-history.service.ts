import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import { type CallRow, findCall, listCalls } from '../storage/repositories/call.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * Call records for supervisors, auditors and admins: every read is audited, and the calls of the UAC unit are shown
 * only to those who may read its cases (need-to-know).
 */

export type { CallRow };

export async function listCallRecords(
  db: Db,
  ctx: RequestContext,
  filter: { line?: string | undefined; endReason?: string | undefined },
  limit: number,
): Promise<CallRow[]> {
  const actor = ctx.actor;
  return db.transaction().execute(async (trx) => {
    const rows = await listCalls(
      trx,
      { ...filter, ...(actor !== null && mayReadUnit(actor, 'uac') ? {} : { excludeUnit: 'uac' as const }) },
      limit,
    );
    await appendAudit(trx, ctx, {
      action: 'call.list',
      outcome: 'allowed',
      resourceType: 'call',
      details: { results: rows.length, line: filter.line ?? null },
    });
    return rows;
  });
}

export async function readCallRecord(db: Db, ctx: RequestContext, id: string): Promise<CallRow> {
  const actor = ctx.actor;
  const row = await db.transaction().execute(async (trx) => {
    const found = await findCall(trx, id);
    const denied = found !== undefined && found.unit === 'uac' && !(actor !== null && mayReadUnit(actor, 'uac'));
    await appendAudit(trx, ctx, {
      action: 'call.read',
      outcome: denied ? 'denied' : found ? 'allowed' : 'error',
      resourceType: 'call',
      resourceId: id,
      ...(denied ? { details: { reason: 'need_to_know_unit' } } : {}),
    });
    return denied ? undefined : found;
  });
  if (!row) throw new AppError('not_found', 'There is no such call.');
  return row;
}
