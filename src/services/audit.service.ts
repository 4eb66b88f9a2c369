import type { Transaction } from 'kysely';
import type { Actor } from '../domain/access/access-control.js';
import {
  type AuditEvent,
  type AuditOutcome,
  type ChainCheck,
  ChainVerifier,
  GENESIS_HASH,
  hashEvent,
} from '../domain/audit/audit-chain.js';
import type { Db } from '../storage/database.js';
import * as audit from '../storage/repositories/audit.repository.js';
import type { Database } from '../storage/schema.js';

/**
 * Appends to the audit log. `appendAudit` takes a transaction, so the event
 * commits with the write (or read) it records, or not at all. Appends are
 * serialised by a transaction-scoped advisory lock so the chain stays linear;
 * callers append last, just before commit, to hold the lock briefly.
 */

/** Who did it, from where: every service call carries one. */
export type RequestContext = {
  actor: Actor | null;
  /** For actions not taken by a signed-in user or client: the CLI, the demo seed. */
  system?: string;
  sourceIp: string | null;
  requestId: string | null;
  now: Date;
  /** The center's time zone (CENTER_TIME_ZONE): the calendar of every date-only field (domain/calendar). */
  timeZone: string;
};

export type AuditEntry = {
  action: string;
  outcome: AuditOutcome;
  resourceType?: string;
  resourceId?: string;
  purpose?: string | null;
  details?: Record<string, unknown>;
};

function actorFields(ctx: RequestContext): Pick<AuditEvent, 'actorType' | 'actorId' | 'actorAgencyOri'> {
  const actor = ctx.actor;
  if (actor?.kind === 'user') return { actorType: 'user', actorId: actor.userId, actorAgencyOri: actor.agencyOri };
  if (actor?.kind === 'client') return { actorType: 'client', actorId: actor.clientId, actorAgencyOri: actor.agencyOri };
  if (ctx.system) return { actorType: 'system', actorId: ctx.system, actorAgencyOri: null };
  return { actorType: 'anonymous', actorId: null, actorAgencyOri: null };
}

export async function appendAudit(trx: Transaction<Database>, ctx: RequestContext, entry: AuditEntry): Promise<AuditEvent> {
  await audit.lockAuditChain(trx);
  const last = await audit.lastAuditLink(trx);
  const unhashed = {
    seq: (last?.seq ?? 0) + 1,
    occurredAt: ctx.now,
    ...actorFields(ctx),
    action: entry.action,
    resourceType: entry.resourceType ?? null,
    resourceId: entry.resourceId ?? null,
    purpose: entry.purpose ?? null,
    outcome: entry.outcome,
    sourceIp: ctx.sourceIp,
    requestId: ctx.requestId,
    details: entry.details ?? {},
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const event: AuditEvent = { ...unhashed, hash: hashEvent(unhashed) };
  await audit.insertAuditEvent(trx, event);
  return event;
}

/** An event that records no other write (a refused request, a failed sign-in): its own transaction. */
export const recordAudit = (db: Db, ctx: RequestContext, entry: AuditEntry): Promise<AuditEvent> =>
  db.transaction().execute((trx) => appendAudit(trx, ctx, entry));

export async function verifyAuditChain(db: Db, batchSize = 5000): Promise<ChainCheck> {
  const verifier = new ChainVerifier();
  let afterSeq = 0;
  for (;;) {
    const batch = await audit.listAuditEvents(db, { afterSeq, limit: batchSize });
    for (const event of batch) verifier.push(event);
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) break;
    afterSeq = last.seq;
  }
  return verifier.result();
}

export { listAuditEvents } from '../storage/repositories/audit.repository.js';

export type MinorRead = {
  at: string;
  actorId: string | null;
  username: string | null;
  role: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: string;
  purposeCode: string | null;
  purposeText: string | null;
  rule: string | null;
};

/**
 * The oversight report of reads of children's records: each read with its
 * stated purpose as a code and the words a reviewer can judge, each refusal
 * with the rule that refused it, and counts by user. The report's own read is
 * audited.
 */
export async function minorReadsReport(
  db: Db,
  ctx: RequestContext,
  f: { from?: Date | undefined; to?: Date | undefined; limit: number },
): Promise<{ reads: MinorRead[]; byUser: { actorId: string | null; username: string | null; reads: number; refused: number }[] }> {
  return db.transaction().execute(async (trx) => {
    const rows = await audit.minorReads(trx, f);
    const reads = rows.map((r) => {
      const prefix = r.purpose_code ? `${r.purpose_code}: ` : '';
      return {
        at: r.occurred_at.toISOString(),
        actorId: r.actor_id,
        username: r.username,
        role: r.role,
        action: r.action,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        outcome: r.outcome,
        purposeCode: r.purpose_code,
        purposeText: r.purpose?.startsWith(prefix) ? r.purpose.slice(prefix.length) : r.purpose,
        rule: r.rule,
      };
    });
    const byUser = new Map<string | null, { username: string | null; reads: number; refused: number }>();
    for (const r of reads) {
      const u = byUser.get(r.actorId) ?? { username: r.username, reads: 0, refused: 0 };
      if (r.outcome === 'allowed') u.reads += 1;
      else u.refused += 1;
      byUser.set(r.actorId, u);
    }
    await appendAudit(trx, ctx, {
      action: 'audit.oversight',
      outcome: 'allowed',
      resourceType: 'audit_events',
      details: { count: reads.length },
    });
    return { reads, byUser: [...byUser.entries()].map(([actorId, v]) => ({ actorId, ...v })) };
  });
}
