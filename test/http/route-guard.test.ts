import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAccessGuard } from '../../src/http/access-guard.js';
import { installErrorHandling } from '../../src/http/error-handler.js';
import type { AnyRoute } from '../../src/http/route.js';
import { PUBLIC_BODY_LIMIT, WEBHOOK_BODY_LIMIT } from '../../src/http/route.js';
import { buildTestApp, enrollAs, loadTestAgencies, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /api/openapi.json',
  'POST /api/v1/auth/sign-in',
  'POST /api/v1/auth/sign-in/both-factors',
  'POST /api/v1/auth/second-factor',
  'POST /api/v1/auth/enrollment/password',
  'POST /api/v1/auth/enrollment/confirm',
  'POST /api/v1/auth/unlock',
  // Single sign-on (issue #21): whether it is on, the redirect to the identity provider, and its return.
  'GET /api/v1/auth/oidc',
  'GET /api/v1/auth/oidc/start',
  'GET /api/v1/auth/oidc/callback',
  'POST /api/partner/v1/oauth/token',
]);

let db: TestDatabase;
let t: TestApp;
let app: FastifyInstance;
let routes: AnyRoute[];
let base: URL;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadTestAgencies(db);
  t = await buildTestApp(db);
  ({ app, routes } = t);
  base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

const concrete = (url: string) => url.replace(/:(\w+)/g, 'x');

