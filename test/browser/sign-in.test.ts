import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/services/totp.js';
import { buildTestApp, collectFromOutbox, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { launchChromium, seriousViolations } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Sign-in in the real browser where it differs from the everyday path: a name
 * whose password step is paused (someone failed five times from this address)
 * still signs in with the password and the code together, and an enrollment
 * link taken from the outbox — the way an admin-added account reaches its
 * person — sets up the account.
 */

let db: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;
let admin: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  admin = await enrollAs(t, 'admin');
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('sign-in in Chromium', () => {
  it('when the password alone is paused, the page asks for password and code together, and that signs the person in', async () => {
    const person = await enrollAs(t, 'analyst');
    // Five wrong passwords from the browser's own address pause the password step there.
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        remoteAddress: '127.0.0.1',
        payload: { username: person.username, password: `someone-else-${i}-guessing` },
      });
      expect(res.statusCode).toBe(401);
    }
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(base);
    await page.getByLabel('Username').fill(person.username);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/password and the code from your authenticator app together/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Password').fill(person.password);
    await page.getByLabel('Code from your authenticator app').fill(await totpCode(person.secret, t.clock.now));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('button', { name: /Sign out/ }).isVisible(), { timeout: 10_000 }).toBe(true);
    await page.close();
    t.clock.advance(30_000);
  });

  it('an account an admin added is set up from the link in the outbox, in the browser', async () => {
    const added = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers: admin.headers,
      payload: { displayName: 'Carmen Ejemplo', role: 'analyst' },
    });
    expect(added.statusCode, added.body).toBe(201);
    const [link] = collectFromOutbox(t.outboxDir, 'carmen.ejemplo');
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${base}${new URL(link?.url ?? '').pathname}${new URL(link?.url ?? '').hash}`);
    await expect.poll(() => page.getByRole('heading', { name: 'Set up your account' }).isVisible()).toBe(true);
    await page.getByLabel(/Choose a password/).fill('harvest-Juniper-socket-37');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('img', { name: /QR code/ }).isVisible()).toBe(true);
    const secret = (await page.locator('code').first().textContent()) ?? '';
    await page.getByLabel('Code from your authenticator app').fill(await totpCode(secret, t.clock.now));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Keep your recovery codes' }).isVisible()).toBe(true);
    await page.close();
  });
});
