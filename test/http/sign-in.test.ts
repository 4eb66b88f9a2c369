import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/services/totp.js';
import { buildTestApp, enrollAs, type SignedIn, signInWithCode, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
});
afterAll(async () => {
  await t.app.close();
  await db.drop();
});

const session = (cookie: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
const cookieOf = (headers: Record<string, unknown>) => /sb_session=[^;]+/.exec(String(headers['set-cookie']))?.[0] ?? '';
const auditActions = async (userId: string) =>
  (
    await db.db
      .selectFrom('audit_events')
      .select(['action', 'outcome', 'details'])
      .where('resource_id', '=', userId)
      .orderBy('seq')
      .execute()
  ).map((r) => `${r.action}:${r.outcome}`);

describe('enrollment and sign-in', () => {
  let person: SignedIn;
  beforeAll(async () => {
    person = await enrollAs(t, 'analyst');
  });

  it('enrolls through the link: password, authenticator with QR code, first code, ten recovery codes', async () => {
    expect(person.recoveryCodes).toHaveLength(10);
    expect(new Set(person.recoveryCodes).size).toBe(10);
    const me = await session(person.cookie);
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ username: person.username, role: 'analyst' });
    expect(me.json().csrfToken).toBe(person.csrf);
    expect(await auditActions(person.userId)).toEqual(
      expect.arrayContaining(['user.add:allowed', 'auth.password_set:allowed', 'auth.mfa_enrolled:allowed', 'auth.sign_in:allowed']),
    );
  });

  it('sets the session cookie HttpOnly and SameSite=Strict, and never puts the token in the body', async () => {
    const { second } = await signInWithCode(t, person.username, person.password, await totpCode(person.secret, t.clock.now));
    expect(second?.statusCode).toBe(200);
    const setCookie = String(second?.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=43200/);
    const token = cookieOf(second?.headers ?? {}).split('=')[1] ?? '';
    expect(second?.body).not.toContain(token);
    t.clock.advance(30_000);
  });

  it('refuses a wrong code, and a right code used a second time', async () => {
    const wrong = await signInWithCode(t, person.username, person.password, '000000');
    expect(wrong.second?.statusCode).toBe(401);
    expect(wrong.second?.json().error.code).toBe('sign_in_failed');

    const code = await totpCode(person.secret, t.clock.now);
    const first = await signInWithCode(t, person.username, person.password, code);
    expect(first.second?.statusCode).toBe(200);
    const replay = await signInWithCode(t, person.username, person.password, code);
    expect(replay.second?.statusCode).toBe(401);
    const details = await db.db
      .selectFrom('audit_events')
      .select('details')
      .where('resource_id', '=', person.userId)
      .where('action', '=', 'auth.second_factor')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(details.details).toMatchObject({ reason: 'reused_code' });
    t.clock.advance(30_000);
  });

  it('takes each recovery code once', async () => {
    const challenge = async () =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/sign-in',
          payload: { username: person.username, password: person.password },
        })
      ).json().challengeToken;
    const code = person.recoveryCodes[0] ?? '';
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/second-factor',
      payload: { challengeToken: await challenge(), recoveryCode: code.toUpperCase() },
    });
    expect(ok.statusCode).toBe(200);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/second-factor',
      payload: { challengeToken: await challenge(), recoveryCode: code },
    });
    expect(again.statusCode).toBe(401);
  });

  it('uses a challenge only once', async () => {
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: person.username, password: person.password },
    });
    const challengeToken = first.json().challengeToken;
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/second-factor',
      payload: { challengeToken, code: await totpCode(person.secret, t.clock.now) },
    });
    expect(ok.statusCode).toBe(200);
    t.clock.advance(30_000);
    const reused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/second-factor',
      payload: { challengeToken, code: await totpCode(person.secret, t.clock.now) },
    });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().error.code).toBe('challenge_invalid');
    t.clock.advance(30_000);
  });

  it('refuses a weak password at enrollment with every problem listed', async () => {
    const { addUser } = await import('../../src/services/user-admin.service.js');
    const invited = await addUser(
      t.identity,
      { actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' },
      { displayName: 'Rosa Weak', role: 'call_taker' },
    );
    const enrollmentToken = invited.enrollmentUrl.split('#token=')[1];
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/password',
      payload: { enrollmentToken, password: 'Password1!' },
    });
    expect(res.statusCode).toBe(400);
    const issueCodes = res.json().error.issues.map((i: { code: string }) => i.code);
    expect(issueCodes).toEqual(expect.arrayContaining(['too_short', 'banned']));
    const rosa = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/password',
      payload: { enrollmentToken, password: 'rosa.weak-but-long-2026' },
    });
    expect(rosa.json().error.issues.map((i: { code: string }) => i.code)).toContain('contains_name');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/password',
      payload: { enrollmentToken, password: 'harbor-Quince-mantle-81' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().next).toBe('enroll');
    expect(ok.json().enrollment.qrSvg).toMatch(/^<svg/);
    expect(ok.json().enrollment.otpauthUri).toMatch(/^otpauth:\/\/totp\/Switchboard:/);
    const reused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/password',
      payload: { enrollmentToken, password: 'harbor-Quince-mantle-82' },
    });
    expect(reused.statusCode).toBe(401);
  });
});

