import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';
import { totpCode } from '../../src/services/totp.js';
import type { SignedIn, TestApp } from './app.js';

/**
 * Browser tests drive Debian's Chromium through Playwright (never a browser
 * Playwright downloads), with the flags this closed machine needs, and check
 * pages with axe-core injected from its npm package.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string; help: string }[] }> } })
      .axe;
    return axe.run();
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

/** Signs in through the page with password and a fresh code (the test clock moves to the next 30-second period). */
export async function signInThroughPage(page: Page, t: TestApp, base: string, who: SignedIn): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  t.clock.advance(30_000);
  await page.getByLabel('Code from your authenticator app').fill(await totpCode(who.secret, t.clock.now));
  await page.getByRole('button', { name: 'Sign in' }).click();
}
