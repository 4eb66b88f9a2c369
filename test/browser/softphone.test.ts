import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { startTelephony, type Telephony } from '../../src/telephony/runtime.js';
import { buildTestApp, enrollAs, realTimeClockFrom, type SignedIn, type TestApp } from '../support/app.js';
import { type Softphone, startSoftphone, toneLevel } from '../support/baresip.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort, waitUntil } from '../support/processes.js';
import { freeUdpPort, freeUdpRange, packetsBySide } from '../support/telephony.js';

/**
 * The agent desktop's softphone in Chromium (issue #21, item 3), on the real edge: JsSIP registers over Kamailio's
 * WebSocket with the credential the server issued to the agent's session; a caller (baresip, talking a 400 Hz tone)
 * dials a line; the ACD offers the call to the agent, and the desktop's offer is the ringing softphone — pressing A
 * answers it. Chromium's fake microphone talks a 1000 Hz tone from a WAV file. Measured, not assumed: the caller's
 * tone in the browser (WebAudio analysis of the call's remote stream), the browser's tone in what the caller heard
 * (sox, in a window of its recording), rtpengine's packet counts for both sides; mute silences the browser's tone at
 * the caller; hold is a re-INVITE the call accepts; a key reaches the caller as RFC 4733.
 */

const LINE = '+16155550142';
const CALLER_HZ = 400;
const BROWSER_HZ = 1000;

