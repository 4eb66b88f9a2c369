import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * The safeguards' screens in Chromium: every date of birth side by side on a
 * person and a legal reviewer's age determination; a welfare check sent at
 * once about a child in danger, reviewed afterwards from the review queue.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let callTaker: SignedIn;
let uac: SignedIn;
let reviewer: SignedIn;
let childId: string;
let caseId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  callTaker = await enrollAs(t, 'call_taker');
  uac = await enrollAs(t, 'uac_specialist');
  reviewer = await enrollAs(t, 'legal_reviewer');
  const first = await t.app.inject({
    method: 'POST',
    url: '/api/v1/intake',
    headers: uac.headers,
    payload: tip({
      subjects: [
        {
          person: {
            givenNames: 'Dos',
            familyName1: 'Fechas',
            dob: '1999-04-04',
            dobBasis: 'estimated',
            identifiers: { aNumber: 'A207776665' },
          },
          role: 'child',
        },
      ],
      locations: [{ subject: 0, address: { line1: '3 Synthetic Rd', zip: '78520' }, confidence: 'high' }],
      case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Missing from sponsor' } },
    }),
  });
  if (first.statusCode !== 201) throw new Error(first.body);
  childId = first.json().subjects[0].personId;
  caseId = first.json().case.id;
  // A second report, linked by A-number, claims a child's date of birth.
  const second = await t.app.inject({
    method: 'POST',
    url: '/api/v1/intake',
    headers: uac.headers,
    payload: tip({
      reporter: { name: 'Second Synthetic Caller', phone: '615-555-0166' },
      subjects: [
        {
          person: {
            givenNames: 'Dos',
            familyName1: 'Fechas',
            dob: '2011-05-05',
            dobBasis: 'claimed',
            identifiers: { aNumber: 'A207776665' },
          },
        },
      ],
      case: { caseId },
    }),
  });
  if (second.statusCode !== 201) throw new Error(second.body);
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

describe('safeguard screens in Chromium', () => {
  it("a legal reviewer sees every date of birth given, side by side, and records the child's age determination", async () => {
    const page = await signedInPage(reviewer);
    await page.goto(`${base}/#/persons/${childId}`);
    await page.getByLabel('In your words (at least 10 characters)').fill('Weighing the two ages before review');
    await page.getByRole('button', { name: 'Open the record' }).click();
    const table = page.getByRole('table', { name: /Every date of birth given/ });
    await expect.poll(() => table.getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    expect(await table.textContent()).toMatch(/1999-04-04.*estimated.*2011-05-05.*claimed/);
    expect(await page.getByText(/claimed date of birth 2011-05-05 .* makes them under 18/).isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Date of birth found').fill('2011-05-05');
    await page.getByLabel('Basis').selectOption('documents');
    await page.getByLabel(/What it rests on/).fill('Birth certificate from the consulate, seen by the reviewer.');
    await page.getByRole('button', { name: 'Record the determination' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 }).toMatch(/Recorded: age determined/);
    const stored = await db.db.selectFrom('age_determinations').select(['dob', 'basis', 'determined_by']).executeTakeFirstOrThrow();
    expect(stored).toEqual({ dob: '2011-05-05', basis: 'documents', determined_by: reviewer.userId });
    await page.close();
    // The call taker's screens do not reach this child at all.
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/persons/${childId}`, headers: { cookie: callTaker.cookie } })).statusCode,
    ).toBe(404);
  });

  it('a welfare check about a child in danger goes at once, and the legal reviewer reviews it afterwards from the queue', async () => {
    const answers = Object.fromEntries(
      [
        'trafficking_indicators',
        'labour_exploitation',
        'abuse_or_neglect',
        'missing_from_sponsor',
        'unsafe_sponsor_placement',
        'urgent_medical_need',
        'urgent_mental_health_need',
      ].map((q) => [q, { answer: q === 'missing_from_sponsor' ? 'yes' : 'no' }]),
    );
    const screened = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/welfare-screening`,
      headers: uac.headers,
      payload: { personId: childId, answers },
    });
    expect(screened.statusCode, screened.body).toBe(201);
    const sent = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/partner-requests`,
      headers: uac.headers,
      payload: {
        kind: 'welfare_check',
        question: 'The child left the sponsor; please check the address now.',
        purposeCode: 'welfare_check',
        purpose: 'Child missing from sponsor since last night',
      },
    });
    expect(sent.statusCode, sent.body).toBe(201);
    const reference: string = sent.json().requests[0].reference;
    expect(sent.json().requests[0].status).toBe('sent');

    const page = await signedInPage(reviewer);
    await page.goto(`${base}/#/referrals`);
    const card = page.getByRole('article', { name: `Review ${reference}` });
    await expect
      .poll(() => card.textContent(), { timeout: 10_000 })
      .toMatch(/SENT AT ONCE.*Review due by.*Sent at once because:.*missing from sponsor/);
    expect(await seriousViolations(page)).toEqual([]);
    await card.getByLabel(/Justification/).fill('Missing from sponsor overnight: checking at once was right.');
    await card.getByRole('button', { name: 'Sending at once was proper' }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(new RegExp(`${reference}: reviewed`));
    const row = await db.db
      .selectFrom('partner_requests')
      .select(['post_review_finding', 'post_reviewed_by'])
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ post_review_finding: 'proper', post_reviewed_by: reviewer.userId });
    await page.close();
  });
});
