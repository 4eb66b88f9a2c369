import fc from 'fast-check';
import type { PermissionTable, Role } from '../src/domain/access/access-control.js';
import type { AnyRoute } from '../src/http/route.js';

/**
 * Requests generated from the OpenAPI document, for the 5xx hunt: every
 * operation, with values that fit its schemas and hostile ones in their place
 * (NUL, lone surrogates, bidi controls, numbers past every range, deep
 * nesting, wrong types, path parameters that are not what they should be,
 * bytes that are not UTF-8, the wrong content type). Seeded: the same seed
 * gives the same requests. Used by test/http/fuzz.test.ts (a few thousand
 * through inject, in `npm test`) and bench/fuzz.bench.ts (20,000 over loopback).
 */

type Schema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  $ref?: string;
};

type Parameter = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; required?: boolean; schema?: Schema };
type OperationObject = {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: Record<string, unknown>[];
};
export type OpenApiDocument = {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, Schema> };
};

export type Operation = {
  method: string;
  /** The OpenAPI path template, e.g. /api/v1/cases/{id}. */
  path: string;
  parameters: Parameter[];
  body: Schema | undefined;
  /** Which credential the operation names: a staff session, a partner token, or none (public). */
  security: 'session' | 'partnerToken' | 'none';
};

/**
 * A caller: `proves` is the credential it carries, matched against what each operation names; `may`, if given, says
 * whether it holds the operation's permission (so most requests get past the guard to validation and handlers).
 */
export type Identity = {
  name: string;
  proves: 'session' | 'partnerToken' | 'none';
  headers: Record<string, string>;
  may?: (method: string, openApiPath: string) => boolean;
};

export type FuzzRequest = {
  operation: string;
  identity: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
};

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Whether staff of the role hold the permission of an operation, from the route table (`:id` in Fastify is `{id}` in OpenAPI). */
export function roleMay(routes: AnyRoute[], table: PermissionTable, role: Role): (method: string, openApiPath: string) => boolean {
  const permissionOf = new Map(
    routes.map((r) => [`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`, 'permission' in r.access ? r.access.permission : undefined]),
  );
  const held = table.get(role);
  return (method, path) => {
    const permission = permissionOf.get(`${method} ${path}`);
    return permission !== undefined && (held?.has(permission) ?? false);
  };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const content = op.requestBody?.content ?? {};
      const body = Object.values(content)[0]?.schema;
      const named = Object.keys(op.security?.[0] ?? {})[0];
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body,
        security: named === 'session' || named === 'partnerToken' ? named : 'none',
      });
    }
  }
  return operations;
}

/** Strings a well-behaved client never sends. */
const HOSTILE_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\uDBFF',
  'Perez\u202Ezerep',
  '\u2066isolate\u2069',
  'Jose\u0301',
  '',
  ' ',
  '\t\r\n',
  '../../../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '%00',
  '\u0024{jndi:ldap://127.0.0.1/a}',
  '\uFFFE\uFFFF',
  '😀'.repeat(50),
  'x'.repeat(5_000),
  '9'.repeat(400),
  '2026-02-30',
  '0000-00-00T00:00:00Z',
  '+275760-09-13T00:00:00.001Z',
  'NaN',
  '-1',
  '__proto__',
  'constructor',
];
const HOSTILE_NUMBERS = [1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -(2 ** 63), 2 ** 64, 0.5, -0, 1e-320, 4294967296, -1];

const deep = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { __proto__: null }) },
  { weight: 1, arbitrary: fc.constantFrom(deep(40, 'x'), deep(500, 1)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

const BAD_CHARACTERS = ['\u0000', '\uD800', '\uDC00', '\u202E', '\u2066', '\uFFFD', '\u0301'];

/**
 * One leaf of a valid value made hostile, the rest left valid — so the request passes every other check and the
 * hostile value reaches as far into the server as it can: replaced outright, or (a string) with a bad character inside.
 */
function mutateOneLeaf(value: unknown, pick: number, replacement: unknown, insert: string | undefined): unknown {
  if (typeof value !== 'object' || value === null) {
    return insert !== undefined && typeof value === 'string' ? `${value.slice(0, 1)}${insert}${value.slice(1)}` : replacement;
  }
  const copy = structuredClone(value) as Record<string, unknown>;
  const leaves: { parent: Record<string, unknown>; key: string }[] = [];
  const walk = (node: Record<string, unknown>, depth: number) => {
    if (depth > 8) return;
    for (const key of Object.keys(node)) {
      const child = node[key];
      if (typeof child === 'object' && child !== null) walk(child as Record<string, unknown>, depth + 1);
      leaves.push({ parent: node, key });
    }
  };
  walk(copy, 0);
  const leaf = leaves[pick % Math.max(leaves.length, 1)];
  if (!leaf) return replacement;
  const old = leaf.parent[leaf.key];
  leaf.parent[leaf.key] = insert !== undefined && typeof old === 'string' ? `${old.slice(0, 1)}${insert}${old.slice(1)}` : replacement;
  return copy;
}

const oneLeafHostile = (valid: fc.Arbitrary<unknown>) =>
  fc
    .tuple(valid, fc.nat(), hostileValue, fc.option(fc.constantFrom(...BAD_CHARACTERS), { nil: undefined }))
    .map(([value, pick, replacement, insert]) => mutateOneLeaf(value, pick, replacement, insert));

/** A value for the schema: wholly valid (`clean`), or with hostile values at random places (about one in nine). */
function valueFor(schema: Schema | undefined, doc: OpenApiDocument, clean: boolean, depth = 0): fc.Arbitrary<unknown> {
  const valid = validFor(schema, doc, clean, depth);
  return clean ? valid : fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: hostileValue });
}

