import path from 'node:path';
import { sql } from 'kysely';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';
import {
  INTERPRETER_NUMBER,
  postTwilio,
  type RestCall,
  startTwilioStandIn,
  TWILIO_BASE_URL,
  type TwilioStandIn,
  twilioAdapter,
  twilioParams,
} from '../support/twilio.js';

/**
 * Help on a live call in Chromium, on a Twilio call (signed webhooks; the REST API's stand-in records what the page
 * made Switchboard ask Twilio for): the wallboard lists the call and M, W, J and L put the supervisor's phone on it
 * as Twilio's documented participant — muted; coaching the agent's leg; neither — and take it off; the agent's
 * desktop shows who is on the call, calls an interpreter in a language and drops it with I, consults a number with
 * the caller on hold and hands the caller over. Both pages pass axe at 1366×768 with the call on screen.
 */

let db: TestDatabase;
let t: TestApp;
let rest: TwilioStandIn;
let browser: Browser;
let base: string;
let agent: SignedIn;
let supervisor: SignedIn;
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  rest = await startTwilioStandIn();
  db = await createTestDatabase();
  t = await buildTestApp(db, { twilio: twilioAdapter(db, rest.url) });
  await loadTestAgencies(db);
  agent = await enrollAs(t, 'call_taker');
  supervisor = await enrollAs(t, 'supervisor');
  for (const [who, sipUser, skills] of [
    [agent, 'agent7', ['public_intake']],
    [supervisor, 'boss7', []],
  ] as const) {
    const set = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/routing/workers/${who.userId}`,
      headers: supervisor.headers,
      payload: { attributes: { skills, languages: ['en'], sipUser } },
    });
    if (set.statusCode !== 200) throw new Error(set.body);
  }
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await rest.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

/** The next request the page made Switchboard send Twilio, from `from` on. */
async function nextRest(from: number, what: (c: RestCall) => boolean): Promise<RestCall> {
  await waitUntil('the request to Twilio', () => rest.calls.slice(from).some(what), 10_000);
  return rest.calls.slice(from).find(what) as RestCall;
}
const leg = (label: string) => (c: RestCall) => c.path.endsWith('/Participants.json') && c.params.get('Label') === label;
const update = (label: string) => (c: RestCall) => c.path.endsWith(`/Participants/${label}.json`);
/** A participant's status callback, as Twilio sends it to the address Switchboard gave. */
const answered = (created: RestCall, n: number) =>
  postTwilio(t, (created.params.get('StatusCallback') ?? '').replace(TWILIO_BASE_URL, ''), twilioParams(n, { CallStatus: 'in-progress' }));

describe('live calls in Chromium', () => {
  it('a supervisor listens, whispers, joins and leaves with M, W, J and L; the agent calls an interpreter, drops it with I, consults a number and hands the caller over', async () => {
    // A caller on the public line (English, a report) reaches the agent, whose phone answers.
    const ready = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/routing/me/activity',
      headers: agent.headers,
      payload: { activity: 'Available' },
    });
    expect(ready.statusCode, ready.body).toBe(200);
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/routing/me/activity',
      headers: supervisor.headers,
      payload: { activity: 'Offline' },
    });
    const from = rest.calls.length;
    await postTwilio(t, '/api/telephony/twilio/voice', twilioParams(1));
    await postTwilio(t, '/api/telephony/twilio/gather', twilioParams(1, { Digits: '1' }));
    await postTwilio(t, '/api/telephony/twilio/gather', twilioParams(1, { Digits: '1' }));
    const agentLeg = await nextRest(from, leg('agent'));
    expect(agentLeg.params.get('To')).toBe('sip:agent7@agents.sip.example.gov');
    expect((await answered(agentLeg, 501)).statusCode).toBe(200);
    const call = await db.db.selectFrom('calls').selectAll().where('external_id', '=', twilioParams(1).CallSid).executeTakeFirstOrThrow();
    expect(t.routing.engine.task(call.task_id as string)).toMatchObject({ status: 'assigned', workerId: agent.userId });

    // The supervisor's wallboard.
    const wall = await openPage(browser, t);
    await signInThroughPage(wall, t, base, supervisor);
    const row = wall.locator(`[data-live-call="${call.id}"]`);
    await expect.poll(() => row.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await row.textContent()).toContain('caller, agent');
    expect(await seriousViolations(wall)).toEqual([]);
    let mark = rest.calls.length;
    await wall.keyboard.press('m');
    const joined = await nextRest(mark, leg('supervisor'));
    expect(Object.fromEntries(joined.params)).toMatchObject({ To: 'sip:boss7@agents.sip.example.gov', Muted: 'true', Coaching: 'false' });
    await expect.poll(() => wall.getByText('Your phone is on the call (listen).').isVisible(), { timeout: 5_000 }).toBe(true);
    await answered(joined, 502);
    mark = rest.calls.length;
    await wall.keyboard.press('w');
    expect(Object.fromEntries((await nextRest(mark, update('supervisor'))).params)).toEqual({
      Muted: 'false',
      Coaching: 'true',
      CallSidToCoach: twilioParams(501).CallSid,
    });
    mark = rest.calls.length;
    await wall.keyboard.press('j');
    expect(Object.fromEntries((await nextRest(mark, update('supervisor'))).params)).toEqual({ Muted: 'false', Coaching: 'false' });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('caller, agent, supervisor (you: join)');
    await row.scrollIntoViewIfNeeded();
    await wall.screenshot({ path: screenshot('wallboard-live-call.png') });
    mark = rest.calls.length;
    await wall.keyboard.press('l');
    expect((await nextRest(mark, update('supervisor'))).method).toBe('DELETE');
    await expect.poll(() => wall.getByText('You left the call.').isVisible(), { timeout: 5_000 }).toBe(true);
    await wall.close();

    // The agent's desktop.
    const desk = await openPage(browser, t);
    await signInThroughPage(desk, t, base, agent);
    await expect.poll(() => desk.getByText('On the call: caller, agent.').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(desk)).toEqual([]);
    mark = rest.calls.length;
    await desk.getByLabel(/Interpreter language/).fill('mam');
    await desk.getByRole('button', { name: 'Call an interpreter' }).click();
    const interpreter = await nextRest(mark, leg('interpreter'));
    expect(interpreter.params.get('To')).toBe(INTERPRETER_NUMBER);
    await answered(interpreter, 503);
    await expect.poll(() => desk.getByText('On the call: caller, agent, interpreter.').isVisible(), { timeout: 10_000 }).toBe(true);
    mark = rest.calls.length;
    await desk.locator('body').click({ position: { x: 5, y: 5 } });
    await desk.keyboard.press('i');
    expect((await nextRest(mark, update('interpreter'))).method).toBe('DELETE');
    await expect.poll(() => desk.getByText('On the call: caller, agent.').isVisible(), { timeout: 10_000 }).toBe(true);

    mark = rest.calls.length;
    await desk.getByLabel(/Consult \(a colleague/).fill('+16155550123');
    await desk.getByRole('button', { name: 'Hold the caller and consult' }).click();
    expect((await nextRest(mark, update('caller'))).params.get('Hold')).toBe('true');
    const consulted = await nextRest(mark, leg('consult'));
    expect(consulted.params.get('To')).toBe('+16155550123');
    await answered(consulted, 504);
    await expect.poll(() => desk.getByRole('button', { name: 'Hand over and leave' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(desk)).toEqual([]);
    await desk.getByRole('button', { name: 'Hand over and leave' }).scrollIntoViewIfNeeded();
    await desk.screenshot({ path: screenshot('desktop-consult.png') });
    mark = rest.calls.length;
    await desk.getByRole('button', { name: 'Hand over and leave' }).click();
    await nextRest(mark, (c) => c.method === 'DELETE' && c.path.endsWith('/Participants/agent.json'));
    await waitUntil('the agent’s task in wrap-up', () => t.routing.engine.task(call.task_id as string)?.status === 'wrapping', 10_000);
    // The hand-over's audit event is written as its request ends, which may be just after the task reaches wrap-up.
    const audited = async () =>
      (
        await db.db
          .selectFrom('audit_events')
          .select(['action', 'actor_id'])
          .where('resource_id', '=', call.id)
          .where('action', 'like', 'call.%')
          .orderBy(sql`seq NULLS LAST`)
          .orderBy('inbox_id')
          .execute()
      ).map((a) => `${a.action}:${a.actor_id === supervisor.userId ? 'supervisor' : 'agent'}`);
    await expect
      .poll(audited, { timeout: 10_000 })
      .toEqual([
        'call.supervise:supervisor',
        'call.supervise:supervisor',
        'call.supervise:supervisor',
        'call.supervise_end:supervisor',
        'call.interpreter_add:agent',
        'call.interpreter_drop:agent',
        'call.consult:agent',
        'call.consult_transfer:agent',
      ]);
    await desk.close();
  }, 90_000);
});
