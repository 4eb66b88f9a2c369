import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  ChainVerifier,
  canonicalFields,
  canonicalFieldsReference,
  GENESIS_HASH,
  hashEvent,
  headMessage,
  inclusionPath,
  merkleRoot,
  verifyInclusion,
} from '../../src/domain/audit/audit-chain.js';

function chain(n: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = {
      seq,
      occurredAt: new Date(Date.UTC(2026, 10, 29, 3, 0, seq)),
      actorType: 'user' as const,
      actorId: `u${seq % 3}`,
      actorAgencyOri: null,
      action: 'person.read',
      resourceType: 'person',
      resourceId: `p${seq}`,
      purpose: seq % 2 ? 'locating a child reported missing by the school' : null,
      outcome: 'allowed' as const,
      sourceIp: '127.0.0.1',
      requestId: `r${seq}`,
      details: { b: seq, a: [1, 'x'], nested: { z: true, y: null } },
      prevHash,
    };
    const event = { ...base, hash: hashEvent(base) };
    events.push(event);
    prevHash = event.hash;
  }
  return events;
}

const verify = (events: AuditEvent[]) => {
  const verifier = new ChainVerifier();
  for (const e of events) verifier.push(e);
  return verifier.result();
};

describe('audit hash chain', () => {
  it('verifies an untouched chain', () => {
    expect(verify(chain(50))).toMatchObject({ intact: true, count: 50 });
  });

  it('does not depend on the order of keys in details', () => {
    const [event] = chain(1);
    if (!event) throw new Error('no event');
    const reordered = { ...event, details: { nested: { y: null, z: true }, a: [1, 'x'], b: 1 } };
    expect(hashEvent(reordered)).toBe(event.hash);
  });

  it('names the first broken sequence number for an edit, a deletion and a re-hashed edit', () => {
    const edited = chain(10);
    edited[4] = { ...(edited[4] as AuditEvent), purpose: 'changed afterwards' };
    expect(verify(edited)).toMatchObject({ intact: false, brokenAt: 5 });

    const deleted = chain(10).filter((e) => e.seq !== 7);
    expect(verify(deleted)).toMatchObject({ intact: false, brokenAt: 7 });

    // An attacker who recomputes the edited row's hash still breaks the next link.
    const rehashed = chain(10);
    const victim = { ...(rehashed[2] as AuditEvent), outcome: 'denied' as const };
    rehashed[2] = { ...victim, hash: hashEvent(victim) };
    expect(verify(rehashed)).toMatchObject({ intact: false, brokenAt: 4 });
  });
});

describe('the Merkle tree over a sealed batch (RFC 6962)', () => {
  const sha = (...parts: Buffer[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  /** RFC 6962 §2.1 MTH, written from the text: the reference the implementation is checked against. */
  const mth = (leaves: Buffer[]): Buffer => {
    if (leaves.length === 1) return sha(Buffer.from([0]), leaves[0] as Buffer);
    let k = 1;
    while (k * 2 < leaves.length) k *= 2;
    return sha(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
  };
  const hashes = (n: number, salt: number) =>
    Array.from({ length: n }, (_, i) => createHash('sha256').update(`${salt}:${i}`).digest('hex'));

  it('matches the definition for every size up to 70, and every leaf’s audit path leads to the root', () => {
    for (let n = 1; n <= 70; n++) {
      const batch = hashes(n, n);
      const root = merkleRoot(batch);
      expect(root).toBe(mth(batch.map((h) => Buffer.from(h, 'hex'))).toString('hex'));
      for (let i = 0; i < n; i++) {
        const path = inclusionPath(batch, i);
        expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyInclusion(batch[i] as string, i, n, path, root)).toBe(true);
      }
    }
  });

  it('refuses a proof for another event, another index or a changed path', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const batch = hashes(n, 7);
        const i = a % n;
        const j = b % n;
        const root = merkleRoot(batch);
        const path = inclusionPath(batch, i);
        if (j !== i) {
          expect(verifyInclusion(batch[j] as string, i, n, path, root)).toBe(false);
          expect(verifyInclusion(batch[i] as string, j, n, path, root)).toBe(false);
        }
        const bent = [...path];
        bent[0] = createHash('sha256').update('other').digest('hex');
        expect(verifyInclusion(batch[i] as string, i, n, bent, root)).toBe(false);
      }),
      { numRuns: 200, seed: 18 },
    );
  });

  it('signs a head over exactly its four fields', () => {
    const head = { firstSeq: 5, lastSeq: 9, headHash: 'a'.repeat(64), merkleRoot: 'b'.repeat(64) };
    expect(headMessage(head).toString()).toBe(`switchboard-audit-head:v1\n5\n9\n${'a'.repeat(64)}\n${'b'.repeat(64)}`);
  });
});

describe('the canonical form of an event', () => {
  it('written out field by field is byte for byte the generic canonical form', () => {
    const text = fc.oneof(fc.string(), fc.constant('quote " back \\ slash'), fc.constant('ünïcødé 🚸'));
    const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        text,
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1 }),
          occurredAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
          actorType: fc.constantFrom('user', 'client', 'system', 'anonymous' as const),
          actorId: fc.option(text),
          actorAgencyOri: fc.option(text),
          action: text,
          resourceType: fc.option(text),
          resourceId: fc.option(text),
          purpose: fc.option(text),
          outcome: fc.constantFrom('allowed', 'denied', 'error' as const),
          sourceIp: fc.option(text),
          requestId: fc.option(text),
          details: fc.dictionary(text, json, { maxKeys: 5 }),
          prevHash: fc.constant(GENESIS_HASH),
        }),
        (event) => {
          expect(canonicalFields(event)).toBe(canonicalFieldsReference(event));
        },
      ),
      { numRuns: 500, seed: 1818 },
    );
  });
});
