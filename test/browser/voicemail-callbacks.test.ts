import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Voicemail and callbacks in Chromium: a voicemail offered to an agent plays in the desktop (the <audio> element
 * loads the stored WAV and has its duration; P plays it; the play is audited with the task in hand as its purpose);
 * the supervisor's wallboard lists the callbacks whose tries ran out, masked, and grants one another try — both
 * pages pass axe at 1366×768.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let agent: SignedIn;
let supervisor: SignedIn;
/** The <audio> element, as far as the test reads it (the test build has no DOM types). */
type Media = { readyState: number; duration: number; paused: boolean; currentTime: number };
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);
const system = () => ({ actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' });

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  agent = await enrollAs(t, 'call_taker');
  supervisor = await enrollAs(t, 'supervisor');
  const set = await t.app.inject({
    method: 'PUT',
    url: `/api/v1/routing/workers/${agent.userId}`,
    headers: supervisor.headers,
    payload: { attributes: { skills: ['public_intake'], languages: ['en'] } },
  });
  if (set.statusCode !== 200) throw new Error(set.body);
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

/** A call from a number that ended in a voicemail of `seconds` of speech-like tone (made by sox). */
async function voicemailLeft(seconds: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-vm-'));
  const file = path.join(dir, 'message.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', file, 'synth', String(seconds), 'sine', '300-900', 'vol', '0.4']);
  const call = await db.db
    .insertInto('calls')
    .values({
      adapter: 'simulator',
      external_id: `sim-vm-${seconds}`,
      node: 'test',
      line: '+16155550100',
      unit: 'general',
      caller_number: '+16155550177',
      language: 'en',
      arrived_at: t.clock.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const taskId = t.routing.newTaskId();
  await new CallRecordService(db.db, t.routing, { blobDir: t.attachmentsDir }).voicemailLeft(system(), {
    recordId: call.id,
    taskId,
    vars: { language: 'en', reason: 'report' },
    line: '+16155550100',
    language: 'en',
    wav: readFileSync(file),
    durationMs: seconds * 1000,
  });
  return taskId;
}

describe('voicemail and callbacks in Chromium', () => {
  it('a voicemail is offered as one, and once accepted its audio loads in the desktop with its duration and plays on P (audited)', async () => {
    const taskId = await voicemailLeft(3);
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, agent);
    await expect.poll(() => page.getByRole('heading', { name: 'My activity' }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByLabel('Activity', { exact: true }).selectOption('Available');
    await expect.poll(() => page.getByRole('heading', { name: /Voicemail from public_line/ }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.keyboard.press('a');
    const audio = page.locator('audio[data-voicemail]');
    await expect.poll(() => audio.count(), { timeout: 10_000 }).toBe(1);
    // The element has loaded the stored WAV: it knows its length (3 s).
    await expect
      .poll(() => audio.evaluate((a) => ((a as unknown as Media).readyState >= 1 ? (a as unknown as Media).duration : 0)), {
        timeout: 10_000,
      })
      .toBeGreaterThan(2.5);
    expect(await audio.evaluate((a) => (a as unknown as Media).duration)).toBeLessThan(3.5);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshot('desktop-voicemail.png') });
    await page.keyboard.press('p');
    await expect
      .poll(() => audio.evaluate((a) => !(a as unknown as Media).paused || (a as unknown as Media).currentTime > 0), { timeout: 5_000 })
      .toBe(true);
    const plays = await db.db.selectFrom('audit_events').selectAll().where('action', '=', 'voicemail.play').execute();
    expect(plays.length).toBeGreaterThan(0);
    expect(plays.every((p) => p.outcome === 'allowed' && p.actor_id === agent.userId)).toBe(true);
    expect(plays[0]?.purpose).toBe(`task_in_hand: working voicemail task ${taskId}`);
    await page.close();
  }, 60_000);

  it('the wallboard lists callbacks owed (masked), B goes there, and a supervisor grants one more try', async () => {
    const call = await db.db
      .insertInto('calls')
      .values({
        adapter: 'simulator',
        external_id: 'sim-cb',
        node: 'test',
        line: '+16155550100',
        unit: 'general',
        caller_number: '+16155550188',
        arrived_at: t.clock.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const owed = await db.db
      .insertInto('callbacks')
      .values({
        call_id: call.id,
        number: '+16155550188',
        line: '+16155550100',
        unit: 'general',
        language: 'en',
        origin: 'ivr',
        status: 'exhausted',
        attempts: 3,
        max_attempts: 3,
        last_outcome: 'no_answer',
        created_at: t.clock.now,
        updated_at: t.clock.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, supervisor);
    await expect.poll(() => page.getByRole('heading', { name: /Callbacks owed/ }).isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => page.getByText(/•••-•••-0188 on \+16155550100/).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.content()).not.toContain('5550188');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshot('wallboard-callbacks-owed.png') });
    await page.keyboard.press('b');
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent,
        ),
      )
      .toBe('Try once more');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText(/None: every callback promised/).isVisible(), { timeout: 10_000 }).toBe(true);
    const row = await db.db.selectFrom('callbacks').selectAll().where('id', '=', owed.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'scheduled', max_attempts: 4 });
    await page.close();
  }, 60_000);
});
