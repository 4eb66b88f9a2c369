import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../domain/access/access-control.js';
import {
  type AuditEvent,
  type AuditOutcome,
  ChainVerifier,
  hashEvent,
  headMessage,
  inclusionPath,
  merkleRoot,
  verifyInclusion,
} from '../domain/audit/audit-chain.js';
import type { Db } from '../storage/database.js';
import type { SealedHead, StoredHead } from '../storage/repositories/audit.repository.js';
import * as audit from '../storage/repositories/audit.repository.js';
import type { Database } from '../storage/schema.js';

/**
 * The audit log (migration 0025): `appendAudit` adds an event to the inbox in
 * the caller's transaction; the sealer chains it. Verification, the listing
 * and the oversight reports live here too.
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
  // A receiving organisation answering a hand-off is an outside system too: a client, named handoff:<organisation id>.
  if (actor?.kind === 'organisation') return { actorType: 'client', actorId: `handoff:${actor.organisationId}`, actorAgencyOri: null };
  if (ctx.system) return { actorType: 'system', actorId: ctx.system, actorAgencyOri: null };
  return { actorType: 'anonymous', actorId: null, actorAgencyOri: null };
}

/**
 * Appends one event to the audit inbox in the caller's transaction: it commits exactly when the act it records
 * does, or not at all. No lock and no read: appends from every node run in parallel (group commit); the sealer
 * (services/audit-sealer.ts) gives the event its sequence number and hash moments later.
 */
export async function appendAudit(trx: Transaction<Database>, ctx: RequestContext, entry: AuditEntry): Promise<void> {
  await audit.insertInboxEvent(trx, {
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
  });
}

/** An event that records no other write (a refused request, a failed sign-in): its own transaction. */
export const recordAudit = (db: Db, ctx: RequestContext, entry: AuditEntry): Promise<void> =>
  db.transaction().execute((trx) => appendAudit(trx, ctx, entry));

/** What `audit verify` found: the chain, the signed heads over it, and the inbox against the merge delay. */
export type AuditVerification = {
  /** True when the chain is unbroken, every head matches its batch, and no pending event is older than the merge delay. */
  intact: boolean;
  /** Sealed events checked (all of them, when intact). */
  count: number;
  lastHash: string | null;
  brokenAt?: number;
  reason?: string;
  heads: { checked: number; signaturesChecked: boolean; latest: StoredHead | null };
  pending: { count: number; oldestAgeMs: number | null; maxMergeDelayMs: number };
};

const headFailure = (head: StoredHead, reason: string) => ({
  brokenAt: head.firstSeq,
  reason: `batch ${head.batch} (${head.firstSeq}–${head.lastSeq}): ${reason}`,
});

/**
 * Recomputes the sealed chain (every hash, every link), each batch's Merkle root against its head, and — given the
 * sealer's public key — each head's signature; then checks that nothing waits in the inbox longer than the merge
 * delay. Reads a page ahead while it hashes the one in hand.
 */
