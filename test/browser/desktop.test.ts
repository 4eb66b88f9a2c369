import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/services/totp.js';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The web app in a real browser: Debian's Chromium driven by Playwright
 * against the real server on loopback. Sign-in with password and TOTP, the
 * agent desktop taking an offer from the ACD by keyboard, the wallboard, and an
 * axe-core accessibility check of every page (no serious or critical
 * violations). The server's Content-Security-Policy stays on throughout.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let agent: SignedIn;
let supervisor: SignedIn;

/** Screenshots for people to look at (not compared): test-output/screenshots, ignored by git. */
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  agent = await enrollAs(t, 'call_taker');
  supervisor = await enrollAs(t, 'supervisor');
  const set = await t.app.inject({
    method: 'PUT',
    url: `/api/v1/routing/workers/${agent.userId}`,
    headers: supervisor.headers,
    payload: { attributes: { skills: ['analysis', 'public_intake'], languages: ['en'] } },
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

const signIn = (page: Page, who: SignedIn) => signInThroughPage(page, t, base, who);

describe('the web app in Chromium', () => {
  it('signs in with password and code; a wrong password says so and the page is accessible', async () => {
    const page = await openPage(browser, t);
    const csp: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
    });
    await page.goto(base);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Switchboard' }).isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Username').fill(agent.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/password|code|sign/i);
    await page.close();
    expect(csp).toEqual([]);
  });

  it('the agent takes an offer by keyboard, fills the scripted intake (the draft survives a reload), saves it and wraps up with a disposition', async () => {
    const page = await openPage(browser, t);
    await signIn(page, agent);
    await expect.poll(() => page.getByRole('heading', { name: 'My activity' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Activity', { exact: true }).selectOption('Available');
    await expect.poll(() => page.getByText('Taking work').isVisible()).toBe(true);

    const newTask = async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/routing/tasks',
        headers: supervisor.headers,
        payload: { attributes: { language: 'en', from: '+1 615 555 0123', line: 'public' } },
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json().id as string;
    };
    const taskId = await newTask();
    const offer = page.getByRole('article', { name: /Offer from analysis/ });
    await expect.poll(() => offer.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => offer.textContent()).toContain('No earlier contacts from this number.');
    expect(await offer.textContent()).toMatch(/seconds to answer/);
    expect(await page.locator('[aria-live="assertive"]').textContent()).toMatch(/Incoming work item from analysis/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshot('desktop-offer.png') });

    await page.keyboard.press('a');
    await expect.poll(() => page.getByRole('heading', { name: 'Public tip' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(t.routing.engine.task(taskId)?.status).toBe('assigned');
    await page.getByLabel("Subject's given names (required)").fill('Ramón');
    await page.getByLabel("Subject's first family name (required)").fill('Sintético');
    await page.getByLabel('What the caller says (required)').fill('Works nights at the warehouse on Synthetic Way.');
    await expect.poll(() => page.getByText(/Draft saved/).isVisible(), { timeout: 10_000 }).toBe(true);
    // Closing the page mid-call loses nothing: the draft comes back.
    await page.reload();
    await expect.poll(() => page.getByLabel('What the caller says (required)').inputValue(), { timeout: 10_000 }).toContain('warehouse');
    expect(await seriousViolations(page)).toEqual([]);

    // A bad ZIP is refused with the field named; nothing is saved.
    await page.getByLabel('Case summary (required)').fill('Warehouse night shift');
    await page.getByLabel('ZIP code').fill('00000');
    await page.getByRole('button', { name: 'Save intake' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/location\.zip: .*not a known US ZIP code/);
    // …and next to the field itself.
    expect(await page.getByLabel('ZIP code').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('ZIP code').fill('78520');
    await page.getByRole('button', { name: 'Save intake' }).click();
    await expect
      .poll(() => page.getByText(/Intake saved: report R-2026-\d{6}, case C-2026-\d{6}/).isVisible(), { timeout: 10_000 })
      .toBe(true);

    await page.keyboard.press('c');
    await expect.poll(() => page.getByLabel('Disposition (required)').isVisible()).toBe(true);
    await page.keyboard.press('w');
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id,
      ),
    ).toMatch(/disposition$/);
    await page.getByLabel('Disposition (required)').selectOption('report_taken');
    await page.getByRole('button', { name: /End wrap-up/ }).click();
    await expect.poll(() => page.getByText('Nothing in hand.').isVisible()).toBe(true);
    expect(t.routing.engine.task(taskId)?.status).toBe('completed');
    const disposition = await db.db.selectFrom('contact_dispositions').selectAll().where('task_id', '=', taskId).executeTakeFirstOrThrow();
    expect(disposition).toMatchObject({ disposition: 'report_taken', caller_number: '+16155550123' });
    expect(disposition.case_id).not.toBeNull();

    // The next call from the same number pops its history.
    await newTask();
    await expect
      .poll(() => offer.textContent(), { timeout: 10_000 })
      .toMatch(/1 earlier contact from this number.*report taken.*cases C-2026-/);
    await page.close();
  });

  it('the wallboard shows queues against target in words, agents with time in state, alerts; the supervisor changes an activity and moves a waiting task', async () => {
    const page = await openPage(browser, t);
    await signIn(page, supervisor);
    await page.goto(`${base}/#/wallboard`);
    await expect.poll(() => page.getByRole('heading', { name: 'Queues today' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByRole('columnheader', { name: 'Last 30 minutes' }).isVisible()).toBe(true);
    const row = page.getByRole('row', { name: /analysis/ }).first();
    await expect.poll(() => row.textContent()).toMatch(/(meets|below|nothing answered yet;) target 80 % in 14400 s/);
    const agentRow = page.getByRole('row', { name: /Test call_taker/ });
    await expect.poll(() => agentRow.textContent()).toMatch(/Available|Offline/);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(/^Activity of Test call_taker/).selectOption('Break');
    await expect.poll(() => t.routing.engine.worker(agent.userId)?.activity).toBe('Break');

    // A waiting work item (no agent is available) can be moved to another queue. An earlier test's work item may be
    // waiting too: count them rather than expect exactly one.
    const waiting = page.getByText(/Work item in analysis, waiting/);
    const before = await waiting.count();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/routing/tasks',
      headers: supervisor.headers,
      payload: { attributes: { language: 'en' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    await expect.poll(() => waiting.count(), { timeout: 10_000 }).toBe(before + 1);
    await page.getByLabel('Move to queue').first().selectOption('public_line');
    await expect.poll(() => page.getByText(/in public_line, waiting/).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByRole('region', { name: 'Alerts' }).textContent()).toMatch(/Alerts/);

    // Under load: more work than agents, then a picture of the wallboard.
    for (let i = 0; i < 6; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/routing/tasks',
        headers: supervisor.headers,
        payload: { attributes: { language: 'en' }, priority: i },
      });
    }
    await expect.poll(() => page.getByText(/Work item in analysis, waiting/).count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
    await page.screenshot({ path: screenshot('wallboard-under-load.png'), fullPage: true });
    await page.goto(`${base}/#/tv`);
    await expect.poll(() => page.getByRole('link', { name: 'Leave the TV view' }).isVisible()).toBe(true);
    expect(await page.getByLabel('Move to queue').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('a session that locks while the agent saves an intake asks to unlock over the page, then completes the save', async () => {
    // Clear what earlier tests left waiting, so exactly one offer comes.
    const waiting = await t.app.inject({
      method: 'GET',
      url: '/api/v1/routing/tasks?status=waiting',
      headers: { cookie: supervisor.cookie },
    });
    for (const task of waiting.json().tasks as { id: string }[]) {
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/routing/tasks/${task.id}/cancel`,
        headers: supervisor.headers,
        payload: { reason: 'abandoned' },
      });
    }
    const page = await openPage(browser, t);
    await signIn(page, agent);
    await expect.poll(() => page.getByRole('heading', { name: 'My activity' }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByLabel('Activity', { exact: true }).selectOption('Available');
    await expect.poll(() => page.getByText('Taking work').isVisible()).toBe(true);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/routing/tasks',
      headers: supervisor.headers,
      payload: { attributes: { language: 'en' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    await expect.poll(() => page.getByRole('article', { name: /Offer from analysis/ }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.keyboard.press('a');
    await expect.poll(() => page.getByRole('heading', { name: 'Public tip' }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByLabel("Subject's given names (required)").fill('Bloqueo');
    await page.getByLabel("Subject's first family name (required)").fill('Sintético');
    await page.getByLabel('What the caller says (required)').fill('Typed just before the break.');
    await page.getByLabel('Case summary (required)').fill('Lock test');
    // Thirty-one idle minutes pass; the agent comes back and saves.
    t.clock.advance(31 * 60_000);
    await page.getByRole('button', { name: 'Save intake' }).click();
    const dialog = page.getByRole('dialog', { name: 'Session locked' });
    await expect.poll(() => dialog.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByLabel('Password').fill(agent.password);
    t.clock.advance(30_000);
    await dialog.getByLabel('Code from your authenticator app').fill(await totpCode(agent.secret, t.clock.now));
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(0);
    // The save that was refused went through after the unlock, with what had been typed.
    await expect.poll(() => page.getByText(/Intake saved: report R-2026-\d{6}/).isVisible(), { timeout: 10_000 }).toBe(true);
    const report = await db.db.selectFrom('reports').select('narrative').where('call_id', '=', created.json().id).executeTakeFirstOrThrow();
    expect(report.narrative).toBe('Typed just before the break.');
    await page.screenshot({ path: screenshot('desktop-after-unlock.png') });
    await page.close();
  });

  it('serves the app with a strict Content-Security-Policy and keeps API 404s as JSON', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/some/client/route' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<div id="root">');
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('not_found');
    const traversal = await t.app.inject({ method: 'GET', url: '/assets/..%2F..%2Fpackage.json' });
    expect(traversal.headers['content-type']).not.toContain('javascript');
    expect(traversal.body).not.toContain('"dependencies"');
  });
});
