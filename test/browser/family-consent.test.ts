import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * The family and consent sections of a child's case in Chromium (1366×768, axe-core): the suggested sponsor
 * link confirmed by a case worker and shown as a protected sponsor, the household at the address, and a consent
 * decision recorded and withdrawn — each step checked on the server too.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let uac: SignedIn;
let caseId: string;
let sponsorId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  const callTaker = await enrollAs(t, 'call_taker');
  uac = await enrollAs(t, 'uac_specialist');
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/intake',
    headers: callTaker.headers,
    payload: tip({
      narrative: 'The school reports the child lives with her aunt.',
      subjects: [
        { person: { givenNames: 'Pilar', familyName1: 'Quenta', dob: '2013-06-06', dobBasis: 'claimed' }, role: 'child' },
        { person: { givenNames: 'Jesusa', familyName1: 'Quenta', dob: '1986-06-06', dobBasis: 'exact' }, role: 'sponsor' },
      ],
      locations: [
        { subject: 0, address: { line1: '21 Synthetic Dr', zip: '78520' }, confidence: 'high' },
        { subject: 1, address: { line1: '21 Synthetic Dr', zip: '78520' }, confidence: 'high' },
      ],
      case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Child placed with an aunt' } },
    }),
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  caseId = res.json().case.id;
  sponsorId = res.json().subjects[1].personId;
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

describe("a child's family and consent in Chromium", () => {
  it('a case worker confirms the suggested sponsor, sees the household, records and withdraws a consent', async () => {
    const page = await signedInPage(uac);
    await page.goto(`${base}/#/cases/${caseId}`);
    await page.getByLabel('Purpose').selectOption('case_work');
    await page.getByLabel('In your words (at least 10 characters)').fill('Reviewing the placement with the aunt');
    await page.getByRole('button', { name: 'Open the record' }).click();
    const family = page.getByRole('region', { name: 'Family and sponsors' });
    await expect
      .poll(() => family.getByRole('list', { name: 'Suggested links' }).textContent(), { timeout: 10_000 })
      .toMatch(/Jesusa Quenta — named as sponsor/);
    expect(await family.textContent()).toMatch(/No relationship recorded yet/);
    expect(await seriousViolations(page)).toEqual([]);

    await family.getByRole('button', { name: 'Confirm Jesusa Quenta' }).first().click();
    await expect
      .poll(() => family.getByRole('list', { name: 'Relationships of Pilar Quenta' }).textContent(), { timeout: 10_000 })
      .toMatch(/sponsor: Jesusa Quenta .*source suggestion.*unverified.*protected sponsor/);
    const households = family.getByRole('table', { name: 'Who was observed at each address' });
    await expect.poll(() => households.textContent(), { timeout: 10_000 }).toMatch(/21 Synthetic Dr.*Pilar Quenta.*Jesusa Quenta/);
    const links = await db.db
      .selectFrom('person_relationships')
      .select(['person_id', 'type', 'source'])
      .where('case_id', '=', caseId)
      .execute();
    expect(links).toEqual([{ person_id: sponsorId, type: 'sponsor', source: 'suggestion' }]);
    expect(await seriousViolations(page)).toEqual([]);

    const consent = page.getByRole('region', { name: 'Consent to share' });
    await consent.getByLabel('Share with').selectOption('services');
    await consent.getByLabel('Only this kind of recipient (optional)').selectOption('legal_aid');
    await consent.getByLabel('Given by').selectOption('guardian');
    await consent.getByLabel('Guardian’s name').fill('Jesusa Quenta');
    await consent.getByLabel('How it was given').fill('Explained in Spanish; the aunt agreed in writing');
    await consent.getByRole('button', { name: 'Record consent' }).click();
    await expect
      .poll(() => consent.getByRole('list', { name: 'Consent decisions' }).textContent(), { timeout: 10_000 })
      .toMatch(/granted sharing with services \(legal aid\) — by guardian Jesusa Quenta on 2026-11-29.*In force\./);
    expect(await seriousViolations(page)).toEqual([]);
    await consent.getByRole('button', { name: 'Withdraw' }).click();
    await expect.poll(() => consent.textContent(), { timeout: 10_000 }).toMatch(/Withdrawn from 2026-11-29/);
    const rows = await db.db
      .selectFrom('consents')
      .select(['scope', 'recipient_kind', 'given_on', 'withdrawn_on'])
      .where('case_id', '=', caseId)
      .execute();
    expect(rows).toEqual([{ scope: 'services', recipient_kind: 'legal_aid', given_on: '2026-11-29', withdrawn_on: '2026-11-29' }]);
    await page.close();
  });
});
