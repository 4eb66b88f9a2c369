import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, dayIn } from '../../src/domain/calendar/calendar-day.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';
import { pdfText } from '../support/pdf-text.js';

/**
 * Issue #22 items 1–2. Relationships (the family tree, suggested links a case worker confirms or rejects,
 * households); sponsor protection on every path that discloses outside the unit — the referral gate and its
 * legal review, the referral's packet (JSON and PDF) and record as the field office reads them, a partner
 * request's gate and legal review, the agency's view (list, one, acknowledge) and the webhook; and consent,
 * checked by the one disclosure check on every request about a child. Synthetic people only.
 */

let db: TestDatabase;
let t: TestApp;
let base: string;
let admin: SignedIn;
let callTaker: SignedIn;
let analyst: SignedIn;
let uac: SignedIn;
let reviewer: SignedIn;
let harlingen: SignedIn;
let cameron: string;
const CAMERON = 'TX0813300'; // police, Cameron County (Brownsville 78520)

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  admin = await enrollAs(t, 'admin');
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  uac = await enrollAs(t, 'uac_specialist');
  reviewer = await enrollAs(t, 'legal_reviewer');
  harlingen = await enrollAs(t, 'field_officer', { fieldOfficeCode: 'HLG' });
  cameron = await partnerToken(CAMERON);
  const hook = await fetch(`${base}/api/partner/v1/webhook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${cameron}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'http://127.0.0.1:9/hooks' }),
  });
  expect(hook.status).toBe(200);
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const patch = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'PATCH', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const reading = 'purposeCode=case_work&purpose=Reviewing%20the%20child%27s%20family%20for%20placement';
const why = { purposeCode: 'welfare_check', purpose: 'Check on the child at the sponsor home' };

async function partnerToken(ori: string) {
  const res = await post(admin, '/api/v1/admin/partner-clients', {
    agencyOri: ori,
    name: 'CAD',
    scopes: ['requests:respond', 'submissions:write'],
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  const token = await fetch(`${base}/api/partner/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${res.json().client.clientId}:${res.json().clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return ((await token.json()) as { access_token: string }).access_token;
}
const agency = (path: string, body?: unknown) =>
  fetch(`${base}/api/partner/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${cameron}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

async function intake(over: Body) {
  const res = await post(callTaker, '/api/v1/intake', tip(over));
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as { case: { id: string; caseNumber: string }; subjects: { personId: string }[] };
}

const allNo = [
  'trafficking_indicators',
  'labour_exploitation',
  'abuse_or_neglect',
  'missing_from_sponsor',
  'unsafe_sponsor_placement',
  'urgent_medical_need',
  'urgent_mental_health_need',
];
const screen = (yes: string[] = []) => Object.fromEntries(allNo.map((q) => [q, { answer: yes.includes(q) ? 'yes' : 'no' }]));

/** A UAC case: a child and the sponsor ORR released them to, at one address; screened. */
async function childWithSponsor(
  names: { child: [string, string]; sponsor: [string, string]; phone: string; line1: string },
  yes: string[] = [],
) {
  const c = await intake({
    narrative: `The school says ${names.sponsor[0]} ${names.sponsor[1]} has not been seen with the child; call ${names.phone}.`,
    subjects: [
      { person: { givenNames: names.child[0], familyName1: names.child[1], dob: '2012-03-04', dobBasis: 'claimed' }, role: 'child' },
      {
        person: {
          givenNames: names.sponsor[0],
          familyName1: names.sponsor[1],
          dob: '1985-01-02',
          dobBasis: 'exact',
          phones: [names.phone],
        },
        role: 'sponsor',
      },
    ],
    locations: [
      { subject: 0, address: { line1: names.line1, zip: '78520' }, confidence: 'high' },
      { subject: 1, address: { line1: names.line1, zip: '78520' }, confidence: 'high' },
    ],
    case: { open: { type: 'uac_welfare', priority: 'high', summary: `Child placed with sponsor ${names.sponsor[0]} ${names.sponsor[1]}` } },
  });
  const [child, sponsor] = c.subjects.map((s) => s.personId) as [string, string];
  const screened = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, { personId: child, answers: screen(yes) });
  expect(screened.statusCode, screened.body).toBe(201);
  return { caseId: c.case.id, child, sponsor };
}

const audits = (action: string, resourceId: string) =>
  db.db
    .selectFrom('audit_events')
    .select(['outcome', 'details', 'actor_id'])
    .where('action', '=', action)
    .where('resource_id', '=', resourceId)
    .execute();

describe('relationships: the family tree, suggested links and households', () => {
  let kase: { caseId: string; child: string; sponsor: string };
  let neighbour: string;
  beforeAll(async () => {
    kase = await childWithSponsor({
      child: ['Lucía', 'Ccori'],
      sponsor: ['Rosa', 'Mamani'],
      phone: '615-555-0177',
      line1: '40 Synthetic Ln',
    });
    // Someone else seen at the same address, in another report (and another case).
    const other = await intake({
      subjects: [{ person: { givenNames: 'Efraín', familyName1: 'Ticona', dob: '1979-07-07', dobBasis: 'exact' } }],
      locations: [{ subject: 0, address: { line1: '40 Synthetic Ln.', zip: '78520' }, confidence: 'medium' }],
    });
    neighbour = other.subjects[0]?.personId as string;
  });

  it('asks a purpose, suggests links (named as sponsor, same address), never links by itself, and a case worker decides — audited', async () => {
    const refused = await get(uac, `/api/v1/cases/${kase.caseId}/family`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('purpose_required');
    const family = await get(uac, `/api/v1/cases/${kase.caseId}/family?${reading}`);
    expect(family.statusCode, family.body).toBe(200);
    const f = family.json();
    expect(f.children).toEqual([{ personId: kase.child, name: 'Lucía Ccori' }]);
    expect(f.relationships).toEqual([]);
    const reasons = f.suggestions.map((s: { personId: string; reason: string }) => `${s.personId}:${s.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([`${kase.sponsor}:named_as_sponsor`, `${kase.sponsor}:same_address`, `${neighbour}:same_address`]),
    );
    expect(f.households).toEqual([
      expect.objectContaining({
        address: expect.stringContaining('40 Synthetic Ln'),
        members: [expect.objectContaining({ personId: kase.child })],
      }),
    ]);
    const named = f.suggestions.find((s: { reason: string }) => s.reason === 'named_as_sponsor');
    const stranger = f.suggestions.find((s: { personId: string }) => s.personId === neighbour);
    // Only the unit's case workers decide.
    expect(
      (await post(callTaker, `/api/v1/cases/${kase.caseId}/relationship-suggestions/${named.id}/decision`, { decision: 'confirm' }))
        .statusCode,
    ).toBe(403);
    const confirmed = await post(uac, `/api/v1/cases/${kase.caseId}/relationship-suggestions/${named.id}/decision`, {
      decision: 'confirm',
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'confirmed', relationshipId: expect.any(String) });
    const rejected = await post(uac, `/api/v1/cases/${kase.caseId}/relationship-suggestions/${stranger.id}/decision`, {
      decision: 'reject',
      note: 'A neighbour, not family',
    });
    expect(rejected.json()).toMatchObject({ status: 'rejected', relationshipId: null });
    expect(
      (await post(uac, `/api/v1/cases/${kase.caseId}/relationship-suggestions/${stranger.id}/decision`, { decision: 'reject' })).statusCode,
    ).toBe(409);
    expect((await audits('relationship.suggestion.confirm', named.id)).map((a) => a.outcome)).toEqual(['allowed']);
    expect((await audits('relationship.suggestion.reject', stranger.id)).map((a) => a.outcome)).toEqual(['allowed']);
    expect((await audits('relationship.list', kase.caseId)).map((a) => a.outcome)).toEqual(['denied', 'allowed']);

    const again = (await get(uac, `/api/v1/cases/${kase.caseId}/family?${reading}`)).json();
    expect(again.relationships).toEqual([
      expect.objectContaining({
        personId: kase.sponsor,
        type: 'sponsor',
        source: 'suggestion',
        verification: 'unverified',
        protectedSponsor: true,
      }),
    ]);
    // A rejected suggestion stays rejected; the household now has the sponsor in it.
    expect(again.suggestions.find((s: { id: string }) => s.id === stranger.id).status).toBe('rejected');
    expect(again.households[0].members.map((m: { personId: string }) => m.personId).sort()).toEqual([kase.child, kase.sponsor].sort());
  });

  it('records a relationship with its source and dates, verifies and ends it; refuses what does not hold', async () => {
    const father = await intake({
      subjects: [{ person: { givenNames: 'Juvenal', familyName1: 'Ccori', dob: '1980-02-02', dobBasis: 'exact' } }],
      locations: [],
      case: { open: { type: 'general_tip', priority: 'low', summary: 'Father abroad' } },
    });
    const fatherId = father.subjects[0]?.personId as string;
    const body = {
      childPersonId: kase.child,
      personId: fatherId,
      type: 'parent',
      source: 'orr',
      since: '2012-03-04',
      sourceNote: 'ORR file',
    };
    expect((await post(analyst, `/api/v1/cases/${kase.caseId}/relationships`, body)).statusCode).toBe(403);
    const made = await post(uac, `/api/v1/cases/${kase.caseId}/relationships`, body);
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({
      type: 'parent',
      source: 'orr',
      since: '2012-03-04',
      until: null,
      verification: 'unverified',
      name: 'Juvenal Ccori',
    });
    const id = made.json().id;
    const verified = await patch(uac, `/api/v1/cases/${kase.caseId}/relationships/${id}`, { verification: 'verified' });
    expect(verified.json()).toMatchObject({ verification: 'verified', verifiedAt: t.clock.now.toISOString() });
    expect((await patch(uac, `/api/v1/cases/${kase.caseId}/relationships/${id}`, { until: '2001-01-01' })).statusCode).toBe(400);
    expect(
      (await post(uac, `/api/v1/cases/${kase.caseId}/relationships`, { ...body, childPersonId: fatherId })).json().error.issues[0].code,
    ).toBe('not_a_child_of_case');
    expect((await post(uac, `/api/v1/cases/${kase.caseId}/relationships`, { ...body, source: 'report' })).json().error.issues[0].code).toBe(
      'not_a_case_report',
    );
    expect((await audits('relationship.create', id)).map((a) => a.outcome)).toEqual(['allowed']);
    expect((await audits('relationship.update', id)).map((a) => a.outcome)).toEqual(['allowed']);
  });

  it('never suggests a UAC child (or anyone on a UAC case) to staff outside the unit', async () => {
    const tipCase = await intake({
      subjects: [{ person: { givenNames: 'Kevin', familyName1: 'Ccori', dob: '2011-09-09', dobBasis: 'exact' } }],
      locations: [{ subject: 0, address: { line1: '40 Synthetic Ln', zip: '78520' }, confidence: 'medium' }],
      case: { open: { type: 'general_tip', priority: 'low', summary: 'A boy seen alone' } },
    });
    const family = await get(analyst, `/api/v1/cases/${tipCase.case.id}/family?${reading}`);
    expect(family.statusCode, family.body).toBe(200);
    const suggested = family.json().suggestions.map((s: { personId: string }) => s.personId);
    expect(suggested).toContain(neighbour);
    expect(suggested).not.toContain(kase.child);
    expect(suggested).not.toContain(kase.sponsor);
    expect(family.body).not.toContain('Lucía');
  });

  it('is the UAC unit’s need-to-know: 404 to anyone else, audited as denied', async () => {
    const res = await get(analyst, `/api/v1/cases/${kase.caseId}/family?${reading}`);
    expect(res.statusCode).toBe(404);
    expect((await get(analyst, `/api/v1/cases/${kase.caseId}/consents`)).statusCode).toBe(404);
    const denied = await db.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'relationship.list')
      .where('actor_id', '=', analyst.userId)
      .where('outcome', '=', 'denied')
      .execute();
    expect(denied).toEqual([expect.objectContaining({ details: expect.objectContaining({ reason: 'need_to_know_unit' }) })]);
  });
});

