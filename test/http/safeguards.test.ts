import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepWelfareReferrals } from '../../src/services/welfare.service.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * The UAC unit's safeguards, one scenario per rule, including attempts to get
 * around them. The test clock starts at 2026-11-29T15:00Z.
 */

let db: TestDatabase;
let t: TestApp;
let callTaker: SignedIn;
let analyst: SignedIn;
let uac: SignedIn;
let reviewer: SignedIn;
let supervisor: SignedIn;
let admin: SignedIn;
let admin2: SignedIn;
let auditor: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  uac = await enrollAs(t, 'uac_specialist');
  reviewer = await enrollAs(t, 'legal_reviewer');
  supervisor = await enrollAs(t, 'supervisor');
  admin = await enrollAs(t, 'admin');
  admin2 = await enrollAs(t, 'admin');
  auditor = await enrollAs(t, 'auditor');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const purpose = `purposeCode=welfare_check&purpose=${encodeURIComponent('Checking on the child tonight')}`;

async function intake(over: Body = {}) {
  const res = await post(callTaker, '/api/v1/intake', tip(over));
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json();
}
async function draftAndSubmit(caseId: string, purposeOf = 'enforcement', who = analyst) {
  const draft = await post(who, `/api/v1/cases/${caseId}/referrals`, { purpose: purposeOf });
  if (draft.statusCode !== 201) throw new Error(draft.body);
  return { draft: draft.json(), submit: () => post(who, `/api/v1/referrals/${draft.json().id}/submit`) };
}
const adult = (given: string, extra: Body = {}) => ({
  person: { givenNames: given, familyName1: 'Sintético', dob: '1990-01-01', dobBasis: 'exact', ...extra },
});

