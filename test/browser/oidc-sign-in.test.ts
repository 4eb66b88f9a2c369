import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/services/user-admin.service.js';
import { buildTestApp, operatorCourier, type TestApp } from '../support/app.js';
import { launchChromium, seriousViolations } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { PASSWORD_ONLY, PIV, ssoSettingsFor, startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { freeHttpPort } from '../support/processes.js';

/**
 * Single sign-on in Chromium, end to end: the sign-in page's button goes to a real OpenID Connect provider on
 * loopback (oidc-provider), the person signs in there, and lands signed in on their role's screen; a login without the
 * assurance the role needs is refused with a clear page; the audit names the provider and the subject.
 */

let db: TestDatabase;
let t: TestApp;
let idp: TestIdp;
let browser: Browser;
let base: string;

const account = (sub: string, acr: string, groups: string[], extra: Record<string, unknown> = {}) => ({
  sub,
  acr,
  claims: { name: `Synthetic ${sub}`, preferred_username: sub, groups, ...extra },
});

beforeAll(async () => {
  db = await createTestDatabase();
  const port = await freeHttpPort();
  base = `http://127.0.0.1:${port}`;
  const redirect = `${base}/api/v1/auth/oidc/callback`;
  idp = await startTestIdp(redirect, [
    account('call.taker.sso', PASSWORD_ONLY, ['sb-call-takers']),
    account('supervisor.sso', PIV, ['sb-supervisors']),
    account('supervisor.nopiv', PASSWORD_ONLY, ['sb-supervisors']),
    account('field.officer.sso', PIV, ['sb-field-officers'], { field_office: 'NOL' }),
    account('auditor.sso', PIV, ['sb-auditors']),
    account('admin.sso', PIV, ['sb-admins']),
  ]);
  t = await buildTestApp(db, { sso: ssoSettingsFor(idp, redirect), publicUrl: base });
  await t.app.listen({ host: '127.0.0.1', port });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.routing.stop();
  await t?.app.close();
  await idp?.close();
  await db?.drop();
});

/** From Switchboard's sign-in page, through the provider's login page, as the named account. */
async function signInWithIdp(page: Page, who: string): Promise<void> {
  await page.goto(base);
  await page.getByRole('link', { name: 'Sign in with Test Agency ID' }).click();
  await expect.poll(() => page.getByRole('heading', { name: 'Test agency sign-in' }).isVisible(), { timeout: 10_000 }).toBe(true);
  await page.getByLabel('Account').fill(who);
  await page.getByRole('button', { name: 'Sign in at the agency' }).click();
}

const currentScreen = (page: Page) => page.locator('nav[aria-label="Screens"] a[aria-current="page"]').textContent();

describe('single sign-on in Chromium', () => {
  it('the sign-in page offers the agency identity provider first, and keeps the password form for break-glass accounts', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(base);
    await expect.poll(() => page.getByRole('link', { name: 'Sign in with Test Agency ID' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByRole('heading', { name: 'Break-glass account' }).isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('each role lands on its own screen after signing in through the provider', async () => {
    const landings = [
      ['call.taker.sso', 'Agent desktop', 'call taker'],
      ['supervisor.sso', 'Wallboard', 'supervisor'],
      ['field.officer.sso', 'Referrals', 'field officer'],
      ['auditor.sso', 'Audit', 'auditor'],
      ['admin.sso', 'Administration', 'admin'],
    ] as const;
    for (const [who, screen, role] of landings) {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      await signInWithIdp(page, who);
      await expect.poll(() => page.getByRole('button', { name: /Sign out/ }).isVisible(), { timeout: 10_000 }).toBe(true);
      expect(new URL(page.url()).pathname).toBe('/');
      expect(await currentScreen(page)).toBe(screen);
      expect(await page.locator('header.topbar').textContent()).toContain(`Synthetic ${who} (${role})`);
      await page.close();
    }
  });

  it('a login without the acr the role needs is refused with a clear message, and the audit names the provider and subject', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await signInWithIdp(page, 'supervisor.nopiv');
    await expect.poll(() => page.getByRole('heading', { name: 'You are not signed in' }).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByRole('alert').textContent()).toMatch(
      /^The supervisor role needs a stronger sign-in \(phishing-resistant, such as your PIV card\) than this one\./,
    );
    expect(await page.locator('main').getAttribute('data-error-code')).toBe('sso_assurance_insufficient');
    // The way back leads to the sign-in page, not into the app.
    await page.getByRole('link', { name: 'Back to the sign-in page' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Sign in with Test Agency ID' }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.close();

    const events = await db.db.selectFrom('audit_events').select(['outcome', 'details']).where('action', '=', 'auth.sign_in').execute();
    const bySubject = (sub: string) => events.filter((e) => (e.details as { subject?: string }).subject === sub);
    expect(bySubject('supervisor.nopiv')).toEqual([
      {
        outcome: 'denied',
        details: expect.objectContaining({ method: 'oidc', issuer: idp.issuer, subject: 'supervisor.nopiv', acr: PASSWORD_ONLY }),
      },
    ]);
    expect(bySubject('supervisor.sso')).toEqual([
      { outcome: 'allowed', details: expect.objectContaining({ method: 'oidc', issuer: idp.issuer, subject: 'supervisor.sso', acr: PIV }) },
    ]);
  });

  it('an admin signed in through the provider marks a local account break-glass from the admin console, audited', async () => {
    const ctx = { actor: null, system: 'cli:test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' };
    await addUser(t.identity, ctx, { displayName: 'Local Glass', role: 'admin', username: 'local.glass' }, operatorCourier().courier);
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await signInWithIdp(page, 'admin.sso');
    await expect.poll(() => page.getByRole('heading', { name: 'Administration', level: 1 }).isVisible(), { timeout: 10_000 }).toBe(true);
    // The admin's own account is bound to the provider: no password to keep, so no break-glass button.
    await expect.poll(() => page.locator('tr[data-username="admin.sso"]').textContent(), { timeout: 10_000 }).toContain('single sign-on');
    expect(
      await page
        .locator('tr[data-username="admin.sso"]')
        .getByRole('button', { name: /break-glass/ })
        .count(),
    ).toBe(0);
    await page.getByRole('button', { name: 'Make break-glass local.glass' }).click();
    await expect.poll(() => page.locator('tr[data-username="local.glass"]').textContent(), { timeout: 10_000 }).toContain('break-glass');
    await expect
      .poll(() => page.getByRole('button', { name: 'Remove break-glass local.glass' }).isVisible(), { timeout: 10_000 })
      .toBe(true);
    await page.close();
    const admin = await db.db.selectFrom('users').select('id').where('sso_subject', '=', 'admin.sso').executeTakeFirstOrThrow();
    const marked = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'details'])
      .where('action', '=', 'user.break_glass')
      .execute();
    expect(marked).toEqual([{ actor_id: admin.id, details: { before: false, after: true, sessionsRevoked: 0 } }]);
  }, 120_000);
});
