import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * The case screens in Chromium: search, the case workspace with its map and a
 * referral through the safeguard gate, the person page, a child's record asking
 * for a purpose, the UAC board, and the field office's referral inbox — each
 * page checked with axe-core.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let callTaker: SignedIn;
let analyst: SignedIn;
let uac: SignedIn;
let officer: SignedIn;
let partner: SignedIn;
let adultCase: { caseId: string; personId: string };
let childCase: { caseId: string; personId: string };

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  uac = await enrollAs(t, 'uac_specialist');
  officer = await enrollAs(t, 'field_officer', { fieldOfficeCode: 'HLG' });
  partner = await enrollAs(t, 'partner_officer', { agencyOri: 'TX0312100' });
  const save = async (body: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intake', headers: callTaker.headers, payload: body });
    if (res.statusCode !== 201) throw new Error(res.body);
    return { caseId: res.json().case.id as string, personId: res.json().subjects[0].personId as string };
  };
  adultCase = await save(tip());
  childCase = await save(
    tip({
      subjects: [{ person: { givenNames: 'Niña', familyName1: 'Pantalla', dob: '2013-03-03', dobBasis: 'estimated' }, role: 'child' }],
      case: { open: { type: 'uac_location', priority: 'high', summary: 'Child seen alone at the bus station' } },
    }),
  );
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

async function signedInPage(who: SignedIn, options: Parameters<typeof openPage>[2] = {}): Promise<Page> {
  const page = await openPage(browser, t, options);
  await signInThroughPage(page, t, base, who);
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 10_000 }).toBe(true);
  return page;
}

