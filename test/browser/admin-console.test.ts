import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The admin console in Chromium at 1366×768: the admin lands on it; invites a person, changes an account's role,
 * resets a second factor and disables an account; edits a queue whose target expression is checked as it is typed
 * (by the routing engine's own parser) and takes effect in the engine at once; changes a line's IVR flow as a new
 * version, compares it and rolls it back; suspends an agency's agreement — each
 * change audited, axe finding nothing serious.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let admin: SignedIn;
let callTaker: SignedIn;
let analyst: SignedIn;
let leaving: SignedIn;
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  admin = await enrollAs(t, 'admin');
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  leaving = await enrollAs(t, 'call_taker');
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const account = (username: string) => db.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
const audited = async (action: string, resourceId: string) =>
  (
    await db.db.selectFrom('audit_events').select('actor_id').where('action', '=', action).where('resource_id', '=', resourceId).execute()
  ).map((r) => r.actor_id);
const fitsAcross = async (page: Page) => expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);

describe('the admin console in Chromium', () => {
  it('staff accounts: invite, change access, reset the second factor, disable', async () => {
    const page = await openPage(browser, t);
    page.on('dialog', (dialog) => void dialog.accept());
    await signInThroughPage(page, t, base, admin);
    await expect.poll(() => page.getByRole('heading', { name: 'Staff accounts' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);

    // Invite: the link goes to the outbox, never to the page.
    await page.getByLabel('Name', { exact: true }).fill('Nadia Testcase');
    await page.getByLabel('Role', { exact: true }).selectOption('analyst');
    await page.getByLabel('Username (optional)').fill('nadia.testcase');
    await page.getByRole('button', { name: 'Invite' }).click();
    await expect.poll(() => page.getByText('Invited Nadia Testcase').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.content()).not.toContain('#token=');
    await expect.poll(() => page.locator('tr[data-username="nadia.testcase"]').textContent()).toContain('invited');

    // Change access: the call taker becomes a supervisor; their session ends.
    await page.getByRole('button', { name: `Change access of ${callTaker.username}` }).click();
    await page.getByLabel('Role', { exact: true }).nth(1).selectOption('supervisor');
    await page.getByRole('button', { name: 'Save access' }).click();
    await expect.poll(() => page.getByText(`Changed the access of ${callTaker.username}`).isVisible(), { timeout: 10_000 }).toBe(true);
    expect((await account(callTaker.username)).role).toBe('supervisor');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: callTaker.cookie } })).statusCode).toBe(
      401,
    );
    expect(await audited('user.change_access', callTaker.userId)).toEqual([admin.userId]);
    // A change the rules refuse is shown in words: a field officer needs a field office.
    await page.getByRole('button', { name: `Change access of ${analyst.username}` }).click();
    await page.getByLabel('Role', { exact: true }).nth(1).selectOption('field_officer');
    await page.getByRole('button', { name: 'Save access' }).click();
    await expect
      .poll(() => page.getByText('fieldOfficeCode: a field officer belongs to a field office').isVisible(), { timeout: 10_000 })
      .toBe(true);
    expect((await account(analyst.username)).role).toBe('analyst');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // Reset the second factor, then disable (each confirmed in a dialog).
    await page.getByRole('button', { name: `Reset second factor of ${analyst.username}` }).click();
    await expect
      .poll(() => page.locator(`tr[data-username="${analyst.username}"]`).textContent(), { timeout: 10_000 })
      .toContain('not enrolled');
    await page.getByRole('button', { name: `Disable ${leaving.username}` }).click();
    await expect
      .poll(() => page.locator(`tr[data-username="${leaving.username}"]`).textContent(), { timeout: 10_000 })
      .toContain('disabled');
    expect((await account(leaving.username)).disabled_at).not.toBeNull();
    expect(await audited('user.reset_mfa', analyst.userId)).toEqual([admin.userId]);
    expect(await audited('user.disable', leaving.userId)).toEqual([admin.userId]);
    expect(await seriousViolations(page)).toEqual([]);
    await fitsAcross(page);
    await page.screenshot({ path: screenshot('admin-accounts.png'), fullPage: true });
    await page.close();
  });

  it('phones: an agent’s phone is bound from the accounts table, its password shown once; a new one rotates it', async () => {
    const agent = await enrollAs(t, 'call_taker');
    const page = await openPage(browser, t);
    page.on('dialog', (dialog) => void dialog.accept());
    await signInThroughPage(page, t, base, admin);
    await expect.poll(() => page.getByRole('heading', { name: 'Staff accounts' }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: `Bind phone of ${agent.username}` }).click();
    const shown = page.getByTestId('phone-password');
    await expect.poll(() => shown.isVisible(), { timeout: 10_000 }).toBe(true);
    const first = (await shown.textContent()) ?? '';
    expect(first.length).toBeGreaterThanOrEqual(20);
    await expect.poll(() => page.locator(`tr[data-username="${agent.username}"]`).textContent()).toContain(agent.username);
    expect(await audited('phone.bind', agent.userId)).toEqual([admin.userId]);
    expect(await seriousViolations(page)).toEqual([]);
    // Dismissed, it is gone: nothing fetches it again.
    await page.getByRole('button', { name: /hide the password/ }).click();
    expect(await page.content()).not.toContain(first);
    await page.getByRole('button', { name: `New phone password of ${agent.username}` }).click();
    await expect.poll(() => shown.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await shown.textContent()).not.toBe(first);
    expect(await audited('phone.rotate_password', agent.userId)).toEqual([admin.userId]);
    await page.getByRole('button', { name: /hide the password/ }).click();
    await page.getByRole('button', { name: `Unbind phone of ${agent.username}` }).click();
    await expect.poll(() => page.getByText(`Unbound the phone of ${agent.username}.`).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('queues: the target expression is checked as it is typed, and a saved queue is the engine’s at once', async () => {
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, admin);
    await page.goto(`${base}/#/admin/queues`);
    const row = page.locator('tr[data-queue="analysis"]');
    await expect.poll(() => row.isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: 'Edit analysis' }).click();
    const expression = page.getByLabel('Which agents (target expression)');
    await expression.fill('worker.skills HAS');
    const state = page.locator('#q-expression-state');
    await expect.poll(() => state.textContent(), { timeout: 5_000 }).toMatch(/^Not valid at position \d+: expected/);
    expect(await expression.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Save queue' }).isDisabled()).toBe(true);
    await expression.fill("worker.skills HAS 'analysis' AND worker.languages HAS 'es'");
    await expect.poll(() => state.textContent()).toBe('Valid: the routing engine reads it as written.');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save queue' }).click();
    await expect.poll(() => page.getByText('Saved queue analysis').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(t.routing.engine.queueConfig('analysis')?.targetExpression).toBe("worker.skills HAS 'analysis' AND worker.languages HAS 'es'");
    await expect.poll(() => row.textContent(), { timeout: 5_000 }).toContain("worker.languages HAS 'es'");
    await fitsAcross(page);
    await page.screenshot({ path: screenshot('admin-queues.png'), fullPage: true });
    await page.close();
  });

  it('IVR flows: a holiday added as a new version, compared with the shipped one, then rolled back — the line answers with each at once', async () => {
    const page = await openPage(browser, t);
    page.on('dialog', (dialog) => void dialog.accept('Back to the shipped hours'));
    await signInThroughPage(page, t, base, admin);
    await page.goto(`${base}/#/admin/ivr`);
    await page.getByRole('button', { name: 'Open the flow of +16155550100' }).click();
    const editor = page.locator('#ivr-flow');
    await expect.poll(() => editor.inputValue(), { timeout: 10_000 }).toContain('"holidays": []');
    // Not JSON: said at once, and it cannot be saved.
    await editor.fill('{ "line": ');
    await expect.poll(() => page.locator('#ivr-flow-state').textContent()).toMatch(/^Not JSON/);
    expect(await page.getByRole('button', { name: 'Save as a new version' }).isDisabled()).toBe(true);
    const flow = (await t.app.inject({ method: 'GET', url: '/api/v1/ivr/flows/%2B16155550100/versions/0', headers: admin.headers })).json()
      .flow;
    await editor.fill(JSON.stringify({ ...flow, hours: { ...flow.hours, holidays: ['2026-12-25'] } }, null, 2));
    await page.getByLabel('What changed, and why').fill('Closed on Christmas Day');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.getByText('Saved version 1 of the flow of +16155550100').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: 'Compare with the newest (version 0)' }).click();
    const diff = page.locator('pre.diff');
    await expect.poll(() => diff.textContent(), { timeout: 10_000 }).toContain('+      "2026-12-25"');
    expect(await seriousViolations(page)).toEqual([]);
    await fitsAcross(page);
    await page.screenshot({ path: screenshot('admin-ivr-flows.png'), fullPage: true });
    await page.getByRole('button', { name: 'Roll back to version 0' }).click();
    await expect
      .poll(() => page.getByText('Rolled the flow of +16155550100 back to version 0, as version 2').isVisible(), { timeout: 10_000 })
      .toBe(true);
    const versions = (
      await t.app.inject({ method: 'GET', url: '/api/v1/ivr/flows/%2B16155550100/versions', headers: admin.headers })
    ).json();
    expect(versions.versions.slice(0, 2)).toMatchObject([
      { version: 2, note: 'Back to the shipped hours', restoredFrom: 0, createdBy: admin.username },
      { version: 1, note: 'Closed on Christmas Day', restoredFrom: null, createdBy: admin.username },
    ]);
    await page.close();
  });

  it('intake forms: a disposition relabelled from the page is what the agents’ desktops are served', async () => {
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, admin);
    await page.goto(`${base}/#/admin/intake`);
    const editor = page.locator('#intake-forms');
    await expect.poll(() => editor.inputValue(), { timeout: 10_000 }).toContain('"Caller hung up"');
    await editor.fill((await editor.inputValue()).replace('"Caller hung up"', '"Caller hung up before a report"'));
    await page.getByLabel('What changed, and why').fill('Say when the caller hung up');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await expect.poll(() => page.getByText('Saved version 1 of the intake forms').isVisible(), { timeout: 10_000 }).toBe(true);
    const agentNow = await enrollAs(t, 'call_taker');
    const served = await t.app.inject({ method: 'GET', url: '/api/v1/intake/forms', headers: agentNow.headers });
    expect(served.statusCode, served.body).toBe(200);
    expect(served.json().dispositions.find((d: { code: string }) => d.code === 'caller_hung_up').label).toBe(
      'Caller hung up before a report',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await fitsAcross(page);
    await page.close();
  });

  it('agencies: an agreement suspended from the page is suspended', async () => {
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, admin);
    await page.goto(`${base}/#/admin/agencies`);
    await page.getByLabel('ORI or words of the name').fill('TX1430300');
    await page.getByRole('button', { name: 'Find agencies' }).click();
    await expect.poll(() => page.locator('tr[data-ori="TX1430300"]').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByRole('button', { name: 'Change agreement of TX1430300' }).click();
    await page.getByLabel('Status').selectOption('suspended');
    await page.getByRole('button', { name: 'Save agreement' }).click();
    await expect.poll(() => page.getByText('Saved the agreement of').isVisible(), { timeout: 10_000 }).toBe(true);
    const stored = await db.db.selectFrom('agencies').selectAll().where('ori', '=', 'TX1430300').executeTakeFirstOrThrow();
    expect(stored.agreement_status).toBe('suspended');
    expect(await seriousViolations(page)).toEqual([]);
    await fitsAcross(page);
    await page.close();
  });

  it('receiving organisations: ORR on its inbox with a credential shown once that answers the inbox; CPS on a signed webhook, its secret shown once', async () => {
    const page = await openPage(browser, t);
    await signInThroughPage(page, t, base, admin);
    await page.goto(`${base}/#/admin/handoffs`);
    const orrRow = page.locator('tr[data-referral-type="orr"]');
    await expect.poll(() => orrRow.textContent(), { timeout: 10_000 }).toMatch(/not configured/);
    await page.getByRole('button', { name: 'Configure the receiver of ORR welfare referrals' }).click();
    await page.getByLabel('Organisation', { exact: true }).fill('Office of Refugee Resettlement');
    await page.getByLabel(/^Kind/).selectOption('orr');
    await page.getByRole('button', { name: 'Save receiver' }).click();
    await expect.poll(() => orrRow.textContent(), { timeout: 10_000 }).toMatch(/Office of Refugee Resettlement \(orr\)its inboxnone yet/);
    expect(await page.locator('[data-handoff-secret]').count()).toBe(0);

    await page.getByRole('button', { name: 'Issue a credential for Office of Refugee Resettlement' }).click();
    const shown = page.locator('[data-handoff-secret]');
    await expect.poll(() => shown.isVisible(), { timeout: 10_000 }).toBe(true);
    const credential = (await shown.textContent()) ?? '';
    // The credential is the organisation's: it answers the hand-off inbox (an empty one), and it is stored as a digest.
    const inbox = await t.app.inject({ method: 'GET', url: '/api/v1/handoff-inbox', headers: { authorization: `Bearer ${credential}` } });
    expect(inbox.statusCode, inbox.body).toBe(200);
    const stored = await db.db.selectFrom('handoff_organisations').selectAll().where('referral_type', '=', 'orr').executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(credential);
    await page.getByRole('button', { name: 'I have passed it on' }).click();
    await expect.poll(() => orrRow.textContent(), { timeout: 10_000 }).toMatch(/issued/);

    await page.getByRole('button', { name: 'Configure the receiver of CPS welfare referrals' }).click();
    await page.getByLabel('Organisation', { exact: true }).fill('Synthetic County CPS');
    await page.getByLabel(/^Kind/).selectOption('cps');
    await page.getByLabel(/^Webhook URL/).fill('https://cps.example.org/switchboard/handoffs');
    await page.getByRole('button', { name: 'Save receiver' }).click();
    await expect.poll(() => page.locator('[data-handoff-secret]').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByRole('alert').textContent()).toMatch(/Webhook signing secret of Synthetic County CPS/);
    await expect
      .poll(() => page.locator('tr[data-referral-type="cps"]').textContent(), { timeout: 10_000 })
      .toMatch(/signed webhook to https:\/\/cps\.example\.org/);
    expect(await audited('handoff.organisation_create', stored.id)).toEqual([admin.userId]);
    expect(await audited('handoff.credential_issue', stored.id)).toEqual([admin.userId]);
    expect(await seriousViolations(page)).toEqual([]);
    await fitsAcross(page);
    await page.screenshot({ path: screenshot('admin-receiving-organisations.png'), fullPage: true });
    await page.close();
  });
});