describe('a sponsor never reaches a referral or a partner request without a legal reviewer naming them', () => {
  it('referral gate and review: held, and not sendable until a legal reviewer (not the author) approves naming the sponsor', async () => {
    const lead = await intake({
      narrative: 'Caller says Norma Quispe Apaza works nights; her number is 615-555-0133.',
      subjects: [
        {
          person: {
            givenNames: 'Norma',
            familyName1: 'Quispe',
            familyName2: 'Apaza',
            dob: '1984-04-04',
            dobBasis: 'exact',
            phones: ['615-555-0133'],
          },
          role: 'sponsor',
        },
      ],
    });
    const sponsor = lead.subjects[0]?.personId as string;
    const draft = await post(analyst, `/api/v1/cases/${lead.case.id}/referrals`, {
      purpose: 'enforcement',
      notes: 'Norma Quispe, 615 555 0133',
    });
    expect(draft.statusCode, draft.body).toBe(201);
    const id = draft.json().id;
    const submitted = await post(analyst, `/api/v1/referrals/${id}/submit`);
    expect(submitted.statusCode, submitted.body).toBe(200);
    expect(submitted.json()).toMatchObject({ status: 'pending_review', gate: { decision: 'hold_for_review', rulesVersion: 3 } });
    const reason = submitted.json().gate.reasons.find((r: { rule: string }) => r.rule === 'sponsor_protected');
    expect(reason).toMatchObject({ effect: 'hold', personId: sponsor });
    expect(reason.message).not.toContain('Norma');

    // Approving the referral is not approving the sponsor.
    const early = await post(reviewer, `/api/v1/referrals/${id}/review`, {
      decision: 'approve',
      justification: 'Corroborated; lawful to proceed now.',
    });
    expect(early.statusCode).toBe(422);
    expect(early.json().error).toMatchObject({
      code: 'disclosure_refused',
      issues: [expect.objectContaining({ code: 'sponsor_approval_required' })],
    });
    expect((await audits('referral.review', id)).map((a) => [a.outcome, (a.details as { rule?: string }).rule])).toContainEqual([
      'denied',
      'sponsor_approval_required',
    ]);

    // Only a legal reviewer approves naming a sponsor; the person must be a sponsor on the case; in writing.
    const approval = { personId: sponsor, justification: 'The sponsor is the subject of a judicial warrant; naming is lawful.' };
    expect((await post(analyst, `/api/v1/referrals/${id}/sponsor-approvals`, approval)).statusCode).toBe(403);
    const short = await post(reviewer, `/api/v1/referrals/${id}/sponsor-approvals`, { ...approval, justification: 'ok' });
    expect(short.statusCode).toBe(400);
    const notSponsor = await post(reviewer, `/api/v1/referrals/${id}/sponsor-approvals`, { ...approval, personId: analyst.userId });
    expect(notSponsor.statusCode).toBe(422);
    expect(notSponsor.json().error.issues[0].code).toBe('not_a_sponsor');
    const ok = await post(reviewer, `/api/v1/referrals/${id}/sponsor-approvals`, approval);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ sponsorPersonId: sponsor, referralId: id });
    expect((await audits('sponsor_disclosure.approve', id)).map((a) => a.outcome)).toEqual(['denied', 'denied', 'allowed']);

    const sent = await post(reviewer, `/api/v1/referrals/${id}/review`, {
      decision: 'approve',
      justification: 'Corroborated; sponsor approval on file.',
    });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json().status).toBe('sent');
    // Named with approval: the office's packet has her.
    const packet = await get(harlingen, `/api/v1/referrals/${id}/packet`);
    expect(packet.statusCode, packet.body).toBe(200);
    expect(packet.json().persons.map((p: { personId: string }) => p.personId)).toEqual([sponsor]);
    expect(packet.body).toContain('Norma');
    // Once it has left, no approval is given after the fact.
    expect((await post(reviewer, `/api/v1/referrals/${id}/sponsor-approvals`, approval)).statusCode).toBe(409);
  });

  it('referral packet (JSON and PDF) and record: a sponsor named after the referral left is withheld from what the office reads', async () => {
    const lead = await intake({
      narrative: 'Caller says Tomás Yupanqui drives a white truck; call him on 615-555-0144.',
      subjects: [
        {
          person: { givenNames: 'Tomás', familyName1: 'Yupanqui', dob: '1982-08-08', dobBasis: 'exact', phones: ['615-555-0144'] },
        },
      ],
      case: { open: { type: 'enforcement_lead', priority: 'normal', summary: 'Tomás Yupanqui at the warehouse' } },
    });
    const tomas = lead.subjects[0]?.personId as string;
    const draft = await post(analyst, `/api/v1/cases/${lead.case.id}/referrals`, {
      purpose: 'enforcement',
      notes: 'Tomas Yupanqui drives at night; 615-555-0144',
    });
    const id = draft.json().id;
    expect((await post(analyst, `/api/v1/referrals/${id}/submit`)).json().status).toBe('sent');
    expect((await get(harlingen, `/api/v1/referrals/${id}/packet`)).body).toContain('Yupanqui');

    // Later the UAC unit learns he sponsors a child: from now on he is protected.
    const kase = await childWithSponsor({
      child: ['Wilmer', 'Huanca'],
      sponsor: ['Celia', 'Choque'],
      phone: '615-555-0155',
      line1: '8 Synthetic Rd',
    });
    const linked = await post(uac, `/api/v1/cases/${kase.caseId}/relationships`, {
      childPersonId: kase.child,
      personId: tomas,
      type: 'sponsor',
      source: 'orr',
      sourceNote: 'ORR release record',
    });
    expect(linked.statusCode, linked.body).toBe(201);

    const packet = await get(harlingen, `/api/v1/referrals/${id}/packet`);
    expect(packet.statusCode).toBe(200);
    const p = packet.json();
    expect(p.persons).toEqual([]);
    expect(p.locations).toEqual([]);
    for (const secret of ['Yupanqui', 'Tomás', '0144', tomas]) expect(packet.body).not.toContain(secret);
    expect(p.reports[0].narrative).toBe('Caller says [sponsor withheld] drives a white truck; call him on [sponsor withheld].');
    expect(p.case.summary).toBe('[sponsor withheld] at the warehouse');
    expect(p.notice).toContain('sponsor is withheld');

    const pdf = await get(harlingen, `/api/v1/referrals/${id}/packet.pdf`);
    expect(pdf.statusCode).toBe(200);
    const drawn = pdfText(pdf.rawPayload);
    expect(drawn).toContain('Referral');
    expect(drawn).toContain('[sponsor withheld]');
    for (const secret of ['Yupanqui', 'Tom', '0144']) expect(drawn).not.toContain(secret);

    // The record and the inbox as the field office reads them.
    const record = await get(harlingen, `/api/v1/referrals/${id}`);
    expect(record.statusCode).toBe(200);
    expect(record.json().notes).toBe('[sponsor withheld] drives at night; [sponsor withheld]');
    const inbox = await get(harlingen, '/api/v1/referrals');
    expect(inbox.body).not.toContain('Yupanqui');
    expect(inbox.body).not.toContain('0144');
    // The office's own steps answer with the same record.
    const acknowledged = await post(harlingen, `/api/v1/referrals/${id}/acknowledge`);
    expect(acknowledged.statusCode, acknowledged.body).toBe(200);
    expect(acknowledged.body).not.toContain('Yupanqui');
    // The center's own staff still read it whole (they need to know who it was).
    expect((await get(analyst, `/api/v1/referrals/${id}`)).json().notes).toContain('Yupanqui');
  });

  it('partner request about a sponsor, or naming one: held; approval refused until a legal reviewer approves naming the sponsor', async () => {
    const kase = await childWithSponsor({
      child: ['Yaneth', 'Coaquira'],
      sponsor: ['Delia', 'Arhuata'],
      phone: '615-555-0166',
      line1: '9 Synthetic Pl',
    });
    const aboutSponsor = await post(uac, `/api/v1/cases/${kase.caseId}/partner-requests`, {
      kind: 'information',
      personId: kase.sponsor,
      question: 'Is there anything on record at this address?',
      ...why,
    });
    expect(aboutSponsor.statusCode, aboutSponsor.body).toBe(201);
    expect(aboutSponsor.json().decision).toBe('hold_for_review');
    const held = aboutSponsor.json().requests[0];
    expect(held.status).toBe('pending_review');
    expect(held.gate.reasons).toContainEqual(expect.objectContaining({ rule: 'sponsor_protected', personId: kase.sponsor }));

    const naming = await post(uac, `/api/v1/cases/${kase.caseId}/partner-requests`, {
      kind: 'welfare_check',
      personId: kase.child,
      question: 'Is the child at home with Delia Arhuata? Her phone is (615) 555-0166.',
      ...why,
    });
    expect(naming.statusCode, naming.body).toBe(201);
    expect(naming.json().requests[0].status).toBe('pending_review');
    expect(naming.json().requests[0].gate.reasons).toContainEqual(
      expect.objectContaining({ rule: 'sponsor_protected', message: expect.stringMatching(/^the words of/) }),
    );
    // Nothing held reaches the agency.
    const listed = await agency('/requests');
    expect(listed.text).not.toContain('Arhuata');
    expect((await agency(`/requests/${held.id}`)).status).toBe(404);

    const approve = { decision: 'approve', justification: 'Reviewed: a welfare check only, lawful.' };
    const refused = await post(reviewer, `/api/v1/partner-requests/${held.id}/review`, approve);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.issues[0].code).toBe('sponsor_approval_required');
    expect((await audits('partner_request.review', held.id)).map((a) => (a.details as { rule?: string }).rule)).toContain(
      'sponsor_approval_required',
    );
    expect(
      (await post(uac, `/api/v1/partner-requests/${held.id}/sponsor-approvals`, { personId: kase.sponsor, justification: 'x'.repeat(30) }))
        .statusCode,
    ).toBe(403);
    const ok = await post(reviewer, `/api/v1/partner-requests/${held.id}/sponsor-approvals`, {
      personId: kase.sponsor,
      justification: 'The agency must know whom to ask for at the door; welfare only.',
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const sent = await post(reviewer, `/api/v1/partner-requests/${held.id}/review`, approve);
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json().status).toBe('sent');
    // Approved by name: the agency sees her.
    const seen = await agency(`/requests/${held.id}`);
    expect(seen.status).toBe(200);
    expect(JSON.parse(seen.text).request.subject.name).toBe('Delia Arhuata');
  });

  it('the agency’s view (list, one, acknowledge) and the webhook: a sponsor named after the request left is withheld', async () => {
    const lead = await intake({
      subjects: [
        { person: { givenNames: 'Gregorio', familyName1: 'Mamani', dob: '1975-05-05', dobBasis: 'exact', phones: ['615-555-0188'] } },
      ],
      locations: [{ subject: 0, address: { line1: '77 Synthetic Blvd', zip: '78520' }, confidence: 'high' }],
    });
    const gregorio = lead.subjects[0]?.personId as string;
    const made = await post(analyst, `/api/v1/cases/${lead.case.id}/partner-requests`, {
      kind: 'locate',
      question: 'Is Gregorio Mamani still at this address?',
      purposeCode: 'location_follow_up',
      purpose: 'Confirm the address before any action',
    });
    expect(made.statusCode, made.body).toBe(201);
    const request = made.json().requests[0];
    expect(request.status).toBe('sent');
    expect((await agency(`/requests/${request.id}`)).text).toContain('Gregorio');

    const kase = await childWithSponsor({
      child: ['Ruth', 'Laura'],
      sponsor: ['Nilda', 'Pari'],
      phone: '615-555-0199',
      line1: '5 Synthetic Sq',
    });
    expect(
      (
        await post(uac, `/api/v1/cases/${kase.caseId}/relationships`, {
          childPersonId: kase.child,
          personId: gregorio,
          type: 'sponsor',
          source: 'case_worker',
        })
      ).statusCode,
    ).toBe(201);

    const one = await agency(`/requests/${request.id}`);
    expect(one.status).toBe(200);
    expect(JSON.parse(one.text).request).toMatchObject({
      subject: { name: '[sponsor withheld]' },
      question: 'Is [sponsor withheld] still at this address?',
    });
    for (const view of [one.text, (await agency('/requests')).text, (await agency(`/requests/${request.id}/acknowledge`, {})).text])
      expect(view).not.toContain('Gregorio');
    // The webhook the withdrawal sends.
    expect((await post(analyst, `/api/v1/partner-requests/${request.id}/withdraw`, { reason: 'No longer needed' })).statusCode).toBe(200);
    const hook = await db.db
      .selectFrom('webhook_deliveries')
      .select('body')
      .where('request_id', '=', request.id)
      .where('event', '=', 'request.withdrawn')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(hook.body)).not.toContain('Gregorio');
    expect(JSON.stringify(hook.body)).toContain('[sponsor withheld]');
  });
});

