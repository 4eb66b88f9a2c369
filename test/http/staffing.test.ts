import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TAdherence, TForecast, TPlan } from '../../src/contracts/staffing.js';
import { INTERVALS_PER_WEEK } from '../../src/domain/staffing/forecast.js';
import { arrivalHistory } from '../../src/domain/staffing/synthetic-arrivals.js';
import { intervalStart } from '../../src/domain/staffing/week.js';
import { totpCode } from '../../src/services/totp.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, signInWithCode, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Staffing (issue #20, WFM) through the API: three weeks of synthetic calls are written to `calls` (the test clock
 * stands on Sunday 29 November 2026); the forecast, the plan for the week of 30 November, its schedule and
 * adherence are read back.
 */

let db: TestDatabase;
let t: TestApp;
let supervisor: SignedIn;
let callTaker: SignedIn;
const agents: SignedIn[] = [];
const HISTORY_WEEKS = ['2026-11-09', '2026-11-16', '2026-11-23'];
const PLAN_WEEK = '2026-11-30';
let inserted = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  supervisor = await enrollAs(t, 'supervisor');
  for (let i = 0; i < 4; i++) agents.push(await enrollAs(t, 'call_taker'));
  callTaker = agents[0] as SignedIn;
  const history = arrivalHistory({ weeks: 3, callsPerWeek: 6000, weeklyGrowth: 0, seed: 4 });
  const rows: {
    adapter: 'simulator';
    external_id: string;
    node: string;
    line: string;
    unit: 'general';
    caller_number: null;
    arrived_at: Date;
    answered_at: Date;
    ended_at: Date;
  }[] = [];
  HISTORY_WEEKS.forEach((week, w) => {
    for (let slot = 0; slot < INTERVALS_PER_WEEK; slot++) {
      const count = history.counts[w * INTERVALS_PER_WEEK + slot] ?? 0;
      const start = intervalStart(week, slot, CENTER_TIME_ZONE).getTime();
      for (let k = 0; k < count; k++) {
        const arrived = start + Math.floor(((k + 0.5) * 900_000) / count);
        rows.push({
          adapter: 'simulator',
          external_id: `staffing-${w}-${slot}-${k}`,
          node: 'test',
          line: 'main',
          unit: 'general',
          caller_number: null,
          arrived_at: new Date(arrived),
          answered_at: new Date(arrived + 10_000),
          ended_at: new Date(arrived + 250_000),
        });
      }
    }
  });
  for (let k = 0; k < rows.length; k += 2000)
    await db.db
      .insertInto('calls')
      .values(rows.slice(k, k + 2000))
      .execute();
  inserted = rows.length;
}, 120_000);
afterAll(async () => {
  await t.app.close();
  await db.drop();
});

/** A new session (sessions end 12 hours after sign-in, and the test clock moves on by more). */
async function signInAgain(person: SignedIn): Promise<SignedIn> {
  t.clock.advance(30_000);
  const { second } = await signInWithCode(t, person.username, person.password, await totpCode(person.secret, t.clock.now));
  if (second?.statusCode !== 200) throw new Error(`sign-in failed: ${second?.body}`);
  const cookie = /sb_session=[^;]+/.exec(String(second.headers['set-cookie']))?.[0] ?? '';
  const csrf: string = second.json().csrfToken;
  return { ...person, cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}

const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: who.headers });
const post = (who: SignedIn, url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, headers: who.headers, payload: payload as Record<string, unknown> });

