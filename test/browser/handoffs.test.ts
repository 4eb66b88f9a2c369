import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * Hand-offs in Chromium (1366×768, axe-core): a UAC specialist sends a child's welfare referral from the case,
 * sees it on the Hand-offs screen waiting on the receiving organisation, and — once the organisation has
 * acknowledged it through its own API — sees it acknowledged. Synthetic people only.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let uac: SignedIn;
let caseId: string;
let credential: string;
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  const admin = await enrollAs(t, 'admin');
  const callTaker = await enrollAs(t, 'call_taker');
  uac = await enrollAs(t, 'uac_specialist');
  const as = (who: SignedIn, method: 'POST' | 'PUT', url: string, payload: Record<string, unknown> = {}) =>
    t.app.inject({ method, url, headers: who.headers, payload });
  // ORR reads its hand-offs from its inbox (no webhook) and answers with its credential.
  const orr = await as(admin, 'PUT', '/api/v1/admin/handoff-organisations/orr', {
    name: 'Office of Refugee Resettlement',
    kind: 'orr',
    webhookUrl: null,
  });
  if (orr.statusCode !== 200) throw new Error(orr.body);
  credential = (await as(admin, 'POST', `/api/v1/admin/handoff-organisations/${orr.json().organisation.id}/credential`)).json().credential;
  const res = await as(
    callTaker,
    'POST',
    '/api/v1/intake',
    tip({
      narrative: 'The school nurse reports the child needs a doctor.',
      subjects: [
        { person: { givenNames: 'Anselma', familyName1: 'Corvet', dob: '2011-02-02', dobBasis: 'claimed' }, role: 'child' },
        { person: { givenNames: 'Prisca', familyName1: 'Corvet', dob: '1984-04-04', dobBasis: 'exact' }, role: 'sponsor' },
      ],
      locations: [{ subject: 0, address: { line1: '40 Synthetic Rd', zip: '78520' }, confidence: 'high' }],
      case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Child with an urgent medical need' } },
    }),
  );
  if (res.statusCode !== 201) throw new Error(res.body);
  caseId = res.json().case.id;
  const child = res.json().subjects[0].personId;
  const answers = Object.fromEntries(
    [
      'trafficking_indicators',
      'labour_exploitation',
      'abuse_or_neglect',
      'missing_from_sponsor',
      'unsafe_sponsor_placement',
      'urgent_medical_need',
      'urgent_mental_health_need',
    ].map((q) => [q, { answer: q === 'urgent_medical_need' ? 'yes' : 'no' }]),
  );
  const screened = await as(uac, 'POST', `/api/v1/cases/${caseId}/welfare-screening`, { personId: child, answers });
  if (screened.statusCode !== 201) throw new Error(screened.body);
  const consent = await as(uac, 'POST', `/api/v1/cases/${caseId}/consents`, {
    personId: child,
    scope: 'other_orgs',
    decision: 'granted',
    givenBy: 'child',
    givenOn: '2026-11-28',
    basis: 'Explained in Spanish; the child agreed to ORR being told',
  });
  if (consent.statusCode !== 201) throw new Error(consent.body);
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

async function signedInPage(who: SignedIn): Promise<Page> {
  const page = await openPage(browser, t);
  await signInThroughPage(page, t, base, who);
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 10_000 }).toBe(true);
  return page;
}

describe('hand-offs in Chromium', () => {
  it('sent from the case, tracked waiting on the recipient, then acknowledged once the recipient answers', async () => {
    const page = await signedInPage(uac);
    expect(page.viewportSize()).toEqual({ width: 1366, height: 768 });
    await page.goto(`${base}/#/cases/${caseId}`);
    await page.getByLabel('Purpose').selectOption('case_work');
    await page.getByLabel('In your words (at least 10 characters)').fill('Sending the medical referral to ORR');
    await page.getByRole('button', { name: 'Open the record' }).click();
    const section = page.getByRole('region', { name: 'Welfare referrals and hand-offs' });
    const send = section.getByRole('button', { name: 'Send ORR referral to Office of Refugee Resettlement' });
    await expect.poll(() => send.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await section.textContent()).toMatch(/not sent/);
    expect(await seriousViolations(page)).toEqual([]);
    await send.click();
    await expect.poll(() => section.textContent(), { timeout: 10_000 }).toMatch(/sent to Office of Refugee Resettlement/);
    expect(await section.getByRole('button', { name: /^Send ORR/ }).count()).toBe(0);
    const [handoff] = await db.db.selectFrom('handoffs').selectAll().where('case_id', '=', caseId).execute();
    expect(handoff).toMatchObject({ status: 'sent', basis: 'consent' });
    expect(await seriousViolations(page)).toEqual([]);

    // The tracking view, reached from the navigation by keyboard.
    const nav = page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Hand-offs' });
    await nav.focus();
    await page.keyboard.press('Enter');
    const table = page.getByRole('table', { name: /Open hand-offs/ });
    await expect
      .poll(() => table.textContent(), { timeout: 10_000 })
      .toMatch(/ORR.*Office of Refugee Resettlement.*sent.*0 min.*Office of Refugee Resettlement/);
    const sortButton = table.getByRole('button', { name: /Waited/ });
    const waitedHeader = table.getByRole('columnheader', { name: /Waited/ });
    expect(await waitedHeader.getAttribute('aria-sort')).toBe('descending');
    await sortButton.focus();
    await page.keyboard.press('Enter');
    expect(await waitedHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(await seriousViolations(page)).toEqual([]);

    // The recipient answers through its own API; the view shows it acknowledged.
    const ack = await t.app.inject({
      method: 'POST',
      url: `/api/v1/handoff-inbox/${handoff?.id}/acknowledge`,
      headers: { authorization: `Bearer ${credential}` },
      payload: {},
    });
    expect(ack.statusCode, ack.body).toBe(200);
    await page.getByRole('button', { name: 'Refresh' }).click();
    // Acknowledged, and still the recipient's to answer with its outcome.
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).toMatch(/acknowledged.*Office of Refugee Resettlement$/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshot('handoffs.png'), fullPage: true });
    await page.close();
  });
});
