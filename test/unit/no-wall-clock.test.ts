import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/storage/paths.js';

/**
 * No test may depend on when it runs: tests run on the injected test clock (test/support/app.ts), and the web app
 * runs on the server's clock (web/src/server-clock.ts). This scan fails, naming file and line, on any read of the
 * machine's clock in test/ or web/src. Elapsed time is measured with performance.now(), which is monotonic and says
 * nothing about the date. A read that must stay is listed in ALLOWED with the reason.
 */

type Read = { label: string; pattern: RegExp };

const READS: Read[] = [
  { label: 'Date.now', pattern: /\bDate\.now\b/ },
  { label: 'new Date() with no arguments', pattern: /\bnew\s+Date\s*(\(\s*\)|(?![\s(]))/ },
  { label: 'Date() called as a function (the time now, as text)', pattern: /(?<!\bnew\s+)(?<![\w.$])Date\s*\(\s*\)/ },
  { label: 'performance.timeOrigin (the wall-clock time the process started)', pattern: /\bperformance\.timeOrigin\b/ },
  { label: 'Temporal.Now', pattern: /\bTemporal\.Now\b/ },
  {
    label: "the database's clock in SQL",
    pattern:
      /(?<![\w.$])(now\s*\(\s*\)|(current_date|current_time|current_timestamp|localtime|localtimestamp|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday)\b)/i,
  },
];

/** Reads that stay, each with why. Keyed by file and label; an entry that matches nothing fails the scan too. */
const ALLOWED: { file: string; label: string; why: string }[] = [
  {
    file: 'test/system/call-survives-node.test.ts',
    label: "the database's clock in SQL",
    why: "a supervisor's tool joining a cluster of real-time node processes must act on their clock (the database's), or its offers time out at their next tick; no date matters",
  },
  {
    file: 'web/src/server-clock.ts',
    label: 'Date.now',
    why: "the web app's one read of the browser's clock, used only to carry the server's time forward between answers",
  },
];

const SCANNED_DIRS = ['test', 'web/src'];
const CODE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
/** This file holds examples of every read, to test the patterns. */
const SELF = 'test/unit/no-wall-clock.test.ts';

type Hit = { file: string; line: number; label: string; text: string };

function wallClockReads(file: string, source: string): Hit[] {
  const hits: Hit[] = [];
  source.split('\n').forEach((text, index) => {
    for (const read of READS) if (read.pattern.test(text)) hits.push({ file, line: index + 1, label: read.label, text: text.trim() });
  });
  return hits;
}

function scannedFiles(): string[] {
  const root = packageRoot();
  return SCANNED_DIRS.flatMap((dir) =>
    readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .map((name) => path.posix.join(dir, name.split(path.sep).join('/')))
      .filter((file) => CODE.test(file) && file !== SELF && !file.includes('node_modules/')),
  );
}

describe('no test and no page reads the machine’s clock', () => {
  it('finds no read of the wall clock in test/ or web/src beyond the allowed ones, and every allowed one is still there', () => {
    const files = scannedFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('test/unit/config.test.ts');
    expect(files).toContain('web/src/Desktop.tsx');
    const hits = files.flatMap((file) => wallClockReads(file, readFileSync(path.join(packageRoot(), file), 'utf8')));
    const allowed = (h: Hit) => ALLOWED.some((a) => a.file === h.file && a.label === h.label);
    expect(
      hits.filter((h) => !allowed(h)).map((h) => `${h.file}:${h.line}: ${h.label}: ${h.text}`),
      'use the test clock (test/support/app.ts), realTimeClockFrom for real-time peers, performance.now() for elapsed time, or serverNow() in web/src',
    ).toEqual([]);
    const unused = ALLOWED.filter((a) => !hits.some((h) => h.file === a.file && h.label === a.label));
    expect(unused, 'allowed reads that are no longer there: remove them from ALLOWED').toEqual([]);
  });

  it('recognises each kind of read, and not a given time, elapsed time or the app’s clocks', () => {
    const labels = (line: string) => wallClockReads('x.ts', line).map((h) => h.label);
    expect(labels('const started = Date.now();')).toEqual(['Date.now']);
    expect(labels('clock: Date.now,')).toEqual(['Date.now']);
    expect(labels('clock: () => new Date(),')).toEqual(['new Date() with no arguments']);
    expect(labels('const d = new Date;')).toEqual(['new Date() with no arguments']);
    expect(labels('const text = Date();')).toEqual(['Date() called as a function (the time now, as text)']);
    expect(labels('const origin = performance.timeOrigin;')).toEqual(['performance.timeOrigin (the wall-clock time the process started)']);
    expect(labels('const today = Temporal.Now.plainDateISO();')).toEqual(['Temporal.Now']);
    expect(labels('sql`INSERT INTO t (at) VALUES (now())`')).toEqual(["the database's clock in SQL"]);
    expect(labels('SELECT CURRENT_DATE')).toEqual(["the database's clock in SQL"]);
    expect(labels("WHERE at > current_timestamp - interval '1 day'")).toEqual(["the database's clock in SQL"]);

    for (const fine of [
      "testClock(new Date('2026-11-29T15:00:00Z'))",
      'new Date(now.getTime() + 3_600_000)',
      'new Date(Date.UTC(2026, 10, 29))',
      'Date.parse(dueAt)',
      'const deadline = performance.now() + timeoutMs;',
      'const at = serverNow();',
      't.clock.now.toISOString()',
      'clock.now()',
      'const updateDate = () => 1;',
    ])
      expect(labels(fine), fine).toEqual([]);
  });
});
