import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpsRedirect, stopHttpsRedirect } from '../../src/http/https-redirect.js';
import { totpCode } from '../../src/services/totp.js';
import { buildTestApp, enrollAs, type TestApp } from '../support/app.js';
import { selfSignedCertificate } from '../support/certificates.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * HTTPS in Switchboard itself (issue #21 item 4): the app on a real TLS socket with a self-signed certificate (openssl),
 * checked by the client; HSTS on every answer; the session cookie Secure; the plain-HTTP port only redirects.
 */

let db: TestDatabase;
let t: TestApp;
let ca: Buffer;
let port: number;

beforeAll(async () => {
  db = await createTestDatabase();
  const certificate = selfSignedCertificate();
  ca = readFileSync(certificate.cert);
  t = await buildTestApp(db, {
    https: { cert: ca, key: readFileSync(certificate.key) },
    publicUrl: 'https://127.0.0.1',
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
}, 60_000);
afterAll(async () => {
  await t?.routing.stop();
  await t?.app.close();
  await db?.drop();
});

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string; protocol: string | null };

/** One HTTPS request to the app, the server's certificate checked against ours. */
function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            protocol: (res.socket as TLSSocket).getProtocol?.() ?? null,
          }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

function plainGet(at: number, path: string, method = 'GET', host = 'attacker.example'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: at, method, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', protocol: null }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS', () => {
  it('serves the API and the web app over TLS 1.2+ with HSTS on every answer, and no plain HTTP on the same port', async () => {
    for (const path of ['/healthz', '/api/v1/nothing', '/cases']) {
      const res = await request('GET', path);
      expect(res.protocol, path).toMatch(/^TLSv1\.[23]$/);
      expect(res.headers['strict-transport-security'], path).toBe('max-age=31536000; includeSubDomains');
    }
    expect((await request('GET', '/healthz')).status).toBe(200);
    // A plain-HTTP request to the HTTPS port gets no page (the TLS server answers it with an error, or nothing).
    const plain = await plainGet(port, '/healthz').catch((error: unknown) => ({ status: 0, error }));
    expect(plain.status === 0 || plain.status === 400).toBe(true);
  });

  it('signs staff in over HTTPS with a Secure, HttpOnly session cookie', async () => {
    const user = await enrollAs(t, 'call_taker');
    const first = await request('POST', '/api/v1/auth/sign-in', { username: user.username, password: user.password });
    expect(first.status, first.body).toBe(200);
    const second = await request('POST', '/api/v1/auth/second-factor', {
      challengeToken: (JSON.parse(first.body) as { challengeToken: string }).challengeToken,
      code: await totpCode(user.secret, t.clock.now),
    });
    expect(second.status, second.body).toBe(200);
    const cookie = String(second.headers['set-cookie']);
    expect(cookie).toMatch(/sb_session=/);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(second.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('the plain-HTTP listener only redirects, to PUBLIC_URL whatever the Host header says: 301 for GET, 308 for POST', async () => {
    const redirect = await startHttpsRedirect({ host: '127.0.0.1', port: 0, publicUrl: `https://127.0.0.1:${port}/` });
    try {
      const at = (redirect.address() as AddressInfo).port;
      const get = await plainGet(at, '/cases/123?tab=persons');
      expect(get.status).toBe(301);
      expect(get.headers.location).toBe(`https://127.0.0.1:${port}/cases/123?tab=persons`);
      const post = await plainGet(at, '/api/v1/auth/sign-in', 'POST');
      expect(post.status).toBe(308);
      expect(post.headers.location).toBe(`https://127.0.0.1:${port}/api/v1/auth/sign-in`);
      // An absolute-form request target cannot send the browser elsewhere either.
      const absolute = await plainGet(at, 'http://attacker.example/x');
      expect(absolute.headers.location).toBe(`https://127.0.0.1:${port}/`);
      // Following it: the page over HTTPS, with HSTS.
      const followed = await request('GET', new URL(String(get.headers.location)).pathname);
      expect(followed.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await stopHttpsRedirect(redirect);
    }
  });
});
