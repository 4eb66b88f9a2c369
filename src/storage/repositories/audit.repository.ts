import { type Selectable, sql } from 'kysely';
import type { AuditEvent, AuditEventInput, AuditHead, ListedAuditEvent } from '../../domain/audit/audit-chain.js';
import type { Db } from '../database.js';
import { likeLiteral } from '../like.js';
import type { AuditChainTable, AuditEventsTable, AuditHeadsTable } from '../schema.js';

/** An event as appended: everything but its place in the chain. */
export type InboxEvent = AuditEventInput & { occurredAt: Date };

export async function insertInboxEvent(db: Db, event: InboxEvent): Promise<void> {
  await db
    .insertInto('audit_inbox')
    .values({
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
    })
    .execute();
}

/** The chain's last link: where the next batch continues. */
export async function chainTail(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db.selectFrom('audit_chain').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
}

/** The oldest pending events, in append order: the next batch to seal. */
export async function oldestInboxEvents(db: Db, limit: number): Promise<(InboxEvent & { inboxId: string })[]> {
  const rows = await db.selectFrom('audit_inbox').selectAll().orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ ...fieldsOf(row), inboxId: row.id }));
}

export type SealLink = { inboxId: string; seq: number; prevHash: string; hash: string };
export type SealedHead = AuditHead & { keyId: string; signature: string };

/** Seals one batch through audit_seal() (migration 0025): refused with SBA01 (fenced), SBA02 (the chain moved) or SBA03. */
export async function sealBatch(db: Db, holder: string, epoch: number, links: readonly SealLink[], head: SealedHead): Promise<number> {
  const payload = JSON.stringify(links.map((l) => ({ inbox_id: l.inboxId, seq: l.seq, prev_hash: l.prevHash, hash: l.hash })));
  const { rows } = await sql<{
    sealed: string;
  }>`SELECT audit_seal(${holder}, ${epoch}, ${payload}::jsonb, ${JSON.stringify(head)}::jsonb) AS sealed`.execute(db);
  return Number(rows[0]?.sealed ?? 0);
}

/** How many events wait to be sealed, and how old the oldest is by the database's clock. */
export async function inboxState(db: Db): Promise<{ count: number; oldestAgeMs: number | null }> {
  const row = await db
    .selectFrom('audit_inbox')
    .select([
      sql<string>`count(*)`.as('count'),
      sql<number | null>`extract(epoch from clock_timestamp() - min(appended_at)) * 1000`.as('oldest_age_ms'),
    ])
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), oldestAgeMs: row.oldest_age_ms === null ? null : Number(row.oldest_age_ms) };
}

/**
 * Sealed events by sequence number, for verification: the hashed fields and the links, nothing else. Verification
 * reads every event of the log, so this one query is written for speed: each row built as one literal object.
 * (The time goes through the driver's own date parser, as it did when the sealer hashed it.)
 */
export async function chainPage(db: Db, afterSeq: number, limit: number): Promise<AuditEvent[]> {
  const { rows } = await sql<ChainRow>`
    SELECT seq, occurred_at, actor_type, actor_id, actor_agency_ori,
           action, resource_type, resource_id, purpose, outcome, source_ip, request_id, details, prev_hash, hash
      FROM audit_chain WHERE seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`.execute(db);
  return rows.map(toChainEvent);
}