function resolve(schema: Schema, doc: OpenApiDocument): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split('/').at(-1) ?? '';
  return doc.components?.schemas?.[name] ?? {};
}

function stringFor(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress();
    case 'uri':
      return fc.constantFrom('https://127.0.0.1/hook', 'http://localhost/x', 'ftp://x', 'not a url');
    default:
      break;
  }
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 200));
    } catch {
      // A pattern fast-check cannot generate from: plain strings instead.
    }
  }
  const minLength = schema.minLength ?? 0;
  return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 40, 60)) });
}

function validFor(input: Schema | undefined, doc: OpenApiDocument, clean: boolean, depth: number): fc.Arbitrary<unknown> {
  if (!input) return fc.jsonValue({ maxDepth: 2 });
  const schema = resolve(input, doc);
  const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => (schema.nullable ? fc.option(arb, { nil: null }) : arb);
  if (schema.enum && schema.enum.length > 0) return nullable(fc.constantFrom(...schema.enum));
  if (schema.const !== undefined) return fc.constant(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (union && union.length > 0) return fc.oneof(...union.map((s) => validFor(s, doc, clean, depth)));
  if (schema.allOf && schema.allOf.length > 0) return validFor(schema.allOf[0], doc, clean, depth);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (depth > 6) return fc.constant(null);
  switch (type) {
    case 'string':
      return nullable(stringFor(schema));
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 100_000;
      return nullable(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }));
    }
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 100_000;
      return nullable(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
    }
    case 'boolean':
      return nullable(fc.boolean());
    case 'array':
      return nullable(
        fc.array(valueFor(schema.items, doc, clean, depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 4, 4),
        }),
      );
    case 'object':
    case undefined: {
      if (!schema.properties && type === undefined) return fc.jsonValue({ maxDepth: 2 });
      const properties = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, valueFor(value, doc, clean, depth + 1)])),
        { requiredKeys: (schema.required ?? []).filter((k) => k in properties) },
      );
      const extra =
        schema.additionalProperties === false || schema.additionalProperties === undefined
          ? fc.constant({})
          : fc.dictionary(
              fc.string({ maxLength: 12 }),
              valueFor(schema.additionalProperties === true ? undefined : schema.additionalProperties, doc, clean, depth + 1),
              { maxKeys: 3 },
            );
      // Now and then a field nobody declared.
      const stray = clean ? fc.constant({}) : fc.option(fc.record({ [`unexpected${depth}`]: hostileValue }), { freq: 10, nil: {} });
      return nullable(fc.tuple(record, extra, stray).map(([r, e, s]) => ({ ...e, ...r, ...s })));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Path segments that are not what the route expects, already percent-encoded as a client would put them on the wire. */
const HOSTILE_SEGMENTS = [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '%00',
  '%FF',
  '%ED%A0%80',
  '%E2%80%AE',
  '%2e%2e',
  '-1',
  '1e999',
  'x'.repeat(2_000),
  '%20',
  'a%2Fb',
  '%25',
  '__proto__',
  'C-2026-000001',
  'TX0312100',
];

const encode = (value: unknown): string => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  try {
    return encodeURIComponent(text);
  } catch {
    // A lone surrogate cannot be percent-encoded as UTF-8: send the escape a careless client would.
    return '%ED%A0%80';
  }
};

const BODY_TYPES = [
  'application/json',
  'application/xml',
  'text/csv',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/octet-stream',
];

/** Bodies no schema describes: bytes that are not UTF-8, truncated or deep JSON, numbers JSON cannot hold. */
const RAW_BODIES: (string | Buffer)[] = [
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
  Buffer.from([0xed, 0xa0, 0x80]),
  '{"a":',
  '[]',
  'null',
  '"text"',
  '1e999',
  '{"a":1e999,"b":-1e999}',
  '['.repeat(50_000),
  `${'{"a":'.repeat(33)}1${'}'.repeat(33)}`,
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '<PartnerSubmission xmlns="urn:switchboard:partner:1"><a><a><a><a><a><a><a><a><a><a>',
  'a,b\n"1,2\n',
  '',
];

