import { describe, expect, it } from 'vitest';
import { type AuditEvent, ChainVerifier, GENESIS_HASH, hashEvent } from '../../src/domain/audit/audit-chain.js';

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