describe('the forecast', () => {
  it('counts the history per quarter hour on the center’s clock and reports its error on the last week', async () => {
    const res = await get(supervisor, `/api/v1/staffing/forecast?weekStart=${PLAN_WEEK}&historyWeeks=4`);
    expect(res.statusCode).toBe(200);
    const forecast: TForecast = res.json();
    // The first of the four weeks had no calls: it is left out.
    expect(forecast.historyWeeks).toBe(3);
    expect(forecast.historyCalls).toBe(inserted);
    expect(forecast.calls).toHaveLength(INTERVALS_PER_WEEK);
    const total = forecast.calls.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - 6000) / 6000).toBeLessThan(0.05);
    // Monday 12:00 (interval 48) is busier than Monday 03:00 (interval 12): the shape is on local time.
    expect(forecast.calls[48] ?? 0).toBeGreaterThan(2 * (forecast.calls[12] ?? 0));
    expect(forecast.holdout).toHaveLength(1);
    expect(forecast.holdout[0]?.week).toBe('2026-11-23');
    expect(forecast.holdout[0]?.wape).toBeGreaterThan(0);
    expect(forecast.holdout[0]?.wape).toBeLessThan(0.4);
    expect(forecast.measuredAhtSeconds).toBeCloseTo(240, 0);
  });

  it('refuses a week that does not start on Monday, and people without staffing:plan', async () => {
    const tuesday = await get(supervisor, '/api/v1/staffing/forecast?weekStart=2026-12-01');
    expect(tuesday.statusCode).toBe(400);
    expect(tuesday.json().error.code).toBe('validation_failed');
    expect((await get(callTaker, `/api/v1/staffing/forecast?weekStart=${PLAN_WEEK}`)).statusCode).toBe(403);
    expect((await get(supervisor, '/api/v1/staffing/forecast?historyWeeks=40')).statusCode).toBe(400);
  });
});

