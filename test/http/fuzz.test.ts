import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRequests, type Identity, type OpenApiDocument, roleMay, runFuzz } from '../../bench/openapi-fuzz.js';
import { buildTestApp, enrollAs, loadTestAgencies, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Never a 5xx for input: 2,000 requests generated from the OpenAPI document
 * (seeded, so a failure replays), over every operation, anonymous, as an admin
 * and other staff roles and as a partner system, against the real app on its database. The 20,000
 * run is `npm run bench:fuzz` (BENCHMARKS.md).
 */

const SEED = 20261205;
const COUNT = 2_000;

let db: TestDatabase;
let t: TestApp;
let identities: Identity[];

beforeAll(async () => {
  db = await createTestDatabase();
  await loadTestAgencies(db);
  t = await buildTestApp(db);
  const admin = await enrollAs(t, 'admin');
  const client = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/partner-clients',
    headers: admin.headers,
    payload: { agencyOri: 'TX0312100', name: 'RMS', scopes: ['submissions:write', 'submissions:read', 'agency:read', 'requests:respond'] },
  });
  expect(client.statusCode, client.body).toBe(201);
  const issued = await t.app.inject({
    method: 'POST',
    url: '/api/partner/v1/oauth/token',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.json().client.clientId}:${client.json().clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: 'grant_type=client_credentials',
  });
  expect(issued.statusCode, issued.body).toBe(200);
  // The admin manages accounts and clients only (separation of duties): other staff roles reach the case work.
  // Each is sent mostly where its role holds the route's permission.
  const staff: Identity[] = [];
  for (const role of ['admin', 'supervisor', 'analyst', 'legal_reviewer', 'uac_specialist', 'auditor', 'partner_officer'] as const) {
    const signedIn = role === 'admin' ? admin : await enrollAs(t, role);
    staff.push({ name: role, proves: 'session', headers: signedIn.headers, may: roleMay(t.routes, t.identity.permissions, role) });
  }
  identities = [
    { name: 'anonymous', proves: 'none', headers: {} },
    ...staff,
    { name: 'partner', proves: 'partnerToken', headers: { authorization: `Bearer ${issued.json().access_token}` } },
  ];
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('the API under generated hostile requests', () => {
  it(`answers ${COUNT} seeded requests over every operation without a single 5xx`, async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as OpenApiDocument;
    const requests = fuzzRequests(doc, {
      seed: SEED,
      count: COUNT,
      identities,
      // Ending the admin's own session would leave the rest of the run anonymous.
      exclude: (op) => /\/auth\/(sign-out|lock)/.test(op.path),
    });
    expect(requests.length).toBe(COUNT);
    const operations = new Set(requests.map((r) => r.operation));
    expect(operations.size).toBeGreaterThan(100);
    const report = await runFuzz(
      requests,
      async (r) => {
        const res = await t.app.inject({
          method: r.method as 'GET',
          url: r.url,
          headers: r.headers,
          ...(r.payload !== undefined ? { payload: r.payload } : {}),
        });
        return { status: res.statusCode, body: res.body };
      },
      { concurrency: 4, deadlineMs: 240_000 },
    );
    console.log(`fuzz: ${report.sent} requests, ${operations.size} operations, by status ${JSON.stringify(report.byStatus)}`);
    expect(report.stoppedEarly).toBe(false);
    expect(report.sent).toBe(COUNT);
    expect(
      report.serverErrors.map((e) => `${e.status} ${e.request.identity} ${e.request.method} ${e.request.url.slice(0, 120)}: ${e.body}`),
    ).toEqual([]);
    // Requests got past the guard to validation and handlers: the run is not 2,000 refusals.
    expect(Object.entries(report.byStatus).some(([status, n]) => status.startsWith('2') && n > 50)).toBe(true);
  });
});

describe('5xx the fuzz runs found, fixed at their root', () => {
  it('a protection rule that ends before it takes effect is a 400 naming the field (it was a CHECK violation: 500)', async () => {
    const legal = await enrollAs(t, 'legal_reviewer');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/protection-rules',
      headers: legal.headers,
      payload: {
        name: 'Synthetic order',
        reference: 'Doe v. Synthetic (S.D. Tex.)',
        condition: { all: [{ attribute: 'nationality', op: 'in', values: ['GT'] }] },
        effectiveFrom: '2026-06-01',
        effectiveUntil: '2026-05-31',
      },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.issues).toEqual([expect.objectContaining({ path: 'body.effectiveUntil' })]);
  });
});