describe('case screens in Chromium', () => {
  it('an analyst finds the case, sees its location on the map, refers it through the gate, and opens the person', async () => {
    const page = await signedInPage(analyst);
    await page.goto(`${base}/#/cases`);
    await page.getByLabel('Case number, words or a name').fill('ramon quispe');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByRole('caption').textContent(), { timeout: 10_000 }).toMatch(/1 case found/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: /C-2026-/ }).click();
    await expect
      .poll(() => page.getByRole('img', { name: /Locations of case .*: 1 location on a map/ }).isVisible(), { timeout: 10_000 })
      .toBe(true);
    expect(await page.locator('svg.map circle').count()).toBe(1);
    expect(await page.getByRole('region', { name: 'Timeline' }).textContent()).toMatch(/opened.*report added/);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Refer for').selectOption('enforcement');
    await page.getByRole('button', { name: 'Refer to the field office' }).click();
    await expect.poll(() => page.locator('.gate').textContent(), { timeout: 10_000 }).toMatch(/Safeguards: send/);
    await expect.poll(() => page.getByRole('region', { name: 'Referrals' }).textContent()).toMatch(/to HLG — sent/);

    await page.getByRole('link', { name: /Ramón Quispe/ }).click();
    await expect
      .poll(() => page.getByRole('region', { name: 'Identifiers' }).textContent(), { timeout: 10_000 })
      .toMatch(/fbi number: 12345AB/);
    expect(await page.getByRole('region', { name: 'Location history' }).textContent()).toMatch(/Brownsville/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it("a child's record asks for a purpose first; the UAC board shows the unscreened case", async () => {
    const page = await signedInPage(uac);
    await page.goto(`${base}/#/cases/${childCase.caseId}`);
    await expect.poll(() => page.getByRole('heading', { name: "This is a child's record" }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Purpose').selectOption('welfare_check');
    await page.getByLabel('In your words (at least 10 characters)').fill('Checking where the child is now');
    await page.getByRole('button', { name: 'Open the record' }).click();
    await expect.poll(() => page.getByRole('heading', { name: /Case C-2026-/ }).isVisible(), { timeout: 10_000 }).toBe(true);
    const audit = await db.db
      .selectFrom('audit_events')
      .select('purpose')
      .where('action', '=', 'case.read')
      .where('resource_id', '=', childCase.caseId)
      .where('outcome', '=', 'allowed')
      .execute();
    expect(audit.map((a) => a.purpose)).toEqual(['welfare_check: Checking where the child is now']);

    await page.goto(`${base}/#/uac`);
    await expect
      .poll(
        () =>
          page
            .getByRole('row', { name: /C-2026-/ })
            .first()
            .textContent(),
        { timeout: 10_000 },
      )
      .toMatch(/not screened/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('a partner officer submits through the portal; the status follows once processed', async () => {
    const page = await signedInPage(partner);
    await expect.poll(() => page.getByRole('heading', { name: 'Partner portal' }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByRole('link', { name: 'Submit', exact: true }).click();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/narrative|subject/);
    await page.getByLabel('When it happened (required)').fill('2026-11-29T08:00');
    await page.getByLabel("Subject's given names (required)").fill('Portal');
    await page.getByLabel("Subject's family name (required)").fill('Sintético');
    await page.getByLabel('ZIP code').fill('78520');
    await page.getByLabel('What happened (required)').fill('Seen at a traffic stop; released.');
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 }).toMatch(/Received: submission/);
    const { processSubmissions } = await import('../../src/services/partner-submission.service.js');
    const { offlineGeocoder } = await import('../../src/services/geonames.js');
    expect(
      await processSubmissions({ db: db.db, routing: t.routing, geocoder: offlineGeocoder(), timeZone: 'America/Chicago' }, t.clock.now),
    ).toBe(1);
    await expect
      .poll(() => page.getByRole('row', { name: /location report/ }).textContent(), { timeout: 15_000 })
      .toMatch(/accepted.*C-2026-/);
    const row = await db.db.selectFrom('partner_submissions').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ agency_ori: 'TX0312100', submitted_by: partner.userId, client_id: null });
    await page.close();
  });

  it('the portal: a request from the center is acknowledged and answered; a CSV upload shows its progress; an API client is asked for', async () => {
    const cameron = await enrollAs(t, 'partner_officer', { agencyOri: 'TX0813300' });
    const asked = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${adultCase.caseId}/partner-requests`,
      headers: analyst.headers,
      payload: {
        kind: 'locate',
        question: 'Is the person still at this address? Do not make contact.',
        purposeCode: 'location_follow_up',
        purpose: 'Confirming the address from the tip',
      },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const reference: string = asked.json().requests[0].reference;
    const dueAt = Date.parse(asked.json().requests[0].dueAt);
    // The officer's PC clock is five days fast: the deadline is still counted on the server's clock.
    const page = await signedInPage(cameron, { browserClockOffsetMs: 5 * 24 * 3_600_000 });
    const card = page.getByRole('article', { name: `Request ${reference}` });
    await expect.poll(() => card.textContent(), { timeout: 10_000 }).toMatch(/due in \d+ h \d+ min/);
    const [, hours, minutes] = /due in (\d+) h (\d+) min/.exec((await card.textContent()) ?? '') ?? [];
    const shownMs = (Number(hours) * 60 + Number(minutes)) * 60_000;
    expect(Math.abs(dueAt - t.clock.now.getTime() - shownMs)).toBeLessThan(2 * 60_000);
    expect(await card.textContent()).toContain('100 Synthetic Way');
    expect(await seriousViolations(page)).toEqual([]);
    await card.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => card.textContent()).toContain('acknowledged');
    await card.getByRole('button', { name: 'Answer…' }).click();
    await card.getByLabel('Outcome').selectOption('not_located');
    await card.getByRole('button', { name: 'Send answer' }).click();
    await expect.poll(() => card.getByRole('alert').textContent()).toMatch(/notes/);
    await card.getByLabel('What you found (required)').fill('Nobody at the address; neighbours say they moved last week.');
    await card.getByRole('button', { name: 'Send answer' }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
      .toMatch(new RegExp(`Answer to ${reference} sent`));
    await expect.poll(() => page.getByRole('row', { name: new RegExp(reference) }).textContent()).toMatch(/answered.*not located/);

    await page.getByRole('link', { name: 'Upload CSV' }).click();
    await page.getByLabel('CSV file').setInputFiles({
      name: 'week48.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'type,occurred_at,narrative,given_names,family_name_1,location_zip\r\n' +
          'encounter,2026-11-28T10:00:00-06:00,Booked on a traffic warrant,Uno,Sintético,78520\r\n' +
          'encounter,not a date,Booked,Dos,Sintético,78520\r\n',
      ),
    });
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 }).toMatch(/week48.csv: 2 rows received/);
    expect(await seriousViolations(page)).toEqual([]);
    const { splitBatches } = await import('../../src/services/submission-batch.service.js');
    const { processSubmissions } = await import('../../src/services/partner-submission.service.js');
    const { offlineGeocoder } = await import('../../src/services/geonames.js');
    await splitBatches(db.db, t.clock.now, 'America/Chicago');
    await processSubmissions({ db: db.db, routing: t.routing, geocoder: offlineGeocoder(), timeZone: 'America/Chicago' }, t.clock.now);
    const upload = page.getByRole('row', { name: /week48.csv/ });
    await expect.poll(() => upload.textContent(), { timeout: 15_000 }).toMatch(/2 of 2 rows: 1 accepted, 1 with problems/);
    expect(await upload.getByRole('link', { name: 'Error report (CSV)' }).getAttribute('href')).toMatch(/errors\.csv$/);
    await upload.getByRole('button', { name: 'Rows' }).click();
    await expect.poll(() => page.getByRole('row', { name: /^3 refused/ }).textContent()).toMatch(/occurred_at/);

    await page.getByRole('link', { name: 'API clients' }).click();
    await page.getByLabel('The system that will use it (required)').fill('County RMS');
    await page.getByLabel('Read and answer requests from the center').check();
    await page.getByLabel('Why (required)').fill('Our records system will answer requests.');
    await page.getByRole('button', { name: 'Ask an admin' }).click();
    await expect.poll(() => page.getByRole('row', { name: /County RMS/ }).textContent()).toMatch(/pending/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: 'test-output/screenshots/portal-clients.png', fullPage: true });
    await page.close();
  });

  it('an analyst asks the local agency from the case; a legal reviewer approves a held request from the review queue', async () => {
    const page = await signedInPage(analyst);
    await page.goto(`${base}/#/cases/${adultCase.caseId}`);
    const form = page.getByRole('form', { name: 'Ask a partner agency' });
    await expect.poll(() => form.textContent(), { timeout: 10_000 }).toMatch(/Goes to .*TX0813300.*Cameron County/);
    await form.getByLabel('What the agency is asked (they see this)').fill('Please confirm whether the person still lives here.');
    await form.getByRole('button', { name: 'Ask the agency' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/at least 10 characters/);
    await form.getByLabel('Why (recorded in the audit log)').fill('Confirming the address before a referral');
    await form.getByRole('button', { name: 'Ask the agency' }).click();
    await expect.poll(() => form.getByRole('status').textContent(), { timeout: 10_000 }).toBe('Sent to TX0813300.');
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();

    // A held one: about a child, after the screening.
    const answers = Object.fromEntries(
      [
        'trafficking_indicators',
        'labour_exploitation',
        'abuse_or_neglect',
        'missing_from_sponsor',
        'unsafe_sponsor_placement',
        'urgent_medical_need',
        'urgent_mental_health_need',
      ].map((q) => [q, { answer: 'no' }]),
    );
    const screened = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${childCase.caseId}/welfare-screening`,
      headers: uac.headers,
      payload: { personId: childCase.personId, answers },
    });
    expect(screened.statusCode, screened.body).toBe(201);
    const held = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${childCase.caseId}/partner-requests`,
      headers: uac.headers,
      payload: {
        kind: 'welfare_check',
        question: 'Please check that the child is safe.',
        purposeCode: 'welfare_check',
        purpose: 'Child seen alone at night',
      },
    });
    expect(held.json()).toMatchObject({ decision: 'hold_for_review' });
    const reference: string = held.json().requests[0].reference;
    const reviewer = await enrollAs(t, 'legal_reviewer');
    const review = await signedInPage(reviewer);
    await review.goto(`${base}/#/referrals`);
    const card = review.getByRole('article', { name: `Review ${reference}` });
    await expect
      .poll(() => card.textContent(), { timeout: 10_000 })
      .toMatch(/is, or may be, a minor .* a request to a partner agency is held for legal review/);
    expect(await seriousViolations(review)).toEqual([]);
    expect(await card.getByRole('button', { name: 'Approve and send' }).isDisabled()).toBe(true);
    await card.getByLabel(/Justification/).fill('A welfare check by the sheriff is in the child’s interest.');
    await card.getByRole('button', { name: 'Approve and send' }).click();
    await expect.poll(() => review.getByRole('status').first().textContent(), { timeout: 10_000 }).toBe(`${reference}: approved and sent.`);
    const row = await db.db.selectFrom('partner_requests').select(['status']).where('reference', '=', reference).executeTakeFirstOrThrow();
    expect(row.status).toBe('sent');
    await review.close();
  });

  it("the field officer's inbox holds what was sent to the office; acknowledging it is recorded", async () => {
    const page = await signedInPage(officer);
    await page.goto(`${base}/#/referrals`);
    const article = page.getByRole('article').first();
    await expect.poll(() => article.textContent(), { timeout: 10_000 }).toMatch(/enforcement to HLG; sent/);
    expect(await seriousViolations(page)).toEqual([]);
    await article.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/acknowledged/);
    const referral = await db.db.selectFrom('referrals').select('status').where('case_id', '=', adultCase.caseId).executeTakeFirstOrThrow();
    expect(referral.status).toBe('acknowledged');
    // Case screens are not theirs.
    await page.goto(`${base}/#/cases`);
    expect(await page.getByRole('heading', { name: 'Referrals' }).isVisible()).toBe(true);
    await page.close();
  });
});
