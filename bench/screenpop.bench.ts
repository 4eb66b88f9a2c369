/**
 * Screen-pop benchmark (issue #18): a running server, an agent signed in to the desktop in Chromium (Debian's, through
 * Playwright), available. 200 work items are created one after another; for each, the time from the routing engine's
 * reservation (its `reservation.created` event, in the server process) to the offer rendered in the page (the offer's
 * article in the DOM), and to the screen pop complete (the caller's earlier contacts looked up and shown). Each offer
 * is then withdrawn (the task cancelled) and the next created once the page shows none. Server and browser run on
 * this machine and read the same wall clock (Date.now), which is what the two sides share. Bounded: 200 offers, 10 s
 * each at most.
 *
 *   npm run bench:screenpop
 *   BENCH_OFFERS=50 npm run bench:screenpop
 */
import os from 'node:os';
import { chromium } from 'playwright-core';
import { startBenchApp } from './bench-app.js';

/** What the page keeps (see the init script), and the little of the DOM the bench reads. */
type Pops = { __pops: Record<string, { offer?: number; pop?: number } | undefined> };
type OfferCount = { document: { querySelectorAll: (selector: string) => { length: number } } };

const OFFERS = Math.min(Number(process.env.BENCH_OFFERS ?? 200), 1000);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
const summary = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(s, 0.5).toFixed(0)} ms, p95 ${percentile(s, 0.95).toFixed(0)} ms, p99 ${percentile(s, 0.99).toFixed(0)} ms, max ${(s.at(-1) ?? 0).toFixed(0)} ms`;
};

const bench = await startBenchApp();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const agent = await bench.staffMember('call_taker');
  const supervisor = await bench.staff('supervisor');
  const call = async (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${bench.base}${url}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  await call('PUT', `/api/v1/routing/workers/${agent.userId}`, supervisor, {
    attributes: { skills: ['analysis', 'public_intake'], languages: ['en'] },
  });

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'America/Chicago', locale: 'en-US' });
  await context.addCookies([{ name: 'sb_session', value: agent.session, url: bench.base }]);
  const page = await context.newPage();
  // Before the app loads: note when each offer's article, and its screen pop's history line, first appear.
  // (Plain JavaScript: it runs in the page.)
  await page.addInitScript({
    content: `
      const seen = {};
      globalThis.__pops = seen;
      new MutationObserver(() => {
        for (const article of document.querySelectorAll('article.offer[data-task]')) {
          const id = article.dataset.task;
          const entry = seen[id] ?? {};
          entry.offer ??= Date.now();
          if (entry.pop === undefined && article.querySelector('p.history')) entry.pop = Date.now();
          seen[id] = entry;
        }
      }).observe(document, { subtree: true, childList: true });`,
  });
  await page.goto(bench.base);
  await page.getByRole('heading', { name: 'My activity' }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Activity', { exact: true }).selectOption('Available');
  await page.getByText('Taking work').waitFor({ timeout: 10_000 });

  const reservedAt = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  bench.routing.subscribe((events) => {
    const now = Date.now();
    for (const e of events)
      if (e.type === 'reservation.created') {
        reservedAt.set(e.taskId, now);
        waiting.get(e.taskId)?.();
      }
  });

  const toOffer: number[] = [];
  const toPop: number[] = [];
  let lost = 0;
  const started = performance.now();
  for (let i = 0; i < OFFERS; i++) {
    const number = `+1 615 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`;
    const created = await call('POST', '/api/v1/routing/tasks', supervisor, {
      attributes: { language: 'en', from: number, line: 'public' },
    });
    const taskId = String(created.id);
    if (!reservedAt.has(taskId)) await new Promise<void>((resolve) => waiting.set(taskId, resolve));
    waiting.delete(taskId);
    // Functions, not strings: the app's Content Security Policy forbids eval in the page.
    const shown = await page
      .waitForFunction((id) => (globalThis as unknown as Pops).__pops[id]?.pop !== undefined, taskId, { timeout: 10_000, polling: 'raf' })
      .then(() => true)
      .catch(() => false);
    const times = await page.evaluate((id) => (globalThis as unknown as Pops).__pops[id], taskId);
    const reserved = reservedAt.get(taskId) ?? Number.NaN;
    if (shown && times?.offer !== undefined && times.pop !== undefined) {
      toOffer.push(times.offer - reserved);
      toPop.push(times.pop - reserved);
    } else lost += 1;
    await call('POST', `/api/v1/routing/tasks/${taskId}/cancel`, supervisor, { reason: 'abandoned' });
    await page.waitForFunction(
      () => (globalThis as unknown as OfferCount).document.querySelectorAll('article.offer').length === 0,
      undefined,
      {
        timeout: 10_000,
      },
    );
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${OFFERS} offers to one agent's desktop in Chromium (${bench.databaseKind} PostgreSQL, Node ${process.version}, ${os.cpus().length} cores), ${seconds.toFixed(1)} s`,
  );
  console.log(`reservation → offer rendered:                 ${summary(toOffer)}`);
  console.log(`reservation → screen pop complete (history):  ${summary(toPop)}  (goal p95 < 250 ms)`);
  console.log(`offers not shown within 10 s: ${lost}`);
  await context.close();
} finally {
  await browser.close();
  await bench.close();
}
