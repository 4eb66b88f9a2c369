import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/services/totp.js';
import {
  buildTestApp,
  collectFromOutbox,
  enrollAs,
  loadTestAgencies,
  type SignedIn,
  signInWithCode,
  type TestApp,
} from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Runs every credential-bearing flow with logging at debug level, then scans
 * the captured logs — and every later API answer — for any password, secret,
 * token, TOTP seed or recovery code that went through.
 */

let db: TestDatabase;
let t: TestApp;
const secrets: string[] = [];
const laterBodies: string[] = [];
/** The page may read its own CSRF token again (GET /api/v1/auth/session): it is not a credential on its own. */
const readableByThePage = new Set<string>();

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  const admin: SignedIn = await enrollAs(t, 'admin');
  secrets.push(admin.password, admin.secret, admin.cookie.split('=')[1] ?? '', admin.csrf, ...admin.recoveryCodes);
  readableByThePage.add(admin.csrf);

  // A failed and a successful sign-in.
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { username: admin.username, password: 'Not-the-password-77' },
  });
  const { second } = await signInWithCode(t, admin.username, admin.password, await totpCode(admin.secret, t.clock.now));
  const token = /sb_session=([^;]+)/.exec(String(second?.headers['set-cookie']))?.[1] ?? '';
  secrets.push(token, second?.json().csrfToken ?? '', 'Not-the-password-77');
  t.clock.advance(30_000);

  // An invitation and its enrollment link.
  const invited = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/users',
    headers: admin.headers,
    payload: { displayName: 'Tomás Ejemplo', role: 'call_taker' },
  });
  expect(invited.statusCode, invited.body).toBe(201);
  secrets.push(...collectFromOutbox(t.outboxDir, invited.json().user.username).map((link) => link.token));

  // A partner client, its secret, a token, a rotation.
  const client = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/partner-clients',
    headers: admin.headers,
    payload: { agencyOri: 'TX1430300', name: 'RMS bridge' },
  });
  const { clientId, clientSecret } = { clientId: client.json().client.clientId, clientSecret: client.json().clientSecret };
  const issued = await t.app.inject({
    method: 'POST',
    url: '/api/partner/v1/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
  });
  const rotated = await t.app.inject({ method: 'POST', url: `/api/v1/admin/partner-clients/${clientId}/rotate`, headers: admin.headers });
  secrets.push(clientSecret, issued.json().access_token, rotated.json().clientSecret);

  // Answers after creation.
  for (const url of ['/api/v1/admin/users', '/api/v1/admin/partner-clients', '/api/v1/auth/session']) {
    laterBodies.push((await t.app.inject({ method: 'GET', url, headers: { cookie: admin.cookie } })).body);
  }
});
afterAll(async () => {
  await t.app.close();
  await db.drop();
});

describe('credentials stay out of logs and later answers', () => {
  it('captured a real amount of logging and every kind of secret', () => {
    expect(t.logLines.length).toBeGreaterThan(20);
    expect(secrets.filter((s) => s.length >= 8).length).toBeGreaterThanOrEqual(20);
  });

  it('no secret appears in any log line', () => {
    const logs = t.logLines.join('\n');
    const leaked = secrets.filter((s) => s.length >= 8 && logs.includes(s));
    expect(leaked).toEqual([]);
  });

  it('no secret, hash or seed appears in any answer after creation', () => {
    const bodies = laterBodies.join('\n');
    const leaked = secrets.filter((s) => s.length >= 8 && !readableByThePage.has(s) && bodies.includes(s));
    expect(leaked).toEqual([]);
    expect(bodies).not.toMatch(/argon2id|password_hash|totp_secret|secret_hash|v1\.[A-Za-z0-9_-]{16}\./);
  });
});
