import { hash } from 'node:crypto';

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

/** An event as listed: sealed ones carry their sequence number and hash; pending ones (moments in the inbox) null. */
export type ListedAuditEvent = AuditEventInput & {
  occurredAt: Date;
  seq: number | null;
  hash: string | null;
  actorUsername?: string | null;
};

export const GENESIS_HASH = '0'.repeat(64);

function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return quote(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    let out = '';
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      out += `${out ? ',' : ''}${quote(k)}:${canonical(v)}`;
    }
    return `{${out}}`;
  }
  return JSON.stringify(value);
}

/** The hashed fields, named one by one: a field added to the type later does not silently change old hashes. */
export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  return hash('sha256', `${event.prevHash}\n${canonicalFields(event)}`, 'hex');
}

/** Characters JSON.stringify would escape (quote, backslash, controls, surrogates): without them a string is its own JSON body. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON escapes.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const quote = (value: string): string => (NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`);
const str = (value: string | null): string => (value === null ? 'null' : quote(value));

/**
 * canonical() of the hashed fields, written out with the keys already in their sorted order — the same bytes
 * (a test checks it against canonical() itself), without building and sorting an object per event: verification
 * hashes every event of the log.
 */
export function canonicalFields(event: Omit<AuditEvent, 'hash'>): string {
  return (
    `{"action":${quote(event.action)},"actorAgencyOri":${str(event.actorAgencyOri)},"actorId":${str(event.actorId)}` +
    `,"actorType":${quote(event.actorType)},"details":${canonical(event.details)}` +
    `,"occurredAt":"${event.occurredAt.toISOString()}","outcome":${quote(event.outcome)}` +
    `,"purpose":${str(event.purpose)},"requestId":${str(event.requestId)},"resourceId":${str(event.resourceId)}` +
    `,"resourceType":${str(event.resourceType)},"seq":${JSON.stringify(event.seq)},"sourceIp":${str(event.sourceIp)}}`
  );
}

/** The generic form canonicalFields must equal: the fields as an object, through canonical(). */
export function canonicalFieldsReference(event: Omit<AuditEvent, 'hash'>): string {
  return canonical({
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
  });
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

  get broken(): boolean {
    return this.failure !== undefined;
  }

  result(): ChainCheck {
    const count = this.expectedSeq - 1;
    return this.failure ? { intact: false, ...this.failure, count } : { intact: true, count, lastHash: this.prevHash };
  }
}

/**
 * The Merkle tree over one sealed batch (RFC 6962 §2.1, as Certificate Transparency builds it): leaves are the
 * batch's event hashes in sequence order, a leaf's node is SHA-256(0x00 ‖ hash), an inner node SHA-256(0x01 ‖ left ‖
 * right), and a tree of n > 1 leaves splits at the largest power of two below n. One event's inclusion in a signed
 * batch is then proved with log2(n) hashes, without the rest of the log.
 */
// Scratch buffers for the prefixed inputs (hash() copies what it reads): one leaf or inner node at a time.
const leafInput = Buffer.alloc(33);
const innerInput = Buffer.alloc(65);
innerInput[0] = 1;
const leafNode = (eventHash: string): Buffer => {
  if (leafInput.write(eventHash, 1, 'hex') !== 32) throw new Error('an event hash is 64 hexadecimal digits');
  return hash('sha256', leafInput, 'buffer');
};
const innerNode = (left: Buffer, right: Buffer): Buffer => {
  left.copy(innerInput, 1);
  right.copy(innerInput, 33);
  return hash('sha256', innerInput, 'buffer');
};
const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

function subtreeRoot(leaves: readonly Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 1) return leaves[from] as Buffer;
  const k = splitPoint(n);
  return innerNode(subtreeRoot(leaves, from, from + k), subtreeRoot(leaves, from + k, to));
}

export function merkleRoot(eventHashes: readonly string[]): string {
  if (eventHashes.length === 0) throw new Error('a batch has at least one event');
  return subtreeRoot(eventHashes.map(leafNode), 0, eventHashes.length).toString('hex');
}

/** The audit path of leaf `index` (RFC 6962 §2.1.1): sibling hashes from the leaf up. */
export function inclusionPath(eventHashes: readonly string[], index: number): string[] {
  if (index < 0 || index >= eventHashes.length) throw new Error('the event is not in the batch');
  const leaves = eventHashes.map(leafNode);
  const path: string[] = [];
  const walk = (from: number, to: number, m: number): void => {
    const n = to - from;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(from, from + k, m);
      path.push(subtreeRoot(leaves, from + k, to).toString('hex'));
    } else {
      walk(from + k, to, m - k);
      path.push(subtreeRoot(leaves, from, from + k).toString('hex'));
    }
  };
  walk(0, leaves.length, index);
  return path;
}

/** Recomputes the root from one event hash and its audit path (RFC 9162 §2.1.3.2); true when it is `root`. */
export function verifyInclusion(eventHash: string, index: number, size: number, path: readonly string[], root: string): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafNode(eventHash);
  for (const sibling of path) {
    if (sn === 0) return false;
    const p = Buffer.from(sibling, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = innerNode(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = innerNode(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && r.toString('hex') === root;
}

/** A sealed batch's head: what the sealer signs and publishes. */
export type AuditHead = { firstSeq: number; lastSeq: number; headHash: string; merkleRoot: string };

/** The exact bytes signed for a head (Ed25519): a versioned, line-separated text, nothing else. */
export const headMessage = (head: AuditHead): Buffer =>
  Buffer.from(`switchboard-audit-head:v1\n${head.firstSeq}\n${head.lastSeq}\n${head.headHash}\n${head.merkleRoot}`, 'utf8');
