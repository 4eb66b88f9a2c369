import { createPublicKey } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInclusionProof, verifyAuditLog } from '../../src/services/audit.service.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let analyst: SignedIn;
let callTaker: SignedIn;
let auditor: SignedIn;
let childId: string;
let adultId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  analyst = await enrollAs(t, 'analyst');
  callTaker = await enrollAs(t, 'call_taker');
  auditor = await enrollAs(t, 'auditor');
  const [child, adult] = await db.db
    .insertInto('persons')
    .values([
      {
        given_names: 'Lucía',
        family_name_1: 'Xicará',
        family_name_2: 'Tzoc',
        dob: '2012-03-04',
        dob_basis: 'estimated',
        sex: 'female',
        nationalities: ['GT'],
        a_number: '201234567',
        synthetic: true,
      },
      {
        given_names: 'Mario',
        family_name_1: 'Reyes',
        dob: '1980-01-02',
        dob_basis: 'exact',
        sex: 'male',
        nationalities: ['HN'],
        a_number: '209876543',
        synthetic: true,
      },
    ])
    .returning('id')
    .execute();
  childId = child?.id ?? '';
  adultId = adult?.id ?? '';
});
afterAll(async () => {
  await t.app.close();
  // The last test rewrites an audit row on purpose.
  await db.drop({ auditTampered: true });
});

const read = (id: string, who: SignedIn, purpose?: string) =>
  t.app.inject({
    method: 'GET',
    url: `/api/v1/persons/${id}${purpose ? `?purposeCode=welfare_check&purpose=${encodeURIComponent(purpose)}` : ''}`,
    headers: { cookie: who.cookie },
  });
const eventsFor = (id: string) => db.db.selectFrom('audit_events').selectAll().where('resource_id', '=', id).orderBy('inbox_id').execute();

describe('reading a person', () => {
  it("refuses a child's record without a purpose of use, and audits the refusal", async () => {
    const res = await read(childId, analyst);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('purpose_required');
    expect(res.body).not.toContain('Lucía');
    const [event] = await eventsFor(childId);
    expect(event).toMatchObject({ action: 'person.read', outcome: 'denied', actor_id: analyst.userId });
  });

  it('shows it with a purpose, which the audit keeps', async () => {
    const purpose = 'Locating a child reported missing by her school (case SB-2026-000042)';
    const res = await read(childId, analyst, purpose);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ givenNames: 'Lucía', isMinor: true });
    const events = await eventsFor(childId);
    expect(events.at(-1)).toMatchObject({ outcome: 'allowed', purpose: `welfare_check: ${purpose}` });
  });

  it("reads an adult's record without a purpose, audited all the same", async () => {
    const res = await read(adultId, analyst);
    expect(res.statusCode).toBe(200);
    expect((await eventsFor(adultId)).map((e) => e.outcome)).toEqual(['allowed']);
  });

  it('presents identifiers only to viewers who may see them', async () => {
    const asAnalyst = await read(adultId, analyst);
    expect(asAnalyst.json().identifiers).toEqual({ aNumber: '209876543', others: [] });
    const asCallTaker = await read(adultId, callTaker);
    expect(asCallTaker.statusCode).toBe(200);
    expect(asCallTaker.json().identifiers).toBeUndefined();
    expect(asCallTaker.body).not.toContain('209876543');
  });

  it('keeps auditors out of case content (403, audited as denied)', async () => {
    const res = await read(adultId, auditor);
    expect(res.statusCode).toBe(403);
    const denied = await db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_id', '=', auditor.userId)
      .where('outcome', '=', 'denied')
      .execute();
    expect(denied.length).toBeGreaterThan(0);
  });
});