describe('the plan', () => {
  let plan: TPlan;

  it('is refused without history, to call takers, and for a week not starting on Monday', async () => {
    const empty = await post(supervisor, '/api/v1/staffing/plans', { weekStart: '2026-01-05' });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error.code).toBe('unprocessable');
    expect((await post(callTaker, '/api/v1/staffing/plans', { weekStart: PLAN_WEEK })).statusCode).toBe(403);
    expect((await post(supervisor, '/api/v1/staffing/plans', { weekStart: '2026-12-02' })).statusCode).toBe(400);
    expect((await post(supervisor, '/api/v1/staffing/plans', { weekStart: PLAN_WEEK, shrinkage: 0.9 })).statusCode).toBe(400);
  });

  it('covers the requirement in every interval, reports its gap to the LP bound, names the agents on staff, and is audited', async () => {
    const res = await post(supervisor, '/api/v1/staffing/plans', { weekStart: PLAN_WEEK, shrinkage: 0.3, timeLimitSeconds: 3 });
    expect(res.statusCode).toBe(201);
    plan = res.json();
    expect(plan.weekStart).toBe(PLAN_WEEK);
    expect(plan.parameters).toMatchObject({ serviceLevel: 0.8, thresholdSeconds: 20, model: 'erlang-c', historyWeeks: 3 });
    expect(plan.parameters.ahtSeconds).toBeCloseTo(240, 0);
    expect(plan.requirement).toHaveLength(INTERVALS_PER_WEEK);
    expect(plan.coverage.every((c, i) => c >= (plan.requirement[i] ?? 0))).toBe(true);
    expect(Math.max(...plan.requirement)).toBeGreaterThan(0);
    expect(plan.agentHours).toBeGreaterThanOrEqual(plan.lowerBound - 1e-6);
    expect(plan.gapPercent).toBeGreaterThanOrEqual(0);
    // Everyone who takes routed work is named (the four call takers, and the supervisor, who may take calls too); the rest are open shifts.
    const named = new Set(plan.schedule.map((e) => e.workerId).filter((id) => id !== null));
    expect([...named].sort()).toEqual([...agents.map((a) => a.userId), supervisor.userId].sort());
    expect(plan.openShifts).toBeGreaterThan(0);
    const shifts = plan.schedule.filter((e) => e.activity === 'shift');
    const meals = plan.schedule.filter((e) => e.activity === 'meal');
    expect(meals).toHaveLength(shifts.length);
    for (const s of shifts) {
      const hours = (Date.parse(s.endsAt) - Date.parse(s.startsAt)) / 3_600_000;
      expect([8, 10, 12]).toContain(hours);
    }
    expect(shifts.reduce((h, s) => h + (Date.parse(s.endsAt) - Date.parse(s.startsAt)) / 3_600_000 - 0.5, 0)).toBeCloseTo(
      plan.agentHours,
      6,
    );
    await t.sealAudit();
    const audit = await db.db.selectFrom('audit_events').select(['details', 'resource_id']).where('action', '=', 'staffing.plan').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.resource_id).toBe(plan.id);
  });

  it('is the schedule in force for its week', async () => {
    const res = await get(supervisor, `/api/v1/staffing/schedule?weekStart=${PLAN_WEEK}`);
    expect(res.statusCode).toBe(200);
    const saved: TPlan = res.json();
    expect(saved.id).toBe(plan.id);
    expect(saved.schedule).toEqual(plan.schedule);
    const none = await get(supervisor, '/api/v1/staffing/schedule?weekStart=2026-12-07');
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('not_found');
  });

  it('with caller patience sizes with Erlang A (never more agents than Erlang C), and a later plan supersedes the earlier', async () => {
    const res = await post(supervisor, '/api/v1/staffing/plans', {
      weekStart: PLAN_WEEK,
      shrinkage: 0.3,
      patienceSeconds: 120,
      timeLimitSeconds: 3,
    });
    expect(res.statusCode).toBe(201);
    const patient: TPlan = res.json();
    expect(patient.parameters.model).toBe('erlang-a');
    expect(patient.requirement.every((r, i) => r <= (plan.requirement[i] ?? 0))).toBe(true);
    expect(patient.requirement.reduce((a, b) => a + b, 0)).toBeLessThan(plan.requirement.reduce((a, b) => a + b, 0));
    expect((await get(supervisor, `/api/v1/staffing/schedule?weekStart=${PLAN_WEEK}`)).json().id).toBe(patient.id);
    // The Erlang C plan stays the one the adherence test below reads.
    const again = await post(supervisor, '/api/v1/staffing/plans', { weekStart: PLAN_WEEK, shrinkage: 0.3, timeLimitSeconds: 3 });
    expect(again.statusCode).toBe(201);
    plan = again.json();
  });

  it('shows adherence: the scheduled activity now against the routing activity', async () => {
    const shift = plan.schedule.find((e) => e.activity === 'shift' && e.workerId === callTaker.userId);
    if (!shift) throw new Error('the call taker has no shift');
    // An hour into the shift (meals start 3.5 h or more in).
    t.clock.advance(Date.parse(shift.startsAt) + 3_600_000 - t.clock.now.getTime());
    supervisor = await signInAgain(supervisor);
    callTaker = await signInAgain(callTaker);
    const first = await get(supervisor, '/api/v1/staffing/adherence');
    expect(first.statusCode, first.body).toBe(200);
    const before: TAdherence = first.json();
    expect(before.planId).toBe(plan.id);
    expect(before.weekStart).toBe(PLAN_WEEK);
    const mine = (a: TAdherence) => a.agents.find((x) => x.workerId === callTaker.userId);
    expect(mine(before)).toMatchObject({ scheduled: 'shift', actual: 'Not signed in', taking: false, inAdherence: false });
    const available = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/routing/me/activity',
      headers: callTaker.headers,
      payload: { activity: 'Available' },
    });
    expect(available.statusCode).toBe(200);
    const after: TAdherence = (await get(supervisor, '/api/v1/staffing/adherence')).json();
    expect(mine(after)).toMatchObject({ scheduled: 'shift', actual: 'Available', taking: true, inAdherence: true });
    // Everyone named in the plan is listed, off shift or on.
    expect(after.agents.map((a) => a.workerId).sort()).toEqual([...agents.map((a) => a.userId), supervisor.userId].sort());
    expect((await get(callTaker, '/api/v1/staffing/adherence')).statusCode).toBe(403);
  });
});
