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
/** The center's time zone (the configuration's default), which the staff's browsers are in. */
const CENTER_TIME_ZONE = 'America/Chicago';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** `extra`: further flags (the softphone test's fake microphone and loopback WebRTC). */
export const launchChromium = (extra: string[] = []): Promise<Browser> =>
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
      ...extra,
    ],
  });

/**
 * A page (in a context of its own) whose clock is the test clock's, through Playwright's clock: `Date`, timers and
 * `performance` in the page start at the test clock's time and run on from there, so nothing in the page reads the
 * machine's date; the page is in the center's time zone, so what it shows does not depend on the machine's either.
 * `browserClockOffsetMs` sets the browser's clock off the server's, as on a PC whose clock is wrong.
 */
export async function openPage(browser: Browser, t: TestApp, options: { browserClockOffsetMs?: number } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, timezoneId: CENTER_TIME_ZONE, locale: 'en-US' });
  await page.clock.install({ time: t.clock.now.getTime() + (options.browserClockOffsetMs ?? 0) });
  return page;
}

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
