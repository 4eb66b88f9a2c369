import type { KeyObject } from 'node:crypto';
import { type AuditEvent, inclusionPath } from '../domain/audit/audit-chain.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import * as audit from '../storage/repositories/audit.repository.js';
import { type AuditFilter, listAuditEvents, type SealedHead } from '../storage/repositories/audit.repository.js';
import { appendAudit, auditKeyId, checkInclusionProof, type RequestContext } from './audit.service.js';

/**
 * The auditor's console (issue #20): the refusals report and the export of a search with the proof of each event.
 * The search itself is `listAuditEvents`; the chain's state is `verifyAuditLog`; the reads of children's records
 * are `minorReadsReport`. Every one of these reads is itself audited.
 */

export type Refusal = {
  seq: number | null;
  at: string;
  actorType: string;
  actorId: string | null;
  username: string | null;
  role: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  sourceIp: string | null;
  rule: string;
};

export type RefusalsReport = {
  refusals: Refusal[];
  total: number;
  byRule: { rule: string; count: number }[];
  byActor: { actorType: string; actorId: string | null; username: string | null; count: number }[];
};

/** Every refusal in [from, to): the newest `limit` of them, and counts over the whole range by the rule and by who. */
export async function refusalsReport(db: Db, ctx: RequestContext, f: { from: Date; to: Date; limit: number }): Promise<RefusalsReport> {
  if (f.to <= f.from) throw new AppError('validation_failed', 'The range is empty: "to" must be after "from".');
  return db.transaction().execute(async (trx) => {
    const { rows, byRule, byActor } = await audit.refusals(trx, f);
    const report: RefusalsReport = {
      refusals: rows.map((r) => ({
        seq: r.seq === null ? null : Number(r.seq),
        at: r.occurred_at.toISOString(),
        actorType: r.actor_type,
        actorId: r.actor_id,
        username: r.username,
        role: r.role,
        action: r.action,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        sourceIp: r.source_ip,
        rule: r.rule,
      })),
      total: byRule.reduce((sum, r) => sum + Number(r.count), 0),
      byRule: byRule.map((r) => ({ rule: r.rule, count: Number(r.count) })),
      byActor: byActor.map((r) => ({ actorType: r.actor_type, actorId: r.actor_id, username: r.username, count: Number(r.count) })),
    };
    await appendAudit(trx, ctx, {
      action: 'audit.refusals',
      outcome: 'allowed',
      resourceType: 'audit_events',
      details: { from: f.from.toISOString(), to: f.to.toISOString(), count: report.total },
    });
    return report;
  });
}

export const AUDIT_EXPORT_FORMAT = 'switchboard.audit-export.v1';
/** The most events one export carries (each with its audit path): a longer range is exported in parts. */
export const AUDIT_EXPORT_MAX = 5000;

type PublishedHead = SealedHead & { batch: number };

export type ExportedEvent = {
  event: Omit<AuditEvent, 'occurredAt'> & { occurredAt: string };
  batch: number;
  index: number;
  size: number;
  path: string[];
};

export type AuditExport = {
  format: typeof AUDIT_EXPORT_FORMAT;
  exportedAt: string;
  exportedBy: string | null;
  filter: Record<string, string | number>;
  key: { keyId: string; algorithm: 'Ed25519'; publicKeyPem: string };
  /** The newest signed head when exported: compare it with the heads published outside the database. */
  latestHead: PublishedHead | null;
  /** The signed head of every batch an exported event is in. */
  heads: PublishedHead[];
  events: ExportedEvent[];
  /** Matching events not sealed yet (moments old), or sealed before batches were signed: not in this file. */
  unprovable: number;
  /** More events matched than one export carries: narrow the range. */
  truncated: boolean;
};

const published = (h: audit.StoredHead): PublishedHead => ({
  batch: h.batch,
  firstSeq: h.firstSeq,
  lastSeq: h.lastSeq,
  headHash: h.headHash,
  merkleRoot: h.merkleRoot,
  keyId: h.keyId,
  signature: h.signature,
});

/**
 * The events a search finds, each with what proves it without the rest of the log: the event as hashed, its index
 * and RFC 6962 audit path in its batch, and the batch's signed head; with the sealer's public key. An outside
 * auditor checks it with `switchboard audit check-export` (or any RFC 6962 and Ed25519 implementation).
 */