describe('every route is guarded', () => {
  it('public routes are exactly health, readiness, metrics, the API description, sign-in (single sign-on included) and the token endpoint', () => {
    const publicRoutes = routes.filter((r) => 'public' in r.access).map((r) => `${r.method} ${r.url}`);
    expect(new Set(publicRoutes)).toEqual(PUBLIC);
  });

  it('every other route answers 401 to a request without credentials', async () => {
    const protectedRoutes = routes.filter((r) => !('public' in r.access) && !('webhook' in r.access));
    expect(protectedRoutes.length).toBeGreaterThan(0);
    for (const route of protectedRoutes) {
      const res = await app.inject({ method: route.method, url: concrete(route.url), ...(route.method === 'GET' ? {} : { payload: {} }) });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
    }
  });

  it('provider webhooks refuse a request without the provider’s signature (403)', async () => {
    const webhooks = routes.filter((r) => 'webhook' in r.access);
    expect(webhooks.map((r) => r.url)).toContain('/api/telephony/twilio/voice');
    for (const route of webhooks) {
      const res = await app.inject({ method: route.method, url: concrete(route.url), payload: { CallSid: 'CA1' } });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(403);
    }
  });

  // Bodies that cost work, or fail, if they are read: any answer but 401/403 means the guard did not come first.
  const deepXml = `<PartnerSubmission xmlns="urn:switchboard:partner:1">${'<a>'.repeat(36_000)}`;
  const hostile: { name: string; type: string; payload: string | Buffer }[] = [
    { name: 'XML nested 36,000 deep', type: 'application/xml', payload: deepXml },
    { name: 'JSON nested 100,000 deep', type: 'application/json', payload: '['.repeat(100_000) },
    {
      name: 'JSON that is not UTF-8',
      type: 'application/json',
      payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    },
    { name: 'JSON with NUL and a lone surrogate', type: 'application/json', payload: '{"a":"\\u0000","b":"\\ud800"}' },
    { name: 'bad JSON', type: 'application/json', payload: '{"a":' },
    { name: 'an empty JSON body', type: 'application/json', payload: '' },
    { name: 'CSV', type: 'text/csv', payload: 'a,b\n"1,2\n' },
    { name: 'a form', type: 'application/x-www-form-urlencoded', payload: 'a=%00&b=%ff' },
    { name: 'raw bytes', type: 'application/octet-stream', payload: Buffer.alloc(1024, 0xff) },
    { name: '12 MB of JSON, over every body limit', type: 'application/json', payload: Buffer.alloc(12_000_000, 0x5b) },
  ];
  const guarded = () => routes.filter((r) => !('public' in r.access) && !('webhook' in r.access));

  it('anonymous requests with hostile bodies get 401 unauthenticated on every guarded route, before the body is read', async () => {
    expect(guarded().length).toBeGreaterThan(100);
    for (const route of guarded()) {
      for (const body of hostile) {
        const res = await app.inject({
          method: route.method,
          url: concrete(route.url),
          headers: { 'content-type': body.type },
          payload: body.payload,
        });
        expect(res.statusCode, `${route.method} ${route.url} with ${body.name}`).toBe(401);
        expect(res.json().error.code, `${route.method} ${route.url} with ${body.name}`).toBe('unauthenticated');
      }
    }
  });

  it('a signed-in caller without the CSRF token, or without the permission, is refused (403) before the body is read', async () => {
    const partner = await enrollAs(t, 'partner_officer');
    const sessionChanges = guarded().filter((r) => r.method !== 'GET' && !('via' in r.access && r.access.via !== 'session'));
    expect(sessionChanges.length).toBeGreaterThan(50);
    for (const route of sessionChanges) {
      for (const body of hostile) {
        const noCsrf = await app.inject({
          method: route.method,
          url: concrete(route.url),
          headers: { cookie: partner.cookie, 'content-type': body.type },
          payload: body.payload,
        });
        expect(noCsrf.statusCode, `${route.method} ${route.url} with ${body.name}`).toBe(403);
        expect(noCsrf.json().error.code).toBe('csrf_failed');
      }
    }
    // Staff routes a partner officer may not use: 403 forbidden whatever the body.
    const staffOnly = await app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: { ...partner.headers, 'content-type': 'application/xml' },
      payload: deepXml,
    });
    expect(staffOnly.statusCode).toBe(403);
    expect(staffOnly.json().error.code).toBe('forbidden');
  });

  it('answers 401 while the announced body has not even been sent (a real socket: the guard does not wait for it)', async () => {
    for (const route of guarded().filter((r) => r.method !== 'GET')) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(base.port), base.hostname);
        let received = '';
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`${route.method} ${route.url}: no answer while the body was withheld`));
        }, 10_000);
        socket.on('data', (chunk) => {
          received += String(chunk);
          if (received.includes('\r\n\r\n')) {
            clearTimeout(timer);
            socket.destroy();
            resolve(received.split('\r\n')[0] ?? '');
          }
        });
        socket.on('error', reject);
        // Headers only: a megabyte is announced and never sent.
        socket.write(
          `${route.method} ${concrete(route.url)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/xml\r\nContent-Length: 1000000\r\n\r\n`,
        );
      });
      expect(answer, `${route.method} ${route.url}`).toBe('HTTP/1.1 401 Unauthorized');
    }
  });

  it('public routes, which anyone may call, read at most 16 KB (413 past it)', async () => {
    const publicWithBody = routes.filter((r) => 'public' in r.access && r.method !== 'GET');
    expect(publicWithBody.map((r) => r.url)).toContain('/api/v1/auth/sign-in');
    for (const route of publicWithBody) {
      const res = await app.inject({
        method: route.method,
        url: route.url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ username: 'x'.repeat(PUBLIC_BODY_LIMIT) }),
      });
      expect(res.statusCode, route.url).toBe(413);
      expect(res.json().error.code).toBe('payload_too_large');
    }
  });

  it('provider webhooks refuse anything but a form unread (403), and read at most a small form', async () => {
    const webhooks = routes.filter((r) => 'webhook' in r.access);
    for (const route of webhooks) {
      for (const body of hostile.filter((b) => b.type !== 'application/x-www-form-urlencoded')) {
        const res = await app.inject({
          method: route.method,
          url: concrete(route.url),
          headers: { 'content-type': body.type },
          payload: body.payload,
        });
        expect(res.statusCode, `${route.url} with ${body.name}`).toBe(403);
      }
      const big = await app.inject({
        method: route.method,
        url: concrete(route.url),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `CallSid=${'x'.repeat(WEBHOOK_BODY_LIMIT)}`,
      });
      expect(big.statusCode).toBe(413);
      const unsigned = await app.inject({
        method: route.method,
        url: concrete(route.url),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'CallSid=CA1',
      });
      expect(unsigned.statusCode).toBe(403);
    }
  });

  it('every refusal of a signed-in caller is audited, as before the guard moved to onRequest', async () => {
    const officer = await enrollAs(t, 'partner_officer');
    const before = await db.db
      .selectFrom('audit_events')
      .select(db.db.fn.countAll<string>().as('n'))
      .where('outcome', '=', 'denied')
      .executeTakeFirstOrThrow();
    await app.inject({ method: 'POST', url: '/api/v1/intake', headers: officer.headers, payload: {} });
    await app.inject({ method: 'POST', url: '/api/v1/intake', headers: { cookie: officer.cookie }, payload: {} });
    const after = await db.db
      .selectFrom('audit_events')
      .select(db.db.fn.countAll<string>().as('n'))
      .where('outcome', '=', 'denied')
      .executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(2);
  });

  it('the docs page is reachable; nothing else is public', async () => {
    const docs = await app.inject({ method: 'GET', url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('refuses to start with a route that declares no access rule', async () => {
    const bare = Fastify();
    installErrorHandling(bare);
    installAccessGuard(bare, { authenticate: async () => null, permissions: () => new Map() });
    expect(() => bare.get('/api/v1/oops', async () => ({ leaked: true }))).toThrow(/declares no access rule/);
    await bare.close();
  });

  it('hides internals of unknown errors behind a 500 with a request id', async () => {
    const bare = Fastify();
    installErrorHandling(bare);
    installAccessGuard(bare, { authenticate: async () => null, permissions: () => new Map() });
    bare.get('/boom', { config: { access: { public: true, reason: 'test' } } }, async () => {
      throw new Error('relation "persons" violates constraint: Key (a_number)=(123456789)');
    });
    const res = await bare.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('internal');
    expect(res.body).not.toContain('123456789');
    expect(res.body).not.toContain('persons');
    expect(res.json().error.requestId).toBeTruthy();
    await bare.close();
  });

  it('maps a plugin’s client errors (http-errors, expose: true) to our codes; anything not exposed stays a 500', async () => {
    const bare = Fastify();
    installErrorHandling(bare);
    installAccessGuard(bare, { authenticate: async () => null, permissions: () => new Map() });
    const access = { access: { public: true as const, reason: 'test' } };
    bare.get('/range', { config: access }, async () => {
      throw Object.assign(new Error('Range Not Satisfiable'), { statusCode: 416, expose: true });
    });
    bare.get('/forbidden', { config: access }, async () => {
      throw Object.assign(new Error('Forbidden'), { statusCode: 403, expose: true });
    });
    bare.get('/hidden', { config: access }, async () => {
      throw Object.assign(new Error('ENOENT /srv/secret/path'), { statusCode: 404, expose: false });
    });
    const range = await bare.inject({ method: 'GET', url: '/range' });
    expect([range.statusCode, range.json().error.code]).toEqual([400, 'malformed_request']);
    const forbidden = await bare.inject({ method: 'GET', url: '/forbidden' });
    expect([forbidden.statusCode, forbidden.json().error.code]).toEqual([403, 'forbidden']);
    const hidden = await bare.inject({ method: 'GET', url: '/hidden' });
    expect([hidden.statusCode, hidden.json().error.code]).toEqual([500, 'internal']);
    expect(hidden.body).not.toContain('/srv/secret');
    await bare.close();
  });

  it('answers bad JSON, wrong content types, oversized and poisoned bodies with stable 4xx codes', async () => {
    const bare = Fastify({ bodyLimit: 1024, onProtoPoisoning: 'error' });
    installErrorHandling(bare);
    installAccessGuard(bare, { authenticate: async () => null, permissions: () => new Map() });
    bare.post('/echo', { config: { access: { public: true, reason: 'test' } } }, async (request) => ({ got: request.body }));
    const send = (payload: string, type = 'application/json') =>
      bare.inject({ method: 'POST', url: '/echo', headers: { 'content-type': type }, payload });
    const badJson = await send('{"a":');
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.code).toBe('malformed_request');
    const wrongType = await send('a=1', 'application/x-www-form-urlencoded');
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json().error.code).toBe('unsupported_media_type');
    const tooLarge = await send(JSON.stringify({ text: 'x'.repeat(5000) }));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.code).toBe('payload_too_large');
    const poisoned = await send('{"__proto__":{"isAdmin":true}}');
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json().error.code).toBe('malformed_request');
    await bare.close();
  });
});
