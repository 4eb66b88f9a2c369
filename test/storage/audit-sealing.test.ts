import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashEvent, merkleRoot } from '../../src/domain/audit/audit-chain.js';
import {
  appendAudit,
  checkInclusionProof,
  checkPublishedHeads,
  inclusionProof,
  type RequestContext,
  verifyAuditLog,
} from '../../src/services/audit.service.js';
import { AuditSealer, type PublishedHead } from '../../src/services/audit-sealer.js';
import { createTestDatabase, databaseKind, type TestDatabase } from '../support/database.js';

const ctx: RequestContext = {
  actor: null,
  system: 'audit-sealing-test',
  sourceIp: null,
  requestId: null,
  now: new Date('2026-11-29T15:00:00Z'),
  timeZone: 'America/Chicago',
};
const { privateKey: key } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(key);

let db: TestDatabase;
/** One sealer per node name, kept across the tests: a node's sealer holds its lease under one epoch. */
const sealers = new Map<string, AuditSealer>();
const sealer = (nodeId: string) => {
  let s = sealers.get(nodeId);
  if (!s) {
    s = new AuditSealer(db.db, { nodeId, signingKey: key, intervalMs: 1000, leaseMs: 30_000, batchSize: 10 });
    sealers.set(nodeId, s);
  }
  return s;
};
const append = (action: string, details: Record<string, unknown> = {}) =>
  db.db.transaction().execute((trx) => appendAudit(trx, ctx, { action, outcome: 'allowed', details }));
const counts = async () => {
  const { rows } = await db.pool.query<{ inbox: number; chain: number }>(
    'SELECT (SELECT count(*)::int FROM audit_inbox) AS inbox, (SELECT count(*)::int FROM audit_chain) AS chain',
  );
  return rows[0] as { inbox: number; chain: number };
};

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const s of sealers.values()) await s.stop();
  await db?.drop({ auditTampered: true });
});