const toChainEvent = (r: ChainRow): AuditEvent => ({
  seq: Number(r.seq),
  occurredAt: r.occurred_at,
  actorType: r.actor_type,
  actorId: r.actor_id,
  actorAgencyOri: r.actor_agency_ori,
  action: r.action,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  purpose: r.purpose,
  outcome: r.outcome,
  sourceIp: r.source_ip,
  requestId: r.request_id,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** A row of the chain as the page query reads it (`seq` is bigint, as text: a cast to float8 doubled the query's time). */
type ChainRow = Omit<Selectable<AuditChainTable>, 'inbox_id' | 'appended_at' | 'sealed_at'>;

export type StoredHead = SealedHead & { batch: number; sealedAt: Date; holder: string; epoch: number };

const toHead = (row: Selectable<AuditHeadsTable>): StoredHead => ({
  batch: Number(row.batch),
  firstSeq: Number(row.first_seq),
  lastSeq: Number(row.last_seq),
  headHash: row.head_hash,
  merkleRoot: row.merkle_root,
  sealedAt: row.sealed_at,
  holder: row.holder,
  epoch: Number(row.epoch),
  keyId: row.key_id ?? '',
  signature: row.signature ?? '',
});

/** Batch heads in order, after the batch that ended at `afterLastSeq`. */
export async function headsAfter(db: Db, afterLastSeq: number, limit: number): Promise<StoredHead[]> {
  const rows = await db
    .selectFrom('audit_heads')
    .selectAll()
    .where('last_seq', '>', String(afterLastSeq))
    .orderBy('last_seq')
    .limit(limit)
    .execute();
  return rows.map(toHead);
}

export async function latestHead(db: Db): Promise<StoredHead | undefined> {
  const row = await db.selectFrom('audit_heads').selectAll().orderBy('last_seq', 'desc').limit(1).executeTakeFirst();
  return row ? toHead(row) : undefined;
}

/** The batch that holds sealed event `seq`, and the hashes of its events in order: what an inclusion proof needs. */
export async function batchOf(db: Db, seq: number): Promise<{ head: StoredHead; hashes: string[] } | undefined> {
  const row = await db
    .selectFrom('audit_heads')
    .selectAll()
    .where('first_seq', '<=', String(seq))
    .where('last_seq', '>=', String(seq))
    .executeTakeFirst();
  if (!row) return undefined;
  const hashes = await db
    .selectFrom('audit_chain')
    .select('hash')
    .where('seq', '>=', row.first_seq)
    .where('seq', '<=', row.last_seq)
    .orderBy('seq')
    .execute();
  return { head: toHead(row), hashes: hashes.map((h) => h.hash) };
}

export async function sealedEvent(db: Db, seq: number): Promise<AuditEvent | undefined> {
  const [event] = await chainPage(db, seq - 1, 1);
  return event?.seq === seq ? event : undefined;
}

type EventRow = Pick<
  Selectable<AuditEventsTable>,
  | 'occurred_at'
  | 'actor_type'
  | 'actor_id'
  | 'actor_agency_ori'
  | 'action'
  | 'resource_type'
  | 'resource_id'
  | 'purpose'
  | 'outcome'
  | 'source_ip'
  | 'request_id'
  | 'details'
>;

const fieldsOf = (row: EventRow): InboxEvent => ({
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
});

export const toListedEvent = (row: Selectable<AuditEventsTable>): ListedAuditEvent => ({
  ...fieldsOf(row),
  seq: row.seq === null ? null : Number(row.seq),
  hash: row.hash,
});

export type AuditFilter = {
  afterSeq?: number;
  /** Newest first, from just before this sequence number (the console's "older" page). */
  beforeSeq?: number;
  order?: 'asc' | 'desc';
  limit: number;
  actorId?: string;
  /** The acting user, by username (the auditor knows people by name, not by id). */
  username?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  outcome?: 'allowed' | 'denied' | 'error';
  /** Words in the stated purpose (case-insensitive). */
  purpose?: string;
  /** occurred_at in [from, to). */
  from?: Date;
  to?: Date;
};

/**
 * Events matching the filter, with the acting user's username where the actor is a user. Ascending: sealed events
 * in sequence order, then pending ones in the order they were appended. Descending (the console): pending ones
 * first, newest first, then sealed ones from the newest.
 */
export async function listAuditEvents(db: Db, filter: AuditFilter): Promise<ListedAuditEvent[]> {
  const desc = filter.order === 'desc';
  let query = db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', (join) => join.on(sql<boolean>`a.actor_type = 'user' AND u.id::text = a.actor_id`))
    .selectAll('a')
    .select('u.username as actor_username')
    .orderBy(desc ? sql`a.seq DESC NULLS FIRST` : sql`a.seq NULLS LAST`)
    .orderBy('a.inbox_id', desc ? 'desc' : 'asc')
    .limit(filter.limit);
  // Pending events have no sequence number yet: they follow every sealed one.
  if (filter.afterSeq !== undefined)
    query = query.where((eb) => eb.or([eb('a.seq', '>', String(filter.afterSeq)), eb('a.seq', 'is', null)]));
  if (filter.beforeSeq !== undefined) query = query.where('a.seq', '<', String(filter.beforeSeq));
  if (filter.actorId) query = query.where('a.actor_id', '=', filter.actorId);
  if (filter.username) query = query.where('u.username', '=', filter.username);
  if (filter.resourceType) query = query.where('a.resource_type', '=', filter.resourceType);
  if (filter.resourceId) query = query.where('a.resource_id', '=', filter.resourceId);
  if (filter.action) query = query.where('a.action', '=', filter.action);
  if (filter.outcome) query = query.where('a.outcome', '=', filter.outcome);
  if (filter.purpose) query = query.where('a.purpose', 'ilike', `%${likeLiteral(filter.purpose)}%`);
  if (filter.from) query = query.where('a.occurred_at', '>=', filter.from);
  if (filter.to) query = query.where('a.occurred_at', '<', filter.to);
  return (await query.execute()).map((row) => ({ ...toListedEvent(row), actorUsername: row.actor_username }));
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
  return q.orderBy(sql`a.seq DESC NULLS FIRST`).orderBy('a.inbox_id', 'desc').limit(f.limit).execute();
}

/** The rule a refusal names: its `rule`, else its `reason`, else the permission it lacked. */
const refusalRule = sql<string>`coalesce(a.details->>'rule', a.details->>'reason', a.details->>'permission', 'unnamed')`;

/** Refusals (outcome denied) in [from, to): the newest `limit`, and counts over the whole range by rule and by actor. */
export async function refusals(db: Db, f: { from: Date; to: Date; limit: number }) {
  const inRange = db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', (join) => join.on(sql<boolean>`a.actor_type = 'user' AND u.id::text = a.actor_id`))
    .where('a.outcome', '=', 'denied')
    .where('a.occurred_at', '>=', f.from)
    .where('a.occurred_at', '<', f.to);
  const [rows, byRule, byActor] = await Promise.all([
    inRange
      .select([
        'a.seq',
        'a.occurred_at',
        'a.actor_type',
        'a.actor_id',
        'u.username',
        'u.role',
        'a.action',
        'a.resource_type',
        'a.resource_id',
        'a.source_ip',
        refusalRule.as('rule'),
      ])
      .orderBy(sql`a.seq DESC NULLS FIRST`)
      .orderBy('a.inbox_id', 'desc')
      .limit(f.limit)
      .execute(),
    inRange
      .select([refusalRule.as('rule'), sql<string>`count(*)`.as('count')])
      .groupBy(refusalRule)
      .orderBy(sql`count(*) DESC`)
      .orderBy(refusalRule)
      .execute(),
    inRange
      .select(['a.actor_type', 'a.actor_id', 'u.username', sql<string>`count(*)`.as('count')])
      .groupBy(['a.actor_type', 'a.actor_id', 'u.username'])
      .orderBy(sql`count(*) DESC`)
      .orderBy('a.actor_id')
      .execute(),
  ]);
  return { rows, byRule, byActor };
}

/** Sealed events by sequence number (any order in, sequence order out). */
export async function sealedEvents(db: Db, seqs: readonly number[]): Promise<AuditEvent[]> {
  if (seqs.length === 0) return [];
  const { rows } = await sql<ChainRow>`
    SELECT seq, occurred_at, actor_type, actor_id, actor_agency_ori,
           action, resource_type, resource_id, purpose, outcome, source_ip, request_id, details, prev_hash, hash
      FROM audit_chain WHERE seq = ANY(${seqs.map(String)}::bigint[]) ORDER BY seq`.execute(db);
  return rows.map(toChainEvent);
}
