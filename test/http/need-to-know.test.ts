import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * A UAC child's records are the UAC unit's need-to-know — the person record,
 * its observations and every search hit, not only the case: outside the unit
 * (and its supervisors and legal reviewers) they do not exist, whatever purpose
 * is stated, and each attempt is audited naming the record and the rule.
 */

let db: TestDatabase;
let t: TestApp;
let uac: SignedIn;
let callTaker: SignedIn;
let analyst: SignedIn;
let officer: SignedIn;
let reviewer: SignedIn;
let childId: string;
let caseId: string;

const PURPOSE = `purposeCode=case_work&purpose=${encodeURIComponent('following up the caller about this child')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  uac = await enrollAs(t, 'uac_specialist');
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  officer = await enrollAs(t, 'field_officer', { fieldOfficeCode: 'HLG' });
  reviewer = await enrollAs(t, 'legal_reviewer');
  const saved = await t.app.inject({
    method: 'POST',
    url: '/api/v1/intake',
    headers: uac.headers,
    payload: tip({
      subjects: [{ person: { givenNames: 'Niña', familyName1: 'Reservada', dob: '2014-05-05', dobBasis: 'estimated' }, role: 'child' }],
      locations: [{ subject: 0, address: { line1: '7 Synthetic Lane', zip: '78521' } }],
      case: { open: { type: 'uac_location', priority: 'high', summary: 'Child alone at the bus station' } },
    }),
  });
  expect(saved.statusCode, saved.body).toBe(201);
  childId = saved.json().subjects[0].personId;
  caseId = saved.json().case.id;
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });

describe("a UAC child's person record", () => {
  it('is 404 outside the unit even with a purpose, and each attempt is audited with the record and the rule', async () => {
    for (const who of [callTaker, analyst, officer]) {
      const res = await get(who, `/api/v1/persons/${childId}?${PURPOSE}`);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('Reservada');
      expect((await get(who, `/api/v1/persons/${childId}/duplicates?${PURPOSE}`)).statusCode).toBe(404);
    }
    const denials = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'action', 'resource_id', 'details'])
      .where('outcome', '=', 'denied')
      .where('resource_id', '=', childId)
      .execute();
    expect(denials.filter((d) => d.action === 'person.read').map((d) => d.actor_id)).toEqual(
      expect.arrayContaining([callTaker.userId, analyst.userId, officer.userId]),
    );
    for (const d of denials) expect(d.details).toMatchObject({ rule: 'uac_need_to_know' });
  });

  it('never appears in anyone else’s search, by name or by ZIP', async () => {
    for (const who of [callTaker, analyst]) {
      for (const q of ['q=nina%20reservada', 'address=78521', `q=nina%20reservada&${PURPOSE}`]) {
        const res = await get(who, `/api/v1/persons?${q}`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().persons.map((p: { id: string }) => p.id)).not.toContain(childId);
      }
    }
  });

  it('is read by the unit and its legal reviewers with a purpose, which the audit keeps', async () => {
    expect((await get(uac, `/api/v1/persons/${childId}`)).statusCode).toBe(400);
    const byUnit = await get(uac, `/api/v1/persons/${childId}?${PURPOSE}`);
    expect(byUnit.statusCode, byUnit.body).toBe(200);
    expect(byUnit.json()).toMatchObject({ givenNames: 'Niña', isMinor: true, unaccompanied: true });
    expect((await get(reviewer, `/api/v1/persons/${childId}?${PURPOSE}`)).statusCode).toBe(200);
    const hits = (await get(uac, `/api/v1/persons?q=nina%20reservada&${PURPOSE}`)).json().persons;
    expect(hits[0]).toMatchObject({ id: childId, restricted: false });
  });
});

describe('a later report on a UAC case', () => {
  const addChild = (who: SignedIn) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: who.headers,
      payload: tip({
        subjects: [{ person: { givenNames: 'Niño', familyName1: 'Reservado', dob: '2015-06-06', dobBasis: 'estimated' }, role: 'child' }],
        locations: [],
        case: { caseId },
      }),
    });

  it('marks the child it adds unaccompanied, as the first report did', async () => {
    const res = await addChild(uac);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().case).toEqual({ id: caseId, caseNumber: expect.any(String), opened: false });
    const child = await get(uac, `/api/v1/persons/${res.json().subjects[0].personId}?${PURPOSE}`);
    expect(child.json()).toMatchObject({ givenNames: 'Niño', unaccompanied: true });
  });

  it('cannot be filed from outside the unit: the case is answered as unknown, and nothing is saved', async () => {
    const reports = () => db.db.selectFrom('case_reports').select('report_id').where('case_id', '=', caseId).execute();
    const before = await reports();
    const res = await addChild(callTaker);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues).toEqual([expect.objectContaining({ path: 'body.case.caseId', code: 'unknown_case' })]);
    expect(await reports()).toEqual(before);
  });
});