export async function exportAuditEvents(
  db: Db,
  ctx: RequestContext,
  filter: Omit<AuditFilter, 'limit' | 'order' | 'afterSeq' | 'beforeSeq'>,
  key: { publicKey: KeyObject; pem: string },
): Promise<AuditExport> {
  return db.transaction().execute(async (trx) => {
    const found = await listAuditEvents(trx, { ...filter, order: 'asc', limit: AUDIT_EXPORT_MAX + 1 });
    const truncated = found.length > AUDIT_EXPORT_MAX;
    const matched = found.slice(0, AUDIT_EXPORT_MAX);
    const seqs = matched.flatMap((e) => (e.seq === null ? [] : [e.seq]));
    const events = await audit.sealedEvents(trx, seqs);
    const batches = new Map<number, { head: audit.StoredHead; hashes: string[] }>();
    const exported: ExportedEvent[] = [];
    let covering: { head: audit.StoredHead; hashes: string[] } | undefined;
    for (const event of events) {
      if (!covering || event.seq > covering.head.lastSeq || event.seq < covering.head.firstSeq) {
        covering = await audit.batchOf(trx, event.seq);
        if (covering) batches.set(covering.head.batch, covering);
      }
      if (!covering) continue; // sealed before batches were signed (migration 0025)
      const index = event.seq - covering.head.firstSeq;
      exported.push({
        event: { ...event, occurredAt: event.occurredAt.toISOString() },
        batch: covering.head.batch,
        index,
        size: covering.hashes.length,
        path: inclusionPath(covering.hashes, index),
      });
    }
    const latest = await audit.latestHead(trx);
    const filterShown: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(filter)) {
      if (value instanceof Date) filterShown[name] = value.toISOString();
      else if (typeof value === 'string' || typeof value === 'number') filterShown[name] = value;
    }
    await appendAudit(trx, ctx, {
      action: 'audit.export',
      outcome: 'allowed',
      resourceType: 'audit_events',
      details: { filter: filterShown, count: exported.length, truncated },
    });
    return {
      format: AUDIT_EXPORT_FORMAT,
      exportedAt: ctx.now.toISOString(),
      exportedBy: ctx.actor?.kind === 'user' ? ctx.actor.username : null,
      filter: filterShown,
      key: { keyId: auditKeyId(key.publicKey), algorithm: 'Ed25519', publicKeyPem: key.pem },
      latestHead: latest ? published(latest) : null,
      heads: [...batches.values()].map((b) => published(b.head)),
      events: exported,
      unprovable: matched.length - exported.length,
      truncated,
    };
  });
}

export type ExportCheck = {
  /** Events whose proof holds: hash recomputed, path to the signed root, head signed by the key. */
  valid: number;
  failures: { seq: number | null; reason: string }[];
  keyId: string;
};

/**
 * The auditor's check of an export, with a public key they trust (the one published with the heads, not only the
 * one the file carries): each event's hash from its fields, its path to its batch's Merkle root, that root's head
 * signed by the key. Nothing else of the log is needed.
 */
export function checkAuditExport(file: unknown, publicKey: KeyObject): ExportCheck {
  const keyId = auditKeyId(publicKey);
  const failures: ExportCheck['failures'] = [];
  const doc = file as Partial<AuditExport> | null;
  if (doc?.format !== AUDIT_EXPORT_FORMAT || !Array.isArray(doc.events) || !Array.isArray(doc.heads))
    return { valid: 0, failures: [{ seq: null, reason: `not a ${AUDIT_EXPORT_FORMAT} file` }], keyId };
  if (doc.key?.keyId !== undefined && doc.key.keyId !== keyId)
    failures.push({ seq: null, reason: `the file names key ${doc.key.keyId}, not the key given (${keyId})` });
  const heads = new Map(doc.heads.map((h) => [h.batch, h]));
  let valid = 0;
  for (const item of doc.events) {
    const seq = typeof item?.event?.seq === 'number' ? item.event.seq : null;
    const head = heads.get(item.batch);
    if (!head || seq === null) {
      failures.push({ seq, reason: 'its batch’s head is not in the file' });
      continue;
    }
    const check = checkInclusionProof(
      {
        event: { ...item.event, occurredAt: new Date(item.event.occurredAt) },
        batch: item.batch,
        index: item.index,
        size: item.size,
        path: item.path,
        head,
      },
      publicKey,
    );
    if (check.valid) valid += 1;
    else failures.push({ seq, reason: check.reason ?? 'invalid' });
  }
  return { valid, failures, keyId };
}
