import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** What the server shows to anyone: headers of the docs and the web app, HSTS, source maps, odd paths. */

let db: TestDatabase;
let secure: TestApp;
let plain: TestApp;
let base: URL;

beforeAll(async () => {
  db = await createTestDatabase();
  const webDir = mkdtempSync(path.join(tmpdir(), 'sb-web-'));
  mkdirSync(path.join(webDir, 'assets'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Switchboard</title>');
  writeFileSync(path.join(webDir, 'assets', 'index-abc123.js'), 'console.log(1);\n//# sourceMappingURL=index-abc123.js.map');
  writeFileSync(path.join(webDir, 'assets', 'index-abc123.js.map'), '{"version":3,"sources":["../src/secret-internals.tsx"]}');
  secure = await buildTestApp(db, { publicUrl: 'https://switchboard.example.gov', webDir });
  plain = await buildTestApp(db);
  base = new URL(await secure.app.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  await secure.app.close();
  await plain.app.close();
  await db.drop();
});

/** A raw HTTP GET: the path goes on the wire as written (fetch and inject would normalise the dot segments away). */
function rawGet(target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: base.hostname, port: base.port, path: target, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += String(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('what the server exposes', () => {
  it('the API docs page has a strict Content-Security-Policy and may not be framed', async () => {
    for (const url of ['/api/docs/', '/api/docs/static/swagger-initializer.js']) {
      const res = await plain.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("script-src 'self';");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).not.toContain('unsafe-eval');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
    }
  });

  it('sends HSTS behind an https PUBLIC_URL, on API, docs and web app alike, and not over plain HTTP on loopback', async () => {
    for (const url of ['/healthz', '/api/docs/', '/cases', '/api/v1/nothing']) {
      const res = await secure.app.inject({ method: 'GET', url });
      expect(res.headers['strict-transport-security'], url).toBe('max-age=31536000; includeSubDomains');
    }
    const local = await plain.app.inject({ method: 'GET', url: '/healthz' });
    expect(local.headers['strict-transport-security']).toBeUndefined();
  });

  it('serves the web app but never a source map', async () => {
    const script = await secure.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(script.statusCode).toBe(200);
    const map = await secure.app.inject({ method: 'GET', url: '/assets/index-abc123.js.map' });
    expect(map.statusCode).toBe(404);
    expect(map.body).not.toContain('secret-internals');
  });

  it('answers dot segments and undecodable paths with 400 and a code, never a 500', async () => {
    for (const target of [
      '/api/docs/static/../../../../etc/passwd',
      '/api/docs/static/%2e%2e/%2e%2e/etc/passwd',
      '/api/docs/static/..%2f..%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/api/v1/cases/./x',
      '/%ff',
      '/api/docs/static/%ff',
    ]) {
      const res = await rawGet(target);
      expect(res.status, target).toBe(400);
      expect(JSON.parse(res.body).error.code, target).toBe('malformed_request');
      expect(res.body, target).not.toContain('root:');
    }
  });
});
