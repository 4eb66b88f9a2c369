import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, anniversary, dayIn } from '../../src/domain/calendar/calendar-day.js';
import { eighteenthBirthday } from '../../src/domain/persons/age.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * The gate at every hour: the same referrals at instants where Nashville's day
 * is not the UTC day (the evening, 18:00–23:59 Central), a leap day, and the
 * day after each DST change — set through the injected clock, never by waiting.
 */

let db: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const INSTANTS = [
  { name: '23:30 in Nashville (05:30 UTC the next day)', at: '2026-12-06T05:30:00Z' },
  { name: '18:00 in Nashville (midnight UTC)', at: '2026-12-10T00:00:00Z' },
  { name: '23:30 UTC (17:30 in Nashville)', at: '2026-12-12T23:30:00Z' },
  { name: 'a leap day, 22:30 in Nashville', at: '2028-03-01T04:30:00Z' },
  { name: 'the day after spring forward, 23:00 in Nashville', at: '2027-03-15T04:00:00Z' },
  { name: 'the day after fall back, 23:45 in Nashville', at: '2026-11-02T05:45:00Z' },
];

type Staff = { analyst: SignedIn; reviewer: SignedIn };

async function staffAt(instant: string): Promise<Staff> {
  t.clock.now = new Date(instant);
  return { analyst: await enrollAs(t, 'analyst'), reviewer: await enrollAs(t, 'legal_reviewer') };
}

async function referralAbout(
  who: Staff,
  person: Record<string, unknown>,
): Promise<{ caseId: string; personId: string; referralId: string }> {
  const saved = await t.app.inject({
    method: 'POST',
    url: '/api/v1/intake',
    headers: who.analyst.headers,
    payload: tip({ subjects: [{ person: { givenNames: 'Calendario', familyName1: 'Sintético', ...person } }], receivedAt: undefined }),
  });
  expect(saved.statusCode, saved.body).toBe(201);
  const caseId: string = saved.json().case.id;
  const draft = await t.app.inject({
    method: 'POST',
    url: `/api/v1/cases/${caseId}/referrals`,
    headers: who.analyst.headers,
    payload: { purpose: 'enforcement' },
  });
  expect(draft.statusCode, draft.body).toBe(201);
  return { caseId, personId: saved.json().subjects[0].personId, referralId: draft.json().id };
}

const submit = (who: Staff, referralId: string) =>
  t.app.inject({ method: 'POST', url: `/api/v1/referrals/${referralId}/submit`, headers: who.analyst.headers, payload: {} });