describe('legal protections', () => {
  it('a protection in force holds an enforcement referral, naming the protection; an expired one does not', async () => {
    const a = await intake({ subjects: [adult('Protegido')] });
    const personId = a.subjects[0].personId;
    const added = await post(analyst, `/api/v1/persons/${personId}/protections`, {
      kind: 'court_case_pending',
      source: 'EOIR automated case information',
      reference: 'EOIR-SYN-0001',
      startsOn: '2026-01-01',
      nextHearingOn: '2027-02-01',
    });
    expect(added.statusCode, added.body).toBe(201);
    const held = await (await draftAndSubmit(a.case.id)).submit();
    expect(held.json()).toMatchObject({ status: 'pending_review', gate: { decision: 'hold_for_review' } });
    expect(held.json().gate.reasons[0]).toMatchObject({
      rule: 'protected_subject',
      protectionId: added.json().id,
      message: expect.stringContaining('EOIR-SYN-0001'),
    });

    const b = await intake({ subjects: [adult('Vencido')] });
    await post(analyst, `/api/v1/persons/${b.subjects[0].personId}/protections`, {
      kind: 'asylum_pending',
      source: 'USCIS receipt',
      reference: 'SYN-EXPIRED',
      startsOn: '2025-01-01',
      endsOn: '2026-11-28',
    });
    const sent = await (await draftAndSubmit(b.case.id)).submit();
    expect(sent.json()).toMatchObject({ status: 'sent', gate: { decision: 'send', reasons: [] } });
  });

  it('a class-wide order entered after the referral was drafted applies at send time', async () => {
    const c = await intake({ subjects: [adult('Clase', { nationalities: ['GT'] })] });
    const personId = c.subjects[0].personId;
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/persons/${personId}/uac-details`,
          headers: reviewer.headers,
          payload: { unaccompanied: true, eoirStatus: 'pending' },
        })
      ).statusCode,
    ).toBe(200);
    const { draft, submit } = await draftAndSubmit(c.case.id);
    expect(draft.status).toBe('draft');
    // Only legal reviewers enter orders.
    const condition = {
      all: [
        { attribute: 'nationality', op: 'in', values: ['GT'] },
        { attribute: 'unaccompanied', op: 'is', value: true },
        { attribute: 'eoirStatus', op: 'notIn', values: ['final_order'] },
      ],
    };
    const body = {
      name: 'Synthetic class order (test)',
      reference: 'Test v. Agency, No. 00-0000 (D.D.C.)',
      condition,
      effectiveFrom: '2026-06-01',
    };
    expect((await post(analyst, '/api/v1/protection-rules', body)).statusCode).toBe(403);
    const bad = await post(reviewer, '/api/v1/protection-rules', {
      ...body,
      condition: { all: [{ attribute: 'shoeSize', op: 'is', value: 9 }] },
    });
    expect(bad.statusCode).toBe(400);
    const rule = await post(reviewer, '/api/v1/protection-rules', body);
    expect(rule.statusCode, rule.body).toBe(201);
    const held = await submit();
    expect(held.json().status).toBe('pending_review');
    expect(held.json().gate.reasons).toEqual([expect.objectContaining({ rule: 'protected_subject', ruleId: rule.json().id })]);
    // A person with a final order is outside the rule.
    const d = await intake({ subjects: [adult('Orden', { nationalities: ['GT'] })] });
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/persons/${d.subjects[0].personId}/uac-details`,
      headers: reviewer.headers,
      payload: { unaccompanied: true, eoirStatus: 'final_order' },
    });
    expect((await (await draftAndSubmit(d.case.id)).submit()).json().status).toBe('sent');
  });

  it('nobody but a legal reviewer who is not the author decides; the decision re-checks the gate', async () => {
    const e = await intake({
      subjects: [{ person: { givenNames: 'Mañana', familyName1: 'Sintético', dob: '2008-11-30', dobBasis: 'exact' } }],
    });
    // Turns 18 tomorrow (the test clock says 2026-11-29): still a minor today.
    const { draft, submit } = await draftAndSubmit(e.case.id, 'enforcement', supervisor);
    const held = await submit();
    expect(held.json().gate.reasons).toEqual([expect.objectContaining({ rule: 'minor_subject' })]);
    const justification = 'Reviewed the court record: no pending case; the person is an adult tomorrow.';
    expect((await post(supervisor, `/api/v1/referrals/${draft.id}/review`, { decision: 'approve', justification })).statusCode).toBe(403);
    expect((await post(admin, `/api/v1/referrals/${draft.id}/review`, { decision: 'approve', justification })).statusCode).toBe(403);
    // Legal reviewers cannot write referrals, so they never review their own.
    expect((await post(reviewer, `/api/v1/cases/${e.case.id}/referrals`, { purpose: 'enforcement' })).statusCode).toBe(403);
    const approved = await post(reviewer, `/api/v1/referrals/${draft.id}/review`, { decision: 'approve', justification });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'sent', gate: { decision: 'hold_for_review' } });
    expect(approved.json().gate.evaluatedAt).toBe(t.clock.now.toISOString());
  });

  it('partner systems reach no referral route', () => {
    const referralRoutes = t.routes.filter((r) => r.url.includes('referral'));
    expect(referralRoutes.length).toBeGreaterThan(5);
    for (const r of referralRoutes) expect('permission' in r.access && r.access.via !== 'client', r.url).toBe(true);
  });
});

