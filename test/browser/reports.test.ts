import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The Reports screen in Chromium at 1366×768: a supervisor runs last week's report by day, then by quarter hour and
 * queue (a uPlot chart over the table), downloads it as CSV and PDF, and saves it as a daily report — axe finds
 * nothing serious; screenshots in test-output/screenshots.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let supervisor: SignedIn;
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  supervisor = await enrollAs(t, 'supervisor');
  const queues = (await db.db.selectFrom('queues').select('id').where('channel', '=', 'voice').orderBy('id').limit(3).execute()).map(
    (q) => q.id,
  );
  // The week before the test clock's day (Sunday 29 November 2026): 22 to 28 November, a few hundred calls, seeded.
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const rows = [];
  for (let i = 0; i < 700; i++) {
    const day = Math.floor(i / 100);
    const queued = new Date(Date.UTC(2026, 10, 22 + day, 14, 0) + Math.floor(random() * 9 * 3_600_000));
    const answered = random() < 0.8;
    const wait = 10_000 + Math.floor(random() * 50_000);
    rows.push({
      adapter: 'simulator' as const,
      external_id: `browser-report-${i}`,
      node: 'test',
      line: '+16155550100',
      caller_number: null,
      language: random() < 0.7 ? 'en' : 'es',
      queue_id: queues[i % queues.length] ?? null,
      agent_worker_id: answered ? `w-${i % 4}` : null,
      arrived_at: queued,
      queued_at: queued,
      answered_at: answered ? new Date(queued.getTime() + wait) : null,
      ended_at: new Date(queued.getTime() + wait + (answered ? 240_000 : 0)),
      end_reason: answered ? ('completed' as const) : ('abandoned_queue' as const),
    });
  }
  await db.db.insertInto('calls').values(rows).execute();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('the Reports screen in Chromium', () => {
  it('runs last week by day and by quarter hour and queue, charts it, exports CSV and PDF, saves it daily', async () => {
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, supervisor);
    await page.getByRole('link', { name: 'Reports' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Reports', level: 1 }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByText('Metrics: 6 chosen').click();
    await expect.poll(() => page.getByLabel('Service level').isChecked(), { timeout: 10_000 }).toBe(true);
    await page.getByText('Metrics: 6 chosen').click();
    expect(await page.getByLabel('First day').inputValue()).toBe('2026-11-22');
    expect(await page.getByLabel('Last day').inputValue()).toBe('2026-11-28');

    await page.getByRole('button', { name: 'Run report' }).click();
    const table = page.locator('table.report-table');
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(7);
    expect(await table.locator('tbody tr').first().locator('th').textContent()).toContain('Nov 22, 2026');
    // 100 calls a day: offered is 100 on each row (no short abandons, callbacks or transfers).
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe('100');
    await expect.poll(() => page.locator('.report-chart canvas').count(), { timeout: 5_000 }).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshot('reports-week-by-day.png'), fullPage: true });

    await page.getByLabel('Interval', { exact: true }).selectOption('15m');
    await page.getByLabel('Split by').selectOption('queue');
    await page.getByLabel('First day').fill('2026-11-28');
    await page.getByRole('button', { name: 'Run report' }).click();
    await expect.poll(() => page.locator('table.report-table thead th').nth(1).textContent(), { timeout: 10_000 }).toBe('Queue');
    // 28 November, 14:00–23:00 UTC: 36 quarter hours, each queue's calls in most of them.
    expect(await table.locator('tbody tr').count()).toBeGreaterThan(50);
    expect(await table.locator('tbody tr').first().locator('th').textContent()).toContain('Nov 28');
    await page.getByLabel('Chart', { exact: true }).selectOption('serviceLevel');
    await expect.poll(() => page.locator('.report-chart canvas').count(), { timeout: 5_000 }).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('.report-chart').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot('reports-quarter-hours-by-queue.png') });

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const text = readFileSync((await csv.path()) as string, 'utf8');
    expect(text.split('\r\n')[0]).toBe('interval_start,interval_end,queue,offered,answered,abandoned,serviceLevel,asaSeconds,ahtSeconds');
    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PDF' }).click()]);
    expect(
      readFileSync((await pdf.path()) as string)
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');

    await page.getByLabel('Name').fill('Queues by quarter hour, yesterday');
    await page.getByLabel('Write it every day (CSV to the report drop)').check();
    await page.getByRole('button', { name: 'Save this report' }).click();
    await expect
      .poll(() => page.getByRole('button', { name: 'Load Queues by quarter hour, yesterday' }).isVisible(), { timeout: 5_000 })
      .toBe(true);
    const saved = await db.db.selectFrom('report_definitions').selectAll().executeTakeFirstOrThrow();
    expect(saved).toMatchObject({ interval: '15m', groupings: ['queue'], range_days: 1, schedule: 'daily', owner_id: supervisor.userId });
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);
});
