import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/services/totp.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, signInWithCode, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  admin = await enrollAs(t, 'admin');
});
afterAll(async () => {
  await t.app.close();
  await db.drop();
});

const post = (url: string, payload?: object) =>
  t.app.inject({ method: 'POST', url, headers: admin.headers, ...(payload ? { payload } : {}) });

describe('account administration', () => {
  it('adds an account with a one-time enrollment link and lists it as invited', async () => {
    const res = await post('/api/v1/admin/users', { displayName: 'Ana Belén Ruiz', role: 'uac_specialist', unit: 'uac' });
    expect(res.statusCode).toBe(201);
    expect(res.json().user).toMatchObject({ username: 'ana.belen.ruiz', role: 'uac_specialist', status: 'invited', mfaEnrolled: false });
    expect(res.json().enrollmentUrl).toMatch(/^http:\/\/127\.0\.0\.1:8080\/enroll#token=[A-Za-z0-9_-]{43}$/);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: { cookie: admin.cookie } });
    expect(list.json().users.find((u: { username: string }) => u.username === 'ana.belen.ruiz')?.status).toBe('invited');
    const taken = await post('/api/v1/admin/users', { displayName: 'Ana Belén Ruiz', role: 'analyst' });
    expect(taken.statusCode).toBe(409);
  });

  it('lists every problem with a new account at once', async () => {
    const res = await post('/api/v1/admin/users', { displayName: 'Officer Without Agency', role: 'partner_officer', username: 'X' });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .error.issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['agencyOri', 'username']);
    const unknownRole = await post('/api/v1/admin/users', { displayName: 'Someone', role: 'superuser' });
    expect(unknownRole.statusCode).toBe(400);
    expect(unknownRole.json().error.issues[0].path).toBe('body.role');
  });

  it('disabling an account ends its sessions at once and refuses its next sign-in', async () => {
    const person = await enrollAs(t, 'call_taker');
    const res = await post(`/api/v1/admin/users/${person.username}/disable`);
    expect(res.json().status).toBe('disabled');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: person.cookie } })).statusCode).toBe(401);
    const again = await signInWithCode(t, person.username, person.password, await totpCode(person.secret, t.clock.now));
    expect(again.first.statusCode).toBe(401);
  });

  it('resetting the second factor makes the next sign-in enroll a new authenticator', async () => {
    const person = await enrollAs(t, 'analyst');
    const res = await post(`/api/v1/admin/users/${person.username}/reset-mfa`);
    expect(res.json().mfaEnrolled).toBe(false);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: person.cookie } })).statusCode).toBe(401);
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: person.username, password: person.password },
    });
    expect(first.json().next).toBe('enroll');
    expect(first.json().enrollment.secret).not.toBe(person.secret);
    // The old authenticator no longer works.
    const oldApp = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/confirm',
      payload: { challengeToken: first.json().challengeToken, code: await totpCode(person.secret, t.clock.now) },
    });
    expect(oldApp.statusCode).toBe(401);
  });

  it('audits every admin action with the admin as actor', async () => {
    const actions = await db.db.selectFrom('audit_events').select(['action']).where('actor_id', '=', admin.userId).execute();
    const names = new Set(actions.map((a) => a.action));
    for (const action of ['user.add', 'user.list', 'user.disable', 'user.reset_mfa']) expect(names).toContain(action);
  });
});
