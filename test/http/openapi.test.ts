import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let app: FastifyInstance;
let routes: AnyRoute[];
let registered: { method: string; url: string }[];

beforeAll(async () => {
  db = await createTestDatabase();
  ({ app, routes, registered } = await buildTestApp(db));
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

type OpenApiDoc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
  components?: { schemas?: Record<string, unknown> };
};

async function fetchDoc(): Promise<OpenApiDoc> {
  const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Every $ref must point at a schema that exists in the document. */
function danglingRefs(doc: OpenApiDoc): string[] {
  const refs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') refs.push(value);
        else walk(value);
      }
    }
  };
  walk(doc.paths);
  const schemas = doc.components?.schemas ?? {};
  return refs.filter((ref) => !(ref.startsWith('#/components/schemas/') && ref.slice('#/components/schemas/'.length) in schemas));
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3 document (checked against the OpenAPI JSON schema)', async () => {
    const doc = await fetchDoc();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route the server registers', async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(doc.info.title).toBe('Switchboard API');
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([url, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${url.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    // Everything Fastify serves, whoever registered it, except the docs UI's own assets and automatic HEADs.
    const served = registered.filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/api/docs')).map((r) => `${r.method} ${r.url}`);
    expect(served.length).toBe(routes.length);
    for (const route of served) expect(documented, route).toContain(route);
    expect(documented.size).toBe(served.length);
  });

  it('documents errors, security and schemas without dangling references', async () => {
    const doc = await fetchDoc();
    expect(danglingRefs(doc)).toEqual([]);
    const queues = doc.paths['/api/v1/queues']?.get;
    expect(Object.keys(queues?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '500']));
    expect(queues?.security).toEqual([{ session: [] }]);
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
  });
});