describe(`the audit inbox and its sealer on the ${databaseKind()} server`, () => {
  it('lets two transactions append at once: neither waits for the other (no chain lock)', async () => {
    const a = await db.pool.connect();
    const b = await db.pool.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      const append = "INSERT INTO audit_inbox (occurred_at, actor_type, action, outcome) VALUES ($1, 'system', $2, 'allowed')";
      await a.query(append, [ctx.now, 'first.open']);
      await b.query(append, [ctx.now, 'second.open']);
      // With the old advisory lock, b's append would have waited for a's commit: here b commits while a is open.
      await b.query('COMMIT');
      await a.query('ROLLBACK');
    } finally {
      a.release();
      b.release();
    }
    const { rows } = await db.pool.query<{ action: string }>('SELECT action FROM audit_events');
    expect(rows.map((r) => r.action)).toEqual(['second.open']);
  });

  it('seals in append order, in batches, each with a Merkle root and a signed head; verify checks them all', async () => {
    for (let i = 0; i < 25; i++) await append('person.read', { i });
    const s = sealer('node-a');
    expect(await s.sealAll()).toBe(26);
    expect(s.batches).toBe(3);
    expect(await counts()).toEqual({ inbox: 0, chain: 26 });
    const chain = await db.db.selectFrom('audit_chain').select(['seq', 'action', 'details', 'hash']).orderBy('seq').execute();
    expect(chain.map((e) => e.action)).toEqual(['second.open', ...Array.from({ length: 25 }, () => 'person.read')]);
    expect(chain.slice(1).map((e) => e.details.i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const heads = await db.db.selectFrom('audit_heads').selectAll().orderBy('batch').execute();
    expect(heads.map((h) => [Number(h.first_seq), Number(h.last_seq)])).toEqual([
      [1, 10],
      [11, 20],
      [21, 26],
    ]);
    expect(heads[1]?.merkle_root).toBe(merkleRoot(chain.slice(10, 20).map((e) => e.hash)));
    const check = await verifyAuditLog(db.db, { publicKey, maxMergeDelayMs: 60_000 });
    expect(check).toMatchObject({ intact: true, count: 26, heads: { checked: 3, signaturesChecked: true }, pending: { count: 0 } });
    // Another key did not sign these heads.
    const other = createPublicKey(generateKeyPairSync('ed25519').privateKey);
    expect(await verifyAuditLog(db.db, { publicKey: other, maxMergeDelayMs: 60_000 })).toMatchObject({ intact: false, brokenAt: 1 });
  });

  it('keeps a rolled-back act out of the log, and a committed one in it', async () => {
    await db.db
      .transaction()
      .execute(async (trx) => {
        await appendAudit(trx, ctx, { action: 'never.happened', outcome: 'allowed' });
        throw new Error('the write failed');
      })
      .catch(() => undefined);
    await append('did.happen');
    expect(await sealer('node-a').sealAll()).toBe(1);
    const { rows } = await db.pool.query<{ action: string }>(
      "SELECT action FROM audit_events WHERE action IN ('never.happened', 'did.happen')",
    );
    expect(rows.map((r) => r.action)).toEqual(['did.happen']);
  });

  it('reports events waiting longer than the merge delay, and is intact again once they are sealed', async () => {
    await append('waiting');
    const stale = await verifyAuditLog(db.db, { publicKey, maxMergeDelayMs: 0 });
    expect(stale).toMatchObject({ intact: false, pending: { count: 1 } });
    expect(stale.reason).toMatch(/wait to be sealed/);
    await sealer('node-a').sealAll();
    expect(await verifyAuditLog(db.db, { publicKey, maxMergeDelayMs: 0 })).toMatchObject({ intact: true, pending: { count: 0 } });
  });

  it('is fenced: only the lease holder under its epoch seals; a taken-over sealer is refused and loses nothing', async () => {
    // Node b finds the lease held and seals nothing; the events wait.
    const a = sealer('node-a');
    expect(await a.sealAll()).toBe(0);
    expect(a.isLeading).toBe(true);
    await append('while-a-leads');
    const b = sealer('node-b');
    expect(await b.sealAll()).toBe(0);
    expect(b.isLeading).toBe(false);
    // a stalls past its lease (made to expire here); b takes over with a new epoch.
    await db.pool.query("UPDATE cluster_leases SET expires_at = '-infinity' WHERE name = 'audit'");
    expect(await b.sealAll()).toBe(1);
    await append('after-takeover');
    // a wakes and tries to seal under its old epoch: the database refuses it, and the event waits for b.
    const before = await counts();
    expect(await a.sealAll()).toBe(0);
    expect(a.refused).toBe(1);
    expect(a.isLeading).toBe(false);
    expect(await counts()).toEqual(before);
    expect(await b.sealAll()).toBe(1);
    const epochs = await db.db.selectFrom('audit_heads').select(['holder', 'epoch']).orderBy('batch', 'desc').limit(2).execute();
    expect(epochs.every((h) => h.holder === 'node-b')).toBe(true);
    expect(await verifyAuditLog(db.db, { publicKey, maxMergeDelayMs: 60_000 })).toMatchObject({ intact: true });
  });

  it('refuses a batch that does not continue the chain, and one naming an event not in the inbox', async () => {
    await append('contested');
    const { rows } = await db.pool.query<{ epoch: string; holder: string }>(
      "SELECT epoch, holder FROM cluster_leases WHERE name = 'audit'",
    );
    const lease = rows[0] as { epoch: string; holder: string };
    const [pending] = (await db.pool.query<{ id: string }>('SELECT id FROM audit_inbox')).rows;
    const tail = (await db.pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1'))
      .rows[0];
    const seal = (links: unknown[], head: unknown) =>
      db.pool.query('SELECT audit_seal($1, $2, $3::jsonb, $4::jsonb)', [
        lease.holder,
        lease.epoch,
        JSON.stringify(links),
        JSON.stringify(head),
      ]);
    const h = 'c'.repeat(64);
    // A stale view of the chain: the sequence number is already taken.
    await expect(seal([{ inbox_id: pending?.id, seq: 1, prev_hash: '0'.repeat(64), hash: h }], {})).rejects.toMatchObject({
      code: 'SBA02',
    });
    // An event that is not in the inbox (already sealed, or invented).
    await expect(
      seal([{ inbox_id: '999999', seq: Number(tail?.seq) + 1, prev_hash: tail?.hash, hash: h }], {
        firstSeq: Number(tail?.seq) + 1,
        lastSeq: Number(tail?.seq) + 1,
        headHash: h,
        merkleRoot: h,
      }),
    ).rejects.toMatchObject({ code: 'SBA03' });
    expect((await counts()).inbox).toBe(1);
    await sealer('node-b').sealAll();
  });

  it('proves one event’s inclusion to an outside auditor with the public key alone', async () => {
    for (let i = 0; i < 13; i++) await append('proof.subject', { i });
    await sealer('node-b').sealAll();
    const seq = Number(
      (await db.pool.query("SELECT seq FROM audit_chain WHERE details->>'i' = '6' AND action = 'proof.subject'")).rows[0].seq,
    );
    const proof = await inclusionProof(db.db, seq);
    expect(proof).toBeDefined();
    if (!proof) return;
    expect(proof.size).toBe(10);
    expect(checkInclusionProof(proof, publicKey)).toEqual({ valid: true });
    // The same proof for a changed event (a purpose rewritten), or under another key, fails.
    const forged = { ...proof, event: { ...proof.event, purpose: 'rewritten', hash: '' } };
    forged.event.hash = hashEvent(forged.event);
    expect(checkInclusionProof(forged, publicKey).valid).toBe(false);
    expect(checkInclusionProof(proof, createPublicKey(generateKeyPairSync('ed25519').privateKey)).valid).toBe(false);
  });

  it('detects a rewrite by the database owner even when every hash and root is recomputed: the published heads differ', async () => {
    const published: PublishedHead[] = [];
    const s = sealer('node-b');
    await append('before.publication');
    await s.sealAll();
    const head = await s.publish();
    expect(head).toBeDefined();
    if (head) published.push(head);
    const file = published.map((p) => JSON.stringify(p)).join('\n');
    expect(await checkPublishedHeads(db.db, file)).toEqual({ checked: 1, mismatches: [] });
    // A superuser rewrites event 2, then recomputes every hash after it and every head's root (not the signatures:
    // the key is not in the database).
    const superuser = new pg.Client({ connectionString: db.url });
    await superuser.connect();
    try {
      await superuser.query("SET session_replication_role = 'replica'");
      await superuser.query("UPDATE audit_chain SET action = 'rewritten' WHERE seq = 2");
      const rows = await db.db.selectFrom('audit_chain').selectAll().orderBy('seq').execute();
      let prev = '0'.repeat(64);
      const hashes: string[] = [];
      for (const r of rows) {
        const event = {
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
          prevHash: prev,
        };
        prev = hashEvent(event);
        hashes.push(prev);
        await superuser.query('UPDATE audit_chain SET prev_hash = $1, hash = $2 WHERE seq = $3', [event.prevHash, prev, event.seq]);
      }
      for (const h of (await superuser.query('SELECT batch, first_seq, last_seq FROM audit_heads')).rows) {
        const batch = hashes.slice(Number(h.first_seq) - 1, Number(h.last_seq));
        await superuser.query('UPDATE audit_heads SET head_hash = $1, merkle_root = $2 WHERE batch = $3', [
          batch.at(-1),
          merkleRoot(batch),
          h.batch,
        ]);
      }
    } finally {
      await superuser.end();
    }
    // Without the key the rewrite would pass; with it, the first head's signature fails; and the published head differs.
    expect(await verifyAuditLog(db.db, { maxMergeDelayMs: 60_000 })).toMatchObject({ intact: true });
    const check = await verifyAuditLog(db.db, { publicKey, maxMergeDelayMs: 60_000 });
    expect(check).toMatchObject({ intact: false, brokenAt: 1 });
    expect(check.reason).toMatch(/signature/);
    const against = await checkPublishedHeads(db.db, file);
    expect(against.mismatches).toEqual([{ batch: head?.batch, reason: expect.stringMatching(/rewritten/) }]);
  });
});
