import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERVALS_PER_WEEK } from '../../src/domain/staffing/forecast.js';
import { arrivalHistory } from '../../src/domain/staffing/synthetic-arrivals.js';
import { intervalStart } from '../../src/domain/staffing/week.js';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The staffing screen in Chromium at 1366×768: a supervisor sees the forecast for next week (two weeks of synthetic
 * calls are in `calls`), generates the plan, and reads the requirement chart, its table and the schedule by agent;
 * on Monday the wallboard shows each scheduled agent's adherence. Both pages pass axe; screenshots go to
 * test-output/screenshots.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let supervisor: SignedIn;
const callTakers: SignedIn[] = [];
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  supervisor = await enrollAs(t, 'supervisor');
  for (let i = 0; i < 3; i++) callTakers.push(await enrollAs(t, 'call_taker'));
  const history = arrivalHistory({ weeks: 2, callsPerWeek: 14_000, weeklyGrowth: 0, seed: 9 });
  const rows: {
    adapter: 'simulator';
    external_id: string;
    node: string;
    line: string;
    unit: 'general';
    caller_number: null;
    arrived_at: Date;
  }[] = [];
  ['2026-11-16', '2026-11-23'].forEach((week, w) => {
    for (let slot = 0; slot < INTERVALS_PER_WEEK; slot++) {
      const count = history.counts[w * INTERVALS_PER_WEEK + slot] ?? 0;
      const start = intervalStart(week, slot, CENTER_TIME_ZONE).getTime();
      for (let k = 0; k < count; k++)
        rows.push({
          adapter: 'simulator',
          external_id: `browser-staffing-${w}-${slot}-${k}`,
          node: 'test',
          line: 'main',
          unit: 'general',
          caller_number: null,
          arrived_at: new Date(start + Math.floor(((k + 0.5) * 900_000) / count)),
        });
    }
  });
  for (let k = 0; k < rows.length; k += 2000)
    await db.db
      .insertInto('calls')
      .values(rows.slice(k, k + 2000))
      .execute();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('staffing in Chromium', () => {
  it('a supervisor generates next week’s plan and reads the requirement and the schedule by agent', async () => {
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, supervisor);
    await page.getByRole('link', { name: 'Staffing' }).click();
    await page.getByText('Forecast for the week of 2026-11-30').waitFor();
    await page.getByText('No plan is saved for this week yet.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Generate the plan' }).click();
    await page.getByRole('heading', { name: 'Plan for the week of 2026-11-30' }).waitFor({ timeout: 60_000 });
    // The chart and its table alternative, and the figures of the plan.
    await page.locator('.staffing-chart canvas').waitFor();
    expect(await page.getByRole('img', { name: /agents required and agents planned/ }).count()).toBe(1);
    await page.getByText('Required and planned agents by hour (table)').click();
    expect(await page.getByRole('row').filter({ hasText: 'Mon 12:00' }).count()).toBe(1);
    const gap = (await page.locator('dt:has-text("Gap") + dd').textContent()) ?? '';
    expect(gap).toMatch(/^\d+\.\d\d %$/);
    // The schedule names the staff who take routed work; the shifts nobody was free for are open.
    const schedule = page.getByRole('table', { name: /Schedule for the week of 2026-11-30/ });
    for (const person of [...callTakers, supervisor]) {
      const name = `Test ${person === supervisor ? 'supervisor' : 'call_taker'} `;
      expect(await schedule.getByRole('rowheader').filter({ hasText: name }).count()).toBeGreaterThan(0);
    }
    expect(await schedule.getByRole('rowheader', { name: 'Open shifts (nobody free)' }).count()).toBe(1);
    expect(await schedule.getByRole('cell', { name: 'Rest' }).count()).toBeGreaterThan(0);
    // Nothing spills out sideways at 1366 px.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshot('staffing-plan.png') });
    await schedule.scrollIntoViewIfNeeded();
    await page.locator('.schedule').screenshot({ path: screenshot('staffing-schedule.png') });
    await page.close();
  }, 120_000);

  it('the wallboard shows each scheduled agent’s adherence once the planned week has begun', async () => {
    // Monday 30 November, 10:00 in the center: the plan is in force.
    t.clock.advance(Date.parse('2026-11-30T16:00:00Z') - t.clock.now.getTime());
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, supervisor);
    await page.getByRole('heading', { name: 'Schedule adherence' }).waitFor();
    const table = page.locator('section[aria-labelledby="adherence-heading"] table');
    await table.waitFor();
    expect(await table.getByRole('row').count()).toBe(1 + callTakers.length + 1);
    // Nobody is signed in to take calls: whoever is on shift now is out of adherence, whoever is off is in.
    const onShift = await table.getByRole('row').filter({ hasText: 'On shift' }).count();
    expect(await table.getByRole('cell', { name: 'Out of adherence' }).count()).toBe(onShift);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('section[aria-labelledby="adherence-heading"]').screenshot({ path: screenshot('wallboard-adherence.png') });
    await page.close();
  }, 60_000);
});
