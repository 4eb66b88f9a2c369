import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';
import { pdfText } from '../support/pdf-text.js';

/**
 * Referrals to field offices: the office from the area of responsibility, the
 * lifecycle, scoping to the receiving office, the packet without reporter
 * identity, and the safeguard gate on the single submission path.
 */

let db: TestDatabase;
let t: TestApp;
let callTaker: SignedIn;
let analyst: SignedIn;
let reviewer: SignedIn;
let harlingen: SignedIn;
let houston: SignedIn;
let admin: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  reviewer = await enrollAs(t, 'legal_reviewer');
  harlingen = await enrollAs(t, 'field_officer', { fieldOfficeCode: 'HLG' });
  houston = await enrollAs(t, 'field_officer', { fieldOfficeCode: 'HOU' });
  admin = await enrollAs(t, 'admin');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });

async function intake(over: Body = {}) {
  const res = await post(callTaker, '/api/v1/intake', tip(over));
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json();
}

describe('referral lifecycle', () => {
  let caseId: string;
  let locationId: string;
  let referralId: string;

  beforeAll(async () => {
    const saved = await intake();
    caseId = saved.case.id;
    locationId = saved.locations[0].id;
  });

  it('drafts to the office of the latest location, or of the latest verified one, or one named with a reason', async () => {
    const draft = await post(analyst, `/api/v1/cases/${caseId}/referrals`, { purpose: 'enforcement' });
    expect(draft.statusCode, draft.body).toBe(201);
    expect(draft.json()).toMatchObject({
      status: 'draft',
      fieldOfficeCode: 'HLG',
      officeBasis: 'latest_location',
      reference: expect.stringMatching(/^F-2026-/),
    });

    expect((await post(analyst, `/api/v1/locations/${locationId}/verify`, { note: 'Seen by a deputy on patrol' })).statusCode).toBe(200);
    const verified = await post(analyst, `/api/v1/cases/${caseId}/referrals`, { purpose: 'enforcement', notes: 'Night shift' });
    expect(verified.json()).toMatchObject({ fieldOfficeCode: 'HLG', officeBasis: 'verified_location' });
    referralId = verified.json().id;

    const unknown = await post(analyst, `/api/v1/cases/${caseId}/referrals`, {
      purpose: 'enforcement',
      fieldOfficeCode: 'XYZ',
      overrideReason: 'test',
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.issues[0]).toMatchObject({ path: 'body.fieldOfficeCode', code: 'unknown_field_office' });
    const noReason = await post(analyst, `/api/v1/cases/${caseId}/referrals`, { purpose: 'enforcement', fieldOfficeCode: 'HOU' });
    expect(noReason.statusCode).toBe(400);
    const override = await post(analyst, `/api/v1/cases/${caseId}/referrals`, {
      purpose: 'location_information',
      fieldOfficeCode: 'HOU',
      overrideReason: 'Subject moved to Houston last week',
    });
    expect(override.json()).toMatchObject({
      fieldOfficeCode: 'HOU',
      officeBasis: 'override',
      officeOverrideReason: 'Subject moved to Houston last week',
    });
  });

  it('a draft is not in any field office inbox', async () => {
    expect((await get(harlingen, `/api/v1/referrals/${referralId}`)).statusCode).toBe(404);
  });

  it('submits through the gate: an adult, a graded report, a verified location → sent; the case becomes referred', async () => {
    const res = await post(analyst, `/api/v1/referrals/${referralId}/submit`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'sent', gate: { decision: 'send', reasons: [] } });
    const kase = (await get(analyst, `/api/v1/cases/${caseId}`)).json();
    expect(kase.status).toBe('referred');
    expect(kase.timeline.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['referral_drafted', 'referral_sent', 'location_verified']),
    );
    expect((await post(analyst, `/api/v1/referrals/${referralId}/submit`)).statusCode).toBe(409);
  });

  it('the receiving office sees it; another office gets 404, audited as denied', async () => {
    const inbox = (await get(harlingen, '/api/v1/referrals')).json();
    expect(inbox.referrals.map((r: { id: string }) => r.id)).toEqual([referralId]);
    // The office filter cannot widen a field officer's inbox.
    expect((await get(houston, '/api/v1/referrals?office=HLG')).json().total).toBe(0);
    expect((await get(harlingen, `/api/v1/referrals/${referralId}`)).statusCode).toBe(200);
    const other = await get(houston, `/api/v1/referrals/${referralId}`);
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('not_found');
    const packet = await get(houston, `/api/v1/referrals/${referralId}/packet`);
    expect(packet.statusCode).toBe(404);
    const acted = await post(houston, `/api/v1/referrals/${referralId}/acknowledge`);
    expect(acted.statusCode).toBe(404);
    const denied = await db.db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('resource_id', '=', referralId)
      .where('outcome', '=', 'denied')
      .execute();
    expect(denied).toEqual(
      expect.arrayContaining([
        { action: 'referral.read', actor_id: houston.userId },
        { action: 'referral.packet', actor_id: houston.userId },
        { action: 'referral.acknowledge', actor_id: houston.userId },
      ]),
    );
    // Field officers cannot read the case behind it.
    expect((await get(harlingen, `/api/v1/cases/${caseId}`)).statusCode).toBe(403);
  });

  it('the packet carries persons, locations with provenance and grading, and never the reporter', async () => {
    const res = await get(harlingen, `/api/v1/referrals/${referralId}/packet`);
    expect(res.statusCode, res.body).toBe(200);
    const packet = res.json();
    expect(packet.persons[0].names[0]).toMatchObject({ givenNames: 'Ramón', familyName1: 'Quispe' });
    expect(packet.persons[0].identifiers).toEqual([{ kind: 'fbi_number', value: '12345AB', issuer: null }]);
    expect(packet.locations[0]).toMatchObject({ precision: 'zip', verified: true, source: { sourceCategory: 'public', grading: 'C3' } });
    expect(packet.reports[0]).toMatchObject({ grading: 'C3', narrative: expect.stringContaining('warehouse') });
    expect(res.body).not.toContain('Synthetic Caller');
    expect(res.body).not.toContain('0199');
    const pdf = await get(harlingen, `/api/v1/referrals/${referralId}/packet.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    // The PDF's drawn text (its streams are compressed: a check on the raw bytes could never fail).
    const drawn = pdfText(pdf.rawPayload);
    expect(drawn).toContain('Quispe');
    expect(drawn).not.toContain('Synthetic Caller');
  });

  it('the office acknowledges, reports the outcome and closes; not located sends the case back to work', async () => {
    expect((await post(harlingen, `/api/v1/referrals/${referralId}/close`)).statusCode).toBe(409);
    expect((await post(harlingen, `/api/v1/referrals/${referralId}/acknowledge`)).json().status).toBe('acknowledged');
    const outcome = await post(harlingen, `/api/v1/referrals/${referralId}/outcome`, {
      outcome: 'not_located',
      notes: 'Address is a vacant lot',
    });
    expect(outcome.json()).toMatchObject({ status: 'outcome_reported', outcome: 'not_located' });
    expect((await get(analyst, `/api/v1/cases/${caseId}`)).json().status).toBe('active');
    const closed = await post(harlingen, `/api/v1/referrals/${referralId}/close`);
    expect(closed.json().status).toBe('closed');
    const full = (await get(analyst, `/api/v1/referrals/${referralId}`)).json();
    expect(full.timeline.map((e: { kind: string }) => e.kind)).toEqual(['created', 'submitted', 'acknowledge', 'outcome', 'close']);
    // The center cannot act for the field office, nor the office withdraw.
    expect((await post(analyst, `/api/v1/referrals/${referralId}/acknowledge`)).statusCode).toBe(403);
    expect((await post(harlingen, `/api/v1/referrals/${referralId}/withdraw`, { reason: 'x' })).statusCode).toBe(403);
  });
});

describe('the safeguard gate on the referral path', () => {
  it('holds an enforcement referral about a minor for legal review; a reviewer decides in writing; admins cannot', async () => {
    const saved = await intake({
      subjects: [{ person: { givenNames: 'Menor', familyName1: 'Sintético', dob: '2011-08-09', dobBasis: 'claimed' } }],
    });
    const draft = (await post(analyst, `/api/v1/cases/${saved.case.id}/referrals`, { purpose: 'enforcement' })).json();
    const held = await post(analyst, `/api/v1/referrals/${draft.id}/submit`);
    expect(held.statusCode, held.body).toBe(200);
    expect(held.json()).toMatchObject({
      status: 'pending_review',
      gate: { decision: 'hold_for_review', reasons: [expect.objectContaining({ rule: 'minor_subject' })] },
    });
    expect((await get(harlingen, `/api/v1/referrals/${draft.id}`)).statusCode).toBe(404);
    expect(
      (await post(admin, `/api/v1/referrals/${draft.id}/review`, { decision: 'approve', justification: 'An admin cannot do this at all' }))
        .statusCode,
    ).toBe(403);
    const short = await post(reviewer, `/api/v1/referrals/${draft.id}/review`, { decision: 'approve', justification: 'ok' });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.issues[0].code).toBe('justification_required');
    // The refusal is in the audit (it used to be rolled back with the transaction that threw), naming the referral and the rule.
    const refusal = await db.db
      .selectFrom('audit_events')
      .select(['outcome', 'resource_type', 'resource_id', 'details'])
      .where('action', '=', 'referral.review')
      .where('actor_id', '=', reviewer.userId)
      .executeTakeFirstOrThrow();
    expect(refusal).toMatchObject({
      outcome: 'denied',
      resource_type: 'referral',
      resource_id: draft.id,
      details: expect.objectContaining({ rule: 'justification_required' }),
    });
    // Every refusal about this referral, the admin's included (refused by the guard), names it and its rule: an auditor
    // lists them by the referral.
    const auditor = await enrollAs(t, 'auditor');
    const refusals = await get(auditor, `/api/v1/audit/events?resourceId=${draft.id}&outcome=denied&limit=50`);
    expect(refusals.statusCode, refusals.body).toBe(200);
    expect(refusals.json().events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actorId: admin.userId,
          resourceType: 'referral',
          details: expect.objectContaining({ rule: 'permission:referral:review' }),
        }),
        expect.objectContaining({ actorId: reviewer.userId, details: expect.objectContaining({ rule: 'justification_required' }) }),
      ]),
    );
    const approved = await post(reviewer, `/api/v1/referrals/${draft.id}/review`, {
      decision: 'approve',
      justification: 'Welfare check only; no court case or protection found after review.',
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().status).toBe('sent');
    // The office reads a packet about a child only with a stated purpose, which its audit keeps.
    const noPurpose = await get(harlingen, `/api/v1/referrals/${draft.id}/packet`);
    expect(noPurpose.statusCode).toBe(400);
    expect(noPurpose.json().error.code).toBe('purpose_required');
    expect(noPurpose.body).not.toContain('Sintético');
    const purpose = `purposeCode=welfare_check&purpose=${encodeURIComponent('welfare visit the legal reviewer approved')}`;
    const packet = (await get(harlingen, `/api/v1/referrals/${draft.id}/packet?${purpose}`)).json();
    expect(packet.safeguards).toMatchObject({ decision: 'hold_for_review', legalReview: { decision: 'approved' } });
    const reads = await db.db
      .selectFrom('audit_events')
      .select(['outcome', 'purpose', 'details'])
      .where('action', '=', 'referral.packet')
      .where('resource_id', '=', draft.id)
      .orderBy('inbox_id')
      .execute();
    expect(reads.map((r) => r.outcome)).toEqual(['denied', 'allowed']);
    expect(reads[1]?.purpose).toBe('welfare_check: welfare visit the legal reviewer approved');
  });

  it('blocks an enforcement referral resting only on low-graded tips, however many; a C3 report or better lets it through', async () => {
    const saved = await intake({ grading: { sourceReliability: 'E', informationCredibility: 5 } });
    const draft = (await post(analyst, `/api/v1/cases/${saved.case.id}/referrals`, { purpose: 'enforcement' })).json();
    const blocked = await post(analyst, `/api/v1/referrals/${draft.id}/submit`);
    expect(blocked.statusCode).toBe(422);
    expect(blocked.json().error.code).toBe('referral_blocked');
    expect(blocked.json().error.issues[0]).toMatchObject({
      code: 'corroboration_required',
      message: expect.stringContaining('missing: a report graded C3 or better'),
    });
    const stored = (await get(analyst, `/api/v1/referrals/${draft.id}`)).json();
    expect(stored).toMatchObject({ status: 'draft', gate: { decision: 'block' } });
    // A second report from another caller, also low-graded, does not add up to a reliable one.
    await intake({
      reporter: { name: 'Another Synthetic Caller', phone: '615-555-0177' },
      grading: { sourceReliability: 'E', informationCredibility: 5 },
      case: { caseId: saved.case.id },
    });
    const still = await post(analyst, `/api/v1/referrals/${draft.id}/submit`);
    expect(still.statusCode).toBe(422);
    expect(still.json().error.issues[0].code).toBe('corroboration_required');
    // A report graded C3 does.
    await intake({
      reporter: { name: 'A Third Synthetic Caller', phone: '615-555-0178' },
      grading: { sourceReliability: 'C', informationCredibility: 3 },
      case: { caseId: saved.case.id },
    });
    const sent = await post(analyst, `/api/v1/referrals/${draft.id}/submit`);
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json().status).toBe('sent');
  });

  it('a UAC case cannot be referred before its welfare screening', async () => {
    const uac = await enrollAs(t, 'uac_specialist');
    const saved = await intake({
      subjects: [{ person: { givenNames: 'Niño', familyName1: 'Sintético', dob: '2014-01-01', dobBasis: 'estimated' }, role: 'child' }],
      case: { open: { type: 'uac_welfare', priority: 'urgent', summary: 'Child living with an unknown adult' } },
    });
    const draft = await post(uac, `/api/v1/cases/${saved.case.id}/referrals`, { purpose: 'welfare' });
    expect(draft.statusCode, draft.body).toBe(201);
    const blocked = await post(uac, `/api/v1/referrals/${draft.json().id}/submit`);
    expect(blocked.statusCode).toBe(422);
    expect(blocked.json().error.issues.map((i: { code: string }) => i.code)).toEqual(['welfare_screening_required']);
    // Analysts are outside the UAC unit: the referral does not exist for them.
    expect((await get(analyst, `/api/v1/referrals/${draft.json().id}`)).statusCode).toBe(404);
  });
});
