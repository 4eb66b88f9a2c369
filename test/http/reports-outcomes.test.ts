import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TReport, TReportRequest } from '../../src/contracts/reports.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Reports beyond calls (issue #20): callbacks kept, voicemails worked, referral and welfare outcomes with their
 * time to decision, partner volume by agency — each figure checked against records written here with known times.
 */

let db: TestDatabase;
let t: TestApp;
let supervisor: SignedIn;
let office: string;
let agencies: string[];

const DAY1 = '2026-11-10T'; // Tuesday, CST (UTC−6)
const at = (time: string) => new Date(`${DAY1}${time}Z`);
const FROM = new Date('2026-11-10T06:00:00Z');
const TO = new Date('2026-11-12T06:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  supervisor = await enrollAs(t, 'supervisor');
  office = (await db.db.selectFrom('field_offices').select('code').orderBy('code').executeTakeFirstOrThrow()).code;
  agencies = (await db.db.selectFrom('agencies').select('ori').orderBy('ori').limit(2).execute()).map((a) => a.ori);

  const caseRow = await db.db
    .insertInto('cases')
    .values({ case_number: 'RPT-0001', type: 'uac_welfare', status: 'active', priority: 'normal', unit: 'uac', summary: 'synthetic' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const person = await db.db
    .insertInto('persons')
    .values({ given_names: 'Test', family_name_1: 'Synthetic', dob_basis: 'unknown', sex: 'unknown', synthetic: true })
    .returning('id')
    .executeTakeFirstOrThrow();

  // Referrals: three created on day 1 (two decided after 1 h and 3 h), one on day 2 never decided, one outside.
  const referral = async (
    n: number,
    created: Date,
    status: 'sent' | 'denied' | 'pending_review' | 'outcome_reported',
    decidedAfterS: number | null,
  ) => {
    const row = await db.db
      .insertInto('referrals')
      .values({
        reference: `RF-RPT-${n}`,
        case_id: caseRow.id,
        purpose: n % 2 === 0 ? 'welfare' : 'enforcement',
        field_office_code: office,
        office_basis: 'case_aor',
        status,
        outcome: status === 'outcome_reported' ? 'located' : null,
        created_by: supervisor.userId,
        created_at: created,
        updated_at: created,
        sent_at: status === 'sent' || status === 'outcome_reported' ? new Date(created.getTime() + (decidedAfterS ?? 0) * 1000) : null,
        gate: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (decidedAfterS !== null)
      await db.db
        .insertInto('referral_events')
        .values({
          referral_id: row.id,
          at: new Date(created.getTime() + decidedAfterS * 1000),
          kind: 'reviewed',
          from_status: 'pending_review',
          to_status: status === 'denied' ? 'denied' : 'sent',
          details: '{}',
        })
        .execute();
  };
  await referral(1, at('14:00:00'), 'sent', 3_600);
  await referral(2, at('15:00:00'), 'denied', 10_800);
  await referral(3, at('16:00:00'), 'outcome_reported', 7_200);
  await referral(4, new Date('2026-11-11T18:00:00Z'), 'pending_review', null);
  await referral(5, new Date('2026-11-12T07:00:00Z'), 'sent', 60);

  // Welfare: two screenings (one positive), one welfare referral to ORR done after 2 h, one to CPS open and escalated.
  const screening = async (outcome: 'positive' | 'negative', completed: Date) =>
    (
      await db.db
        .insertInto('welfare_screenings')
        .values({
          case_id: caseRow.id,
          person_id: person.id,
          answers: '{}',
          outcome,
          completed_by: supervisor.userId,
          completed_at: completed,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const s1 = await screening('positive', at('10:00:00'));
  await screening('negative', at('11:00:00'));
  await db.db
    .insertInto('welfare_referrals')
    .values([
      {
        case_id: caseRow.id,
        screening_id: s1,
        agency: 'orr',
        reasons: ['r'],
        status: 'done',
        due_at: at('22:00:00'),
        task_id: 'wf-1',
        done_by: supervisor.userId,
        done_at: at('12:00:00'),
        created_at: at('10:00:00'),
      },
      {
        case_id: caseRow.id,
        screening_id: s1,
        agency: 'cps',
        reasons: ['r'],
        status: 'open',
        due_at: at('12:00:00'),
        task_id: 'wf-2',
        escalated_at: at('12:05:00'),
        created_at: at('10:00:00'),
      },
    ])
    .execute();

  // Partner volume: agency A sends two submissions (one accepted) and answers one request after 30 min; agency B one rejected.
  const [a, b] = agencies as [string, string];
  const submission = (ori: string, status: 'accepted' | 'rejected', received: Date, n: number) => ({
    agency_ori: ori,
    type: 'location_report' as const,
    body_hash: `h${n}`,
    submitted_by: supervisor.userId,
    payload: '{}',
    status,
    received_at: received,
  });
  await db.db
    .insertInto('partner_submissions')
    .values([
      submission(a, 'accepted', at('09:00:00'), 1),
      submission(a, 'rejected', at('09:30:00'), 2),
      submission(b, 'rejected', at('13:00:00'), 3),
    ])
    .execute();
  await db.db
    .insertInto('partner_requests')
    .values({
      reference: 'PR-RPT-1',
      case_id: caseRow.id,
      person_id: person.id,
      agency_ori: a,
      agency_basis: 'chosen',
      chosen_reason: 'test',
      kind: 'welfare_check',
      question: 'synthetic',
      disclosed: '{}',
      purpose_code: 'welfare',
      purpose_text: 'synthetic',
      status: 'answered',
      gate: '{}',
      due_at: at('20:00:00'),
      answer_outcome: 'seen_well',
      answered_at: at('10:30:00'),
      created_by: supervisor.userId,
      created_at: at('09:50:00'),
      updated_at: at('10:30:00'),
      sent_at: at('10:00:00'),
    })
    .execute();

  // Callbacks (one kept, one exhausted) and voicemails (one worked after 20 min, one new).
  const callback = (status: 'completed' | 'exhausted', created: Date) => ({
    number: '+16155550177',
    line: '+16155550100',
    unit: 'general' as const,
    language: 'es',
    origin: 'ivr' as const,
    status,
    max_attempts: 3,
    created_at: created,
    updated_at: created,
  });
  await db.db
    .insertInto('callbacks')
    .values([callback('completed', at('15:00:00')), callback('exhausted', at('16:00:00'))])
    .execute();
  const call = (n: number) => ({
    adapter: 'simulator' as const,
    external_id: `rpt-vm-${n}`,
    node: 'test',
    line: '+16155550100',
    caller_number: null,
    arrived_at: at('08:00:00'),
    ended_at: at('08:02:00'),
    end_reason: 'voicemail' as const,
  });
  const vmCalls = await db.db
    .insertInto('calls')
    .values([call(1), call(2)])
    .returning('id')
    .execute();
  // What the IVR did with calls that never queued; an outbound call is not an arrival.
  await db.db
    .insertInto('calls')
    .values([
      { ...call(3), end_reason: 'abandoned_ivr' as const },
      { ...call(4), end_reason: 'emergency_guidance' as const },
      { ...call(5), end_reason: 'closed' as const },
      { ...call(6), direction: 'outbound' as const, end_reason: 'completed' as const },
    ])
    .execute();
  await db.db
    .insertInto('voicemails')
    .values(
      vmCalls.map((c, i) => ({
        call_id: c.id,
        line: '+16155550100',
        unit: 'general' as const,
        language: 'en',
        sha256: `${'cd'.repeat(31)}0${i}`,
        size_bytes: 10,
        duration_ms: 5_000,
        status: i === 0 ? ('worked' as const) : ('new' as const),
        worked_by: i === 0 ? supervisor.userId : null,
        worked_at: i === 0 ? at('08:22:00') : null,
        created_at: at('08:02:00'),
      })),
    )
    .execute();
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

async function report(body: Pick<TReportRequest, 'metrics' | 'interval'> & Partial<TReportRequest>): Promise<TReport> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/reports/metrics',
    headers: supervisor.headers,
    payload: { groupings: [], from: FROM.toISOString(), to: TO.toISOString(), ...body },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('outcome reports', () => {
  it('referrals by day: created, sent, denied, located, and the mean time to the review’s decision', async () => {
    const r = await report({
      metrics: ['referralsCreated', 'referralsSent', 'referralsDenied', 'referralsLocated', 'referralDecisionSeconds'],
      interval: 'day',
    });
    expect(r.rows.map((row) => [row.start, row.values])).toEqual([
      [
        '2026-11-10T06:00:00.000Z',
        {
          referralsCreated: 3,
          referralsSent: 2,
          referralsDenied: 1,
          referralsLocated: 1,
          referralDecisionSeconds: (3_600 + 10_800 + 7_200) / 3,
        },
      ],
      [
        '2026-11-11T06:00:00.000Z',
        { referralsCreated: 1, referralsSent: 0, referralsDenied: 0, referralsLocated: 0, referralDecisionSeconds: null },
      ],
    ]);
    const byPurpose = await report({ metrics: ['referralsCreated'], interval: 'total', groupings: ['office', 'purpose'] });
    expect(byPurpose.rows.map((row) => [row.groups, row.values.referralsCreated])).toEqual([
      [{ office, purpose: 'enforcement' }, 2],
      [{ office, purpose: 'welfare' }, 2],
    ]);
  });

  it('welfare screenings and welfare referrals by agency, with the time to done', async () => {
    const screenings = await report({ metrics: ['screenings', 'screeningsPositive'], interval: 'total' });
    expect(screenings.rows.map((row) => row.values)).toEqual([{ screenings: 2, screeningsPositive: 1 }]);
    const byAgency = await report({
      metrics: ['welfareReferrals', 'welfareReferralsDone', 'welfareReferralsEscalated', 'welfareDecisionSeconds'],
      interval: 'total',
      groupings: ['agency'],
    });
    expect(byAgency.rows.map((row) => [row.groups.agency, row.values])).toEqual([
      ['cps', { welfareReferrals: 1, welfareReferralsDone: 0, welfareReferralsEscalated: 1, welfareDecisionSeconds: null }],
      ['orr', { welfareReferrals: 1, welfareReferralsDone: 1, welfareReferralsEscalated: 0, welfareDecisionSeconds: 7_200 }],
    ]);
  });

  it('partner volume by agency: submissions accepted and rejected, requests answered and the time to answer', async () => {
    const r = await report({
      metrics: [
        'partnerSubmissions',
        'partnerSubmissionsAccepted',
        'partnerSubmissionsRejected',
        'partnerRequests',
        'partnerAnswerSeconds',
      ],
      interval: 'total',
      groupings: ['agency'],
    });
    const [a, b] = agencies;
    expect(r.rows.map((row) => [row.groups.agency, row.values])).toEqual([
      [
        a,
        {
          partnerSubmissions: 2,
          partnerSubmissionsAccepted: 1,
          partnerSubmissionsRejected: 1,
          partnerRequests: 1,
          partnerAnswerSeconds: 1_800,
        },
      ],
      [
        b,
        {
          partnerSubmissions: 1,
          partnerSubmissionsAccepted: 0,
          partnerSubmissionsRejected: 1,
          partnerRequests: 0,
          partnerAnswerSeconds: null,
        },
      ],
    ]);
  });

  it('calls reaching the lines: hung up in the IVR, emergency guidance, closed, voicemails left (outbound calls not counted)', async () => {
    const r = await report({
      metrics: ['callsArrived', 'ivrAbandoned', 'emergencyGuidance', 'closedHours', 'voicemailsLeft'],
      interval: 'day',
      groupings: ['line'],
    });
    expect(r.rows.map((row) => [row.start, row.groups.line, row.values])).toEqual([
      [
        '2026-11-10T06:00:00.000Z',
        '+16155550100',
        { callsArrived: 5, ivrAbandoned: 1, emergencyGuidance: 1, closedHours: 1, voicemailsLeft: 2 },
      ],
    ]);
  });

  it('callbacks kept and voicemails worked, by language', async () => {
    const r = await report({
      metrics: ['callbacksOwed', 'callbacksKept', 'callbacksExhausted', 'voicemailsReceived', 'voicemailsWorked', 'voicemailWorkSeconds'],
      interval: 'total',
      groupings: ['language'],
    });
    expect(r.rows.map((row) => [row.groups.language, row.values])).toEqual([
      [
        'en',
        {
          callbacksOwed: 0,
          callbacksKept: 0,
          callbacksExhausted: 0,
          voicemailsReceived: 2,
          voicemailsWorked: 1,
          voicemailWorkSeconds: 1_200,
        },
      ],
      [
        'es',
        {
          callbacksOwed: 2,
          callbacksKept: 1,
          callbacksExhausted: 1,
          voicemailsReceived: 0,
          voicemailsWorked: 0,
          voicemailWorkSeconds: null,
        },
      ],
    ]);
  });
});
