import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * Issue #22 item 5: the best-interest view of a UAC child's case. Wishes, care arrangements and risk factors are
 * recorded (vocabularies checked, history kept), the one document brings them together with the caregivers (the
 * family section's need-to-know and sponsor marking), derived risks (the screening's danger indicators, the age-out
 * day) and one timeline in time order; every read audited with its purpose of use. Synthetic people only.
 * The test clock stands at 2026-11-29 (America/Chicago).
 */

let db: TestDatabase;
let t: TestApp;
let callTaker: SignedIn;
let analyst: SignedIn;
let uac: SignedIn;
let supervisor: SignedIn;
let reviewer: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  uac = await enrollAs(t, 'uac_specialist');
  supervisor = await enrollAs(t, 'supervisor');
  reviewer = await enrollAs(t, 'legal_reviewer');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const reading = 'purposeCode=case_work&purpose=Best-interest%20assessment%20for%20the%20panel';
const view = (who: SignedIn, caseId: string) => get(who, `/api/v1/cases/${caseId}/best-interest?${reading}`);

const QUESTIONS = [
  'trafficking_indicators',
  'labour_exploitation',
  'abuse_or_neglect',
  'missing_from_sponsor',
  'unsafe_sponsor_placement',
  'urgent_medical_need',
  'urgent_mental_health_need',
];
const screen = (yes: string[] = []) => Object.fromEntries(QUESTIONS.map((q) => [q, { answer: yes.includes(q) ? 'yes' : 'no' }]));

/** A UAC case: a child (turning 18 on 2026-12-10) and the sponsor ORR released them to; screened. */
async function childWithSponsor(child: [string, string], sponsor: [string, string], yes: string[] = []) {
  const res = await post(
    callTaker,
    '/api/v1/intake',
    tip({
      narrative: 'The school says the child has not been seen with the sponsor.',
      subjects: [
        { person: { givenNames: child[0], familyName1: child[1], dob: '2008-12-10', dobBasis: 'claimed' }, role: 'child' },
        { person: { givenNames: sponsor[0], familyName1: sponsor[1], dob: '1984-02-03', dobBasis: 'exact' }, role: 'sponsor' },
      ],
      locations: [{ subject: 0, address: { line1: '7 Synthetic Ct', zip: '78520' }, confidence: 'high' }],
      case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Child placed with a sponsor' } },
    }),
  );
  if (res.statusCode !== 201) throw new Error(res.body);
  const c = res.json() as { case: { id: string }; subjects: { personId: string }[] };
  const [childId, sponsorId] = c.subjects.map((s) => s.personId) as [string, string];
  const screened = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, { personId: childId, answers: screen(yes) });
  expect(screened.statusCode, screened.body).toBe(201);
  return { caseId: c.case.id, child: childId, sponsor: sponsorId };
}

const audits = (action: string, resourceId: string) =>
  db.db
    .selectFrom('audit_events')
    .select(['outcome', 'details', 'actor_id', 'purpose'])
    .where('action', '=', action)
    .where('resource_id', '=', resourceId)
    .orderBy('occurred_at')
    .execute();

