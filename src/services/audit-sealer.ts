import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { type AuditEvent, GENESIS_HASH, hashEvent, headMessage, merkleRoot } from '../domain/audit/audit-chain.js';
import type { Db } from '../storage/database.js';
import * as audit from '../storage/repositories/audit.repository.js';
import { releaseLease, takeOrRenewLeaseWithin } from '../storage/repositories/lease.repository.js';
import { auditKeyId } from './audit.service.js';

/**
 * The audit log's sealer (issue #18). Transactions append events to the inbox without a lock; the sealer — one at
 * a time across every node: the holder of the 'audit' lease, whose epoch fences it like the routing leader's —
 * moves them into the hash chain in batches: sequence numbers in append order, each event's hash over the one
 * before, a Merkle root over the batch, and a head signed with a key the database never sees. audit_seal() in the
 * database refuses a batch from a fenced sealer or one that does not continue the chain, so two sealers cannot
 * fork it. A crash before a batch commits loses nothing: the events are still in the inbox and the next holder
 * seals them.
 *
 * Every `publishEveryMs` the latest head is published — a log line, and a line in a file when one is configured —
 * so whoever holds the published heads can tell a log rewritten in the database (even with every hash
 * recomputed) from the one that was sealed: its heads would not match, and cannot be re-signed.
 */

export type AuditSealerOptions = {
  /** This node's name in the lease (the same as the routing lease's). */
  nodeId: string;
  signingKey: KeyObject;
  /** How often the sealer looks at the inbox (and renews its lease). */
  intervalMs: number;
  leaseMs: number;
  /** Largest batch sealed in one transaction. */
  batchSize?: number;
  publishEveryMs?: number;
  /** A file to which each published head is appended as one JSON line. */
  headFile?: string | undefined;
  log?: (event: string, fields: Record<string, unknown>) => void;
};

export type PublishedHead = {
  batch: number;
  firstSeq: number;
  lastSeq: number;
  headHash: string;
  merkleRoot: string;
  keyId: string;
  signature: string;
  publicKey: string;
  sealedAt: string;
};

export class AuditSealer {
  private timer: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private epoch: number | null = null;
  private leading = false;
  private running: Promise<number> | undefined;
  private lastPublishedSeq = 0;
  /** Monotonic time of the last successful take or renewal of the lease. */
  private renewedAt = 0;
  private readonly keyId: string;
  private readonly publicKeyPem: string;
  /** Events sealed by this node, and batches, since start. */
  sealed = 0;
  batches = 0;
  /** Batches refused because the chain had moved (another sealer) or the lease was lost. */
  refused = 0;

  constructor(
    private readonly db: Db,
    private readonly options: AuditSealerOptions,
  ) {
    const publicKey = createPublicKey(options.signingKey);
    this.keyId = auditKeyId(publicKey);
    this.publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
    if (this.options.publishEveryMs) {
      this.publishTimer = setInterval(() => void this.publish().catch(() => undefined), this.options.publishEveryMs);
      this.publishTimer.unref();
    }
    void this.tick();
  }

  /** Stops, seals what it can, publishes the last head and hands the lease over at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.publishTimer);
    this.timer = this.publishTimer = undefined;
    await this.running?.catch(() => undefined);
    if (this.leading && this.epoch !== null) {
      await this.sealAll().catch(() => undefined);
      await this.publish().catch(() => undefined);
      await releaseLease(this.db, 'audit', this.options.nodeId, this.epoch).catch(() => undefined);
      this.leading = false;
    }
  }

  get isLeading(): boolean {
    return this.leading;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    try {
      // A follower asks for the lease every tick (an update that matches no row while another node holds it); the
      // holder renews it every third of its length, not every tick (each renewal is a durable write).
      const renewDue = !this.leading || performance.now() - this.renewedAt > this.options.leaseMs / 3;
      if (renewDue && !(await this.holdLease())) return;
      await this.sealAll();
    } catch (error) {
      this.options.log?.('audit_seal_failed', { err: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Takes or renews the 'audit' lease; true while this node holds it. */
  private async holdLease(): Promise<boolean> {
    const asked = performance.now();
    const lease = await takeOrRenewLeaseWithin(
      this.db,
      'audit',
      this.options.nodeId,
      this.epoch,
      this.options.leaseMs,
      this.options.intervalMs,
    );
    if (lease === 'busy') return this.leading;
    const was = this.leading;
    this.leading = lease !== undefined;
    if (lease) this.renewedAt = asked;
    if (lease) this.epoch = lease.epoch;
    if (was !== this.leading) this.options.log?.(this.leading ? 'audit_sealer_leading' : 'audit_sealer_following', { epoch: this.epoch });
    return this.leading;
  }

