import { createHash } from 'node:crypto';

/**
 * The audit log's hash chain. Each event's hash is SHA-256 over the previous
 * hash and a canonical serialisation of the event (keys sorted, times in ISO
 * 8601 UTC with milliseconds), so a changed, removed or inserted row breaks
 * the chain at that row and every row after it.
 */

export type AuditOutcome = 'allowed' | 'denied' | 'error';
export type AuditActorType = 'user' | 'client' | 'system' | 'anonymous';

export type AuditEventInput = {
  actorType: AuditActorType;
  actorId: string | null;
  actorAgencyOri: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  purpose: string | null;
  outcome: AuditOutcome;
  sourceIp: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
};

export type AuditEvent = AuditEventInput & { seq: number; occurredAt: Date; prevHash: string; hash: string };

export const GENESIS_HASH = '0'.repeat(64);

function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hashed fields, named one by one: a field added to the type later does not silently change old hashes. */
export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  const fields = {
    seq: event.seq,
    occurredAt: event.occurredAt,
    actorType: event.actorType,
    actorId: event.actorId,
    actorAgencyOri: event.actorAgencyOri,
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    purpose: event.purpose,
    outcome: event.outcome,
    sourceIp: event.sourceIp,
    requestId: event.requestId,
    details: event.details,
  };
  return createHash('sha256').update(event.prevHash).update('\n').update(canonical(fields)).digest('hex');
}

export type ChainCheck =
  | { intact: true; count: number; lastHash: string }
  | { intact: false; brokenAt: number; reason: string; count: number };

/** Walks events in sequence order; pass batches in order, carrying the state. */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private failure: { brokenAt: number; reason: string } | undefined;

  push(event: AuditEvent): void {
    if (this.failure) return;
    if (event.seq !== this.expectedSeq) {
      this.failure = { brokenAt: this.expectedSeq, reason: `sequence ${this.expectedSeq} is missing (next is ${event.seq})` };
      return;
    }
    if (event.prevHash !== this.prevHash) {
      this.failure = { brokenAt: event.seq, reason: 'its prev_hash does not match the hash of the event before it' };
      return;
    }
    if (hashEvent(event) !== event.hash) {
      this.failure = { brokenAt: event.seq, reason: 'its contents do not match its hash' };
      return;
    }
    this.prevHash = event.hash;
    this.expectedSeq += 1;
  }

  result(): ChainCheck {
    const count = this.expectedSeq - 1;
    return this.failure ? { intact: false, ...this.failure, count } : { intact: true, count, lastHash: this.prevHash };
  }
}