function requestFor(op: Operation, doc: OpenApiDocument, identities: Identity[]): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const segment = (p: Parameter) =>
    fc.oneof(
      { weight: 4, arbitrary: validFor(p.schema, doc, true, 0).map(encode) },
      { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
    );
  const query = fc.array(
    fc.oneof(
      {
        weight: 6,
        arbitrary:
          queryParams.length > 0
            ? fc
                .constantFrom(...queryParams)
                .chain((p) =>
                  fc
                    .oneof(valueFor(p.schema, doc, true), oneLeafHostile(valueFor(p.schema, doc, true)))
                    .map((v) => `${encodeURIComponent(p.name)}=${encode(v)}`),
                )
            : fc.constant(''),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('x=%00', 'limit=%FF', 'limit=1e999', 'limit=-1', 'a=1&a=2&a=3', '%=%', '=', '&&&', 'q=%E2%80%AE'),
      },
    ),
    { maxLength: 4 },
  );
  const body: fc.Arbitrary<{ type: string | undefined; payload: string | Buffer | undefined }> = fc.oneof(
    // Bodies wholly valid (to reach the services), valid but for one hostile value, and with hostile values scattered.
    ...[
      { weight: 4, arbitrary: valueFor(op.body, doc, true) },
      { weight: 6, arbitrary: oneLeafHostile(valueFor(op.body, doc, true)) },
      { weight: 2, arbitrary: valueFor(op.body, doc, false) },
    ].map(({ weight, arbitrary }) => ({
      weight,
      arbitrary: arbitrary.map((v) => ({
        type: 'application/json',
        payload: op.body || v !== undefined ? JSON.stringify(v ?? null) : undefined,
      })),
    })),
    { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES).map((payload) => ({ type: 'application/json', payload })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...BODY_TYPES), fc.constantFrom(...RAW_BODIES)).map(([type, payload]) => ({ type, payload })),
    },
    { weight: 1, arbitrary: fc.constant({ type: undefined, payload: undefined }) },
  );
  // Mostly the caller the operation is for (so requests get past the guard to validation and handlers), sometimes anyone.
  const fitting = identities.filter((i) => i.proves === op.security && (i.may?.(op.method, op.path) ?? true));
  const identity =
    fitting.length > 0
      ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...fitting) }, { weight: 1, arbitrary: fc.constantFrom(...identities) })
      : fc.constantFrom(...identities);
  return fc
    .record({
      identity,
      segments: fc.tuple(...pathParams.map(segment)),
      query,
      body,
      // Now and then (1 in 10) a credential is spoiled: a session without its CSRF token, a token cut short.
      spoilCredential: fc.nat({ max: 19 }),
    })
    .map(({ identity, segments, query: parts, body: b, spoilCredential }) => {
      let url = op.path;
      pathParams.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, segments[i] ?? 'x');
      });
      const qs = parts.filter((q) => q !== '').join('&');
      const headers: Record<string, string> = { ...identity.headers };
      if (spoilCredential === 0 && headers['x-csrf-token']) delete headers['x-csrf-token'];
      if (spoilCredential === 1 && headers.authorization) headers.authorization = headers.authorization.slice(0, -5);
      const hasBody = op.method !== 'GET' && b.payload !== undefined;
      if (hasBody && b.type) headers['content-type'] = b.type;
      return {
        operation: `${op.method} ${op.path}`,
        identity: identity.name,
        method: op.method,
        url: qs ? `${url}?${qs}` : url,
        headers,
        ...(hasBody ? { payload: b.payload } : {}),
      };
    });
}

/** `count` requests over every operation (round-robin, so each gets its share), deterministic for a seed. */
export function fuzzRequests(
  doc: OpenApiDocument,
  options: { seed: number; count: number; identities: Identity[]; exclude?: (op: Operation) => boolean },
): FuzzRequest[] {
  const operations = operationsOf(doc).filter((op) => !options.exclude?.(op));
  const perOperation = Math.ceil(options.count / operations.length);
  const samples = operations.map((op, i) =>
    fc.sample(requestFor(op, doc, options.identities), { seed: options.seed + i, numRuns: perOperation }),
  );
  const requests: FuzzRequest[] = [];
  for (let round = 0; round < perOperation && requests.length < options.count; round++) {
    for (const list of samples) {
      const next = list[round];
      if (next && requests.length < options.count) requests.push(next);
    }
  }
  return requests;
}

export type FuzzReport = {
  sent: number;
  byStatus: Record<string, number>;
  serverErrors: { request: FuzzRequest; status: number; body: string }[];
  stoppedEarly: boolean;
};

/** Sends the requests (`concurrency` at a time, stopping at the deadline) and counts the answers by status. */
export async function runFuzz(
  requests: FuzzRequest[],
  send: (request: FuzzRequest) => Promise<{ status: number; body: string }>,
  options: { concurrency: number; deadlineMs: number },
): Promise<FuzzReport> {
  const report: FuzzReport = { sent: 0, byStatus: {}, serverErrors: [], stoppedEarly: false };
  const deadline = performance.now() + options.deadlineMs;
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < requests.length) {
        if (performance.now() > deadline) {
          report.stoppedEarly = true;
          return;
        }
        const request = requests[next++] as FuzzRequest;
        const answer = await send(request);
        report.sent += 1;
        report.byStatus[answer.status] = (report.byStatus[answer.status] ?? 0) + 1;
        if (answer.status >= 500) report.serverErrors.push({ request, status: answer.status, body: answer.body.slice(0, 300) });
      }
    }),
  );
  return report;
}