describe('the best-interest view of a UAC child', () => {
  let kase: { caseId: string; child: string; sponsor: string };
  let sponsorLink: string;
  beforeAll(async () => {
    kase = await childWithSponsor(['Nayeli', 'Condori'], ['Marta', 'Apaza'], ['missing_from_sponsor']);
    const linked = await post(uac, `/api/v1/cases/${kase.caseId}/relationships`, {
      childPersonId: kase.child,
      personId: kase.sponsor,
      type: 'sponsor',
      source: 'orr',
      since: '2026-06-01',
    });
    expect(linked.statusCode, linked.body).toBe(201);
    sponsorLink = linked.json().id;
  });

  it('records wishes, kept as history (latest first), in whose words — audited, on the timeline', async () => {
    t.clock.advance(60_000);
    const first = await post(uac, `/api/v1/cases/${kase.caseId}/best-interest/wishes`, {
      topic: 'where_to_live',
      wish: 'I want to stay with my aunt Marta.',
      expressedOn: '2026-11-20',
      voice: 'child_own_words',
    });
    expect(first.statusCode, first.body).toBe(201);
    t.clock.advance(60_000);
    const second = await post(supervisor, `/api/v1/cases/${kase.caseId}/best-interest/wishes`, {
      topic: 'where_to_live',
      wish: 'I want to live with my mother in Houston.',
      expressedOn: '2026-11-28',
      voice: 'through_interpreter',
      interpreter: 'Aymara, by phone interpreter',
    });
    expect(second.statusCode, second.body).toBe(201);
    const v = (await view(uac, kase.caseId)).json();
    expect(v.wishes.map((w: Body) => [w.wish, w.expressedOn, w.voice, w.interpreter])).toEqual([
      ['I want to live with my mother in Houston.', '2026-11-28', 'through_interpreter', 'Aymara, by phone interpreter'],
      ['I want to stay with my aunt Marta.', '2026-11-20', 'child_own_words', null],
    ]);
    expect(v.wishes[1].recordedBy).toMatch(/\S/);
    const rows = await db.db.selectFrom('child_wishes').select(['person_id', 'wish']).where('case_id', '=', kase.caseId).execute();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.person_id === kase.child)).toBe(true);
    const written = await audits('best_interest.wish.record', kase.caseId);
    expect(written.map((a) => a.outcome)).toEqual(['allowed', 'allowed']);
    expect(written.map((a) => a.actor_id).sort()).toEqual([uac.userId, supervisor.userId].sort());
    expect(v.timeline.filter((e: Body) => e.kind === 'child_wish_recorded')).toHaveLength(2);
  });

  it('refuses a wish through an interpreter without one named, a day to come, and a topic outside the vocabulary', async () => {
    const url = `/api/v1/cases/${kase.caseId}/best-interest/wishes`;
    const noInterpreter = await post(uac, url, {
      topic: 'school',
      wish: 'To go to school',
      expressedOn: '2026-11-29',
      voice: 'through_interpreter',
    });
    expect(noInterpreter.statusCode).toBe(400);
    expect(noInterpreter.json().error.code).toBe('validation_failed');
    expect(noInterpreter.json().error.issues).toEqual([expect.objectContaining({ path: 'body.interpreter', code: 'required' })]);
    const future = await post(uac, url, { topic: 'school', wish: 'To go to school', expressedOn: '2026-11-30', voice: 'child_own_words' });
    expect(future.statusCode).toBe(400);
    expect(future.json().error.issues).toEqual([expect.objectContaining({ path: 'body.expressedOn', code: 'in_future' })]);
    const topic = await post(uac, url, { topic: 'pets', wish: 'A dog', expressedOn: '2026-11-29', voice: 'child_own_words' });
    expect(topic.statusCode).toBe(400);
    expect(topic.json().error.code).toBe('validation_failed');
    expect(topic.json().error.issues.map((i: Body) => i.path)).toEqual(['body.topic']);
    const rows = await db.db.selectFrom('child_wishes').select('id').where('case_id', '=', kase.caseId).execute();
    expect(rows).toHaveLength(2);
    // The refusals after the case was found are kept in the audit as denied, naming their rule (the 400 from the
    // body's schema never reaches the case).
    const denied = (await audits('best_interest.wish.record', kase.caseId)).filter((a) => a.outcome === 'denied');
    expect(denied.map((a) => (a.details as { rule?: string }).rule)).toEqual(['required', 'in_future']);
  });

  it('records care arrangements over time: the later ends the earlier; the caregiver is a relationship of the child that fits', async () => {
    const url = `/api/v1/cases/${kase.caseId}/best-interest/care-arrangements`;
    const noCaregiver = await post(uac, url, { type: 'with_sponsor', from: '2026-06-01' });
    expect(noCaregiver.statusCode).toBe(400);
    expect(noCaregiver.json().error.issues).toEqual([expect.objectContaining({ code: 'caregiver_required' })]);
    const wrongType = await post(uac, url, { type: 'with_parent', caregiverRelationshipId: sponsorLink, from: '2026-06-01' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error.issues).toEqual([expect.objectContaining({ code: 'caregiver_type_mismatch' })]);
    const stranger = await post(uac, url, {
      type: 'with_sponsor',
      caregiverRelationshipId: '00000000-0000-4000-8000-000000000000',
      from: '2026-06-01',
    });
    expect(stranger.json().error.issues).toEqual([expect.objectContaining({ code: 'not_a_relationship_of_child' })]);
    const vocab = await post(uac, url, { type: 'with_neighbour', from: '2026-06-01' });
    expect(vocab.statusCode).toBe(400);
    expect(vocab.json().error.issues.map((i: Body) => i.path)).toEqual(['body.type']);

    t.clock.advance(60_000);
    const shelter = await post(uac, url, { type: 'orr_shelter', from: '2026-05-02', notes: 'ORR shelter in Brownsville' });
    expect(shelter.statusCode, shelter.body).toBe(201);
    t.clock.advance(60_000);
    const sponsor = await post(uac, url, { type: 'with_sponsor', caregiverRelationshipId: sponsorLink, from: '2026-06-01' });
    expect(sponsor.statusCode, sponsor.body).toBe(201);

    const v = (await view(uac, kase.caseId)).json();
    expect(v.careArrangement.current).toMatchObject({
      type: 'with_sponsor',
      from: '2026-06-01',
      until: null,
      caregiver: { relationshipId: sponsorLink, name: 'Marta Apaza', type: 'sponsor', protectedSponsor: true },
    });
    expect(v.careArrangement.history.map((a: Body) => [a.type, a.from, a.until])).toEqual([
      ['with_sponsor', '2026-06-01', null],
      ['orr_shelter', '2026-05-02', '2026-05-31'],
    ]);
    const rows = await db.db.selectFrom('care_arrangements').select(['type', 'until_day']).where('case_id', '=', kase.caseId).execute();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.until_day === null)).toBe(true);
  });

  it('records risk factors (kind and level from the vocabularies) beside the derived ones: the screening’s danger indicator, a court case, the age-out day', async () => {
    const url = `/api/v1/cases/${kase.caseId}/best-interest/risks`;
    const level = await post(uac, url, { kind: 'neglect', level: 'severe', notedOn: '2026-11-29' });
    expect(level.statusCode).toBe(400);
    expect(level.json().error.issues.map((i: Body) => i.path)).toEqual(['body.level']);
    const kind = await post(uac, url, { kind: 'gangs', level: 'high', notedOn: '2026-11-29' });
    expect(kind.json().error.issues.map((i: Body) => i.path)).toEqual(['body.kind']);
    t.clock.advance(60_000);
    const court = await post(reviewer, `/api/v1/persons/${kase.child}/protections`, {
      kind: 'court_case_pending',
      source: 'EOIR automated case information',
      reference: 'EOIR-SYN-0043',
      startsOn: '2026-09-01',
    });
    expect(court.statusCode, court.body).toBe(201);
    const ok = await post(uac, url, { kind: 'exploitation', level: 'high', notedOn: '2026-11-27', notes: 'Works nights at a car wash' });
    expect(ok.statusCode, ok.body).toBe(201);
    const v = (await view(uac, kase.caseId)).json();
    expect(v.risks.recorded).toEqual([
      expect.objectContaining({ kind: 'exploitation', level: 'high', notedOn: '2026-11-27', notes: 'Works nights at a car wash' }),
    ]);
    expect(v.risks.derived).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'welfare_screening', kind: 'missing_from_sponsor', on: '2026-11-29' }),
        expect.objectContaining({ source: 'age_out', on: '2026-12-10' }),
        expect.objectContaining({ source: 'protection', kind: 'court_case_pending', reference: 'EOIR-SYN-0043', on: '2026-11-29' }),
      ]),
    );
    expect(v.child).toEqual({
      personId: kase.child,
      name: 'Nayeli Condori',
      age: 17,
      dob: '2008-12-10',
      turns18On: '2026-12-10',
      daysToAgeOut: 11,
    });
  });

  it('shows caregivers as the family section does: the sponsor marked protected', async () => {
    const v = (await view(uac, kase.caseId)).json();
    expect(v.caregivers).toEqual([
      expect.objectContaining({
        relationshipId: sponsorLink,
        personId: kase.sponsor,
        name: 'Marta Apaza',
        type: 'sponsor',
        current: true,
        protectedSponsor: true,
      }),
    ]);
    const family = (await get(uac, `/api/v1/cases/${kase.caseId}/family?${reading}`)).json();
    const link = family.relationships.find((r: Body) => r.id === sponsorLink);
    expect(link.protectedSponsor).toBe(true);
  });

  it('puts the timeline in time order: case events, the screening, welfare referrals, consents and care changes', async () => {
    t.clock.advance(60_000);
    const consent = await post(uac, `/api/v1/cases/${kase.caseId}/consents`, {
      personId: kase.child,
      scope: 'services',
      decision: 'granted',
      givenBy: 'child',
      givenOn: '2026-11-29',
      basis: 'Explained in Aymara; the child agreed',
    });
    expect(consent.statusCode, consent.body).toBe(201);
    const v = (await view(uac, kase.caseId)).json();
    const timeline = v.timeline as { at: string; source: string; kind: string; summary: string }[];
    const ats = timeline.map((e) => e.at);
    expect(ats).toEqual([...ats].sort());
    const sources = new Set(timeline.map((e) => e.source));
    for (const s of ['case_event', 'screening', 'welfare_referral', 'consent', 'care_arrangement']) expect(sources).toContain(s);
    const order = (kind: string) => timeline.findIndex((e) => e.kind === kind);
    expect(order('welfare_screened')).toBeLessThan(order('child_wish_recorded'));
    expect(order('child_wish_recorded')).toBeLessThan(order('care_arrangement_recorded'));
    expect(order('care_arrangement_recorded')).toBeLessThan(order('risk_factor_recorded'));
    expect(order('risk_factor_recorded')).toBeLessThan(order('consent_recorded'));
    expect(timeline.find((e) => e.source === 'screening')?.summary).toMatch(/positive — danger indicators: missing from sponsor/);
    expect(timeline.filter((e) => e.kind === 'care_arrangement_recorded')).toHaveLength(2);
  });

  it('asks a purpose of use, and audits every read with it', async () => {
    const before = (await audits('best_interest.read', kase.caseId)).length;
    const refused = await get(uac, `/api/v1/cases/${kase.caseId}/best-interest`);
    t.clock.advance(1_000);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('purpose_required');
    expect((await view(reviewer, kase.caseId)).statusCode).toBe(200);
    const rows = (await audits('best_interest.read', kase.caseId)).slice(before);
    expect(rows.map((r) => [r.outcome, r.purpose])).toEqual([
      ['denied', null],
      ['allowed', expect.stringMatching(/case_work.*Best-interest assessment for the panel/)],
    ]);
    expect(rows[1]?.actor_id).toBe(reviewer.userId);
    expect(rows[1]?.details).toMatchObject({ minorRecord: true, purposeCode: 'case_work' });
  });

  it('need-to-know: outside the UAC unit the case does not exist (404, audited); writing needs relationship:write (403)', async () => {
    for (const who of [callTaker, analyst]) {
      const res = await view(who, kase.caseId);
      expect(res.statusCode).toBe(404);
    }
    const denied = await audits('best_interest.read', kase.caseId);
    expect(
      denied.filter((a) => a.outcome === 'denied' && (a.details as Body).reason === 'need_to_know_unit').map((a) => a.actor_id),
    ).toEqual(expect.arrayContaining([callTaker.userId, analyst.userId]));
    const body = { kind: 'abuse', level: 'low', notedOn: '2026-11-29' };
    for (const who of [reviewer, callTaker, analyst]) {
      const res = await post(who, `/api/v1/cases/${kase.caseId}/best-interest/risks`, body);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    const wish = await post(reviewer, `/api/v1/cases/${kase.caseId}/best-interest/wishes`, {
      topic: 'school',
      wish: 'To go to school',
      expressedOn: '2026-11-29',
      voice: 'child_own_words',
    });
    expect(wish.statusCode).toBe(403);
    const rows = await db.db.selectFrom('risk_factors').select('id').where('case_id', '=', kase.caseId).execute();
    expect(rows).toHaveLength(1);
  });
});