describe('welfare screening', () => {
  const answers = (yes: string[] = []) =>
    Object.fromEntries(
      [
        'trafficking_indicators',
        'labour_exploitation',
        'abuse_or_neglect',
        'missing_from_sponsor',
        'unsafe_sponsor_placement',
        'urgent_medical_need',
        'urgent_mental_health_need',
      ].map((q) => [q, { answer: yes.includes(q) ? 'yes' : 'no' }]),
    );
  const uacCase = () =>
    intake({
      subjects: [
        {
          person: {
            givenNames: 'Niña',
            familyName1: 'Sintética',
            dob: '2012-05-05',
            dobBasis: 'estimated',
            nationalities: ['GT'],
            languages: ["K'iche'", 'es'],
          },
          role: 'child',
        },
      ],
      case: { open: { type: 'uac_location', priority: 'high', summary: 'Child seen working at night' } },
    });

  it('no UAC referral before the screening; a negative screen lets a welfare referral through', async () => {
    const c = await uacCase();
    const { submit } = await draftAndSubmit(c.case.id, 'location_information', uac);
    expect((await submit()).statusCode).toBe(422);
    const incomplete = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, {
      personId: c.subjects[0].personId,
      answers: { trafficking_indicators: { answer: 'no' } },
    });
    expect(incomplete.statusCode).toBe(400);
    const screened = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, {
      personId: c.subjects[0].personId,
      answers: answers(),
    });
    expect(screened.statusCode, screened.body).toBe(201);
    expect(screened.json()).toMatchObject({ outcome: 'negative', welfareReferrals: [] });
    // Screened: no longer blocked — and, being about a child, held for a legal reviewer even for "location information".
    const held = await submit();
    expect(held.json()).toMatchObject({
      status: 'pending_review',
      gate: { decision: 'hold_for_review', reasons: expect.arrayContaining([expect.objectContaining({ rule: 'minor_subject' })]) },
    });
    // The child came unaccompanied: intake marked it for class-wide orders.
    const person = await get(uac, `/api/v1/persons/${c.subjects[0].personId}?${purpose}`);
    expect(person.json()).toMatchObject({ unaccompanied: true, interpreterNeeded: true, eoirStatus: 'unknown' });
  });

  it('a positive screen creates welfare referrals as priority UAC work items, escalated when the target is missed', async () => {
    const c = await uacCase();
    const res = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, {
      personId: c.subjects[0].personId,
      answers: answers(['labour_exploitation', 'missing_from_sponsor']),
    });
    expect(res.statusCode, res.body).toBe(201);
    const { welfareReferrals } = res.json();
    expect(welfareReferrals.map((w: { agency: string }) => w.agency)).toEqual(['ncmec', 'cps', 'orr']);
    for (const w of welfareReferrals) {
      const task = t.routing.engine.task(w.taskId);
      expect(task?.queueId).toBe('uac_work');
      expect(task?.attributes).toMatchObject({ welfareReferral: w.id, caseId: c.case.id });
    }
    expect(new Date(welfareReferrals[0].dueAt).getTime() - t.clock.now.getTime()).toBe(24 * 3_600_000);
    const board = (await get(uac, '/api/v1/uac/board')).json();
    const onBoard = board.cases.find((x: { id: string }) => x.id === c.case.id);
    expect(onBoard).toMatchObject({ screening: 'positive', priority: 'urgent', welfareReferralsOpen: 3, welfareReferralsOverdue: 0 });
    expect(
      (await post(uac, `/api/v1/welfare-referrals/${welfareReferrals[0].id}/done`, { note: 'NCMEC report made by phone' })).statusCode,
    ).toBe(200);

    const deps = { db: db.db, routing: t.routing, timeZone: 'America/Chicago' };
    expect((await sweepWelfareReferrals(deps, new Date(t.clock.now.getTime() + 23 * 3_600_000))).escalated).toBe(0);
    const late = await sweepWelfareReferrals(deps, new Date(t.clock.now.getTime() + 25 * 3_600_000));
    expect(late.escalated).toBe(2);
    expect((await sweepWelfareReferrals(deps, new Date(t.clock.now.getTime() + 26 * 3_600_000))).escalated).toBe(0);
    const rows = await db.db.selectFrom('welfare_referrals').selectAll().where('case_id', '=', c.case.id).execute();
    const escalated = rows.filter((r) => r.escalated_at);
    expect(escalated.map((r) => r.agency).sort()).toEqual(['cps', 'orr']);
    for (const r of escalated) expect(t.routing.engine.task(r.escalation_task_id ?? '')?.attributes).toMatchObject({ escalation: true });
    const timeline = (await get(uac, `/api/v1/cases/${c.case.id}?${purpose}`)).json().timeline.map((e: { kind: string }) => e.kind);
    expect(timeline).toEqual(expect.arrayContaining(['welfare_screened', 'welfare_referral_made', 'welfare_referral_escalated']));
  });

  it('a child in danger outranks all other work; any positive screen outranks routine work, however long it waited', async () => {
    // Routine UAC work that has been waiting: a follow-up at the highest priority a person may give by hand.
    const routine = await uacCase();
    const followUp = await post(uac, `/api/v1/cases/${routine.case.id}/follow-ups`, { note: 'Call the school back', priority: 100 });
    expect(followUp.statusCode, followUp.body).toBe(201);
    expect((await post(uac, `/api/v1/cases/${routine.case.id}/follow-ups`, { note: 'x', priority: 101 })).statusCode).toBe(400);
    const medical = await uacCase();
    const medicalScreen = await post(uac, `/api/v1/cases/${medical.case.id}/welfare-screening`, {
      personId: medical.subjects[0].personId,
      answers: answers(['urgent_medical_need']),
    });
    const missing = await uacCase();
    const missingScreen = await post(uac, `/api/v1/cases/${missing.case.id}/welfare-screening`, {
      personId: missing.subjects[0].personId,
      answers: answers(['missing_from_sponsor']),
    });
    const priorityOf = (taskId: string) => t.routing.engine.task(taskId)?.basePriority ?? -1;
    const medicalPriority = priorityOf(medicalScreen.json().welfareReferrals[0].taskId);
    const dangerPriorities = missingScreen.json().welfareReferrals.map((w: { taskId: string }) => priorityOf(w.taskId));
    const routineTask = [...t.routing.engine.allTasks()].find((task) => task.id === followUp.json().taskId);
    // 8 hours of aging (+1 a minute) does not carry routine work past a welfare referral.
    expect(medicalPriority).toBeGreaterThan((routineTask?.basePriority ?? 0) + 8 * 60);
    for (const p of dangerPriorities) expect(p).toBeGreaterThan(medicalPriority + 24 * 60);
    // A partner's routine concern about a child (30) sits below every welfare referral too, after waiting a shift.
    expect(medicalPriority).toBeGreaterThan(30 + 12 * 60);
  });

  it('analysts cannot screen and do not see the board', async () => {
    expect((await get(analyst, '/api/v1/uac/board')).statusCode).toBe(403);
    expect((await get(analyst, '/api/v1/welfare-screening/questions')).statusCode).toBe(403);
  });
});

