import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/services/audit.service.js';
import { checkAuditExport } from '../../src/services/audit-console.service.js';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The auditor's console in Chromium at 1366×768: the auditor lands on it, verifies the chain from the page, searches
 * by who and outcome, exports the search with its proofs (the downloaded file checks with the published key), and
 * reads the reports of reads of children's records and of refusals — axe finds nothing serious.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let auditor: SignedIn;
let analyst: SignedIn;
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  auditor = await enrollAs(t, 'auditor');
  analyst = await enrollAs(t, 'analyst');
  // A refusal (the analyst may not read the log) and a read of a child's record with its purpose.
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit/events', headers: { cookie: analyst.cookie } })).statusCode).toBe(403);
  await recordAudit(
    db.db,
    {
      actor: {
        kind: 'user',
        userId: analyst.userId,
        username: analyst.username,
        role: 'analyst',
        agencyOri: null,
        fieldOfficeCode: null,
        sessionId: null,
      },
      sourceIp: null,
      requestId: null,
      now: t.clock.now,
      timeZone: CENTER_TIME_ZONE,
    },
    {
      action: 'person.read',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: 'p-child-1',
      purpose: 'welfare_check: the shelter asked for a follow-up',
      details: { minorRecord: true, purposeCode: 'welfare_check' },
    },
  );
  await t.sealAudit();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('the auditor’s console in Chromium', () => {
  it('verifies the chain, searches, exports with proofs that check, and shows the oversight reports', async () => {
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, auditor);
    // The auditor's role has a screen now: it opens on it.
    await expect.poll(() => page.getByRole('heading', { name: 'Audit', level: 1 }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Verify the chain now' }).click();
    const state = page.locator('[data-chain-state]');
    await expect.poll(() => state.getAttribute('data-chain-state'), { timeout: 10_000 }).toBe('intact');
    expect(await state.textContent()).toMatch(/Intact: \d+ events chained, \d+ signed batch(es)? checked\./);

    await page.getByLabel('Who (username)').fill(analyst.username);
    await page.getByLabel('Outcome').selectOption('denied');
    // (The analyst's read of the child's record is allowed; only the refusal is shown.)
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('table.audit-events tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().textContent()).toContain('GET /api/v1/audit/events');
    expect(await rows.first().textContent()).toContain('refused');

    // The export of that search, with its proof: the downloaded file checks with the key as published.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export with proof' }).click()]);
    const file = JSON.parse(readFileSync((await download.path()) as string, 'utf8'));
    const key = createPublicKey(
      (await t.app.inject({ method: 'GET', url: '/api/v1/audit/key', headers: { cookie: auditor.cookie } })).json().publicKeyPem,
    );
    expect(file.events.map((e: { event: { action: string } }) => e.event.action)).toEqual(['GET /api/v1/audit/events']);
    expect(checkAuditExport(file, key)).toMatchObject({ valid: 1, failures: [] });
    await expect.poll(() => page.getByText('Exported 1 event with their proofs').isVisible(), { timeout: 5_000 }).toBe(true);

    await page.getByRole('button', { name: 'Show the reports' }).click();
    const byRule = page.locator('table.refusals-by-rule');
    await expect.poll(() => byRule.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await byRule.textContent()).toContain('permission:audit:read');
    const minor = page.locator('table.minor-reads');
    expect(await page.getByText('welfare_check: the shelter asked for a follow-up').isVisible()).toBe(true);
    expect(await minor.locator('tbody tr').first().textContent()).toBe(`${analyst.username}10`);
    expect(await seriousViolations(page)).toEqual([]);
    // It fits 1366 pixels across: nothing scrolls sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
    await page.screenshot({ path: screenshot('auditor-console.png'), fullPage: true });
    // What the auditor read here is itself in the log.
    await t.sealAudit();
    const own = await t.app.inject({
      method: 'GET',
      url: `/api/v1/audit/events?username=${auditor.username}&limit=1000`,
      headers: { cookie: auditor.cookie },
    });
    const actions = new Set((own.json().events as { action: string }[]).map((e) => e.action));
    for (const action of ['audit.read', 'audit.export', 'audit.oversight', 'audit.refusals'])
      expect(actions.has(action), action).toBe(true);
  });
});