describe('lockout', () => {
  it('locks a name after five failures for ten minutes, with the same answer whether or not the account exists', async () => {
    const person = await enrollAs(t, 'call_taker');
    const attempt = (username: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password } });
    for (const username of [person.username, 'no.such.person']) {
      for (let i = 1; i <= 5; i++) expect((await attempt(username, `wrong-password-${i}-xx`)).statusCode).toBe(401);
    }
    const real = await attempt(person.username, person.password);
    const ghost = await attempt('no.such.person', person.password);
    expect(real.statusCode).toBe(429);
    expect(ghost.statusCode).toBe(429);
    const strip = (body: string) => ({ ...JSON.parse(body).error, requestId: undefined });
    expect(strip(real.body)).toEqual(strip(ghost.body));
    expect(real.json().error.code).toBe('account_locked');
    expect(real.json().error.message).toContain('10 minutes');

    t.clock.advance(10 * 60_000 + 1000);
    const after = await attempt(person.username, person.password);
    expect(after.statusCode).toBe(200);
    const denied = await db.db
      .selectFrom('audit_events')
      .select('details')
      .where('resource_id', '=', person.userId)
      .where('outcome', '=', 'denied')
      .execute();
    expect(denied.length).toBe(6);
  });

  it('counts wrong second-factor codes toward the same lockout', async () => {
    const person = await enrollAs(t, 'supervisor');
    for (let i = 0; i < 5; i++) {
      const res = await signInWithCode(t, person.username, person.password, '999999');
      expect(res.second?.statusCode).toBe(401);
    }
    const locked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: person.username, password: person.password },
    });
    expect(locked.statusCode).toBe(429);
    t.clock.advance(11 * 60_000);
  });
});

describe('sessions', () => {
  it('lock after 30 idle minutes and unlock with password and code, keeping the same session', async () => {
    const person = await enrollAs(t, 'uac_specialist');
    t.clock.advance(29 * 60_000);
    expect((await session(person.cookie)).statusCode).toBe(200);
    t.clock.advance(30 * 60_000 + 1000);
    const locked = await session(person.cookie);
    expect(locked.statusCode).toBe(401);
    expect(locked.json().error.code).toBe('session_locked');

    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/unlock',
      headers: { cookie: person.cookie },
      payload: { password: person.password, code: '123456' },
    });
    expect(noCsrf.statusCode).toBe(403);
    const badCode = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/unlock',
      headers: person.headers,
      payload: { password: person.password, code: '000000' },
    });
    expect(badCode.statusCode).toBe(401);
    const unlocked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/unlock',
      headers: person.headers,
      payload: { password: person.password, code: await totpCode(person.secret, t.clock.now) },
    });
    expect(unlocked.statusCode).toBe(200);
    expect(cookieOf(unlocked.headers)).toBe(person.cookie);
    expect((await session(person.cookie)).statusCode).toBe(200);
    t.clock.advance(30_000);
  });

  it('end 12 hours after sign-in however active they are', async () => {
    const person = await enrollAs(t, 'legal_reviewer');
    // Activity every 15 minutes keeps the idle lock away for 11 h 45 min...
    for (let step = 1; step <= 47; step++) {
      t.clock.advance(15 * 60_000);
      expect((await session(person.cookie)).statusCode, `after ${step * 15} minutes`).toBe(200);
    }
    // ...and 16 minutes later the 12 hours are over.
    t.clock.advance(16 * 60_000);
    const ended = await session(person.cookie);
    expect(ended.statusCode).toBe(401);
    expect(ended.json().error.code).toBe('session_expired');
  });

  it('refuse a state change without the CSRF token, and sign-out ends the session wherever it is used', async () => {
    const person = await enrollAs(t, 'analyst');
    const noCsrf = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-out', headers: { cookie: person.cookie }, payload: {} });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('csrf_failed');
    const wrongCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-out',
      headers: { ...person.headers, 'x-csrf-token': 'x'.repeat(43) },
      payload: {},
    });
    expect(wrongCsrf.statusCode).toBe(403);
    expect((await session(person.cookie)).statusCode).toBe(200);
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-out', headers: person.headers, payload: {} });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/sb_session=;.*Max-Age=0/);
    // Another tab or a copied cookie: the same session, now refused.
    expect((await session(person.cookie)).statusCode).toBe(401);
  });

  it('sign-out everywhere ends every session of the user', async () => {
    const person = await enrollAs(t, 'analyst');
    const { second } = await signInWithCode(t, person.username, person.password, await totpCode(person.secret, t.clock.now));
    const otherDevice = cookieOf(second?.headers ?? {});
    expect((await session(otherDevice)).statusCode).toBe(200);
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-out',
      headers: person.headers,
      payload: { everywhere: true },
    });
    expect(out.json().revokedSessions).toBe(2);
    expect((await session(otherDevice)).statusCode).toBe(401);
    expect((await session(person.cookie)).statusCode).toBe(401);
    t.clock.advance(30_000);
  });
});
