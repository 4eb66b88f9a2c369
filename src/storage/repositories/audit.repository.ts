import { type Selectable, sql } from 'kysely';
import type { AuditEvent } from '../../domain/audit/audit-chain.js';
import type { Db } from '../database.js';
import type { AuditEventsTable } from '../schema.js';

/** Serialises audit appends: a transaction-scoped advisory lock, held until the transaction ends. */
const AUDIT_LOCK_KEY = 0x53_57_41_55;

export async function lockAuditChain(db: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(db);
}

export async function lastAuditLink(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
}

export async function insertAuditEvent(db: Db, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      seq: event.seq,
      occurred_at: event.occurredAt,
      actor_type: event.actorType,
      actor_id: event.actorId,
      actor_agency_ori: event.actorAgencyOri,
      action: event.action,
      resource_type: event.resourceType,
      resource_id: event.resourceId,
      purpose: event.purpose,
      outcome: event.outcome,
      source_ip: event.sourceIp,
      request_id: event.requestId,
      details: JSON.stringify(event.details),
      prev_hash: event.prevHash,
      hash: event.hash,
    })
    .execute();
}

export const toAuditEvent = (row: Selectable<AuditEventsTable>): AuditEvent => ({
  seq: Number(row.seq),
  occurredAt: row.occurred_at,
  actorType: row.actor_type,
  actorId: row.actor_id,
  actorAgencyOri: row.actor_agency_ori,
  action: row.action,
  resourceType: row.resource_type,
  resourceId: row.resource_id,
  purpose: row.purpose,
  outcome: row.outcome,
  sourceIp: row.source_ip,
  requestId: row.request_id,
  details: row.details,
  prevHash: row.prev_hash,
  hash: row.hash,
});

export type AuditFilter = {
  afterSeq?: number;
  limit: number;
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  outcome?: 'allowed' | 'denied' | 'error';
};

export async function listAuditEvents(db: Db, filter: AuditFilter): Promise<AuditEvent[]> {
  let query = db.selectFrom('audit_events').selectAll().orderBy('seq').limit(filter.limit);
  if (filter.afterSeq !== undefined) query = query.where('seq', '>', String(filter.afterSeq));
  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.resourceType) query = query.where('resource_type', '=', filter.resourceType);
  if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  return (await query.execute()).map(toAuditEvent);
}

/**
 * Reads that revealed (or were refused for want of a purpose to reveal) a
 * child's identity, with who made them: every audited path marks them
 * `minorRecord` (person records, cases, search hits, duplicate lists, packets).
 */
export function minorReads(db: Db, f: { from?: Date | undefined; to?: Date | undefined; limit: number }) {
  let q = db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', (join) => join.on(sql<boolean>`u.id::text = a.actor_id`))
    .select([
      'a.seq',
      'a.occurred_at',
      'a.actor_id',
      'u.username',
      'u.role',
      'a.action',
      'a.resource_type',
      'a.resource_id',
      'a.outcome',
      'a.purpose',
      sql<string | null>`a.details->>'purposeCode'`.as('purpose_code'),
      sql<string | null>`a.details->>'rule'`.as('rule'),
    ])
    .where(sql<boolean>`a.details->>'minorRecord' = 'true'`);
  if (f.from) q = q.where('a.occurred_at', '>=', f.from);
  if (f.to) q = q.where('a.occurred_at', '<', f.to);
  return q.orderBy('a.seq', 'desc').limit(f.limit).execute();
}
