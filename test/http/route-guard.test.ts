import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAccessGuard } from '../../src/http/access-guard.js';
import { installErrorHandling } from '../../src/http/error-handler.js';
import type { AnyRoute } from '../../src/http/route.js';
import { buildTestApp } from '../support/app.js';
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
  'POST /api/partner/v1/oauth/token',
]);

let db: TestDatabase;
let app: FastifyInstance;
let routes: AnyRoute[];

beforeAll(async () => {
  db = await createTestDatabase();
  ({ app, routes } = await buildTestApp(db));
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

const concrete = (url: string) => url.replace(/:(\w+)/g, 'x');

describe('every route is guarded', () => {
  it('public routes are exactly health, readiness, metrics, the API description, sign-in and the token endpoint', () => {
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