export async function verifyAuditLog(
  db: Db,
  options: { publicKey?: KeyObject; maxMergeDelayMs: number; pageSize?: number },
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 10_000;
  const verifier = new ChainVerifier();
  let heads = await audit.headsAfter(db, 0, 1000);
  let head = heads.shift();
  let latest: StoredHead | null = null;
  let checked = 0;
  let batchHashes: string[] = [];
  let failure: { brokenAt: number; reason: string } | undefined;
  let lastSeq = 0;
  let next = audit.chainPage(db, 0, pageSize);
  outer: for (;;) {
    const page = await next;
    const last = page.at(-1);
    // The next page is read while this one is hashed (handled now, so an early stop leaves no unhandled rejection).
    if (last && page.length === pageSize) {
      next = audit.chainPage(db, last.seq, pageSize);
      next.catch(() => undefined);
    }
    for (const event of page) {
      verifier.push(event);
      if (verifier.broken) break outer;
      lastSeq = event.seq;
      if (!head) {
        if (latest) {
          failure = { brokenAt: event.seq, reason: `event ${event.seq} is in no signed batch` };
          break outer;
        }
        continue;
      }
      if (event.seq < head.firstSeq) {
        // Sealed before heads existed (migration 0025), or a gap between batches: only the former is allowed.
        if (checked > 0) {
          failure = { brokenAt: event.seq, reason: `event ${event.seq} is in no signed batch` };
          break outer;
        }
        continue;
      }
      batchHashes.push(event.hash);
      if (event.seq < head.lastSeq) continue;
      if (event.hash !== head.headHash) failure = headFailure(head, 'its head hash is not the chain’s hash at its last event');
      else if (merkleRoot(batchHashes) !== head.merkleRoot) failure = headFailure(head, 'its Merkle root does not match its events');
      else if (options.publicKey && !verifyHeadSignature(head, options.publicKey))
        failure = headFailure(head, 'its signature does not verify with the sealer’s public key');
      if (failure) break outer;
      checked += 1;
      latest = head;
      batchHashes = [];
      if (heads.length === 0) heads = await audit.headsAfter(db, head.lastSeq, 1000);
      const following = heads.shift();
      if (following && following.firstSeq !== head.lastSeq + 1) {
        failure = headFailure(following, `it does not start where batch ${head.batch} ended`);
        break outer;
      }
      head = following;
    }
    if (!last || page.length < pageSize) break;
  }
  const chain = verifier.result();
  if (chain.intact && !failure && head) {
    failure =
      lastSeq < head.firstSeq
        ? headFailure(head, 'its events are missing from the chain')
        : headFailure(head, `events after ${lastSeq} are missing`);
  }
  const pending = await audit.inboxState(db);
  const pendingState = { ...pending, maxMergeDelayMs: options.maxMergeDelayMs };
  const heads_ = { checked, signaturesChecked: options.publicKey !== undefined, latest };
  if (!chain.intact)
    return {
      intact: false,
      count: chain.count,
      lastHash: null,
      brokenAt: chain.brokenAt,
      reason: chain.reason,
      heads: heads_,
      pending: pendingState,
    };
  if (failure) return { intact: false, count: chain.count, lastHash: chain.lastHash, ...failure, heads: heads_, pending: pendingState };
  if (pending.oldestAgeMs !== null && pending.oldestAgeMs > options.maxMergeDelayMs) {
    return {
      intact: false,
      count: chain.count,
      lastHash: chain.lastHash,
      brokenAt: chain.count + 1,
      reason: `${pending.count} events wait to be sealed, the oldest for ${Math.round(pending.oldestAgeMs)} ms (longer than the merge delay of ${options.maxMergeDelayMs} ms): is the sealer running?`,
      heads: heads_,
      pending: pendingState,
    };
  }
  return { intact: true, count: chain.count, lastHash: chain.count > 0 ? chain.lastHash : null, heads: heads_, pending: pendingState };
}

export const verifyHeadSignature = (head: SealedHead, publicKey: KeyObject): boolean => {
  if (!head.signature) return false;
  try {
    return verify(null, headMessage(head), publicKey, Buffer.from(head.signature, 'base64url'));
  } catch {
    return false;
  }
};

/** A key's short name: the first 16 hex digits of SHA-256 over its raw public key. */
export const auditKeyId = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
    .slice(0, 16);

export type InclusionProof = {
  event: AuditEvent;
  batch: number;
  index: number;
  size: number;
  path: string[];
  head: SealedHead & { batch: number };
};

/**
 * Everything an outside auditor needs to check that sealed event `seq` is in a signed batch, without the rest of
 * the log: the event (whose hash they recompute), its index and the audit path to the batch's Merkle root, and the
 * signed head. Undefined for an event not sealed, or sealed before heads existed.
 */