describe('only UAC cases', () => {
  it('answers 422 not_a_uac_case for any other case, read or write, and writes nothing', async () => {
    const res = await post(callTaker, '/api/v1/intake', tip());
    expect(res.statusCode, res.body).toBe(201);
    const caseId = res.json().case.id as string;
    const read = await view(supervisor, caseId);
    expect(read.statusCode).toBe(422);
    expect(read.json().error.code).toBe('unprocessable');
    expect(read.json().error.issues).toEqual([expect.objectContaining({ code: 'not_a_uac_case' })]);
    const write = await post(supervisor, `/api/v1/cases/${caseId}/best-interest/risks`, {
      kind: 'abuse',
      level: 'low',
      notedOn: '2026-11-29',
    });
    expect(write.statusCode).toBe(422);
    expect(write.json().error.issues).toEqual([expect.objectContaining({ code: 'not_a_uac_case' })]);
    expect(await db.db.selectFrom('risk_factors').select('id').where('case_id', '=', caseId).execute()).toEqual([]);
    expect((await audits('best_interest.read', caseId)).map((a) => a.outcome)).toEqual(['error']);
    expect((await audits('best_interest.risk.record', caseId)).map((a) => [a.outcome, (a.details as { rule?: string }).rule])).toEqual([
      ['denied', 'not_a_uac_case'],
    ]);
  });

  it('a screening without a danger indicator derives no screening risk', async () => {
    const kase = await childWithSponsor(['Wayra', 'Mamani'], ['Ruth', 'Choque'], ['urgent_medical_need']);
    const v = (await view(uac, kase.caseId)).json();
    expect(v.risks.derived.filter((r: Body) => r.source === 'welfare_screening')).toEqual([]);
    expect(v.caregivers).toEqual([]);
    expect(v.careArrangement).toEqual({ current: null, history: [] });
  });
});
