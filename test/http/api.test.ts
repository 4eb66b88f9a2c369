import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZErrorResponse } from '../../src/contracts/common.js';
import { loadMigrations } from '../../src/storage/migrator.js';
import { buildTestApp, enrollAs, loadTestAgencies, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let app: FastifyInstance;
let logLines: string[];
let t: TestApp;
const sessions = new Map<string, { cookie: string }>();
const asRole = (role: 'analyst' | 'call_taker' | 'supervisor' | 'auditor' | 'partner_officer') => ({
  cookie: sessions.get(role)?.cookie ?? '',
});

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  ({ app, logLines } = t);
  await loadTestAgencies(db);
  for (const role of ['analyst', 'call_taker', 'supervisor', 'auditor', 'partner_officer'] as const)
    sessions.set(role, await enrollAs(t, role));
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

const errorOf = (body: string) => ZErrorResponse.parse(JSON.parse(body)).error;

describe('health and readiness', () => {
  it('answers liveness and readiness with a request id', async () => {
    const live = await app.inject({ method: 'GET', url: '/healthz' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    expect(live.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    // One process without cluster options fires its own timers: it leads, under no lease.
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok' },
      routing: { node: null, role: 'leader', epoch: null },
    });
  });

  it('is not ready while a migration the code knows is not applied', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-mig-'));
    writeFileSync(path.join(dir, '9100_future.sql'), 'SELECT 1;');
    const other = await buildTestApp(db, { extraMigrations: loadMigrations(dir) });
    try {
      const ready = await other.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.migrations).toBe('pending');
    } finally {
      await other.app.close();
    }
  });

  it('keeps a caller-supplied request id when it is well-formed, and replaces one that is not', async () => {
    const kept = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'carrier-call-0001' } });
    expect(kept.headers['x-request-id']).toBe('carrier-call-0001');
    const replaced = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    // A fresh UUID in its place (not "does not contain 'bad'": a random UUID's hex holds "bad" about once in 150 runs).
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(replaced.headers['x-request-id']).not.toContain('with newline');
  });

  it('exposes Prometheus metrics labelled by route pattern', async () => {
    await app.inject({ method: 'GET', url: '/api/v1/field-offices/resolve?state=TX&county=Harris', headers: asRole('analyst') });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('switchboard_http_requests_total{method="GET",route="/api/v1/field-offices/resolve",status="200"}');
    expect(metrics.body).not.toContain('Harris');
  });
});

describe('reference routes', () => {
  it('list the field offices and queues to staff with the permission', async () => {
    const offices = await app.inject({ method: 'GET', url: '/api/v1/field-offices', headers: asRole('call_taker') });
    expect(offices.statusCode).toBe(200);
    expect(offices.json().fieldOffices).toHaveLength(25);
    const queues = await app.inject({ method: 'GET', url: '/api/v1/queues', headers: asRole('supervisor') });
    expect(queues.statusCode).toBe(200);
    expect(queues.json().queues.map((q: { id: string }) => q.id)).toEqual([
      'analysis',
      'legal_review',
      'partner_line',
      'public_line',
      'supervisors',
      'uac_unit',
      'uac_work',
    ]);
    expect(queues.json().queues[3].serviceLevel).toEqual({ seconds: 20, targetPercent: 80 });
  });

  it('resolve the responsible field office', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/field-offices/resolve?state=tx&county=Hidalgo',
      headers: asRole('analyst'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ fieldOffice: { code: 'HLG' }, basis: 'county', confidence: 'confirmed' });
    const missing = await app.inject({ method: 'GET', url: '/api/v1/field-offices/resolve?state=ZZ', headers: asRole('analyst') });
    expect(missing.statusCode).toBe(404);
    expect(errorOf(missing.body).code).toBe('not_found');
  });

  it('answers 401 without credentials and 403 to a role without the permission', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(errorOf(anonymous.body).code).toBe('unauthenticated');
    const auditor = await app.inject({ method: 'GET', url: '/api/v1/queues', headers: asRole('auditor') });
    expect(auditor.statusCode).toBe(403);
    expect(errorOf(auditor.body).code).toBe('forbidden');
    const partner = await app.inject({ method: 'GET', url: '/api/v1/field-offices', headers: asRole('partner_officer') });
    expect(partner.statusCode).toBe(403);
  });
});

describe('errors', () => {
  it('lists every invalid field with its path, code and message', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/field-offices/resolve?state=Texas&county=&color=blue',
      headers: asRole('analyst'),
    });
    expect(res.statusCode).toBe(400);
    const error = errorOf(res.body);
    expect(error.code).toBe('validation_failed');
    const paths = (error.issues ?? []).map((i) => i.path).sort();
    expect(paths).toEqual(['query', 'query.county', 'query.state']);
    expect(error.issues?.find((i) => i.path === 'query')?.message).toContain('color');
    expect(error.requestId).toBe(res.headers['x-request-id']);
  });

  it('authenticates before it validates: an anonymous caller learns nothing about the input', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/field-offices/resolve?state=Texas' });
    expect(res.statusCode).toBe(401);
  });

  it('answers unknown routes with a stable code and without echoing the query', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/nothing-here?x=1' });
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown.body)).toMatchObject({ code: 'not_found', message: 'There is no GET /api/v1/nothing-here here.' });
  });

  it('keeps query strings and personal data out of the logs', async () => {
    await app.inject({
      method: 'GET',
      url: '/api/v1/field-offices/resolve?state=TX&county=Zapata&name=Maria-Lopez-Tzoc',
      headers: asRole('analyst'),
    });
    const text = logLines.join('');
    expect(text).toContain('/api/v1/field-offices/resolve');
    expect(text).not.toContain('Maria-Lopez-Tzoc');
    expect(text).not.toContain('Zapata');
    expect(text).not.toContain('sb_session');
  });
});