export async function inclusionProof(db: Db, seq: number): Promise<InclusionProof | undefined> {
  const event = await audit.sealedEvent(db, seq);
  const batch = event ? await audit.batchOf(db, seq) : undefined;
  if (!event || !batch) return undefined;
  const index = seq - batch.head.firstSeq;
  const { batch: number, firstSeq, lastSeq, headHash, merkleRoot: root, keyId, signature } = batch.head;
  return {
    event,
    batch: number,
    index,
    size: batch.hashes.length,
    path: inclusionPath(batch.hashes, index),
    head: { batch: number, firstSeq, lastSeq, headHash, merkleRoot: root, keyId, signature },
  };
}

/**
 * The auditor's side of a proof: recompute the event's hash, walk the path to the root, check the signature. The
 * index and the batch's size come from what is signed (the event's sequence number against the head's range),
 * never from the proof's own say-so.
 */
export function checkInclusionProof(proof: InclusionProof, publicKey: KeyObject): { valid: boolean; reason?: string } {
  const { event, head } = proof;
  if (hashEvent(event) !== event.hash) return { valid: false, reason: 'the event does not match its hash' };
  if (event.seq < head.firstSeq || event.seq > head.lastSeq) return { valid: false, reason: 'the event is outside the head’s batch' };
  if (!verifyInclusion(event.hash, event.seq - head.firstSeq, head.lastSeq - head.firstSeq + 1, proof.path, head.merkleRoot))
    return { valid: false, reason: 'the audit path does not lead to the batch’s Merkle root' };
  if (!verifyHeadSignature(head, publicKey)) return { valid: false, reason: 'the head’s signature does not verify' };
  return { valid: true };
}

/**
 * Compares heads published earlier (AUDIT_HEAD_FILE: one JSON line each) with what the database holds now: each
 * must be there, the same, and signed by the key published with it. A log rewritten in the database — even with
 * every hash and root recomputed and re-chained — fails here, because its heads cannot be re-signed.
 */
export async function checkPublishedHeads(
  db: Db,
  lines: string,
): Promise<{ checked: number; mismatches: { batch: number | null; reason: string }[] }> {
  const mismatches: { batch: number | null; reason: string }[] = [];
  let checked = 0;
  for (const [i, line] of lines.split('\n').entries()) {
    if (!line.trim()) continue;
    checked += 1;
    let published: PublishedHeadLine;
    try {
      published = ZPublishedHead.parse(JSON.parse(line));
    } catch {
      mismatches.push({ batch: null, reason: `line ${i + 1} is not a published head` });
      continue;
    }
    const publicKey = createPublicKey(published.publicKey);
    if (auditKeyId(publicKey) !== published.keyId || !verifyHeadSignature(published, publicKey)) {
      mismatches.push({ batch: published.batch, reason: 'its signature does not verify with the key published with it' });
      continue;
    }
    const [stored] = await audit.headsAfter(db, published.lastSeq - 1, 1);
    if (!stored || stored.lastSeq !== published.lastSeq)
      mismatches.push({ batch: published.batch, reason: `no sealed batch ends at ${published.lastSeq}` });
    else if (stored.headHash !== published.headHash || stored.merkleRoot !== published.merkleRoot || stored.firstSeq !== published.firstSeq)
      mismatches.push({ batch: published.batch, reason: 'the database holds a different head for it (the log was rewritten)' });
  }
  return { checked, mismatches };
}

const ZPublishedHead = z.object({
  batch: z.number().int(),
  firstSeq: z.number().int(),
  lastSeq: z.number().int(),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  merkleRoot: z.string().regex(/^[0-9a-f]{64}$/),
  keyId: z.string(),
  signature: z.string(),
  publicKey: z.string(),
});
type PublishedHeadLine = z.infer<typeof ZPublishedHead>;

export { type AuditFilter, listAuditEvents } from '../storage/repositories/audit.repository.js';

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