  /**
   * Seals every event now in the inbox (batch after batch) if this node holds the lease, taking it when it is
   * free; the number sealed. One run at a time on a node.
   */
  async sealAll(): Promise<number> {
    if (this.running) return this.running;
    const run = (async () => {
      if (!this.leading && !(await this.holdLease())) return 0;
      let total = 0;
      for (;;) {
        // A long backlog outlasts the lease: renew it as the timer would (a batch from an expired lease is refused).
        if (performance.now() - this.renewedAt > this.options.leaseMs / 3 && !(await this.holdLease())) return total;
        const n = await this.sealBatch();
        total += n;
        if (n < (this.options.batchSize ?? 5000)) return total;
      }
    })();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  private async sealBatch(): Promise<number> {
    const epoch = this.epoch;
    if (epoch === null) return 0;
    const limit = this.options.batchSize ?? 5000;
    try {
      return await this.db.transaction().execute(async (trx) => {
        // The inbox first: an idle tick (nothing pending) ends here, without reading the chain's head.
        const pending = await audit.oldestInboxEvents(trx, limit);
        if (pending.length === 0) return 0;
        const tail = await audit.chainTail(trx);
        let seq = tail?.seq ?? 0;
        let prevHash = tail?.hash ?? GENESIS_HASH;
        const links: audit.SealLink[] = [];
        for (const event of pending) {
          seq += 1;
          const linked: Omit<AuditEvent, 'hash'> = { ...event, seq, prevHash };
          const hash = hashEvent(linked);
          links.push({ inboxId: event.inboxId, seq, prevHash, hash });
          prevHash = hash;
        }
        const head = { firstSeq: (tail?.seq ?? 0) + 1, lastSeq: seq, headHash: prevHash, merkleRoot: merkleRoot(links.map((l) => l.hash)) };
        const signature = sign(null, headMessage(head), this.options.signingKey).toString('base64url');
        const n = await audit.sealBatch(trx, this.options.nodeId, epoch, links, { ...head, keyId: this.keyId, signature });
        this.sealed += n;
        this.batches += 1;
        return n;
      });
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
      if (code === 'SBA01') {
        // Fenced: another node holds the lease now; what this node read stays in the inbox for it.
        this.refused += 1;
        this.leading = false;
        this.options.log?.('audit_sealer_fenced', { epoch });
        return 0;
      }
      if (code === 'SBA02') {
        this.refused += 1;
        return 0;
      }
      throw error;
    }
  }

  /** The latest sealed head, published (log line, head file) when it moved since the last publication. */
  async publish(): Promise<PublishedHead | undefined> {
    const head = await audit.latestHead(this.db);
    if (!head || head.lastSeq === this.lastPublishedSeq) return undefined;
    this.lastPublishedSeq = head.lastSeq;
    const published: PublishedHead = {
      batch: head.batch,
      firstSeq: head.firstSeq,
      lastSeq: head.lastSeq,
      headHash: head.headHash,
      merkleRoot: head.merkleRoot,
      keyId: head.keyId,
      signature: head.signature,
      publicKey: this.publicKeyPem,
      sealedAt: head.sealedAt.toISOString(),
    };
    this.options.log?.('audit_head', { ...published, publicKey: undefined });
    if (this.options.headFile) await appendFile(this.options.headFile, `${JSON.stringify(published)}\n`, { mode: 0o640 });
    return published;
  }
}
