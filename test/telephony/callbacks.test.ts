import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDialPattern, nextAttemptAt, parseCallingHours } from '../../src/domain/callbacks/callback-policy.js';
import { blobPath } from '../../src/services/attachment.service.js';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { startTelephony, type Telephony } from '../../src/telephony/runtime.js';
import { buildTestApp, enrollAs, realTimeClockFrom, type TestApp } from '../support/app.js';
import { rms, type Softphone, startSoftphone } from '../support/baresip.js';
import { launchChromium, openPage, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';
import { freeUdpPort, freeUdpRange, sipp, sippServer, testPhoneBook } from '../support/telephony.js';

/**
 * Promises kept, on real peers: a SIPp caller asks for a callback and hangs up; a baresip agent accepts the task;
 * Switchboard rings the agent, then dials the caller's number through Kamailio to a SIPp "carrier" with the
 * center's caller ID; no answer is retried on the schedule (the virtual clock moves the release); an answer
 * connects the carrier's audio to the agent. A SIPp caller leaves a voicemail, which becomes a work item whose
 * audio is stored and played.
 */

const CALLER_ID = '+16155550100';
const POLICY = { maxAttempts: 2, retryMinutes: [15], hours: parseCallingHours('00:00-24:00') };

let db: TestDatabase;
let t: TestApp;
let tel: Telephony;
let edge: string;
let edgePort: number;
let carrierPort: number;
let clock: () => Date;
let phone: Softphone;
/** The agent's phone's credentials, as the edge holds them. */
const phoneBook = testPhoneBook();

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db, { callbackPolicy: POLICY });
  clock = realTimeClockFrom(t.clock.now);
  const range = await freeUdpRange(200);
  edgePort = await freeUdpPort();
  carrierPort = await freeUdpPort();
  const flowsDir = mkdtempSync(path.join(tmpdir(), 'sb-flows-'));
  for (const f of readdirSync('reference/ivr')) copyFileSync(path.join('reference/ivr', f), path.join(flowsDir, f));
  writeFileSync(
    path.join(flowsDir, 'test-voicemail.json'),
    JSON.stringify({
      line: '+16155550108',
      name: 'Voicemail test line',
      hours: { timeZone: 'America/Chicago', weekly: 'always', holidays: [] },
      start: 'vm',
      nodes: { vm: { type: 'voicemail', prompt: 'voicemail', maxSeconds: 30 } },
    }),
  );
  tel = await startTelephony({
    calls: new CallRecordService(db.db, t.routing, { callbacks: t.callbacks, blobDir: t.attachmentsDir }),
    callbacks: t.callbacks,
    outbound: {
      callerId: CALLER_ID,
      allow: [compileDialPattern('+1NXXNXXXXXX')],
      ringSeconds: 4,
      carrier: { host: '127.0.0.1', port: carrierPort },
    },
    routing: t.routing,
    flowsDir,
    kamailioTemplate: path.resolve('deploy/kamailio/kamailio.cfg'),
    phones: phoneBook.source,
    dataDir: mkdtempSync(path.join(tmpdir(), 'sb-telephony-')),
    node: 'node-cb',
    clock,
    timeZone: 'America/Chicago',
    log: () => undefined,
    sip: { host: '127.0.0.1', port: 0 },
    edge: { host: '127.0.0.1', port: edgePort },
    rtpengine: { host: '127.0.0.1', port: await freeUdpPort(), portMin: range.min, portMax: range.max },
  });
  edge = `127.0.0.1:${edgePort}`;
  phone = await startSoftphone('agent9', edgePort, { password: await phoneBook.issue('agent9') });
  await phone.registered();
}, 120_000);
afterAll(async () => {
  await phone?.stop();
  await tel?.stop();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const ctx = () => ({ actor: null, system: 'test', sourceIp: null, requestId: null, now: clock(), timeZone: 'America/Chicago' });
const until = (what: () => Promise<boolean> | boolean, ms = 40_000) => waitUntil('the callback to get there', what, ms);
const callback = () => db.db.selectFrom('callbacks').selectAll().executeTakeFirstOrThrow();

/** The agent takes the callback's try from the desktop: available, offered, accepted. */
async function agentAccepts(taskId: string): Promise<void> {
  await t.routing.execute({ type: 'setActivity', workerId: 'agent-9', activity: 'Available' }, ctx());
  await until(() => t.routing.engine.pendingReservationsOf('agent-9').some((r) => r.taskId === taskId), 10_000);
  const reservation = t.routing.engine.pendingReservationsOf('agent-9').find((r) => r.taskId === taskId);
  await t.routing.execute({ type: 'accept', reservationId: reservation?.id as string }, ctx());
}

describe('callbacks, dialed', () => {
  it('a caller presses 1 and hangs up; the agent accepts; the carrier gets the call with our caller ID; no answer is retried on the schedule; the retry is answered and the agent hears the called person', async () => {
    // The agent is away while the caller waits (otherwise the ACD would ring them with the call itself).
    await t.routing.execute(
      {
        type: 'addWorker',
        worker: {
          id: 'agent-9',
          attributes: { unit: 'general', languages: ['en', 'es'], skills: ['public_intake'], sipUser: 'agent9' },
          activity: 'Offline',
          capacity: { voice: 1, work_item: 0 },
        },
      },
      ctx(),
    );
    const caller = await sipp('caller-1-1-callback.xml', edge, {
      service: '+16155550100',
      keys: [
        { digit: '1', atMs: 0 },
        { digit: '1', atMs: 2_500 },
        { digit: '1', atMs: 9_000 },
      ],
    });
    expect(caller.code, caller.stderr + caller.stdout.slice(-2_000)).toBe(0);
    await until(async () => (await db.db.selectFrom('callbacks').select('id').execute()).length === 1);
    const promised = await callback();
    expect(promised).toMatchObject({ status: 'queued', origin: 'ivr', number: '+16155550199', attempts: 0, max_attempts: 2 });
    const firstTask = promised.task_id as string;
    expect(t.routing.engine.task(firstTask)?.attributes).toMatchObject({ callback: true });

    // Try 1: nobody answers the carrier's ringing; after the ring time Switchboard cancels.
    const noAnswer = sippServer('carrier-no-answer.xml', carrierPort);
    await agentAccepts(firstTask);
    const carrier1 = await noAnswer.done;
    expect(carrier1.code, carrier1.stderr + carrier1.stdout.slice(-2_000)).toBe(0);
    await until(async () => (await callback()).status === 'scheduled');
    const afterFirst = await callback();
    expect(afterFirst).toMatchObject({ attempts: 1, last_outcome: 'no_answer', task_id: null });
    // The carrier saw the center's caller ID (From and P-Asserted-Identity), the caller's number, and not our mark.
    const invite =
      noAnswer
        .messages()
        .split(/\n(?=-{5,})|\n\n(?=INVITE )/)
        .find((m) => m.includes('INVITE sip:')) ?? noAnswer.messages();
    expect(invite).toMatch(/INVITE sip:\+16155550199@/);
    expect(invite).toMatch(new RegExp(`From: "?Switchboard"? <sip:\\${CALLER_ID}@`));
    expect(invite).toMatch(new RegExp(`P-Asserted-Identity: <sip:\\${CALLER_ID}@`));
    expect(noAnswer.messages()).not.toMatch(/X-Switchboard-Outbound/i);
    const [attempt1] = await db.db.selectFrom('callback_attempts').selectAll().execute();
    expect(attempt1).toMatchObject({ outcome: 'no_answer', counted: true, sip_status: 487, worker_id: 'agent-9' });
    const outbound1 = await db.db.selectFrom('calls').selectAll().where('direction', '=', 'outbound').executeTakeFirstOrThrow();
    expect(outbound1).toMatchObject({ end_reason: 'no_answer', caller_number: '+16155550199', task_id: firstTask, answered_at: null });
    // The try went to wrap-up; the next is due one spacing after it ended.
    await until(() => t.routing.engine.task(firstTask)?.status === 'wrapping', 10_000);
    await t.routing.execute({ type: 'finishWrapUp', taskId: firstTask }, ctx());
    const due = nextAttemptAt(attempt1?.ended_at as Date, 1, POLICY, 'America/Chicago') as Date;
    expect(afterFirst.next_attempt_at?.toISOString()).toBe(due.toISOString());

    // The schedule, on the virtual clock: a minute early nothing is released; at the time, the try is queued.
    const at = (ms: number) => ({ ...ctx(), now: new Date(due.getTime() + ms) });
    expect(await t.callbacks.releaseDue(at(-60_000))).toBe(0);
    expect(await t.callbacks.releaseDue(at(0))).toBe(1);
    const second = await callback();
    expect(second.status).toBe('queued');
    const secondTask = second.task_id as string;
    expect(secondTask).not.toBe(firstTask);
    expect(t.routing.engine.task(secondTask)?.attributes).toMatchObject({ callback: true, callbackId: second.id });

    // Try 2: the called person answers and talks; the agent hears them, then hangs up.
    const answers = sippServer('carrier-answers.xml', carrierPort);
    await agentAccepts(secondTask);
    await until(async () => (await callback()).status === 'completed');
    expect(await callback()).toMatchObject({ attempts: 2, last_outcome: 'answered' });
    await new Promise((r) => setTimeout(r, 5_000));
    phone.command('hangup');
    const carrier2 = await answers.done;
    expect(carrier2.code, carrier2.stderr + carrier2.stdout.slice(-2_000)).toBe(0);
    await until(async () => {
      const rows = await db.db.selectFrom('calls').selectAll().where('direction', '=', 'outbound').orderBy('arrived_at').execute();
      return rows.at(-1)?.end_reason === 'completed';
    });
    const outbound2 = await db.db
      .selectFrom('calls')
      .selectAll()
      .where('direction', '=', 'outbound')
      .orderBy('arrived_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(outbound2.answered_at).not.toBeNull();
    await until(() => t.routing.engine.task(secondTask)?.status === 'wrapping', 10_000);
    // The agent heard the called person (the carrier's A-law sample), not silence.
    await until(() => phone.heard().length >= 2, 5_000);
    expect(Math.max(...phone.heard().map(rms))).toBeGreaterThan(0.01);
    // Every step is in the audit.
    const actions = (await db.db.selectFrom('audit_events').select('action').where('resource_type', '=', 'callback').execute()).map(
      (e) => e.action,
    );
    expect(actions.filter((a) => a === 'callback.attempt')).toHaveLength(2);
    expect(actions).toEqual(expect.arrayContaining(['callback.promise', 'callback.release']));
  }, 150_000);
});

describe('voicemail as work', () => {
  it('a caller leaves a message: a task in the line’s queue, the audio stored by content and not silence, played to an agent (audited)', async () => {
    const result = await sipp('caller-leaves-voicemail.xml', edge, { service: '+16155550108', timeoutS: 60 });
    expect(result.code, result.stderr + result.stdout.slice(-2_000)).toBe(0);
    await until(async () => (await db.db.selectFrom('voicemails').select('id').execute()).length === 1);
    const vm = await db.db.selectFrom('voicemails').selectAll().executeTakeFirstOrThrow();
    const call = await db.db.selectFrom('calls').selectAll().where('id', '=', vm.call_id).executeTakeFirstOrThrow();
    expect(call).toMatchObject({ end_reason: 'voicemail', line: '+16155550108', recording_ref: `voicemail:${vm.id}` });
    // Several seconds of speech, stored by its hash.
    expect(vm.duration_ms).toBeGreaterThan(4_000);
    const file = blobPath(t.attachmentsDir, vm.sha256);
    expect(readFileSync(file).subarray(0, 4).toString()).toBe('RIFF');
    expect(rms(file)).toBeGreaterThan(0.01);
    const task = t.routing.engine.task(vm.task_id as string);
    expect(task).toMatchObject({ status: 'pending', channel: 'voice', attributes: { voicemail: true, callRecord: vm.call_id } });
    // A call taker with nothing in hand must say why; with a purpose, the audio comes, and the play is audited.
    const agent = await enrollAs(t, 'call_taker');
    const refused = await t.app.inject({ method: 'GET', url: `/api/v1/voicemails/${vm.id}/audio`, headers: { cookie: agent.cookie } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('purpose_required');
    const played = await t.app.inject({
      method: 'GET',
      url: `/api/v1/voicemails/${vm.id}/audio?purposeCode=case_work&purpose=${encodeURIComponent('returning the caller’s message')}`,
      headers: { cookie: agent.cookie },
    });
    expect(played.statusCode).toBe(200);
    expect(played.headers['content-type']).toMatch(/^audio\/wav/);
    expect(played.rawPayload.equals(readFileSync(file))).toBe(true);
    const audits = await db.db.selectFrom('audit_events').selectAll().where('action', '=', 'voicemail.play').execute();
    expect(audits.map((a) => a.outcome).sort()).toEqual(['allowed', 'denied']);
    expect(audits.find((a) => a.outcome === 'allowed')?.purpose).toMatch(/^case_work: returning/);

    // In Chromium: the call taker takes the voicemail from the desktop; its <audio> loads SIPp's message and knows
    // its length (the one stored), and plays.
    await t.routing.execute({ type: 'setActivity', workerId: 'agent-9', activity: 'Offline' }, ctx()).catch(() => undefined);
    const boss = await enrollAs(t, 'supervisor');
    const attributes = t.routing.engine.worker('agent-9')?.attributes ?? { unit: 'general', languages: ['en'], skills: ['public_intake'] };
    const bound = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/routing/workers/${agent.userId}`,
      headers: boss.headers,
      payload: { attributes: { unit: attributes.unit, languages: attributes.languages, skills: attributes.skills } },
    });
    expect(bound.statusCode, bound.body).toBe(200);
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const browser = await launchChromium();
    try {
      const page = await openPage(browser, t);
      await signInThroughPage(page, t, base, agent);
      await expect.poll(() => page.getByRole('heading', { name: 'My activity' }).isVisible(), { timeout: 10_000 }).toBe(true);
      await page.getByLabel('Activity', { exact: true }).selectOption('Available');
      await expect.poll(() => page.getByRole('heading', { name: /^Voicemail from/ }).isVisible(), { timeout: 15_000 }).toBe(true);
      await page.keyboard.press('a');
      const audio = page.locator(`audio[data-voicemail="${vm.id}"]`);
      await expect.poll(() => audio.count(), { timeout: 10_000 }).toBe(1);
      const duration = () =>
        audio.evaluate((a) => {
          const media = a as unknown as { readyState: number; duration: number };
          return media.readyState >= 1 ? media.duration : 0;
        });
      await expect.poll(duration, { timeout: 10_000 }).toBeGreaterThan(4);
      expect(Math.abs((await duration()) - vm.duration_ms / 1000)).toBeLessThan(0.5);
      await page.keyboard.press('p');
      await expect.poll(() => audio.evaluate((a) => !(a as unknown as { paused: boolean }).paused), { timeout: 5_000 }).toBe(true);
    } finally {
      await browser.close();
    }
  }, 150_000);
});
