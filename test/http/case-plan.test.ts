import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOverdueServices } from '../../src/services/case-plan.service.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * Issue #22 item 3: a child's services and case plan. Needs and services from fixed vocabularies, services moved
 * along their lifecycle with an outcome when they end, the plan approved (or returned) by a supervisor other than
 * its submitter and approved again after a change, closure of a UAC case only through a request a second
 * supervisor approves once every service is resolved, the overdue sweep on a virtual clock (once per service, not
 * before the due day has passed in the center's zone), need-to-know and permissions, and the audit. Synthetic
 * people only. The test clock starts 2026-11-29 15:00 UTC (09:00 in Chicago).
 */

let db: TestDatabase;
let t: TestApp;
let callTaker: SignedIn;
let analyst: SignedIn;
let reviewer: SignedIn;
let uac: SignedIn;
let supervisor: SignedIn;
let supervisor2: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  reviewer = await enrollAs(t, 'legal_reviewer');
  uac = await enrollAs(t, 'uac_specialist');
  supervisor = await enrollAs(t, 'supervisor');
  supervisor2 = await enrollAs(t, 'supervisor');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
/** The purpose of use a UAC case's plan is read with (it reveals the child's needs). */
const P = `?purposeCode=case_work&purpose=${encodeURIComponent('Planning the child services')}`;
/** What a supervisor was shown and decides: the plan's submission, the closure's request (a valid instant if none). */
const shown = async (caseId: string) => {
  const v = (await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json();
  const none = '2026-01-01T00:00:00.000Z';
  return {
    submittedAt: (v.plan?.submittedAt as string | null) ?? none,
    requestedAt: (v.closure?.requestedAt as string | undefined) ?? none,
  };
};
const issue = (res: { json: () => { error: { code: string; issues?: { code: string }[] } } }) => res.json().error.issues?.[0]?.code;

async function childCase(summary = 'Child placed with a sponsor; services needed'): Promise<string> {
  const res = await post(
    callTaker,
    '/api/v1/intake',
    tip({
      narrative: 'The shelter says the child needs a lawyer and a doctor.',
      subjects: [{ person: { givenNames: 'Nayeli', familyName1: 'Condori', dob: '2011-02-03', dobBasis: 'claimed' }, role: 'child' }],
      locations: [{ subject: 0, address: { line1: '12 Synthetic Ct', zip: '78520' }, confidence: 'high' }],
      case: { open: { type: 'uac_welfare', priority: 'high', summary } },
    }),
  );
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().case.id as string;
}

const audits = (action: string, resourceId: string) =>
  db.db
    .selectFrom('audit_events')
    .select(['outcome', 'details', 'actor_id'])
    .where('action', '=', action)
    .where('resource_id', '=', resourceId)
    .execute();

async function needAndService(caseId: string, dueOn = '2026-12-10') {
  const need = await post(uac, `/api/v1/cases/${caseId}/needs`, { need: 'legal', assessedOn: '2026-11-28', notes: 'Hearing in January' });
  expect(need.statusCode, need.body).toBe(201);
  const service = await post(uac, `/api/v1/cases/${caseId}/services`, {
    needId: need.json().id,
    type: 'legal_aid',
    provider: 'Synthetic Legal Aid Clinic',
    dueOn,
  });
  expect(service.statusCode, service.body).toBe(201);
  return { needId: need.json().id as string, serviceId: service.json().id as string };
}

describe('needs and services', () => {
  it('takes needs and services from the vocabularies, against a need of this case, and answers the plan in the contract shape', async () => {
    const caseId = await childCase();
    expect((await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json()).toEqual({ plan: null, needs: [], services: [], closure: null });
    expect((await post(uac, `/api/v1/cases/${caseId}/needs`, { need: 'housing', assessedOn: '2026-11-28' })).statusCode).toBe(400);
    const future = await post(uac, `/api/v1/cases/${caseId}/needs`, { need: 'shelter', assessedOn: '2026-11-30' });
    expect(future.statusCode).toBe(400);
    expect(issue(future)).toBe('in_future');
    const { needId, serviceId } = await needAndService(caseId);
    expect(
      (await post(uac, `/api/v1/cases/${caseId}/services`, { needId, type: 'tutoring', provider: 'X', dueOn: '2026-12-01' })).statusCode,
    ).toBe(400);
    const other = await childCase('Another child');
    const foreign = await post(uac, `/api/v1/cases/${other}/services`, { needId, type: 'shelter', provider: 'X', dueOn: '2026-12-01' });
    expect(foreign.statusCode).toBe(422);
    expect(issue(foreign)).toBe('unknown_need');

    const plan = (await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json();
    expect(plan).toEqual({
      plan: { status: 'draft', submittedAt: null, decidedAt: null, decidedBy: null, note: null },
      needs: [{ id: needId, need: 'legal', assessedOn: '2026-11-28', notes: 'Hearing in January' }],
      services: [
        {
          id: serviceId,
          type: 'legal_aid',
          provider: 'Synthetic Legal Aid Clinic',
          dueOn: '2026-12-10',
          status: 'planned',
          outcome: null,
          overdue: false,
        },
      ],
      closure: null,
    });
    expect((await audits('case_plan.read', caseId)).map((a) => a.outcome)).toEqual(['allowed', 'allowed']);
    expect((await audits('case_plan.need_add', needId)).map((a) => a.actor_id)).toEqual([uac.userId]);
    expect(await audits('case_plan.service_add', serviceId)).toHaveLength(1);
  });

  it('moves a service planned → in progress → delivered, with an outcome when it ends; other steps are refused with a stable code', async () => {
    const caseId = await childCase();
    const { serviceId } = await needAndService(caseId);
    const status = (who: SignedIn, payload: Body) => post(who, `/api/v1/cases/${caseId}/services/${serviceId}/status`, payload);
    const noOutcome = await status(uac, { status: 'delivered' });
    expect(noOutcome.statusCode).toBe(400);
    expect(issue(noOutcome)).toBe('outcome_required');
    expect((await status(uac, { status: 'in_progress' })).statusCode).toBe(200);
    const again = await status(uac, { status: 'in_progress' });
    expect(again.statusCode).toBe(409);
    expect(issue(again)).toBe('illegal_transition');
    const done = await status(uac, { status: 'delivered', outcome: 'Lawyer assigned; hearing prepared' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().services[0]).toMatchObject({ status: 'delivered', outcome: 'Lawyer assigned; hearing prepared' });
    const after = await status(uac, { status: 'cancelled', outcome: 'too late' });
    expect(after.statusCode).toBe(409);
    expect(after.json().error.message).toBe('A service that is delivered cannot be cancelled.');
    const changes = await db.db
      .selectFrom('case_service_status_changes')
      .select(['from_status', 'to_status', 'changed_by'])
      .where('service_id', '=', serviceId)
      .execute();
    // One frozen clock: the rows share their instant, so compare them as a set.
    expect(changes.map((c) => [c.from_status, c.to_status, c.changed_by])).toEqual(
      expect.arrayContaining([
        [null, 'planned', uac.userId],
        ['planned', 'in_progress', uac.userId],
        ['in_progress', 'delivered', uac.userId],
      ]),
    );
    expect(changes).toHaveLength(3);
    const denied = await audits('case_plan.service_status', caseId);
    expect(denied.map((a) => (a.details as { rule?: string }).rule)).toEqual([
      'outcome_required',
      'illegal_transition',
      'illegal_transition',
    ]);
  });
});

describe('the case plan: a supervisor other than the submitter approves it, and again after a change', () => {
  it('submits, refuses the submitter as approver, returns with a note, approves, and a new service puts it back to draft', async () => {
    const caseId = await childCase();
    const empty = await post(uac, `/api/v1/cases/${caseId}/plan/submit`);
    expect(empty.statusCode).toBe(422);
    expect(issue(empty)).toBe('plan_empty');
    const { needId } = await needAndService(caseId);
    // A supervisor may write the plan too, but not approve what they submitted.
    const byBoss = await post(supervisor, `/api/v1/cases/${caseId}/plan/submit`);
    expect(byBoss.statusCode, byBoss.body).toBe(200);
    expect(byBoss.json().plan).toMatchObject({ status: 'submitted', decidedAt: null });
    const own = await post(supervisor, `/api/v1/cases/${caseId}/plan/decision`, {
      decision: 'approve',
      submittedAt: (await shown(caseId)).submittedAt,
    });
    expect(own.statusCode).toBe(403);
    expect(issue(own)).toBe('own_plan');
    expect(
      (await post(uac, `/api/v1/cases/${caseId}/plan/decision`, { decision: 'approve', submittedAt: (await shown(caseId)).submittedAt }))
        .statusCode,
    ).toBe(403);
    const noNote = await post(supervisor2, `/api/v1/cases/${caseId}/plan/decision`, {
      decision: 'return',
      submittedAt: (await shown(caseId)).submittedAt,
    });
    expect(noNote.statusCode).toBe(400);
    const returned = await post(supervisor2, `/api/v1/cases/${caseId}/plan/decision`, {
      decision: 'return',
      submittedAt: (await shown(caseId)).submittedAt,
      note: 'Add a medical check before the hearing',
    });
    expect(returned.statusCode, returned.body).toBe(200);
    expect(returned.json().plan).toMatchObject({
      status: 'returned',
      decidedBy: supervisor2.userId,
      note: 'Add a medical check before the hearing',
    });
    expect(
      (
        await post(supervisor2, `/api/v1/cases/${caseId}/plan/decision`, {
          decision: 'approve',
          submittedAt: (await shown(caseId)).submittedAt,
        })
      ).statusCode,
    ).toBe(409);

    const medical = await post(uac, `/api/v1/cases/${caseId}/needs`, { need: 'medical', assessedOn: '2026-11-29' });
    await post(uac, `/api/v1/cases/${caseId}/services`, {
      needId: medical.json().id,
      type: 'medical',
      provider: 'Synthetic Clinic',
      dueOn: '2026-12-05',
    });
    expect((await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json().plan.status).toBe('draft');
    expect((await post(uac, `/api/v1/cases/${caseId}/plan/submit`)).json().plan.status).toBe('submitted');
    const approved = await post(supervisor, `/api/v1/cases/${caseId}/plan/decision`, {
      decision: 'approve',
      submittedAt: (await shown(caseId)).submittedAt,
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().plan).toMatchObject({ status: 'approved', decidedBy: supervisor.userId });

    // Carrying the plan out is not a change to it; adding a service is.
    const first = approved.json().services[0].id;
    await post(uac, `/api/v1/cases/${caseId}/services/${first}/status`, { status: 'in_progress' });
    expect((await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json().plan.status).toBe('approved');
    await post(uac, `/api/v1/cases/${caseId}/services`, { needId, type: 'legal_aid', provider: 'Second Clinic', dueOn: '2026-12-20' });
    const changed = (await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json();
    expect(changed.plan).toMatchObject({ status: 'draft', decidedBy: supervisor.userId });
    const decisions = await audits('case_plan.decide', caseId);
    expect(decisions.map((a) => [a.outcome, (a.details as { rule?: string }).rule ?? null])).toEqual([
      ['denied', 'own_plan'],
      ['denied', 'note_required'],
      ['allowed', null],
      ['denied', 'illegal_transition'],
      ['allowed', null],
    ]);
    const timeline = (
      await get(uac, `/api/v1/cases/${caseId}?purposeCode=case_work&purpose=${encodeURIComponent('Planning the child services')}`)
    ).json();
    expect(timeline.timeline.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['case_plan_submitted', 'case_plan_returned', 'case_plan_approved', 'case_plan_reopened']),
    );
  });
});

describe('closing a UAC case: requested, then approved by a second person', () => {
  it('is refused directly, blocked while a service is open, refused with a reason, then approved — and the case closes', async () => {
    const caseId = await childCase();
    const kase = (
      await get(uac, `/api/v1/cases/${caseId}?purposeCode=case_work&purpose=${encodeURIComponent('Closing the child case')}`)
    ).json();
    const direct = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/cases/${caseId}`,
      headers: supervisor.headers,
      payload: { version: kase.version, status: 'closed', reason: 'resolved' },
    });
    expect(direct.statusCode).toBe(422);
    expect(issue(direct)).toBe('closure_approval_required');

    const { serviceId } = await needAndService(caseId);
    const blocked = await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'Child reunified with the mother' });
    expect(blocked.statusCode).toBe(422);
    expect(blocked.json().error.issues).toEqual([
      { path: `services.${serviceId}`, code: 'open_services', message: 'legal aid with Synthetic Legal Aid Clinic is planned' },
    ]);
    await post(uac, `/api/v1/cases/${caseId}/services/${serviceId}/status`, { status: 'delivered', outcome: 'Case won' });

    const noReason = await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'finished', note: 'x' });
    expect(noReason.statusCode).toBe(400);
    const requested = await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'Child reunified with the mother' });
    expect(requested.statusCode, requested.body).toBe(201);
    expect(requested.json().closure).toMatchObject({ status: 'requested', decidedAt: null, reason: 'Child reunified with the mother' });
    const twice = await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'again' });
    expect(twice.statusCode).toBe(409);
    expect(issue(twice)).toBe('closure_pending');
    expect(
      (await post(uac, `/api/v1/cases/${caseId}/closure/decision`, { decision: 'approve', requestedAt: (await shown(caseId)).requestedAt }))
        .statusCode,
    ).toBe(403);
    const refused = await post(supervisor, `/api/v1/cases/${caseId}/closure/decision`, {
      decision: 'refuse',
      requestedAt: (await shown(caseId)).requestedAt,
      reason: 'Check the home first',
    });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json().closure).toMatchObject({ status: 'refused', decidedBy: supervisor.userId, reason: 'Check the home first' });

    // The supervisor who asks cannot approve their own request; another one can, and the case closes.
    expect((await post(supervisor, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'Home checked' })).statusCode).toBe(201);
    const own = await post(supervisor, `/api/v1/cases/${caseId}/closure/decision`, {
      decision: 'approve',
      requestedAt: (await shown(caseId)).requestedAt,
    });
    expect(own.statusCode).toBe(403);
    expect(issue(own)).toBe('own_closure_request');
    const approved = await post(supervisor2, `/api/v1/cases/${caseId}/closure/decision`, {
      decision: 'approve',
      requestedAt: (await shown(caseId)).requestedAt,
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().closure).toMatchObject({ status: 'approved', decidedBy: supervisor2.userId });
    const closed = await db.db
      .selectFrom('cases')
      .select(['status', 'status_reason', 'closed_at'])
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ status: 'closed', status_reason: 'resolved' });
    expect(closed.closed_at).not.toBeNull();
    expect((await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'x' })).json().error.issues[0].code).toBe(
      'case_closed',
    );
    // Reopening stays a direct change (a reason given); closing it again goes through a new request.
    const { version } = await db.db.selectFrom('cases').select('version').where('id', '=', caseId).executeTakeFirstOrThrow();
    const reopened = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/cases/${caseId}`,
      headers: supervisor.headers,
      payload: { version, status: 'triage', reason: 'The sponsor moved out; the child needs a new placement' },
    });
    expect(reopened.statusCode, reopened.body).toBe(200);
    const anew = await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'New placement made' });
    expect(anew.statusCode, anew.body).toBe(201);
    expect(anew.json().closure).toMatchObject({ status: 'requested', reason: 'New placement made' });
    const decided = await audits('case_closure.decide', caseId);
    expect(decided.map((a) => [a.outcome, a.actor_id])).toEqual([
      ['allowed', supervisor.userId],
      ['denied', supervisor.userId],
      ['allowed', supervisor2.userId],
    ]);
    expect((await audits('case_closure.request', caseId)).map((a) => a.outcome)).toEqual([
      'denied',
      'allowed',
      'denied',
      'allowed',
      'denied',
      'allowed',
    ]);
  });
});

describe('who may', () => {
  it('only UAC cases have a plan; outside the unit it does not exist; roles without plan:write or plan:approve are refused', async () => {
    const res = await post(callTaker, '/api/v1/intake', tip());
    const tipCase = res.json().case.id as string;
    const notUac = await get(analyst, `/api/v1/cases/${tipCase}/plan${P}`);
    expect(notUac.statusCode).toBe(422);
    expect(issue(notUac)).toBe('not_a_uac_case');

    const caseId = await childCase();
    await needAndService(caseId);
    for (const outsider of [analyst, callTaker]) {
      expect((await get(outsider, `/api/v1/cases/${caseId}/plan${P}`)).statusCode).toBe(404);
    }
    expect((await audits('case_plan.read', caseId)).filter((a) => a.outcome === 'denied')).toHaveLength(2);
    // The legal reviewer reads a child's case, but does not plan or approve.
    expect((await get(reviewer, `/api/v1/cases/${caseId}/plan${P}`)).statusCode).toBe(200);
    expect((await post(reviewer, `/api/v1/cases/${caseId}/needs`, { need: 'safety', assessedOn: '2026-11-29' })).statusCode).toBe(403);
    expect((await post(analyst, `/api/v1/cases/${caseId}/needs`, { need: 'safety', assessedOn: '2026-11-29' })).statusCode).toBe(403);
    expect(
      (await post(uac, `/api/v1/cases/${caseId}/plan/decision`, { decision: 'approve', submittedAt: (await shown(caseId)).submittedAt }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await post(reviewer, `/api/v1/cases/${caseId}/closure/decision`, {
          decision: 'approve',
          requestedAt: (await shown(caseId)).requestedAt,
        })
      ).statusCode,
    ).toBe(403);
  });
});

describe('the overdue sweep (virtual clock)', () => {
  it("alerts once per service, only after its due day has passed on the center's calendar, as a UAC work item", async () => {
    const caseId = await childCase();
    const { serviceId } = await needAndService(caseId, '2026-11-30');
    const late = await needAndService(caseId, '2026-11-28');
    const deps = { db: db.db, routing: t.routing, timeZone: CENTER_TIME_ZONE };
    const sweep = (iso: string) => sweepOverdueServices(deps, new Date(iso));
    const alertedHere = async () =>
      (
        await db.db
          .selectFrom('case_services')
          .select(['id', 'overdue_alerted_at', 'alert_task_id'])
          .where('case_id', '=', caseId)
          .execute()
      ).filter((s) => s.overdue_alerted_at !== null);

    // Due yesterday: overdue on the plan now (services in order of their due day), and alerted by the first sweep.
    expect((await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json().services.map((s: { overdue: boolean }) => s.overdue)).toEqual([
      true,
      false,
    ]);
    await sweep('2026-11-29T15:00:00Z');
    expect((await alertedHere()).map((s) => s.id)).toEqual([late.serviceId]);
    // 23:30 on 30 November in Chicago is already 1 December in UTC: the day due has not passed yet.
    await sweep('2026-12-01T05:30:00Z');
    expect((await alertedHere()).map((s) => s.id)).toEqual([late.serviceId]);
    const alerted = await sweep('2026-12-01T06:30:00Z');
    expect(alerted.alerted).toBeGreaterThanOrEqual(1);
    const marked = await alertedHere();
    expect(marked.map((s) => s.id).sort()).toEqual([serviceId, late.serviceId].sort());
    const again = await sweep('2026-12-02T06:30:00Z');
    expect((await alertedHere()).map((s) => String(s.overdue_alerted_at))).toEqual(marked.map((s) => String(s.overdue_alerted_at)));
    expect(again.alerted).toBe(0);
    for (const s of marked) {
      const task = t.routing.engine.task(s.alert_task_id ?? '');
      expect(task?.queueId).toBe('uac_work');
      expect(task?.attributes).toMatchObject({ caseService: s.id, caseId, overdueService: true });
    }
    expect((await audits('case_plan.overdue_alert', serviceId)).map((a) => [a.outcome, a.actor_id])).toEqual([
      ['allowed', 'case_plan.sweep'],
    ]);
  });

  it('does not alert a service resolved before its due day passed', async () => {
    const caseId = await childCase();
    const { serviceId } = await needAndService(caseId, '2026-11-29');
    await post(uac, `/api/v1/cases/${caseId}/services/${serviceId}/status`, {
      status: 'cancelled',
      outcome: 'The child moved to another state',
    });
    await sweepOverdueServices({ db: db.db, routing: t.routing, timeZone: CENTER_TIME_ZONE }, new Date('2026-12-05T12:00:00Z'));
    const row = await db.db.selectFrom('case_services').select('overdue_alerted_at').where('id', '=', serviceId).executeTakeFirstOrThrow();
    expect(row.overdue_alerted_at).toBeNull();
  });
});

describe('after review: purpose of use, a closed case, stale decisions', () => {
  it("asks a purpose of use for the plan (it reveals the child's needs), refusing without one and keeping it in the audit", async () => {
    const caseId = await childCase();
    await needAndService(caseId);
    const bare = await get(uac, `/api/v1/cases/${caseId}/plan`);
    expect(bare.statusCode).toBe(400);
    expect(bare.json().error.code).toBe('purpose_required');
    expect((await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).statusCode).toBe(200);
    const rows = await db.db
      .selectFrom('audit_events')
      .select(['outcome', 'purpose', 'details'])
      .where('action', '=', 'case_plan.read')
      .where('resource_id', '=', caseId)
      .execute();
    expect(rows.find((r) => r.outcome === 'denied')).toMatchObject({
      purpose: null,
      details: { rule: 'purpose_required', minorRecord: true },
    });
    expect(rows.find((r) => r.outcome === 'allowed')).toMatchObject({
      purpose: expect.stringMatching(/case_work.*Planning the child services/),
      details: { minorRecord: true, purposeCode: 'case_work' },
    });
  });

  it('refuses every plan write on a closed case (422 case_closed, audited), and the sweep raises no work for it', async () => {
    const caseId = await childCase();
    const { needId, serviceId } = await needAndService(caseId, '2026-11-28');
    expect((await post(uac, `/api/v1/cases/${caseId}/plan/submit`)).statusCode).toBe(200);
    const { submittedAt } = await shown(caseId);
    // Closed with a service still open (closed before the plan was kept, or data carried over).
    await db.db.updateTable('cases').set({ status: 'closed', status_reason: 'resolved' }).where('id', '=', caseId).execute();
    const writes = [
      post(uac, `/api/v1/cases/${caseId}/needs`, { need: 'safety', assessedOn: '2026-11-29' }),
      post(uac, `/api/v1/cases/${caseId}/services`, { needId, type: 'shelter', provider: 'Synthetic Shelter', dueOn: '2026-12-20' }),
      post(uac, `/api/v1/cases/${caseId}/services/${serviceId}/status`, { status: 'in_progress' }),
      post(uac, `/api/v1/cases/${caseId}/plan/submit`),
      post(supervisor2, `/api/v1/cases/${caseId}/plan/decision`, { decision: 'approve', submittedAt }),
      post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'x' }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.statusCode, res.body).toBe(422);
      expect(issue(res)).toBe('case_closed');
    }
    const plan = (await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json();
    expect(plan.plan.status).toBe('submitted');
    expect(plan.needs).toHaveLength(1);
    expect(plan.services.map((s: { status: string }) => s.status)).toEqual(['planned']);
    const denied = await db.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('resource_id', '=', caseId)
      .where('outcome', '=', 'denied')
      .execute();
    expect(
      denied
        .filter((d) => (d.details as { rule?: string }).rule === 'case_closed')
        .map((d) => d.action)
        .sort(),
    ).toEqual(
      [
        'case_closure.request',
        'case_plan.decide',
        'case_plan.need_add',
        'case_plan.service_add',
        'case_plan.service_status',
        'case_plan.submit',
      ].sort(),
    );
    await sweepOverdueServices({ db: db.db, routing: t.routing, timeZone: CENTER_TIME_ZONE }, new Date('2026-12-05T12:00:00Z'));
    const row = await db.db.selectFrom('case_services').select('overdue_alerted_at').where('id', '=', serviceId).executeTakeFirstOrThrow();
    expect(row.overdue_alerted_at).toBeNull();
  });

  it('refuses a decision on a plan submitted again, or a closure requested again, since it was read (409 stale_decision)', async () => {
    const caseId = await childCase();
    const { needId } = await needAndService(caseId);
    await post(uac, `/api/v1/cases/${caseId}/plan/submit`);
    const first = (await shown(caseId)).submittedAt;
    t.clock.advance(60_000);
    await post(uac, `/api/v1/cases/${caseId}/services`, { needId, type: 'shelter', provider: 'Synthetic Shelter', dueOn: '2026-12-20' });
    await post(uac, `/api/v1/cases/${caseId}/plan/submit`);
    const second = (await shown(caseId)).submittedAt;
    expect(second).not.toBe(first);
    const stalePlan = await post(supervisor2, `/api/v1/cases/${caseId}/plan/decision`, { decision: 'approve', submittedAt: first });
    expect(stalePlan.statusCode).toBe(409);
    expect(issue(stalePlan)).toBe('stale_decision');
    expect((await shown(caseId)).submittedAt).toBe(second);
    const fresh = await post(supervisor2, `/api/v1/cases/${caseId}/plan/decision`, { decision: 'approve', submittedAt: second });
    expect(fresh.statusCode, fresh.body).toBe(200);

    for (const s of (await get(uac, `/api/v1/cases/${caseId}/plan${P}`)).json().services as { id: string }[])
      await post(uac, `/api/v1/cases/${caseId}/services/${s.id}/status`, { status: 'delivered', outcome: 'Done' });
    await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'Child reunified' });
    const r1 = (await shown(caseId)).requestedAt;
    await post(supervisor, `/api/v1/cases/${caseId}/closure/decision`, { decision: 'refuse', requestedAt: r1, reason: 'Check the home' });
    t.clock.advance(60_000);
    expect((await post(uac, `/api/v1/cases/${caseId}/closure`, { reason: 'resolved', note: 'Home checked' })).statusCode).toBe(201);
    const r2 = (await shown(caseId)).requestedAt;
    const staleClosure = await post(supervisor2, `/api/v1/cases/${caseId}/closure/decision`, { decision: 'approve', requestedAt: r1 });
    expect(staleClosure.statusCode).toBe(409);
    expect(issue(staleClosure)).toBe('stale_decision');
    expect((await db.db.selectFrom('cases').select('status').where('id', '=', caseId).executeTakeFirstOrThrow()).status).not.toBe('closed');
    const ok = await post(supervisor2, `/api/v1/cases/${caseId}/closure/decision`, { decision: 'approve', requestedAt: r2 });
    expect(ok.statusCode, ok.body).toBe(200);
    const rules = (await audits('case_closure.decide', caseId)).map((a) => (a.details as { rule?: string }).rule ?? null);
    expect(rules).toContain('stale_decision');
  });
});