describe('consent and disclosure', () => {
  let kase: { caseId: string; child: string; sponsor: string };
  beforeAll(async () => {
    kase = await childWithSponsor({
      child: ['Abigail', 'Sirpa'],
      sponsor: ['Hilda', 'Sirpa'],
      phone: '615-555-0122',
      line1: '3 Synthetic Ave',
    });
  });
  const consent = (over: Body = {}) => ({
    personId: kase.child,
    scope: 'other_orgs',
    decision: 'refused',
    givenBy: 'guardian',
    guardianName: 'Hilda Sirpa',
    givenOn: '2026-11-28',
    basis: 'Explained in Spanish; the guardian refused in writing',
    ...over,
  });
  const check = (q: string) => get(uac, `/api/v1/cases/${kase.caseId}/disclosure-check?personId=${kase.child}&${q}`);

  it('records decisions with day, basis and recorder; refuses what does not hold', async () => {
    expect((await post(callTaker, `/api/v1/cases/${kase.caseId}/consents`, consent())).statusCode).toBe(403);
    const noGuardian = await post(uac, `/api/v1/cases/${kase.caseId}/consents`, consent({ guardianName: undefined }));
    expect(noGuardian.statusCode).toBe(400);
    expect(noGuardian.json().error.issues[0]).toMatchObject({ path: 'body.guardianName', code: 'required' });
    const future = await post(uac, `/api/v1/cases/${kase.caseId}/consents`, consent({ givenOn: '2026-12-30' }));
    expect(future.json().error.issues[0].code).toBe('in_future');
    const notSubject = await post(uac, `/api/v1/cases/${kase.caseId}/consents`, consent({ personId: analyst.userId }));
    expect(notSubject.json().error.issues[0].code).toBe('not_a_subject');
    const services = await post(
      uac,
      `/api/v1/cases/${kase.caseId}/consents`,
      consent({
        scope: 'services',
        recipientKind: 'legal_aid',
        decision: 'granted',
        givenBy: 'child',
        guardianName: undefined,
        basis: 'The child agreed to see a lawyer',
      }),
    );
    expect(services.statusCode, services.body).toBe(201);
    expect(services.json()).toMatchObject({ scope: 'services', decision: 'granted', givenOn: '2026-11-28', inForce: true });
    const listed = (await get(uac, `/api/v1/cases/${kase.caseId}/consents`)).json().consents;
    expect(listed).toHaveLength(1);
    expect((await audits('consent.record', services.json().id)).map((a) => [a.outcome, a.actor_id])).toEqual([['allowed', uac.userId]]);
    // The one check, asked ahead.
    expect((await check('recipientKind=legal_aid')).json()).toMatchObject({ allowed: true, basis: 'consent' });
    expect((await check('recipientKind=medical')).json()).toMatchObject({ allowed: false, code: 'consent_required' });
    expect((await check('recipientKind=field_office')).json()).toMatchObject({ allowed: true, basis: 'safeguard_gate' });
    const withdrawn = await post(uac, `/api/v1/cases/${kase.caseId}/consents/${services.json().id}/withdraw`, {
      reason: 'The child changed her mind',
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect((await check('recipientKind=legal_aid')).json()).toMatchObject({ allowed: false, code: 'consent_withdrawn' });
    expect((await post(uac, `/api/v1/cases/${kase.caseId}/consents/${services.json().id}/withdraw`, { reason: 'again' })).statusCode).toBe(
      409,
    );
    const backdated = await post(uac, `/api/v1/cases/${kase.caseId}/consents/${services.json().id}/withdraw`, {
      reason: 'x',
      withdrawnOn: '2026-01-01',
    });
    expect(backdated.statusCode).toBe(409);
  });

  it('a request to a partner agency about the child honours a refusal: 422 disclosure_refused, audited; a child in danger overrides it', async () => {
    const refusal = await post(uac, `/api/v1/cases/${kase.caseId}/consents`, consent());
    expect(refusal.statusCode, refusal.body).toBe(201);
    const ask = { kind: 'welfare_check', personId: kase.child, question: 'Please check the child is safe at this address.', ...why };
    const refused = await post(uac, `/api/v1/cases/${kase.caseId}/partner-requests`, ask);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({
      code: 'disclosure_refused',
      issues: [expect.objectContaining({ code: 'consent_refused' })],
    });
    expect(refused.json().error.message).toMatch(/refused disclosure to other organisations/);
    const audit = await audits('partner_request.create', kase.caseId);
    expect(audit).toContainEqual(
      expect.objectContaining({ outcome: 'denied', details: expect.objectContaining({ rule: 'consent_refused', recipient: CAMERON }) }),
    );
    expect(await db.db.selectFrom('partner_requests').select('id').where('case_id', '=', kase.caseId).execute()).toEqual([]);

    // Withdrawn, the refusal no longer stands: the request is held for legal review as any about a child.
    expect(
      (await post(uac, `/api/v1/cases/${kase.caseId}/consents/${refusal.json().id}/withdraw`, { reason: 'The guardian agreed after all' }))
        .statusCode,
    ).toBe(200);
    const held = await post(uac, `/api/v1/cases/${kase.caseId}/partner-requests`, ask);
    expect(held.statusCode, held.body).toBe(201);
    expect(held.json().requests[0].status).toBe('pending_review');
    // A new refusal before the review: the approval is refused, the day it would be sent.
    expect((await post(uac, `/api/v1/cases/${kase.caseId}/consents`, consent())).statusCode).toBe(201);
    const approve = await post(reviewer, `/api/v1/partner-requests/${held.json().requests[0].id}/review`, {
      decision: 'approve',
      justification: 'Welfare only; the school asked for it.',
    });
    expect(approve.statusCode).toBe(422);
    expect(approve.json().error.issues[0].code).toBe('consent_refused');

    // A child in danger: the refusal does not stop a welfare check (TVPRA; the legal reviewer reviews it after).
    const danger = await childWithSponsor(
      { child: ['Maribel', 'Huarachi'], sponsor: ['Olga', 'Huarachi'], phone: '615-555-0111', line1: '6 Synthetic Way' },
      ['missing_from_sponsor'],
    );
    expect(
      (await post(uac, `/api/v1/cases/${danger.caseId}/consents`, { ...consent(), personId: danger.child, guardianName: 'Olga Huarachi' }))
        .statusCode,
    ).toBe(201);
    const urgent = await post(uac, `/api/v1/cases/${danger.caseId}/partner-requests`, {
      ...ask,
      personId: danger.child,
      question: 'The child ran away last night; please check the address now.',
    });
    expect(urgent.statusCode, urgent.body).toBe(201);
    expect(urgent.json().requests[0]).toMatchObject({ status: 'sent', request: { urgent: true } });
  });
});

describe('consent days are days on the center calendar, at every hour', () => {
  const INSTANTS = [
    { name: '23:30 in Nashville (05:30 UTC the next day)', at: '2026-12-06T05:30:00Z' },
    { name: '18:00 in Nashville (midnight UTC)', at: '2026-12-10T00:00:00Z' },
    { name: '23:30 UTC (17:30 in Nashville)', at: '2026-12-12T23:30:00Z' },
  ];
  for (const c of INSTANTS) {
    it(`${c.name}: given today counts, tomorrow is refused; a withdrawal from tomorrow leaves it in force today`, async () => {
      t.clock.now = new Date(c.at);
      const desk = await enrollAs(t, 'call_taker');
      const worker = await enrollAs(t, 'uac_specialist');
      const today = dayIn(t.clock.now, CENTER_TIME_ZONE);
      const tomorrow = addDays(today, 1);
      const saved = await post(
        desk,
        '/api/v1/intake',
        tip({
          subjects: [
            { person: { givenNames: 'Calendaria', familyName1: 'Sintética', dob: '2014-01-01', dobBasis: 'claimed' }, role: 'child' },
          ],
          receivedAt: undefined,
          case: { open: { type: 'uac_welfare', priority: 'normal', summary: 'Consent on the calendar' } },
        }),
      );
      expect(saved.statusCode, saved.body).toBe(201);
      const caseId = saved.json().case.id as string;
      const child = saved.json().subjects[0].personId as string;
      const body = {
        personId: child,
        scope: 'other_orgs',
        decision: 'granted',
        givenBy: 'child',
        basis: 'The child agreed after it was explained',
      };
      const early = await post(worker, `/api/v1/cases/${caseId}/consents`, { ...body, givenOn: tomorrow });
      expect(early.statusCode).toBe(400);
      expect(early.json().error.issues[0].code).toBe('in_future');
      const given = await post(worker, `/api/v1/cases/${caseId}/consents`, { ...body, givenOn: today });
      expect(given.statusCode, given.body).toBe(201);
      const check = () => get(worker, `/api/v1/cases/${caseId}/disclosure-check?personId=${child}&recipientKind=orr`);
      expect((await check()).json()).toMatchObject({ allowed: true, basis: 'consent' });
      const later = await post(worker, `/api/v1/cases/${caseId}/consents/${given.json().id}/withdraw`, {
        reason: 'The child asked to stop from tomorrow',
        withdrawnOn: tomorrow,
      });
      expect(later.statusCode, later.body).toBe(200);
      expect((await check()).json()).toMatchObject({ allowed: true, basis: 'consent' });
      const other = await post(worker, `/api/v1/cases/${caseId}/consents`, { ...body, scope: 'services', givenOn: today });
      await post(worker, `/api/v1/cases/${caseId}/consents/${other.json().id}/withdraw`, { reason: 'Withdrawn today' });
      expect(
        (await get(worker, `/api/v1/cases/${caseId}/disclosure-check?personId=${child}&recipientKind=legal_aid`)).json(),
      ).toMatchObject({
        allowed: false,
        code: 'consent_withdrawn',
      });
    });
  }
});