describe('the audit log', () => {
  it('lets auditors read it, pending events after sealed ones (and records that they did)', async () => {
    // Before sealing, every event is listed as pending (no sequence number yet), in the order it was appended.
    const before = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events?limit=1000', headers: { cookie: auditor.cookie } });
    expect(before.statusCode).toBe(200);
    const unsealed = before.json().events;
    expect(unsealed.length).toBeGreaterThan(10);
    expect(
      unsealed.every((e: { seq: number | null; sealed: boolean; hash: string | null }) => e.seq === null && !e.sealed && e.hash === null),
    ).toBe(true);
    await t.sealAudit();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events?limit=1000', headers: { cookie: auditor.cookie } });
    const events = res.json().events;
    // The sealed chain keeps the order of appending: the same actions, now numbered 1…n; the read before is among them.
    expect(events.slice(0, unsealed.length).map((e: { action: string }) => e.action)).toEqual(
      unsealed.map((e: { action: string }) => e.action),
    );
    const sealed = events.filter((e: { sealed: boolean }) => e.sealed);
    expect(sealed.map((e: { seq: number }) => e.seq)).toEqual(sealed.map((_: unknown, i: number) => i + 1));
    expect(sealed.length).toBe(unsealed.length + 1);
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/v1/audit/events?afterSeq=${sealed.length}`,
      headers: { cookie: auditor.cookie },
    });
    expect(again.json().events[0]).toMatchObject({ action: 'audit.read', actorId: auditor.userId, sealed: false });
    const analystTry = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events', headers: { cookie: analyst.cookie } });
    expect(analystTry.statusCode).toBe(403);
  });

  it("cannot be changed or deleted by the application's database role", async () => {
    expect(await t.sealAudit()).toBeGreaterThan(0);
    await expect(db.pool.query("UPDATE audit_chain SET outcome = 'allowed' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_chain WHERE seq = 1')).rejects.toThrow(/append-only/);
    await expect(db.pool.query('TRUNCATE audit_chain')).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_heads')).rejects.toThrow(/append-only/);
    // A pending event cannot be changed, nor removed except into the chain.
    const pending = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events', headers: { cookie: auditor.cookie } });
    expect(pending.statusCode).toBe(200);
    await expect(db.pool.query("UPDATE audit_inbox SET outcome = 'allowed'")).rejects.toThrow(/not allowed/);
    await expect(db.pool.query('DELETE FROM audit_inbox')).rejects.toThrow(/only into the sealed chain/);
    await expect(db.pool.query('TRUNCATE audit_inbox')).rejects.toThrow(/append-only/);
  });

  it('proves one sealed event to an outside auditor (its batch’s audit path and signed head, checked with the public key alone)', async () => {
    await t.sealAudit();
    const key = await t.app.inject({ method: 'GET', url: '/api/v1/audit/key', headers: { cookie: auditor.cookie } });
    expect(key.statusCode).toBe(200);
    expect(key.json()).toMatchObject({ algorithm: 'Ed25519', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events/3/proof', headers: { cookie: auditor.cookie } });
    expect(res.statusCode, res.body).toBe(200);
    const proof = res.json();
    expect(proof.event.seq).toBe(3);
    expect(proof.head.keyId).toBe(key.json().keyId);
    const publicKey = createPublicKey(key.json().publicKeyPem);
    const asReceived = { ...proof, event: { ...proof.event, occurredAt: new Date(proof.event.occurredAt) } };
    expect(checkInclusionProof(asReceived, publicKey)).toEqual({ valid: true });
    expect(checkInclusionProof({ ...asReceived, event: { ...asReceived.event, action: 'person.nothing' } }, publicKey).valid).toBe(false);
    // The proof request is itself audited; an event not yet sealed has no proof; an analyst may not ask.
    const pendingSeq =
      (await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: auditor.cookie } })).json().count + 1;
    const notYet = await t.app.inject({
      method: 'GET',
      url: `/api/v1/audit/events/${pendingSeq + 50}/proof`,
      headers: { cookie: auditor.cookie },
    });
    expect(notYet.statusCode).toBe(404);
    const analystTry = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events/3/proof', headers: { cookie: analyst.cookie } });
    expect(analystTry.statusCode).toBe(403);
  });

  it('verifies intact, and names the first broken row after a superuser edits one behind its back', async () => {
    await t.sealAudit();
    const intact = await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: auditor.cookie } });
    expect(intact.json()).toMatchObject({ intact: true });
    const count = intact.json().count;
    expect(count).toBeGreaterThan(10);
    // Someone with the database superuser switches the trigger off and rewrites a refusal into a permission.
    const superuser = new pg.Client({ connectionString: db.url });
    await superuser.connect();
    const target = Math.floor(count / 2);
    try {
      await superuser.query("SET session_replication_role = 'replica'");
      const changed = await superuser.query("UPDATE audit_chain SET action = action || ' (edited)', outcome = 'allowed' WHERE seq = $1", [
        target,
      ]);
      expect(changed.rowCount).toBe(1);
    } finally {
      await superuser.end();
    }
    const check = await verifyAuditLog(db.db, { maxMergeDelayMs: 60_000 });
    expect(check).toMatchObject({ intact: false, brokenAt: target });
    const viaApi = await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: auditor.cookie } });
    expect(viaApi.json()).toMatchObject({ intact: false, brokenAt: target });
  });
});