let db: TestDatabase;
let t: TestApp;
let tel: Telephony;
let browser: Browser;
let base: string;
let edgePort: number;
let agent: SignedIn;
let caller: Softphone | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  edgePort = await freeUdpPort();
  const wsPort = await freePort();
  t = await buildTestApp(db, { softphone: { wsUrl: `ws://127.0.0.1:${wsPort}`, edgeDomain: `127.0.0.1:${edgePort}` } });
  const flowsDir = mkdtempSync(path.join(tmpdir(), 'sb-flows-'));
  for (const f of readdirSync('reference/ivr')) copyFileSync(path.join('reference/ivr', f), path.join(flowsDir, f));
  writeFileSync(
    path.join(flowsDir, 'test-softphone.json'),
    JSON.stringify({
      line: LINE,
      name: 'Softphone test line',
      hours: { timeZone: 'America/Chicago', weekly: 'always', holidays: [] },
      start: 's',
      nodes: { s: { type: 'set', set: { language: 'en', reason: 'report' }, next: 'q' }, q: { type: 'enqueue' } },
    }),
  );
  const range = await freeUdpRange(200);
  tel = await startTelephony({
    calls: new CallRecordService(db.db, t.routing, { blobDir: t.attachmentsDir }),
    routing: t.routing,
    flowsDir,
    kamailioTemplate: path.resolve('deploy/kamailio/kamailio.cfg'),
    phones: t.phones,
    websocket: { host: '127.0.0.1', port: wsPort },
    dataDir: mkdtempSync(path.join(tmpdir(), 'sb-telephony-')),
    node: 'node-web',
    clock: realTimeClockFrom(t.clock.now),
    timeZone: 'America/Chicago',
    log: () => undefined,
    sip: { host: '127.0.0.1', port: 0 },
    edge: { host: '127.0.0.1', port: edgePort },
    rtpengine: { host: '127.0.0.1', port: await freeUdpPort(), portMin: range.min, portMax: range.max },
  });
  const admin = await enrollAs(t, 'admin');
  const supervisor = await enrollAs(t, 'supervisor');
  agent = await enrollAs(t, 'call_taker');
  const skills = await t.app.inject({
    method: 'PUT',
    url: `/api/v1/routing/workers/${agent.userId}`,
    headers: supervisor.headers,
    payload: { attributes: { skills: ['public_intake'], languages: ['en'] } },
  });
  if (skills.statusCode !== 200) throw new Error(skills.body);
  // Bound from the admin console's API: call control rings the agent's phone — here, the softphone.
  const bound = await t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${agent.username}/phone`,
    headers: admin.headers,
    payload: {},
  });
  if (bound.statusCode !== 200) throw new Error(bound.body);
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const wav = path.join(mkdtempSync(path.join(tmpdir(), 'sb-mic-')), 'mic.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wav, 'synth', '120', 'sine', String(BROWSER_HZ), 'vol', '0.5']);
  browser = await launchChromium([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`,
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
  ]);
}, 180_000);
afterAll(async () => {
  await caller?.stop();
  await browser?.close();
  await tel?.stop();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (what: () => Promise<boolean> | boolean, ms = 20_000) => waitUntil('the softphone to get there', what, ms);

/**
 * Starts a WebAudio analyser on the call's remote stream in the page (kept on window for the reads below). The page's
 * code is a string: this file is type-checked for Node, without the DOM's types.
 */
async function analyseRemoteAudio(page: Page): Promise<void> {
  await page.evaluate(`(async () => {
    const audio = document.querySelector('audio[data-softphone-audio]');
    const stream = audio && audio.srcObject;
    if (!(stream instanceof MediaStream)) throw new Error('no remote stream on the softphone');
    const context = new AudioContext();
    await context.resume();
    const analyser = context.createAnalyser();
    analyser.fftSize = 4096;
    context.createMediaStreamSource(stream).connect(analyser);
    window.sbAnalyser = { analyser, rate: context.sampleRate };
  })()`);
}

/** The remote audio's level (dB) in a band of ±30 Hz around `hz`, now, read from the page's analyser. */
const bandLevel = async (page: Page, hz: number): Promise<number> =>
  Number(
    await page.evaluate(`(() => {
      const { analyser, rate } = window.sbAnalyser;
      const bins = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      const width = rate / analyser.fftSize;
      let peak = -200;
      for (let i = Math.floor((${hz} - 30) / width); i <= Math.ceil((${hz} + 30) / width); i++) peak = Math.max(peak, bins[i] ?? -200);
      return peak;
    })()`),
  );

const durationOf = (file: string) => Number(spawnSync('soxi', ['-D', file], { encoding: 'utf8' }).stdout.trim());

describe('the softphone in the agent desktop', () => {
  it('registers with its issued credential; the offer rings it; A answers; audio flows both ways (measured); hold, a key, mute, hang-up', async () => {
    const page = await openPage(browser, t);
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    onTestFailed(() => console.log(`page console:\n${consoleLines.slice(-60).join('\n')}`));
    await signInThroughPage(page, t, base, agent);
    await expect.poll(() => page.getByRole('heading', { name: 'My activity' }).isVisible(), { timeout: 15_000 }).toBe(true);
    await expect
      .poll(() => page.locator('[data-softphone-status]').getAttribute('data-softphone-status'), { timeout: 15_000 })
      .toBe('registered');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Activity', { exact: true }).selectOption('Available');
    await expect.poll(() => page.getByText('Taking work').isVisible()).toBe(true);

    caller = await startSoftphone('caller42', edgePort, { toneHz: CALLER_HZ, register: false });
    caller.command('dial', `sip:${LINE}@127.0.0.1:${edgePort}`);
    await caller.waitFor('CALL_ESTABLISHED', 20_000);
    const callerStart = performance.now();

    // The offer and the ringing softphone are one: the card says so, and A answers the call.
    const offer = page.getByRole('article', { name: /Offer from public_line/ });
    await expect.poll(() => offer.isVisible(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => offer.getByText('Your softphone is ringing').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('a');
    await expect.poll(() => page.getByText('On the call').isVisible(), { timeout: 20_000 }).toBe(true);
    const answeredAt = performance.now();
    const record = async () => db.db.selectFrom('calls').selectAll().where('line', '=', LINE).executeTakeFirstOrThrow();
    await until(async () => (await record()).answered_at !== null);
    expect((await record()).agent_worker_id).toBe(agent.userId);
    expect(await seriousViolations(page)).toEqual([]);

    // The caller's tone in the browser: the remote stream's 400 Hz band against one where nobody talks.
    await sleep(1_500);
    await analyseRemoteAudio(page);
    const heard: { tone: number; quiet: number }[] = [];
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      heard.push({ tone: await bandLevel(page, CALLER_HZ), quiet: await bandLevel(page, 2_500) });
    }
    const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const browserTone = medianOf(heard.map((h) => h.tone));
    const browserQuiet = medianOf(heard.map((h) => h.quiet));
    console.log(
      `softphone: the browser hears the caller's ${CALLER_HZ} Hz at ${browserTone.toFixed(1)} dB, 2500 Hz at ${browserQuiet.toFixed(1)} dB`,
    );
    expect(browserTone - browserQuiet).toBeGreaterThan(20);

    // Hold: a re-INVITE from the browser that the call accepts (the panel says "on hold" once it is answered); then back.
    const onHold = page.getByText(/On the call · on hold$/);
    const holdChanging = page.getByText(/(putting the caller on|taking the caller off) hold…/);
    const holdButton = page.getByRole('button', { name: /^Hold/ });
    await page.keyboard.press('h');
    await expect.poll(() => onHold.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await holdButton.getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('h');
    await expect.poll(() => holdButton.getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('false');
    expect(await onHold.isVisible()).toBe(false);
    // Two presses at once (the second while the first re-INVITE is still out — two key events in one task, so it is
    // out whatever the machine's load): neither is lost — the call goes on hold and comes back, and ends where the
    // last press asked (off hold), with nothing left on its way. (Dropping the second press fails here: checked.)
    await page.evaluate(`(() => {
      for (let i = 0; i < 2; i++) window.dispatchEvent(new KeyboardEvent('keydown', { key: 'h', bubbles: true }));
    })()`);
    await expect.poll(() => holdChanging.isVisible(), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => holdButton.getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('false');
    expect(await onHold.isVisible()).toBe(false);
    // Each hold reached call control and is on the call record, for the reports' hold figures: two holds (a lost press
    // would leave one, or a call still on hold), none in progress.
    await until(async () => (await record()).holds === 2, 10_000);
    expect((await record()).hold_started_at).toBeNull();
    // A key, as RFC 4733 through both rtpengine legs, reaches the caller.
    await page.keyboard.press('5');
    await caller.waitFor('CALL_DTMF_START', 10_000);

    // Talking, then muted: the caller's recording has the browser's tone in the first window, not in the second.
    await sleep(3_000);
    const mutedAt = performance.now();
    await page.keyboard.press('m');
    await expect.poll(() => page.getByText(/muted/).isVisible(), { timeout: 5_000 }).toBe(true);
    await sleep(3_000);
    const packets = await packetsBySide(tel.gateway.rtpengine, (await record()).external_id);
    const endedAt = performance.now();
    await page.keyboard.press('x');
    await caller.waitFor('CALL_CLOSED', 15_000);
    await expect.poll(() => page.getByText('On the call').isVisible(), { timeout: 10_000 }).toBe(false);
    console.log(`softphone: rtpengine relayed ${packets.join(' and ')} packets from the caller's call's two sides`);
    expect(packets.length).toBe(2);
    expect(Math.min(...packets)).toBeGreaterThan(100);

    const files = caller.heard();
    await until(() => files.length > 0 && durationOf(files.at(-1) as string) > 0, 5_000);
    // baresip starts a new recording with each re-INVITE (the hold): the last one holds the talking and the muted
    // windows, counted back from its end (the hang-up).
    const file = caller.heard().sort().at(-1) as string;
    const s = (ms: number) => ms / 1000;
    const length = durationOf(file);
    const talking = { fromS: length - s(endedAt - mutedAt) - 2.8, seconds: 2.5 };
    const muted = { fromS: length - 2, seconds: 1.5 };
    const level = {
      talking: toneLevel(file, BROWSER_HZ, talking),
      muted: toneLevel(file, BROWSER_HZ, muted),
      other: toneLevel(file, 2_500, talking),
    };
    console.log(
      `softphone: the caller hears the browser's ${BROWSER_HZ} Hz at RMS ${level.talking.toFixed(4)} talking, ${level.muted.toFixed(4)} muted (2500 Hz: ${level.other.toFixed(4)}); answered ${s(answeredAt - callerStart).toFixed(1)} s into the call; windows ${JSON.stringify({ length, talking, muted })} of ${caller?.heard().length} recordings`,
    );
    expect(level.talking).toBeGreaterThan(0.02);
    expect(level.talking).toBeGreaterThan(10 * level.other);
    expect(level.muted).toBeLessThan(level.talking / 10);
    await page.close();
  }, 150_000);
});
