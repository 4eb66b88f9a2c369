import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepPartnerRequests } from '../../src/services/partner-request-work.service.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * Requests from the center to partner agencies: to the agencies covering the
 * subject's last known location by default, through the safeguard gate (a
 * child: blocked before the welfare screening, then held for a legal
 * reviewer who is not the author), disclosing only what the agency needs,
 * answered by the agency over the partner API or the portal — the answer a
 * report and a location on the case and a work item in the ACD — and
 * escalated when the deadline passes unanswered.
 */

let db: TestDatabase;
let t: TestApp;
let base: string;
let admin: SignedIn;
let callTaker: SignedIn;
let analyst: SignedIn;
let uac: SignedIn;
let reviewer: SignedIn;
const CAMERON = 'TX0813300'; // police, Cameron County (Brownsville 78520)
const HIDALGO = 'TX1430300'; // sheriff, Hidalgo County (McAllen 78501)

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
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const purpose = { purposeCode: 'location_follow_up', purpose: 'Confirm the address before any action' };

async function intake(over: Body = {}) {
  const res = await post(callTaker, '/api/v1/intake', tip(over));
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as { case: { id: string; caseNumber: string }; subjects: { personId: string }[] };
}

async function partnerToken(ori: string, scopes = ['requests:respond']) {
  const res = await post(admin, '/api/v1/admin/partner-clients', { agencyOri: ori, name: 'CAD', scopes });
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
const api = (token: string, path: string, body?: unknown) =>
  fetch(`${base}/api/partner/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const tasksFor = (caseId: string) => [...t.routing.engine.allTasks()].filter((task) => task.attributes.caseId === caseId);

describe('requests to partner agencies', () => {
  let cameron: string;
  let hidalgo: string;
  beforeAll(async () => {
    cameron = await partnerToken(CAMERON, ['requests:respond', 'submissions:write']);
    const hook = await fetch(`${base}/api/partner/v1/webhook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${cameron}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hooks' }),
    });
    expect(hook.status).toBe(200);
    hidalgo = await partnerToken(HIDALGO);
  });

  it('goes to the agency covering the last known location, discloses only what it needs, and its answer lands on the case and in the ACD', async () => {
    const c = await intake();
    const candidates = await get(analyst, `/api/v1/cases/${c.case.id}/partner-request-candidates`);
    expect(candidates.statusCode, candidates.body).toBe(200);
    expect(candidates.json().agencies.map((a: { ori: string }) => a.ori)).toEqual([CAMERON]);

    const made = await post(analyst, `/api/v1/cases/${c.case.id}/partner-requests`, {
      kind: 'locate',
      question: 'Is the person still living at this address? Please do not make contact.',
      ...purpose,
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().decision).toBe('send');
    const [request] = made.json().requests;
    expect(request).toMatchObject({
      agencyOri: CAMERON,
      status: 'sent',
      agencyBasis: 'jurisdiction',
      reference: expect.stringMatching(/^Q-2026-/),
    });
    expect(Date.parse(request.dueAt) - t.clock.now.getTime()).toBe(48 * 3_600_000);

    // A signed webhook is queued for the agency, carrying the same snapshot.
    const deliveries = (
      (await (await api(cameron, '/webhook/deliveries')).json()) as { deliveries: { event: string; requestId: string }[] }
    ).deliveries;
    expect(deliveries).toContainEqual(expect.objectContaining({ event: 'request.created', requestId: request.id }));
    // The agency sees it, and only what it needs: no case number, no identifiers, no reporter.
    const listed = (await (await api(cameron, '/requests')).json()) as { requests: Record<string, unknown>[] };
    const seen = listed.requests.find((r) => r.id === request.id);
    expect(seen).toMatchObject({
      status: 'sent',
      request: {
        kind: 'locate',
        subject: { name: 'Ramón Quispe Huamán', age: 36, languages: [] },
        location: { line1: '100 Synthetic Way', zip: '78520', county: 'Cameron' },
      },
    });
    const text = JSON.stringify(seen);
    for (const secret of [c.case.caseNumber, c.case.id, '12345AB', 'Synthetic Caller', '555-0199', 'PE', 'warehouse'])
      expect(text).not.toContain(secret);
    // Another agency: it does not exist.
    expect((await api(hidalgo, `/requests/${request.id}`)).status).toBe(404);
    expect(((await (await api(hidalgo, '/requests')).json()) as { requests: unknown[] }).requests).toHaveLength(0);
    expect((await api(hidalgo, `/requests/${request.id}/answer`, { outcome: 'located', notes: 'x' })).status).toBe(404);

    expect((await api(cameron, `/requests/${request.id}/acknowledge`, {})).status).toBe(200);
    const before = tasksFor(c.case.id).length;
    const answer = await api(cameron, `/requests/${request.id}/answer`, {
      outcome: 'located',
      notes: 'Seen entering the house at 21:40; vehicle in the driveway.',
      officer: { name: 'Officer Synthetic', badge: 'B-12' },
      location: { line1: '215 Synthetic Ave', zip: '78521' },
      observedAt: '2026-11-29T08:40:00-06:00',
    });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const answered = (await answer.json()) as { status: string; reportReference: string };
    expect(answered).toMatchObject({ status: 'answered', reportReference: expect.stringMatching(/^R-2026-/) });
    expect((await api(cameron, `/requests/${request.id}/answer`, { outcome: 'located', notes: 'again' })).status).toBe(409);

    // On the case: a report from the agency, a location with that report as its source, the timeline.
    const detail = (await get(analyst, `/api/v1/cases/${c.case.id}`)).json();
    const report = detail.reports.find((r: { reference: string }) => r.reference === answered.reportReference);
    expect(report).toMatchObject({ source: 'partner_officer', grading: { sourceReliability: 'B', informationCredibility: 2 } });
    expect(detail.locations.map((l: { line1: string }) => l.line1)).toContain('215 Synthetic Ave');
    expect(detail.timeline.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['partner_request_sent', 'partner_request_answered']),
    );
    // And in the ACD: a work item for the case's unit.
    const tasks = tasksFor(c.case.id);
    expect(tasks.length).toBe(before + 1);
    expect(tasks.at(-1)?.attributes).toMatchObject({ kind: 'work_item', partnerRequest: request.id, outcome: 'located' });

    // The work item's id was stored with the answer: if the ACD had lost it, the sweep would make it again, once.
    const stored = await db.db
      .selectFrom('partner_requests')
      .select('answer_task_id')
      .where('id', '=', request.id)
      .executeTakeFirstOrThrow();
    expect(tasks.at(-1)?.id).toBe(stored.answer_task_id);
    await sweepPartnerRequests({ db: db.db, routing: t.routing, timeZone: 'America/Chicago' }, t.clock.now);
    expect(tasksFor(c.case.id).length).toBe(before + 1);
    const history = (await get(analyst, `/api/v1/cases/${c.case.id}/partner-requests`)).json().requests[0];
    expect(history.timeline.map((e: { kind: string }) => e.kind)).toEqual(['created', 'acknowledged', 'answered']);
  });

  it('about a child: blocked before the welfare screening (nothing stored), then held for a legal reviewer; the agency sees nothing until approved', async () => {
    const c = await intake({
      subjects: [
        {
          person: { givenNames: 'Niño', familyName1: 'Sintético', dob: '2013-03-03', dobBasis: 'estimated', nationalities: ['HN'] },
          role: 'child',
        },
      ],
      locations: [{ subject: 0, address: { line1: '40 Synthetic Ln', zip: '78501' }, confidence: 'medium' }],
      case: { open: { type: 'uac_location', priority: 'high', summary: 'Child alone at a bus station' } },
    });
    const ask = {
      kind: 'welfare_check',
      question: 'Please check that the child is safe and with an adult.',
      purposeCode: 'welfare_check',
      purpose: 'Child reported alone at night',
    };
    const blocked = await post(uac, `/api/v1/cases/${c.case.id}/partner-requests`, ask);
    expect(blocked.statusCode).toBe(422);
    expect(blocked.json().error).toMatchObject({
      code: 'referral_blocked',
      issues: [expect.objectContaining({ code: 'welfare_screening_required' })],
    });
    expect(await db.db.selectFrom('partner_requests').select('id').where('case_id', '=', c.case.id).execute()).toHaveLength(0);
    const denied = await db.db
      .selectFrom('audit_events')
      .select(['outcome'])
      .where('action', '=', 'partner_request.create')
      .where('resource_id', '=', c.case.id)
      .execute();
    expect(denied).toEqual([{ outcome: 'denied' }]);

    const answers = Object.fromEntries(
      [
        'trafficking_indicators',
        'labour_exploitation',
        'abuse_or_neglect',
        'missing_from_sponsor',
        'unsafe_sponsor_placement',
        'urgent_medical_need',
        'urgent_mental_health_need',
      ].map((q) => [q, { answer: 'no' }]),
    );
    const screened = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, { personId: c.subjects[0]?.personId, answers });
    expect(screened.statusCode, screened.body).toBe(201);

    const held = await post(uac, `/api/v1/cases/${c.case.id}/partner-requests`, ask);
    expect(held.statusCode, held.body).toBe(201);
    expect(held.json().decision).toBe('hold_for_review');
    const request = held.json().requests[0];
    expect(request).toMatchObject({ agencyOri: HIDALGO, status: 'pending_review' });
    expect(request.gate.reasons[0].message).toContain('a request to a partner agency is held for legal review');
    expect((await api(hidalgo, `/requests/${request.id}`)).status).toBe(404);

    // The author cannot approve it, nor can an analyst; a legal reviewer must, in writing.
    const reviewer2 = await enrollAs(t, 'legal_reviewer');
    expect(
      (await post(analyst, `/api/v1/partner-requests/${request.id}/review`, { decision: 'approve', justification: 'x'.repeat(30) }))
        .statusCode,
    ).toBe(403);
    const queue = (await get(reviewer, '/api/v1/partner-requests/review-queue')).json().requests;
    expect(queue.map((r: { id: string }) => r.id)).toContain(request.id);
    const short = await post(reviewer, `/api/v1/partner-requests/${request.id}/review`, { decision: 'approve', justification: 'ok' });
    expect(short.statusCode).toBe(400);
    t.clock.advance(10 * 60_000);
    const approved = await post(reviewer2, `/api/v1/partner-requests/${request.id}/review`, {
      decision: 'approve',
      justification: 'A welfare check by local police is in the child’s interest; screening negative.',
    });
    expect(approved.statusCode, approved.body).toBe(200);
    // The deadline counts from when it was sent.
    expect(Date.parse(approved.json().dueAt) - t.clock.now.getTime()).toBe(4 * 3_600_000);
    // A second held request, withdrawn before any review: it never reaches the agency, not even as "withdrawn".
    const heldToo = await post(uac, `/api/v1/cases/${c.case.id}/partner-requests`, ask);
    const withdrawnId = heldToo.json().requests[0].id as string;
    // Days pass and the agency's agreement is suspended: the approval is refused, and the refusal is in the audit
    // (the one review routine keeps every denial, as it does for referrals).
    await db.db.updateTable('agencies').set({ agreement_status: 'suspended' }).where('ori', '=', HIDALGO).execute();
    const suspended = await post(reviewer2, `/api/v1/partner-requests/${withdrawnId}/review`, {
      decision: 'approve',
      justification: 'A welfare check by local police is in the child’s interest; screening negative.',
    });
    expect(suspended.statusCode).toBe(409);
    expect(suspended.json().error.message).toMatch(/^The request cannot be sent: /);
    const refusal = await db.db
      .selectFrom('audit_events')
      .select(['outcome', 'details'])
      .where('action', '=', 'partner_request.review')
      .where('resource_id', '=', withdrawnId)
      .execute();
    expect(refusal).toEqual([{ outcome: 'denied', details: expect.objectContaining({ rule: 'agreement_not_in_force' }) }]);
    await db.db.updateTable('agencies').set({ agreement_status: 'active' }).where('ori', '=', HIDALGO).execute();
    expect((await post(uac, `/api/v1/partner-requests/${withdrawnId}/withdraw`, { reason: 'Asked by mistake' })).statusCode).toBe(200);
    expect((await api(hidalgo, `/requests/${withdrawnId}`)).status).toBe(404);
    const listed = ((await (await api(hidalgo, '/requests')).json()) as { requests: { id: string }[] }).requests.map((r) => r.id);
    expect(listed).not.toContain(withdrawnId);
    const seen = (await (await api(hidalgo, `/requests/${request.id}`)).json()) as {
      status: string;
      request: { subject: { age: number } };
    };
    expect(seen).toMatchObject({ status: 'sent', request: { subject: { age: 13 } } });
  });

  it('needs a purpose of use; an agency outside the jurisdiction needs a reason; unknown and inactive agencies are refused', async () => {
    const c = await intake();
    const url = `/api/v1/cases/${c.case.id}/partner-requests`;
    const noPurpose = await post(analyst, url, { kind: 'locate', question: 'Still there?' });
    expect(noPurpose.statusCode).toBe(400);
    expect(
      noPurpose
        .json()
        .error.issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['body.purpose', 'body.purposeCode']);
    const outside = await post(analyst, url, { kind: 'locate', question: 'Still there?', agencyOris: [HIDALGO], ...purpose });
    expect(outside.statusCode).toBe(422);
    expect(outside.json().error.issues[0]).toMatchObject({ path: 'body.chosenReason', code: 'required' });
    const inactive = await post(analyst, url, {
      kind: 'locate',
      question: 'Still there?',
      agencyOris: ['TX0742300', 'TX9999999'],
      ...purpose,
    });
    expect(
      inactive
        .json()
        .error.issues.map((i: { code: string }) => i.code)
        .sort(),
    ).toEqual(['agreement_inactive', 'unknown_agency']);
    const chosen = await post(analyst, url, {
      kind: 'locate',
      question: 'Still there?',
      agencyOris: [HIDALGO],
      chosenReason: 'The subject works across the county line',
      ...purpose,
    });
    expect(chosen.statusCode, chosen.body).toBe(201);
    expect(chosen.json().requests[0]).toMatchObject({ agencyBasis: 'chosen', chosenReason: 'The subject works across the county line' });
    // The purpose is in the audit.
    const audited = await db.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'partner_request.create')
      .where('resource_id', '=', chosen.json().requests[0].id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audited.details)).toContain('location_follow_up: Confirm the address');
    // A call taker cannot ask partners; a partner officer cannot either.
    expect((await post(callTaker, url, { kind: 'locate', question: 'x', ...purpose })).statusCode).toBe(403);
  });

  it('escalates an unanswered request once its deadline passes: a work item, a timeline entry, a reminder; withdrawn requests take no answer', async () => {
    const c = await intake();
    const made = await post(analyst, `/api/v1/cases/${c.case.id}/partner-requests`, {
      kind: 'information',
      question: 'Any contact with this person in the past month?',
      dueInHours: 2,
      ...purpose,
    });
    const id = made.json().requests[0].id;
    expect(await sweepPartnerRequests({ db: db.db, routing: t.routing, timeZone: 'America/Chicago' }, t.clock.now)).toBe(0);
    // The sweep runs on the server's clock; the test asks it about a time past the deadline (sessions and tokens stay fresh).
    const later = new Date(t.clock.now.getTime() + 2 * 3_600_000 + 1_000);
    const before = tasksFor(c.case.id).length;
    expect(await sweepPartnerRequests({ db: db.db, routing: t.routing, timeZone: 'America/Chicago' }, later)).toBeGreaterThanOrEqual(1);
    expect(tasksFor(c.case.id).length).toBe(before + 1);
    expect(tasksFor(c.case.id).at(-1)?.attributes).toMatchObject({ escalation: 'partner_request_overdue', partnerRequest: id });
    expect(await sweepPartnerRequests({ db: db.db, routing: t.routing, timeZone: 'America/Chicago' }, later)).toBe(0);
    const timeline = (await get(analyst, `/api/v1/cases/${c.case.id}/partner-requests`)).json().requests[0].timeline;
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual(['created', 'escalated']);
    const seen = (await (await api(cameron, `/requests/${id}`)).json()) as { overdue: boolean };
    expect(seen.overdue).toBe(true);

    const withdrawn = await post(analyst, `/api/v1/partner-requests/${id}/withdraw`, { reason: 'Located by other means' });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect((await api(cameron, `/requests/${id}/answer`, { outcome: 'other', notes: 'late' })).status).toBe(409);
  });

  it('the portal: a partner officer of the agency reads and answers', async () => {
    const c = await intake();
    const made = await post(analyst, `/api/v1/cases/${c.case.id}/partner-requests`, {
      kind: 'welfare_check',
      question: 'Is everyone at this address safe?',
      ...purpose,
    });
    const id = made.json().requests[0].id;
    const officer = await enrollAs(t, 'partner_officer', { agencyOri: CAMERON });
    const other = await enrollAs(t, 'partner_officer', { agencyOri: HIDALGO });
    expect((await get(other, `/api/v1/portal/requests/${id}`)).statusCode).toBe(404);
    const list = await get(officer, '/api/v1/portal/requests');
    expect(list.json().requests.map((r: { id: string }) => r.id)).toContain(id);
    const answer = await post(officer, `/api/v1/portal/requests/${id}/answer`, {
      outcome: 'welfare_concern',
      notes: 'Adults present; the child had not eaten. CPS called.',
    });
    expect(answer.statusCode, answer.body).toBe(200);
    const task = tasksFor(c.case.id).at(-1);
    expect(task?.basePriority).toBeGreaterThanOrEqual(40);
    const row = await db.db
      .selectFrom('partner_requests')
      .select(['answered_by_user', 'status'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ answered_by_user: officer.userId, status: 'answered' });
  });

  describe('the urgent lane: a welfare check about a child in danger', () => {
    const allNo = [
      'trafficking_indicators',
      'labour_exploitation',
      'abuse_or_neglect',
      'missing_from_sponsor',
      'unsafe_sponsor_placement',
      'urgent_medical_need',
      'urgent_mental_health_need',
    ];
    const screen = (yes: string[]) => Object.fromEntries(allNo.map((q) => [q, { answer: yes.includes(q) ? 'yes' : 'no' }]));
    const welfareCheck = {
      kind: 'welfare_check',
      question: 'The child ran away from the sponsor last night; please check the address now.',
      purposeCode: 'welfare_check',
      purpose: 'Child missing from sponsor, reported by the school',
    };
    async function childCase(yes: string[]) {
      const c = await intake({
        subjects: [{ person: { givenNames: 'Urgente', familyName1: 'Sintética', dob: '2012-02-02', dobBasis: 'claimed' }, role: 'child' }],
        locations: [{ subject: 0, address: { line1: '12 Synthetic Ct', zip: '78520' }, confidence: 'high' }],
        case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Child missing from sponsor' } },
      });
      const screened = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, {
        personId: c.subjects[0]?.personId,
        answers: screen(yes),
      });
      expect(screened.statusCode, screened.body).toBe(201);
      return c;
    }
    const postReviewItems = (requestId: string) =>
      [...t.routing.engine.allTasks()].filter(
        (task) => task.attributes.partnerRequest === requestId && task.attributes.postReview === true,
      );

    it('goes out at once, welfare-only and with its purpose, and waits in the legal reviewers’ queue for review within 24 hours', async () => {
      const c = await childCase(['missing_from_sponsor']);
      const made = await post(uac, `/api/v1/cases/${c.case.id}/partner-requests`, welfareCheck);
      expect(made.statusCode, made.body).toBe(201);
      expect(made.json().decision).toBe('hold_for_review');
      const request = made.json().requests[0];
      expect(request).toMatchObject({
        agencyOri: CAMERON,
        status: 'sent',
        request: {
          urgent: true,
          useCondition: expect.stringMatching(/^Welfare only: not for immigration enforcement/),
          purpose: { code: 'welfare_check', text: 'Child missing from sponsor, reported by the school' },
        },
        postReview: { finding: null, dueAt: new Date(t.clock.now.getTime() + 24 * 3_600_000).toISOString() },
        gate: { decision: 'hold_for_review', urgentLane: { indicators: ['missing_from_sponsor'] } },
      });
      // The agency has it now, through the API and the signed webhook, with the use condition.
      const seen = (await (await api(cameron, `/requests/${request.id}`)).json()) as { request: { useCondition: string; urgent: boolean } };
      expect(seen.request).toMatchObject({ urgent: true, useCondition: expect.stringContaining('not for immigration enforcement') });
      const hook = await db.db
        .selectFrom('webhook_deliveries')
        .select('body')
        .where('request_id', '=', request.id)
        .where('event', '=', 'request.created')
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(hook.body)).toContain('not for immigration enforcement');
      // Audited as sent by the urgent lane, with the indicators.
      const audit = await db.db
        .selectFrom('audit_events')
        .select(['details', 'purpose'])
        .where('action', '=', 'partner_request.create')
        .where('resource_id', '=', request.id)
        .executeTakeFirstOrThrow();
      expect(audit.details).toMatchObject({ decision: 'urgent_welfare_lane', urgentLane: true, indicators: ['missing_from_sponsor'] });
      // A work item for the legal reviewers, in their queue.
      const [item] = postReviewItems(request.id);
      expect(item).toMatchObject({ queueId: 'legal_review', basePriority: 1000 });
      expect((await get(reviewer, '/api/v1/partner-requests/review-queue')).json().requests.map((r: { id: string }) => r.id)).toContain(
        request.id,
      );
      // Not by the author's kind, nor by the author; a legal reviewer finds it proper, once, in writing.
      const finding = { finding: 'proper', justification: 'A child missing from sponsor: an immediate check was right.' };
      expect((await post(uac, `/api/v1/partner-requests/${request.id}/post-review`, finding)).statusCode).toBe(403);
      const reviewed = await post(reviewer, `/api/v1/partner-requests/${request.id}/post-review`, finding);
      expect(reviewed.statusCode, reviewed.body).toBe(200);
      expect(reviewed.json()).toMatchObject({ status: 'sent', postReview: { finding: 'proper', reviewedBy: reviewer.userId } });
      expect((await post(reviewer, `/api/v1/partner-requests/${request.id}/post-review`, finding)).statusCode).toBe(409);
      expect(postReviewItems(request.id).map((task) => task.status)).toEqual(['canceled']);
      expect((await get(reviewer, '/api/v1/partner-requests/review-queue')).json().requests.map((r: { id: string }) => r.id)).not.toContain(
        request.id,
      );
    });

    it('a late review escalates; a finding of improper withdraws the unanswered request and tells the agency', async () => {
      const c = await childCase(['abuse_or_neglect']);
      const request = (await post(uac, `/api/v1/cases/${c.case.id}/partner-requests`, welfareCheck)).json().requests[0];
      expect(request.status).toBe('sent');
      const deps = { db: db.db, routing: t.routing, timeZone: 'America/Chicago' };
      await sweepPartnerRequests(deps, new Date(t.clock.now.getTime() + 23 * 3_600_000));
      expect(postReviewItems(request.id)).toHaveLength(1);
      await sweepPartnerRequests(deps, new Date(t.clock.now.getTime() + 25 * 3_600_000));
      const items = postReviewItems(request.id);
      expect(items).toHaveLength(2);
      expect(items.find((i) => i.attributes.escalation === 'post_review_overdue')?.basePriority).toBeGreaterThan(1000);
      await sweepPartnerRequests(deps, new Date(t.clock.now.getTime() + 26 * 3_600_000));
      expect(postReviewItems(request.id)).toHaveLength(2);
      const reviewed = await post(reviewer, `/api/v1/partner-requests/${request.id}/post-review`, {
        finding: 'improper',
        justification: 'The screening answer was a guess; this should have waited for review.',
      });
      expect(reviewed.statusCode, reviewed.body).toBe(200);
      expect(reviewed.json()).toMatchObject({ status: 'withdrawn', postReview: { finding: 'improper' } });
      const events = await db.db.selectFrom('webhook_deliveries').select('event').where('request_id', '=', request.id).execute();
      expect(events.map((e) => e.event).sort()).toEqual(['request.created', 'request.overdue', 'request.withdrawn']);
    });

    it('every other request about a child waits for review: another kind, a screening without a danger indicator, no screening', async () => {
      const danger = await childCase(['trafficking_indicators']);
      const locate = await post(uac, `/api/v1/cases/${danger.case.id}/partner-requests`, { ...welfareCheck, kind: 'locate' });
      expect(locate.json().requests[0].status).toBe('pending_review');
      const medical = await childCase(['urgent_medical_need']);
      const check = await post(uac, `/api/v1/cases/${medical.case.id}/partner-requests`, welfareCheck);
      expect(check.json().requests[0]).toMatchObject({ status: 'pending_review', postReview: null });
      expect(check.json().requests[0].request.useCondition).toContain('Welfare only');
      // And enforcement never uses the lane: a referral about the same child in danger is held for review.
      const draft = await post(analyst, `/api/v1/cases/${danger.case.id}/referrals`, { purpose: 'enforcement' });
      if (draft.statusCode === 201) {
        const submitted = await post(analyst, `/api/v1/referrals/${draft.json().id}/submit`);
        expect(submitted.json().status).not.toBe('sent');
      } else expect(draft.statusCode).toBe(404);
    });
  });
});