describe('age-out', () => {
  it('lists children turning 18 within the window until their custody decision is on file', async () => {
    const c = await intake({
      subjects: [{ person: { givenNames: 'Cumple', familyName1: 'Pronto', dob: '2008-12-10', dobBasis: 'exact' }, role: 'child' }],
      case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Turning 18 soon' } },
    });
    const later = await intake({
      subjects: [{ person: { givenNames: 'Cumple', familyName1: 'Tarde', dob: '2009-06-10', dobBasis: 'exact' }, role: 'child' }],
      case: { open: { type: 'uac_welfare', priority: 'normal', summary: 'Turning 18 next year' } },
    });
    const listRes = await get(uac, '/api/v1/uac/age-outs');
    expect(listRes.statusCode, listRes.body).toBe(200);
    const list = listRes.json();
    const mine = list.persons.find((p: { personId: string }) => p.personId === c.subjects[0].personId);
    expect(mine).toMatchObject({ turns18On: '2026-12-10', daysLeft: 11, decision: null });
    expect(list.persons.some((p: { personId: string }) => p.personId === later.subjects[0].personId)).toBe(false);
    const decided = await post(uac, `/api/v1/persons/${c.subjects[0].personId}/custody-decisions`, {
      decision: 'reunified_with_sponsor',
      notes: 'Sponsor vetted by ORR; placement continues past 18 with services.',
      caseId: c.case.id,
    });
    expect(decided.statusCode, decided.body).toBe(201);
    const after = (await get(uac, '/api/v1/uac/age-outs')).json();
    expect(after.persons.find((p: { personId: string }) => p.personId === c.subjects[0].personId).decision).toMatchObject({
      decision: 'reunified_with_sponsor',
    });
    expect(
      (await get(uac, '/api/v1/uac/age-outs?days=200'))
        .json()
        .persons.some((p: { personId: string }) => p.personId === later.subjects[0].personId),
    ).toBe(true);
  });
});

