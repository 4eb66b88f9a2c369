/**
 * The 5xx hunt at scale: requests generated from /api/openapi.json over every
 * operation (bench/openapi-fuzz.ts), anonymous, as staff of several roles and
 * as a partner system, sent over loopback HTTP to the real server on its own
 * embedded PostgreSQL. Prints the count of 5xx (the goal is 0), the status
 * distribution and the first 5xx found. Bounded: at most FUZZ_REQUESTS
 * (default 20,000, at most 100,000) and FUZZ_SECONDS (default 600).
 *
 *   npm run bench:fuzz
 *   FUZZ_SEED=7 FUZZ_REQUESTS=5000 npm run bench:fuzz
 */
import http from 'node:http';
import os from 'node:os';
import type { Role } from '../src/domain/access/access-control.js';
import { startBenchApp } from './bench-app.js';
import { type FuzzRequest, fuzzRequests, type Identity, type OpenApiDocument, roleMay, runFuzz } from './openapi-fuzz.js';

const COUNT = Math.min(Number(process.env.FUZZ_REQUESTS ?? 20_000), 100_000);
const SECONDS = Math.min(Number(process.env.FUZZ_SECONDS ?? 600), 1_800);
const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const CONCURRENCY = 4;

const server = await startBenchApp();
try {
  const base = new URL(server.base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  /** node:http, not fetch: the path goes on the wire exactly as generated (fetch would normalise it). */
  const send = (r: FuzzRequest) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.payload !== undefined) headers['content-length'] = Buffer.byteLength(r.payload);
      let request: http.ClientRequest;
      try {
        request = http.request({ host: base.hostname, port: base.port, path: r.url, method: r.method, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        });
      } catch {
        // Node itself refuses to send it (a character HTTP does not allow in a path): no answer to count.
        resolve({ status: 0, body: 'not sent' });
        return;
      }
      request.on('error', (error) => resolve({ status: 0, body: `connection error: ${error.message}` }));
      request.end(r.payload);
    });

  const doc = (await (await fetch(`${server.base}/api/openapi.json`)).json()) as OpenApiDocument;
  const identities: Identity[] = [{ name: 'anonymous', proves: 'none', headers: {} }];
  for (const role of [
    'admin',
    'supervisor',
    'analyst',
    'legal_reviewer',
    'uac_specialist',
    'auditor',
    'partner_officer',
  ] satisfies Role[]) {
    identities.push({
      name: role,
      proves: 'session',
      headers: await server.staff(role),
      may: roleMay(server.routes, server.identity.permissions, role),
    });
  }
  identities.push({
    name: 'partner',
    proves: 'partnerToken',
    headers: await server.partner('TX0312100', ['submissions:write', 'submissions:read', 'agency:read', 'requests:respond']),
  });
  const requests = fuzzRequests(doc, { seed: SEED, count: COUNT, identities, exclude: (op) => /\/auth\/(sign-out|lock)/.test(op.path) });
  const started = performance.now();
  const report = await runFuzz(requests, send, { concurrency: CONCURRENCY, deadlineMs: SECONDS * 1000 });
  const seconds = (performance.now() - started) / 1000;
  const byStatus = Object.entries(report.byStatus)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  console.log(
    `${server.databaseKind} PostgreSQL, Node ${process.version}, ${os.cpus().length} cores; seed ${SEED}, concurrency ${CONCURRENCY}, ${new Set(requests.map((r) => r.operation)).size} operations, ${identities.length} identities`,
  );
  console.log(
    `sent ${report.sent} of ${requests.length} requests in ${seconds.toFixed(1)} s (${(report.sent / seconds).toFixed(0)}/s)${report.stoppedEarly ? ' — stopped at the time bound' : ''}`,
  );
  console.log(`by status: ${byStatus}`);
  console.log(`5xx: ${report.serverErrors.length}`);
  for (const e of report.serverErrors.slice(0, 10)) {
    const payload =
      e.request.payload === undefined
        ? ''
        : ` ${String(e.request.headers['content-type'])} ${JSON.stringify(String(e.request.payload).slice(0, 300))}`;
    console.log(`  ${e.status} ${e.request.identity} ${e.request.method} ${e.request.url.slice(0, 160)}${payload} → ${e.body}`);
  }
  agent.destroy();
  process.exitCode = report.serverErrors.length > 0 ? 1 : 0;
} finally {
  await server.close();
}
