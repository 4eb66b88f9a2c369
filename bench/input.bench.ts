/**
 * What a hostile body costs the server (issue "Hardening"): the review's XML
 * body (108 KB, 36,000 nested elements) sent anonymously and with a valid
 * partner token over loopback HTTP, /healthz latency while four such streams
 * run, and the in-process cost of the worst bodies of the largest accepted
 * size (XML 128 KiB, JSON 1 MiB). Bounded: BENCH_REQUESTS (default 200, at
 * most 2,000) per measurement.
 *
 *   npm run bench:input
 */
import os from 'node:os';
import { MAX_INPUT_DEPTH } from '../src/contracts/common.js';
import { jsonNestsDeeperThan } from '../src/http/body-parsers.js';
import { applyTextRules } from '../src/http/input-text.js';
import { MAX_XML_BYTES, readSubmissionXml } from '../src/http/xml-submission.js';
import { startBenchApp } from './bench-app.js';
import { median } from './support.js';

const REQUESTS = Math.min(Number(process.env.BENCH_REQUESTS ?? 200), 2_000);

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;
const figures = (values: number[]) =>
  `median ${median(values).toFixed(2)} ms, p99 ${percentile(values, 0.99).toFixed(2)} ms, max ${Math.max(...values).toFixed(2)} ms (n=${values.length})`;

const OPEN = '<PartnerSubmission xmlns="urn:switchboard:partner:1">';
const reviewBody = `${OPEN}${'<a>'.repeat(36_000)}`;

/** In-process: the median of 21 runs of `work`, after 5 to warm up. */
function timeOf(work: () => void): number {
  for (let i = 0; i < 5; i++) work();
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return median(times);
}

const server = await startBenchApp();
try {
  const post = async (headers: Record<string, string>) => {
    const started = performance.now();
    const res = await fetch(`${server.base}/api/partner/v1/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', ...headers },
      body: reviewBody,
    });
    await res.arrayBuffer();
    return { ms: performance.now() - started, status: res.status };
  };
  const token = await server.partner('TX0312100', ['submissions:write']);

  console.log(
    `${server.databaseKind} PostgreSQL, Node ${process.version}, ${os.cpus().length} cores; the review's body: ${reviewBody.length} bytes, 36,000 open elements`,
  );
  for (const [who, headers] of [
    ['anonymous', {}],
    ['partner token', token],
  ] as const) {
    const times: number[] = [];
    const statuses = new Set<number>();
    for (let i = 0; i < REQUESTS; i++) {
      const r = await post(headers);
      times.push(r.ms);
      statuses.add(r.status);
    }
    console.log(`${who}: ${[...statuses].join('/')} — ${figures(times)} per request, round trip over loopback`);
  }

  // Four anonymous streams of the review's body while /healthz is asked, one request at a time.
  let running = true;
  const streams = Array.from({ length: 4 }, async () => {
    while (running) await post({});
  });
  const health: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const res = await fetch(`${server.base}/healthz`);
    await res.arrayBuffer();
    health.push(performance.now() - started);
  }
  running = false;
  await Promise.all(streams);
  console.log(`/healthz during four anonymous streams: ${figures(health)}`);

  const xmlCases: Record<string, string> = {
    'text dense with entity references': `${OPEN}<ActivityDescriptionText>${'a&amp;b '.repeat(16_000)}</ActivityDescriptionText></PartnerSubmission>`,
    'character references': `${OPEN}<ActivityDescriptionText>${'&#233;'.repeat(21_000)}</ActivityDescriptionText></PartnerSubmission>`,
    'one comment': `${OPEN}<!--${'x'.repeat(MAX_XML_BYTES - 100)}--></PartnerSubmission>`,
    'elements until the cap': `${OPEN}${'<x/>'.repeat(30_000)}</PartnerSubmission>`,
    'attributes until the cap': `${OPEN.slice(0, -1)} ${Array.from({ length: 10_000 }, (_, i) => `a${i}="1"`).join(' ')}></PartnerSubmission>`,
    'the review body (108 KB)': reviewBody,
  };
  console.log(`XML, in process, bodies cut to the ${MAX_XML_BYTES}-byte limit (median of 21):`);
  for (const [name, xml] of Object.entries(xmlCases)) {
    const bytes = Buffer.from(xml).subarray(0, MAX_XML_BYTES);
    const result = readSubmissionXml(bytes);
    const outcome = result.ok ? 'read' : (result.issues.at(-1)?.code ?? '');
    console.log(`  ${name}: ${timeOf(() => readSubmissionXml(bytes)).toFixed(2)} ms (${outcome})`);
  }

  const names = Array.from({ length: 45_000 }, (_, i) => `"Jose\u0301 María ${i} Núñez"`).join(',');
  const jsonCases: Record<string, string> = {
    '1 MiB of short strings needing NFC': `{"data":[${names}]}`.slice(0, 1_048_000).replace(/,"[^"]*$/, ']}'),
    '1 MiB of one string': `{"narrative":"${'x'.repeat(1_048_000)}"}`,
  };
  console.log('JSON, in process: depth scan + JSON.parse + text rules (median of 21):');
  for (const [name, text] of Object.entries(jsonCases)) {
    const ms = timeOf(() => {
      if (jsonNestsDeeperThan(text, MAX_INPUT_DEPTH)) throw new Error('too deep');
      applyTextRules(JSON.parse(text), 'body');
    });
    console.log(`  ${name} (${text.length} bytes): ${ms.toFixed(2)} ms`);
  }
} finally {
  await server.close();
}