describe('purpose of use and oversight', () => {
  it("every read of a child's record carries a purpose; auditors see them by user", async () => {
    const c = await intake({
      subjects: [{ person: { givenNames: 'Lectura', familyName1: 'Menor', dob: '2015-01-01', dobBasis: 'claimed' } }],
    });
    const personId = c.subjects[0].personId;
    const refused = await get(analyst, `/api/v1/persons/${personId}?purpose=${encodeURIComponent('no code given here')}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.issues.map((i: { path: string }) => i.path)).toEqual(['query.purposeCode']);
    expect(
      (await get(analyst, `/api/v1/persons/${personId}?purposeCode=case_work&purpose=${encodeURIComponent('Matching a new report')}`))
        .statusCode,
    ).toBe(200);
    expect((await get(analyst, '/api/v1/audit/minor-reads')).statusCode).toBe(403);
    const report = await get(auditor, '/api/v1/audit/minor-reads');
    expect(report.statusCode, report.body).toBe(200);
    const reads = report.json().reads.filter((r: { resourceId: string }) => r.resourceId === personId);
    expect(reads).toEqual([
      expect.objectContaining({
        actorId: analyst.userId,
        username: analyst.username,
        role: 'analyst',
        action: 'person.read',
        outcome: 'allowed',
        purposeCode: 'case_work',
        purposeText: 'Matching a new report',
      }),
      expect.objectContaining({ actorId: analyst.userId, outcome: 'denied', purposeCode: null, rule: 'purpose_required' }),
    ]);
    // Search hits and duplicate lists that show a child are in the report too, with their purpose.
    await get(
      analyst,
      `/api/v1/persons?q=lectura%20menor&purposeCode=case_work&purpose=${encodeURIComponent('Looking for the reported child')}`,
    );
    const again = (await get(auditor, '/api/v1/audit/minor-reads')).json().reads;
    expect(again).toContainEqual(
      expect.objectContaining({ action: 'person.search', purposeCode: 'case_work', purposeText: 'Looking for the reported child' }),
    );
    expect(report.json().byUser).toEqual(expect.arrayContaining([expect.objectContaining({ actorId: analyst.userId })]));
  });
});

describe('safeguard settings need two people', () => {
  it('an admin proposes, a legal reviewer approves; nobody approves their own, nor one of their own kind; bounds hold', async () => {
    const out = await post(admin, '/api/v1/safeguards/settings/changes', { key: 'welfare_response_hours', value: 500, reason: 'try' });
    expect(out.statusCode).toBe(400);
    const proposed = await post(admin, '/api/v1/safeguards/settings/changes', {
      key: 'welfare_response_hours',
      value: 12,
      reason: 'Tighter target agreed with ORR',
    });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const id = proposed.json().id;
    expect((await post(admin, `/api/v1/safeguards/settings/changes/${id}/decide`, { decision: 'approved' })).statusCode).toBe(403);
    expect((await post(admin2, `/api/v1/safeguards/settings/changes/${id}/decide`, { decision: 'approved' })).statusCode).toBe(403);
    expect((await post(supervisor, `/api/v1/safeguards/settings/changes/${id}/decide`, { decision: 'approved' })).statusCode).toBe(403);
    expect((await post(reviewer, `/api/v1/safeguards/settings/changes/${id}/decide`, { decision: 'approved' })).statusCode).toBe(200);
    const settings = (await get(reviewer, '/api/v1/safeguards/settings')).json();
    expect(settings.settings.find((s: { key: string }) => s.key === 'welfare_response_hours').value).toBe(12);
    const audit = await db.db.selectFrom('audit_events').select(['action', 'outcome']).where('action', 'like', 'safeguards.%').execute();
    expect(audit.filter((a) => a.outcome === 'denied')).toHaveLength(2);
    expect(audit.filter((a) => a.outcome === 'allowed').map((a) => a.action)).toEqual(['safeguards.propose', 'safeguards.decide']);
  });
});

describe('retention', () => {
  it('purges unsubstantiated tips after the set days — never under legal hold, with a referral, or about a child — audited by count', async () => {
    const closeAs = async (caseId: string, reason: string) => {
      const kase = (await get(analyst, `/api/v1/cases/${caseId}`)).json();
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/cases/${caseId}`,
        headers: analyst.headers,
        payload: { version: kase.version, status: 'closed', reason },
      });
      if (res.statusCode !== 200) throw new Error(res.body);
    };
    const gone = await intake({
      subjects: [adult('Purgable', { familyName1: 'Retención' })],
      case: { open: { type: 'general_tip', summary: 'Unfounded tip' } },
    });
    const held = await intake({ subjects: [adult('Retenido')], case: { open: { type: 'general_tip', summary: 'Tip under hold' } } });
    const referred = await intake({
      subjects: [adult('Referido')],
      case: { open: { type: 'general_tip', summary: 'Tip with a referral' } },
    });
    const resolved = await intake({ subjects: [adult('Resuelto')], case: { open: { type: 'general_tip', summary: 'Resolved tip' } } });
    await post(analyst, `/api/v1/cases/${referred.case.id}/referrals`, { purpose: 'location_information' });
    const photo = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('retention test photo')]);
    const attached = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${gone.case.id}/attachments?filename=photo.png`,
      headers: { ...analyst.headers, 'content-type': 'application/octet-stream' },
      payload: photo,
    });
    expect(attached.statusCode, attached.body).toBe(201);
    for (const c of [gone, held, referred]) await closeAs(c.case.id, 'unsubstantiated');
    await closeAs(resolved.case.id, 'resolved');
    expect(
      (await post(analyst, `/api/v1/cases/${held.case.id}/legal-hold`, { reason: 'Litigation hold in a civil suit' })).statusCode,
    ).toBe(403);
    expect(
      (await post(reviewer, `/api/v1/cases/${held.case.id}/legal-hold`, { reason: 'Litigation hold in a civil suit' })).statusCode,
    ).toBe(200);

    // Records elsewhere that point at the tip: a contact's disposition (with the caller's number) must not stop the purge.
    await db.db
      .insertInto('contact_dispositions')
      .values({
        task_id: 'task-retention',
        user_id: callTaker.userId,
        queue_id: 'public_line',
        channel: 'voice',
        caller_number: '+16155550177',
        disposition: 'report_taken',
        notes: 'caller gave details',
        case_id: gone.case.id,
        report_id: gone.report.id,
        created_at: t.clock.now,
      })
      .execute();
    const { runRetention } = await import('../../src/services/retention.service.js');
    const ctx = (days: number) => ({
      actor: null,
      system: 'test.retention',
      sourceIp: null,
      requestId: null,
      now: new Date(t.clock.now.getTime() + days * 86_400_000),
      timeZone: 'America/Chicago',
    });
    expect((await runRetention(db.db, ctx(179), { dryRun: false })).counts.cases).toBe(0);
    const dry = await runRetention(db.db, ctx(181), { dryRun: true });
    expect(dry.counts).toMatchObject({ cases: 1, reports: 1, persons: 1 });
    expect(await db.db.selectFrom('cases').select('id').where('id', '=', gone.case.id).executeTakeFirst()).toBeDefined();
    const { blobPath } = await import('../../src/services/attachment.service.js');
    const { existsSync } = await import('node:fs');
    const file = blobPath(t.attachmentsDir, attached.json().sha256);
    expect(existsSync(file)).toBe(true);
    const real = await runRetention(db.db, ctx(181), { dryRun: false, attachmentsDir: t.attachmentsDir });
    expect(existsSync(file)).toBe(false);
    expect(real.counts).toMatchObject({ cases: 1, reports: 1, persons: 1, locationObservations: 1 });
    expect(real.counts.caseEvents).toBeGreaterThan(3);
    for (const kept of [held, referred, resolved])
      expect(await db.db.selectFrom('cases').select('id').where('id', '=', kept.case.id).executeTakeFirst()).toBeDefined();
    expect(await db.db.selectFrom('cases').select('id').where('id', '=', gone.case.id).executeTakeFirst()).toBeUndefined();
    expect(await db.db.selectFrom('persons').select('id').where('id', '=', gone.subjects[0].personId).executeTakeFirst()).toBeUndefined();
    expect(await db.db.selectFrom('reports').select('id').where('id', '=', gone.report.id).executeTakeFirst()).toBeUndefined();
    expect(
      await db.db.selectFrom('contact_dispositions').selectAll().where('task_id', '=', 'task-retention').executeTakeFirst(),
    ).toMatchObject({
      case_id: null,
      report_id: null,
      caller_number: null,
      notes: null,
      disposition: 'report_taken',
    });
    const audit = await db.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('action', 'like', 'retention.%')
      .orderBy('inbox_id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['retention.purge', 'retention.dry_run', 'retention.purge']);
    expect(JSON.stringify(audit)).not.toContain('Purgable');
  });

  it("the application's role cannot delete timeline events, even declaring a purge", async () => {
    const role = `sb_test_app_${Math.random().toString(36).slice(2, 8)}`;
    const { sql } = await import('kysely');
    await sql.raw(`CREATE ROLE ${role} NOLOGIN; GRANT SELECT, DELETE ON case_events TO ${role}`).execute(db.db);
    try {
      const attempt = db.db.transaction().execute(async (trx) => {
        await sql.raw(`SET LOCAL ROLE ${role}`).execute(trx);
        await sql`SET LOCAL switchboard.purge = 'on'`.execute(trx);
        await trx.deleteFrom('case_events').execute();
      });
      await expect(attempt).rejects.toThrow(/append-only/);
    } finally {
      await sql.raw(`REVOKE ALL ON case_events FROM ${role}; DROP ROLE ${role}`).execute(db.db);
    }
  });
});

describe('getting around the safeguards (review findings)', () => {
  it('a protection on the record a subject was merged into counts for the case', async () => {
    const a = await intake({ subjects: [adult('Fusión', { familyName1: 'Primera' })] });
    const b = await intake({
      subjects: [adult('Fusión', { familyName1: 'Segunda' })],
      case: { open: { type: 'general_tip', summary: 'other record' } },
    });
    await post(analyst, `/api/v1/persons/${b.subjects[0].personId}/protections`, {
      kind: 'asylum_pending',
      source: 'USCIS',
      reference: 'SYN-MERGED',
      startsOn: '2026-01-01',
    });
    const merged = await post(analyst, `/api/v1/persons/${b.subjects[0].personId}/merge`, {
      mergeId: a.subjects[0].personId,
      reason: 'Same person, two records',
    });
    expect(merged.statusCode, merged.body).toBe(200);
    const held = await (await draftAndSubmit(a.case.id)).submit();
    expect(held.json().gate.reasons).toEqual([
      expect.objectContaining({ rule: 'protected_subject', message: expect.stringContaining('SYN-MERGED') }),
    ]);
  });

  it('a class-wide order about minors protects an adult record with a child record merged into it', async () => {
    const rule = await post(reviewer, '/api/v1/protection-rules', {
      name: 'Synthetic order on minors from HN (test)',
      reference: 'Minor v. Test (D.D.C.)',
      condition: {
        all: [
          { attribute: 'minor', op: 'is', value: true },
          { attribute: 'nationality', op: 'in', values: ['HN'] },
        ],
      },
      effectiveFrom: '2026-01-01',
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const grown = await intake({ subjects: [adult('Mezcla', { familyName1: 'Adulta', nationalities: ['HN'] })] });
    const child = await intake({
      subjects: [{ person: { givenNames: 'Mezcla', familyName1: 'Niña', dob: '2013-03-03', dobBasis: 'exact' } }],
    });
    await post(analyst, `/api/v1/persons/${grown.subjects[0].personId}/merge`, {
      mergeId: child.subjects[0].personId,
      reason: 'same person',
    });
    const held = await (await draftAndSubmit(grown.case.id)).submit();
    expect(held.json().gate.reasons).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'protected_subject', ruleId: rule.json().id })]),
    );
  });

  it("the author's own verification of a location does not corroborate their low-graded referral", async () => {
    const c = await intake({ grading: { sourceReliability: 'E', informationCredibility: 5 } });
    await post(analyst, `/api/v1/locations/${c.locations[0].id}/verify`, { note: 'I checked it myself' });
    const { draft, submit } = await draftAndSubmit(c.case.id);
    expect((await submit()).statusCode).toBe(422);
    await post(supervisor, `/api/v1/locations/${c.locations[0].id}/verify`, { note: 'Confirmed by the county' }).then(async (r) => {
      // Already verified by the author: the second verification is refused; corroboration must come from elsewhere.
      expect(r.statusCode).toBe(409);
    });
    expect(draft.status).toBe('draft');
  });

  it('weakening inputs of the gate is for legal reviewers: revoking a protection, changing EOIR status', async () => {
    const c = await intake({ subjects: [adult('Revocar')] });
    const p = await post(analyst, `/api/v1/persons/${c.subjects[0].personId}/protections`, {
      kind: 'u_visa_pending',
      source: 'USCIS',
      reference: 'SYN-U',
      startsOn: '2026-01-01',
    });
    expect((await post(analyst, `/api/v1/protections/${p.json().id}/revoke`, { reason: 'entered by mistake' })).statusCode).toBe(403);
    const eoir = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/persons/${c.subjects[0].personId}/uac-details`,
      headers: analyst.headers,
      payload: { eoirStatus: 'final_order' },
    });
    expect(eoir.statusCode).toBe(403);
    expect(
      (await post(reviewer, `/api/v1/protections/${p.json().id}/revoke`, { reason: 'Entered on the wrong person; see ticket' })).statusCode,
    ).toBe(200);
  });

  it("a child's record merged into an adult's still asks for a purpose", async () => {
    const child = await intake({
      subjects: [{ person: { givenNames: 'Escondida', familyName1: 'Menor', dob: '2014-04-04', dobBasis: 'exact' } }],
    });
    const grown = await intake({ subjects: [adult('Escondida', { familyName1: 'Adulta' })] });
    await post(analyst, `/api/v1/persons/${grown.subjects[0].personId}/merge`, {
      mergeId: child.subjects[0].personId,
      reason: 'test the purpose rule',
    });
    const res = await get(analyst, `/api/v1/persons/${grown.subjects[0].personId}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('purpose_required');
  });

  it('intake cannot add to a case the caller may not know of (answered like a missing case)', async () => {
    const c = await intake({
      subjects: [{ person: { givenNames: 'Oculto', familyName1: 'Niño', dob: '2015-01-01', dobBasis: 'estimated' }, role: 'child' }],
      case: { open: { type: 'uac_location', summary: 'hidden' } },
    });
    const res = await post(callTaker, '/api/v1/intake', tip({ case: { caseId: c.case.id } }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues.map((i: { code: string }) => i.code)).toEqual(['unknown_case']);
  });

  it("a caller's history is only for those with need-to-know of reporters", async () => {
    expect((await get(analyst, '/api/v1/contacts/history?number=6155550100')).statusCode).toBe(403);
    expect((await get(callTaker, '/api/v1/contacts/history?number=6155550100')).statusCode).toBe(200);
  });
});
