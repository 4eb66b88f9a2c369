import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/services/totp.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, seriousViolations, signInThroughPage } from '../support/browser.js';
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
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
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
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
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
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signIn(page, supervisor);
    await page.goto(`${base}/#/wallboard`);
    await expect.poll(() => page.getByRole('heading', { name: 'Queues today' }).isVisible(), { timeout: 10_000 }).toBe(true);
    const row = page.getByRole('row', { name: /analysis/ }).first();
    await expect.poll(() => row.textContent()).toMatch(/(meets|below|nothing answered yet;) target 80 % in 14400 s/);
    const agentRow = page.getByRole('row', { name: /Test call_taker/ });
    await expect.poll(() => agentRow.textContent()).toMatch(/Available|Offline/);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(/^Activity of Test call_taker/).selectOption('Break');
    await expect.poll(() => t.routing.engine.worker(agent.userId)?.activity).toBe('Break');

    // A waiting work item (no agent is available) can be moved to another queue.
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/routing/tasks',
      headers: supervisor.headers,
      payload: { attributes: { language: 'en' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    await expect.poll(() => page.getByText(/Work item in analysis, waiting/).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByLabel('Move to queue').first().selectOption('public_line');
    await expect.poll(() => page.getByText(/in public_line, waiting/).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByRole('region', { name: 'Alerts' }).textContent()).toMatch(/Alerts/);

    await page.goto(`${base}/#/tv`);
    await expect.poll(() => page.getByRole('link', { name: 'Leave the TV view' }).isVisible()).toBe(true);
    expect(await page.getByLabel('Move to queue').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('after 30 idle minutes the session locks under a dialog; unlocking continues the same page, work kept', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signIn(page, agent);
    await expect.poll(() => page.getByRole('heading', { name: 'My activity' }).isVisible(), { timeout: 10_000 }).toBe(true);
    // Mark the page: the same element must still be there after the unlock (no reload, no remount).
    await page.evaluate(() => {
      const doc = (
        globalThis as unknown as { document: { querySelector: (s: string) => { setAttribute: (k: string, v: string) => void } | null } }
      ).document;
      doc.querySelector('.desktop')?.setAttribute('data-marker', 'kept');
    });
    t.clock.advance(31 * 60_000);
    await page.getByLabel('Activity', { exact: true }).selectOption('Lunch');
    const dialog = page.getByRole('dialog', { name: 'Session locked' });
    await expect.poll(() => dialog.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByLabel('Password').fill(agent.password);
    t.clock.advance(30_000);
    await dialog.getByLabel('Code from your authenticator app').fill(await totpCode(agent.secret, t.clock.now));
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(0);
    expect(await page.locator('.desktop[data-marker="kept"]').count()).toBe(1);
    // The refused change did not happen; made again after the unlock, it does.
    expect(t.routing.engine.worker(agent.userId)?.activity).not.toBe('Lunch');
    await page.getByLabel('Activity', { exact: true }).selectOption('Training');
    await expect.poll(() => t.routing.engine.worker(agent.userId)?.activity).toBe('Training');
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
