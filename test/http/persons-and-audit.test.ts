import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/services/audit.service.js';
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
const eventsFor = (id: string) => db.db.selectFrom('audit_events').selectAll().where('resource_id', '=', id).orderBy('seq').execute();

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
  it('lets auditors read it (and records that they did)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events?limit=1000', headers: { cookie: auditor.cookie } });
    expect(res.statusCode).toBe(200);
    const events = res.json().events;
    expect(events.length).toBeGreaterThan(10);
    expect(events.map((e: { seq: number }) => e.seq)).toEqual(events.map((_: unknown, i: number) => i + 1));
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/v1/audit/events?afterSeq=${events.length}`,
      headers: { cookie: auditor.cookie },
    });
    expect(again.json().events[0]).toMatchObject({ action: 'audit.read', actorId: auditor.userId });
    const analystTry = await t.app.inject({ method: 'GET', url: '/api/v1/audit/events', headers: { cookie: analyst.cookie } });
    expect(analystTry.statusCode).toBe(403);
  });

  it("cannot be changed or deleted by the application's database role", async () => {
    await expect(db.pool.query("UPDATE audit_events SET outcome = 'allowed' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_events WHERE seq = 1')).rejects.toThrow(/append-only/);
    await expect(db.pool.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
  });

  it('verifies intact, and names the first broken row after a superuser edits one behind its back', async () => {
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
      const changed = await superuser.query("UPDATE audit_events SET action = action || ' (edited)', outcome = 'allowed' WHERE seq = $1", [
        target,
      ]);
      expect(changed.rowCount).toBe(1);
    } finally {
      await superuser.end();
    }
    const check = await verifyAuditChain(db.db);
    expect(check).toMatchObject({ intact: false, brokenAt: target });
    const viaApi = await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: auditor.cookie } });
    expect(viaApi.json()).toMatchObject({ intact: false, brokenAt: target });
  });
});
