import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOverdueServices } from '../../src/services/case-plan.service.js';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, openPage, seriousViolations, signInThroughPage } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * A child's services and case plan in Chromium (1366×768, axe-core): the specialist assesses a need, plans a
 * service (already past its due day: marked overdue) and submits the plan; a supervisor approves it; the sweep
 * alerts the overdue service; a service added after approval puts the plan back to draft (said on screen) and is
 * cancelled; the specialist records the first delivered and requests closure; the supervisor approves
 * and the case closes — each step checked on the server too.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let uac: SignedIn;
let supervisor: SignedIn;
let caseId: string;
const screenshot = (name: string) => path.join(packageRoot(), 'test-output', 'screenshots', name);

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  const callTaker = await enrollAs(t, 'call_taker');
  uac = await enrollAs(t, 'uac_specialist');
  supervisor = await enrollAs(t, 'supervisor');
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/intake',
    headers: callTaker.headers,
    payload: tip({
      narrative: 'The shelter says the child has a court date and no lawyer.',
      subjects: [{ person: { givenNames: 'Itzel', familyName1: 'Apaza', dob: '2012-08-08', dobBasis: 'claimed' }, role: 'child' }],
      locations: [{ subject: 0, address: { line1: '33 Synthetic Pl', zip: '78520' }, confidence: 'high' }],
      case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Child needs legal aid before a hearing' } },
    }),
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  caseId = res.json().case.id;
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

async function openCase(who: SignedIn): Promise<Page> {
  const page = await openPage(browser, t);
  await signInThroughPage(page, t, base, who);
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 10_000 }).toBe(true);
  await page.goto(`${base}/#/cases/${caseId}`);
  await page.getByLabel('Purpose').selectOption('case_work');
  await page.getByLabel('In your words (at least 10 characters)').fill('Planning the child services before the hearing');
  await page.getByRole('button', { name: 'Open the record' }).click();
  return page;
}