describe('ages on the center calendar, at every hour', () => {
  for (const c of INSTANTS) {
    it(`${c.name}: 18 tomorrow is held, 18 today is not`, async () => {
      const who = await staffAt(c.at);
      const today = dayIn(t.clock.now, CENTER_TIME_ZONE);
      const turns18Tomorrow = anniversary(addDays(today, 1), -18);
      const child = await referralAbout(who, { dob: turns18Tomorrow, dobBasis: 'exact' });
      const held = await submit(who, child.referralId);
      expect(held.statusCode, held.body).toBe(200);
      expect(held.json()).toMatchObject({
        status: 'pending_review',
        gate: { decision: 'hold_for_review', reasons: [expect.objectContaining({ rule: 'minor_subject' })] },
      });
      // The youngest who are 18 today on the center's calendar (born 18 years ago today; on 29 February, the 28th).
      const born = anniversary(today, -18);
      const youngestAdult = eighteenthBirthday(born) > today ? addDays(born, -1) : born;
      const adult = await referralAbout(who, { dob: youngestAdult, dobBasis: 'exact' });
      const sent = await submit(who, adult.referralId);
      expect(sent.statusCode, sent.body).toBe(200);
      expect(sent.json()).toMatchObject({ status: 'sent', gate: { decision: 'send', reasons: [] } });
    });

    it(`${c.name}: a protection that ends today is in force through today`, async () => {
      const who = await staffAt(c.at);
      const today = dayIn(t.clock.now, CENTER_TIME_ZONE);
      const protectedToday = await referralAbout(who, { dob: '1990-05-06', dobBasis: 'exact' });
      const added = await t.app.inject({
        method: 'POST',
        url: `/api/v1/persons/${protectedToday.personId}/protections`,
        headers: who.reviewer.headers,
        payload: {
          kind: 'court_case_pending',
          source: 'EOIR',
          reference: 'A-CAL-1',
          startsOn: '2025-01-01',
          endsOn: today,
          verified: true,
        },
      });
      expect(added.statusCode, added.body).toBe(201);
      const held = await submit(who, protectedToday.referralId);
      expect(held.json().gate).toMatchObject({
        decision: 'hold_for_review',
        reasons: [expect.objectContaining({ rule: 'protected_subject' })],
      });

      const endedYesterday = await referralAbout(who, { dob: '1990-05-06', dobBasis: 'exact' });
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/persons/${endedYesterday.personId}/protections`,
        headers: who.reviewer.headers,
        payload: {
          kind: 'court_case_pending',
          source: 'EOIR',
          reference: 'A-CAL-2',
          startsOn: '2025-01-01',
          endsOn: addDays(today, -1),
          verified: true,
        },
      });
      expect((await submit(who, endedYesterday.referralId)).json().gate.decision).toBe('send');
    });
  }
});

describe('a later claim of being a child', () => {
  it('an estimated adult named again with a claimed child’s date of birth (linked by A-number) is held, until a legal reviewer determines the age', async () => {
    const who = await staffAt('2026-12-06T05:30:00Z');
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: who.analyst.headers,
      payload: tip({
        subjects: [
          {
            person: {
              givenNames: 'Tardío',
              familyName1: 'Reclamo',
              dob: '1998-01-01',
              dobBasis: 'estimated',
              identifiers: { aNumber: 'A208887776' },
            },
          },
        ],
      }),
    });
    expect(first.statusCode, first.body).toBe(201);
    const personId: string = first.json().subjects[0].personId;
    const second = await t.app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: who.analyst.headers,
      payload: tip({
        reporter: { name: 'Another Synthetic Caller', phone: '615-555-0171' },
        subjects: [
          {
            person: {
              givenNames: 'Tardío',
              familyName1: 'Reclamo',
              dob: '2010-04-04',
              dobBasis: 'claimed',
              identifiers: { aNumber: 'A-208 887 776' },
            },
          },
        ],
        case: { caseId: first.json().case.id },
      }),
    });
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().subjects[0]).toMatchObject({ personId, linkedBy: 'a_number' });

    // The record reads as a possible minor, with both dates of birth side by side (so it asks for a purpose).
    const purpose = `purposeCode=legal_review&purpose=${encodeURIComponent('weighing conflicting ages before review')}`;
    const person = await t.app.inject({
      method: 'GET',
      url: `/api/v1/persons/${personId}?${purpose}`,
      headers: { cookie: who.reviewer.cookie },
    });
    expect(person.statusCode, person.body).toBe(200);
    expect(person.json()).toMatchObject({
      isMinor: true,
      dob: '1998-01-01',
      dobAssertions: [
        expect.objectContaining({ dob: '1998-01-01', basis: 'estimated', ageToday: 28 }),
        expect.objectContaining({ dob: '2010-04-04', basis: 'claimed', ageToday: 16 }),
      ],
    });

    const draft = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${first.json().case.id}/referrals`,
      headers: who.analyst.headers,
      payload: { purpose: 'enforcement' },
    });
    const held = await submit(who, draft.json().id);
    expect(held.json().gate).toMatchObject({
      decision: 'hold_for_review',
      reasons: [expect.objectContaining({ rule: 'minor_subject', message: expect.stringContaining('claimed date of birth 2010-04-04') })],
    });

    // Only a legal reviewer records an age determination, with its basis and evidence.
    const byAnalyst = await t.app.inject({
      method: 'POST',
      url: `/api/v1/persons/${personId}/age-determinations`,
      headers: who.analyst.headers,
      payload: { dob: '1998-01-01', basis: 'documents', evidence: 'Passport and birth certificate examined, consistent.' },
    });
    expect(byAnalyst.statusCode).toBe(403);
    const determined = await t.app.inject({
      method: 'POST',
      url: `/api/v1/persons/${personId}/age-determinations`,
      headers: who.reviewer.headers,
      payload: { dob: '1998-01-01', basis: 'documents', evidence: 'Passport and birth certificate examined, consistent.' },
    });
    expect(determined.statusCode, determined.body).toBe(201);
    expect(determined.json()).toMatchObject({ isMinor: false, ageBecause: expect.stringContaining('documents') });
    const timeline = await db.db.selectFrom('case_events').select('kind').where('case_id', '=', first.json().case.id).execute();
    expect(timeline.map((e) => e.kind)).toContain('age_determined');

    // A new claim after the determination opens the question again.
    t.clock.advance(60_000);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: who.analyst.headers,
      payload: tip({
        reporter: { name: 'A Third Synthetic Caller', phone: '615-555-0172' },
        subjects: [
          {
            person: {
              givenNames: 'Tardío',
              familyName1: 'Reclamo',
              dob: '2011-02-02',
              dobBasis: 'claimed',
              identifiers: { aNumber: 'A208887776' },
            },
          },
        ],
        case: { caseId: first.json().case.id },
      }),
    });
    const draft2 = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${first.json().case.id}/referrals`,
      headers: who.analyst.headers,
      payload: { purpose: 'enforcement' },
    });
    expect((await submit(who, draft2.json().id)).json().gate.decision).toBe('hold_for_review');
  });

  it("a determination settles the record's own claim, whatever the database server's clock says", async () => {
    // The test clock is days behind the machine's: the record's own assertion must carry the request's time, or it
    // would look newer than the determination and reopen the question.
    const who = await staffAt('2026-11-20T15:00:00Z');
    const saved = await t.app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: who.analyst.headers,
      payload: tip({ subjects: [{ person: { givenNames: 'Reloj', familyName1: 'Atrasado', dob: '2012-01-01', dobBasis: 'claimed' } }] }),
    });
    const personId: string = saved.json().subjects[0].personId;
    t.clock.advance(60_000);
    const determined = await t.app.inject({
      method: 'POST',
      url: `/api/v1/persons/${personId}/age-determinations`,
      headers: who.reviewer.headers,
      payload: { dob: '2001-01-01', basis: 'court_finding', evidence: 'Immigration judge found the date of birth from a birth record.' },
    });
    expect(determined.statusCode, determined.body).toBe(201);
    expect(determined.json().isMinor).toBe(false);
  });
});