describe("a child's case plan in Chromium", () => {
  it('the specialist plans and submits, a supervisor approves, overdue is shown, closure is requested and approved', async () => {
    const page = await openCase(uac);
    const plan = page.getByRole('region', { name: 'Services and case plan' });
    await expect.poll(() => plan.textContent(), { timeout: 10_000 }).toMatch(/No plan yet/);
    await plan.getByLabel('Need', { exact: true }).selectOption('legal');
    await plan.getByLabel('Notes').fill('Immigration hearing on 2027-01-12');
    await plan.getByRole('button', { name: 'Record need' }).click();
    await expect
      .poll(() => plan.getByRole('list', { name: 'Needs assessed' }).textContent(), { timeout: 10_000 })
      .toMatch(/legal — assessed on 2026-11-29: Immigration hearing/);
    await plan.getByLabel('Service', { exact: true }).selectOption('legal_aid');
    await plan.getByLabel('Provider').fill('Synthetic Legal Aid Clinic');
    await plan.getByLabel('Due on').fill('2026-11-27');
    // By keyboard: Enter in the last field submits the form.
    await plan.getByLabel('Due on').press('Enter');
    const services = plan.getByRole('list', { name: 'Services planned' });
    await expect
      .poll(() => services.textContent(), { timeout: 10_000 })
      .toMatch(/legal aid with Synthetic Legal Aid Clinic — due 2026-11-27 overdue — planned/);
    expect(await plan.getByRole('alert').textContent()).toMatch(/1 service is overdue/);
    await plan.getByRole('button', { name: 'Submit the plan for approval' }).click();
    await expect.poll(() => plan.textContent(), { timeout: 10_000 }).toMatch(/Submitted — waiting for a supervisor/);
    // A specialist has no approve button.
    expect(await plan.getByRole('button', { name: 'Approve the plan' }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);

    const boss = await openCase(supervisor);
    const bossPlan = boss.getByRole('region', { name: 'Services and case plan' });
    await expect.poll(() => bossPlan.textContent(), { timeout: 10_000 }).toMatch(/Submitted — waiting for a supervisor/);
    await bossPlan.getByRole('button', { name: 'Approve the plan' }).click();
    await expect.poll(() => bossPlan.textContent(), { timeout: 10_000 }).toMatch(/Status: Approved/);
    expect(
      await db.db.selectFrom('case_plans').select(['status', 'decided_by']).where('case_id', '=', caseId).executeTakeFirstOrThrow(),
    ).toEqual({
      status: 'approved',
      decided_by: supervisor.userId,
    });

    // The sweep alerts the overdue service once, as a UAC work item.
    expect((await sweepOverdueServices({ db: db.db, routing: t.routing, timeZone: CENTER_TIME_ZONE }, t.clock.now)).alerted).toBe(1);
    const alerted = await db.db
      .selectFrom('case_services')
      .select(['overdue_alerted_at', 'alert_task_id'])
      .where('case_id', '=', caseId)
      .executeTakeFirstOrThrow();
    expect(t.routing.engine.task(alerted.alert_task_id ?? '')?.queueId).toBe('uac_work');

    await page.reload();
    await page.getByLabel('Purpose').selectOption('case_work');
    await page.getByLabel('In your words (at least 10 characters)').fill('Recording the legal aid outcome');
    await page.getByRole('button', { name: 'Open the record' }).click();
    await expect.poll(() => plan.textContent(), { timeout: 10_000 }).toMatch(/Status: Approved/);
    // A service added after approval: the plan is a draft again, and the screen says it needs approving again.
    await plan.getByLabel('Service', { exact: true }).selectOption('other');
    await plan.getByLabel('Provider').fill('Synthetic Court Interpreters');
    await plan.getByLabel('Due on').fill('2026-12-10');
    await plan.getByRole('button', { name: 'Plan service' }).click();
    await expect.poll(() => plan.textContent(), { timeout: 10_000 }).toMatch(/it needs approval again/);
    expect(await plan.textContent()).toMatch(/Status: Draft/);
    await plan.getByLabel('New status of other').selectOption('cancelled');
    await plan.getByLabel('Outcome of other').fill('The court provides its own interpreter');
    await plan.getByRole('button', { name: 'Update other' }).click();
    await expect.poll(() => services.textContent(), { timeout: 10_000 }).toMatch(/cancelled\. Outcome: The court provides/);
    await plan.getByLabel('New status of legal aid').selectOption('delivered');
    await plan.getByLabel('Outcome of legal aid').fill('Lawyer assigned; hearing prepared');
    await plan.getByRole('button', { name: 'Update legal aid' }).click();
    await expect.poll(() => services.textContent(), { timeout: 10_000 }).toMatch(/delivered\. Outcome: Lawyer assigned/);
    expect(await services.textContent()).not.toMatch(/overdue/);
    expect(await seriousViolations(page)).toEqual([]);
    await plan.getByLabel('Close reason').selectOption('resolved');
    await plan.getByLabel('Why the case can close').fill('Legal aid delivered; the child is safe with the sponsor');
    await plan.getByRole('button', { name: 'Request closure' }).click();
    await expect.poll(() => plan.textContent(), { timeout: 10_000 }).toMatch(/Closure requested .*Legal aid delivered/);
    expect(await seriousViolations(page)).toEqual([]);

    await boss.reload();
    await boss.getByLabel('Purpose').selectOption('supervision');
    await boss.getByLabel('In your words (at least 10 characters)').fill('Deciding the closure of the case');
    await boss.getByRole('button', { name: 'Open the record' }).click();
    await expect.poll(() => bossPlan.textContent(), { timeout: 10_000 }).toMatch(/Closure requested/);
    expect(await seriousViolations(boss)).toEqual([]);
    await bossPlan.getByRole('button', { name: 'Approve closure' }).click();
    await expect.poll(() => bossPlan.textContent(), { timeout: 10_000 }).toMatch(/Closure approved/);
    await expect.poll(() => boss.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 }).toMatch(/closed/);
    const kase = await db.db.selectFrom('cases').select(['status', 'status_reason']).where('id', '=', caseId).executeTakeFirstOrThrow();
    expect(kase).toEqual({ status: 'closed', status_reason: 'resolved' });
    // A closed case's plan is read, not changed.
    await expect.poll(() => bossPlan.getByRole('button', { name: 'Record need' }).count(), { timeout: 10_000 }).toBe(0);
    await bossPlan.getByRole('heading', { name: 'Services and case plan' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await boss.screenshot({ path: screenshot('case-plan.png') });
    await boss.close();
    await page.close();
  });
});
