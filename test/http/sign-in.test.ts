import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_WINDOW_MS, LOCKOUT_MS } from '../../src/domain/identity/sign-in-policy.js';
import { SIGN_IN_REQUESTS_PER_ADDRESS } from '../../src/http/routes/auth.routes.js';
import { ARGON2_CONCURRENCY, ARGON2_MAX_WAITING, argon2Queue } from '../../src/services/passwords.js';
import { totpCode } from '../../src/services/totp.js';
import { addUser } from '../../src/services/user-admin.service.js';
import { buildTestApp, enrollAs, operatorCourier, type SignedIn, signInWithCode, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';

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
      .orderBy('inbox_id')
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
      .orderBy('inbox_id', 'desc')
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
    const operator = operatorCourier();
    await addUser(
      t.identity,
      { actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' },
      { displayName: 'Rosa Weak', role: 'call_taker' },
      operator.courier,
    );
    const enrollmentToken = operator.link().url.split('#token=')[1];
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
  it('pauses a name from one address after five failures for ten minutes, with the same answer whether or not the account exists', async () => {
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

const signInFrom = (remoteAddress: string, username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', remoteAddress, payload: { username, password } });
const secondFactorFrom = (remoteAddress: string, payload: { challengeToken: string; code?: string; recoveryCode?: string }) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/second-factor', remoteAddress, payload });
const bothFactorsFrom = (remoteAddress: string, payload: { username: string; password: string; code?: string; recoveryCode?: string }) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in/both-factors', remoteAddress, payload });
const liveSessions = async (userId: string) =>
  (await db.db.selectFrom('sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute()).length;
const deniedReasons = async (userId: string, action: string) =>
  (
    await db.db
      .selectFrom('audit_events')
      .select('details')
      .where('resource_id', '=', userId)
      .where('action', '=', action)
      .where('outcome', '=', 'denied')
      .orderBy('inbox_id')
      .execute()
  ).map((r) => (r.details as { reason?: string }).reason);

/**
 * Makes parallel requests truly overlap: holds a row lock (a user, a recovery code) in another connection
 * until `waiters` requests are queued behind it — each has read the row as it was before any of them
 * wrote — then lets them all go at once.
 */
async function whileRowHeld<T>(lockSql: string, params: unknown[], waiters: number, fire: () => Promise<T>): Promise<T> {
  const holder = new pg.Client({ connectionString: db.url });
  const watcher = new pg.Client({ connectionString: db.url });
  await holder.connect();
  await watcher.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(lockSql, params);
    const pending = fire();
    await waitUntil(
      `${waiters} requests waiting on the row`,
      async () =>
        (
          await watcher.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          )
        ).rows[0]?.n === waiters,
      20_000,
    );
    await holder.query('COMMIT');
    return await pending;
  } finally {
    await holder.end();
    await watcher.end();
  }
}
const holdUser = (userId: string): [string, unknown[]] => ['SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]];

describe('one code opens one session, even in parallel', () => {
  it('four parallel second-factor requests with the same TOTP code open exactly one session', async () => {
    const person = await enrollAs(t, 'analyst');
    const before = await liveSessions(person.userId);
    // Four password steps from four addresses (so nothing else serialises them), then the same code four times at once.
    const challenges: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const first = await signInFrom(`10.20.0.${i}`, person.username, person.password);
      expect(first.statusCode, first.body).toBe(200);
      challenges.push(first.json().challengeToken);
    }
    const code = await totpCode(person.secret, t.clock.now);
    const answers = await whileRowHeld(...holdUser(person.userId), 4, () =>
      Promise.all(challenges.map((challengeToken, i) => secondFactorFrom(`10.20.0.${i + 1}`, { challengeToken, code }))),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401]);
    expect(await liveSessions(person.userId)).toBe(before + 1);
    expect(await deniedReasons(person.userId, 'auth.second_factor')).toEqual(['reused_code', 'reused_code', 'reused_code']);
    t.clock.advance(30_000);
  });

  it('four parallel requests with the same recovery code open exactly one session', async () => {
    const person = await enrollAs(t, 'analyst');
    const before = await liveSessions(person.userId);
    const challenges: string[] = [];
    for (let i = 1; i <= 4; i++)
      challenges.push((await signInFrom(`10.21.0.${i}`, person.username, person.password)).json().challengeToken);
    const recoveryCode = person.recoveryCodes[3] ?? '';
    const answers = await whileRowHeld('SELECT user_id FROM user_recovery_codes WHERE user_id = $1 FOR UPDATE', [person.userId], 4, () =>
      Promise.all(challenges.map((challengeToken, i) => secondFactorFrom(`10.21.0.${i + 1}`, { challengeToken, recoveryCode }))),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401]);
    expect(await liveSessions(person.userId)).toBe(before + 1);
  });

  it('both factors at once: parallel requests with the same code open exactly one session', async () => {
    const person = await enrollAs(t, 'analyst');
    const before = await liveSessions(person.userId);
    const code = await totpCode(person.secret, t.clock.now);
    const answers = await whileRowHeld(...holdUser(person.userId), 4, () =>
      Promise.all([1, 2, 3, 4].map((i) => bothFactorsFrom(`10.22.0.${i}`, { username: person.username, password: person.password, code }))),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401]);
    expect(await liveSessions(person.userId)).toBe(before + 1);
    t.clock.advance(30_000);
  });
});

describe('a lockout that cannot be used as a weapon', () => {
  it('thirty wrong passwords from one address pause only that address: the admin signs in from their own', async () => {
    const admin = await enrollAs(t, 'admin');
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await signInFrom('198.51.100.7', admin.username, `wrong-password-${i}-xx`)).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    const first = await signInFrom('192.0.2.10', admin.username, admin.password);
    expect(first.statusCode, first.body).toBe(200);
    const second = await secondFactorFrom('192.0.2.10', {
      challengeToken: first.json().challengeToken,
      code: await totpCode(admin.secret, t.clock.now),
    });
    expect(second.statusCode, second.body).toBe(200);
    // The paused address stays paused, for ten minutes from its fifth failure (refusals do not extend it).
    expect((await signInFrom('198.51.100.7', admin.username, admin.password)).statusCode).toBe(429);
    t.clock.advance(30_000);
  });

  it('never checks a sixth password in a row from one address, even when the guesses arrive in parallel', async () => {
    const person = await enrollAs(t, 'call_taker');
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signInFrom('198.51.100.44', person.username, `parallel-guess-${i}-x`)),
    );
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 401)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(7);
  });

  it('failures spanning addresses pause the password alone everywhere — the same for an unknown name — and both factors at once still let the person in', async () => {
    const person = await enrollAs(t, 'supervisor');
    // Two wrong passwords from each of five addresses: no address comes near five, the name has ten failures.
    for (const name of [person.username, 'nobody.at.all']) {
      for (let a = 1; a <= 5; a++) {
        for (let i = 0; i < 2; i++) expect((await signInFrom(`203.0.113.${a}`, name, `spread-guess-${a}-${i}`)).statusCode).toBe(401);
      }
    }
    const real = await signInFrom('192.0.2.77', person.username, person.password);
    const ghost = await signInFrom('192.0.2.77', 'nobody.at.all', person.password);
    expect(real.statusCode).toBe(429);
    expect(real.json().error.code).toBe('account_locked');
    expect(real.json().error.message).toContain('password and the code from your authenticator app together');
    const strip = (body: string) => ({ ...JSON.parse(body).error, requestId: undefined });
    expect(strip(real.body)).toEqual(strip(ghost.body));

    const wrongCode = await bothFactorsFrom('192.0.2.77', { username: person.username, password: person.password, code: '000000' });
    expect(wrongCode.statusCode).toBe(401);
    expect(wrongCode.json().error.code).toBe('sign_in_failed');
    const code = await totpCode(person.secret, t.clock.now);
    const wrongPassword = await bothFactorsFrom('192.0.2.77', { username: person.username, password: 'not-it-at-all-9', code });
    expect(wrongPassword.statusCode).toBe(401);
    const both = await bothFactorsFrom('192.0.2.77', { username: person.username, password: person.password, code });
    expect(both.statusCode, both.body).toBe(200);
    expect((await session(cookieOf(both.headers))).statusCode).toBe(200);
    const signedIn = await db.db
      .selectFrom('audit_events')
      .select('details')
      .where('resource_id', '=', person.userId)
      .where('action', '=', 'auth.sign_in')
      .where('outcome', '=', 'allowed')
      .orderBy('inbox_id', 'desc')
      .executeTakeFirstOrThrow();
    expect(signedIn.details).toMatchObject({ method: 'totp', bothFactorsAtOnce: true });
    expect(await deniedReasons(person.userId, 'auth.sign_in')).toContain('account_paused');

    // The evidence ages out: fifteen quiet minutes later the password alone is answered again.
    t.clock.advance(ACCOUNT_WINDOW_MS + 1000);
    expect((await signInFrom('192.0.2.78', person.username, person.password)).statusCode).toBe(200);
  });

  it('from a paused address, both factors at once are taken five more times, then nothing until the pause ends', async () => {
    const person = await enrollAs(t, 'uac_specialist');
    for (let i = 0; i < 5; i++) await signInFrom('198.51.100.90', person.username, `typo-${i}-password`);
    expect((await signInFrom('198.51.100.90', person.username, person.password)).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) {
      const res = await bothFactorsFrom('198.51.100.90', { username: person.username, password: person.password, code: '111111' });
      expect(res.statusCode, `both factors, try ${i + 1}`).toBe(401);
    }
    const code = await totpCode(person.secret, t.clock.now);
    const hard = await bothFactorsFrom('198.51.100.90', { username: person.username, password: person.password, code });
    expect(hard.statusCode).toBe(429);
    expect(hard.json().error.message).not.toContain('together');
    // The person's own address is not paused.
    const elsewhere = await bothFactorsFrom('192.0.2.91', { username: person.username, password: person.password, code });
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);
    t.clock.advance(30_000);
  });

  it('a person who mistyped five times recovers at once with both factors, and their count starts afresh', async () => {
    const person = await enrollAs(t, 'analyst');
    for (let i = 0; i < 5; i++) await signInFrom('192.0.2.120', person.username, `mistyped-${i}-pass`);
    expect((await signInFrom('192.0.2.120', person.username, person.password)).statusCode).toBe(429);
    const both = await bothFactorsFrom('192.0.2.120', {
      username: person.username,
      password: person.password,
      code: await totpCode(person.secret, t.clock.now),
    });
    expect(both.statusCode, both.body).toBe(200);
    expect((await signInFrom('192.0.2.120', person.username, person.password)).statusCode).toBe(200);
    const row = await db.db
      .selectFrom('sign_in_throttle')
      .selectAll()
      .where('username_key', '=', person.username)
      .where('source_key', '=', '192.0.2.120')
      .executeTakeFirst();
    expect(row?.failures ?? 0).toBe(0);
    t.clock.advance(LOCKOUT_MS);
  });
});

describe('sign-in load is bounded', () => {
  it(`answers 429 with retry-after beyond ${SIGN_IN_REQUESTS_PER_ADDRESS} sign-in requests a minute from one address; other addresses are served`, async () => {
    const bogus = { challengeToken: 'x'.repeat(43), code: '123456' };
    for (let i = 0; i < SIGN_IN_REQUESTS_PER_ADDRESS; i++) expect((await secondFactorFrom('198.51.100.200', bogus)).statusCode).toBe(401);
    const refused = await secondFactorFrom('198.51.100.200', bogus);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signInFrom('198.51.100.200', 'anyone.here', 'some-password-1')).statusCode).toBe(429);
    expect((await secondFactorFrom('198.51.100.201', bogus)).statusCode).toBe(401);
    t.clock.advance(60_000);
    expect((await secondFactorFrom('198.51.100.200', bogus)).statusCode).toBe(401);
  });

  /** Occupies `n` places of the argon2 queue until released. */
  const occupy = (n: number) => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = Array.from({ length: n }, () => argon2Queue.run(() => gate));
    return async () => {
      release();
      await Promise.all(held);
    };
  };

  it('sign-ins waiting for argon2 hold no database connection: a supervisor is answered meanwhile', async () => {
    const supervisor = await enrollAs(t, 'supervisor');
    const target = await enrollAs(t, 'call_taker');
    const release = occupy(ARGON2_CONCURRENCY);
    // More waiting sign-ins than the database pool has connections (5 in tests).
    const waiting = Array.from({ length: 8 }, (_, i) => signInFrom(`10.30.0.${i + 1}`, target.username, `queued-guess-${i}`));
    await waitUntil('eight sign-ins waiting for argon2', () => argon2Queue.waiting === 8, 20_000);
    const stats = await t.app.inject({ method: 'GET', url: '/api/v1/queues/stats', headers: { cookie: supervisor.cookie } });
    expect(stats.statusCode).toBe(200);
    await release();
    expect((await Promise.all(waiting)).map((r) => r.statusCode)).toEqual(Array(8).fill(401));
  });

  it('when the argon2 queue is full, a sign-in is refused at once with 429 and nothing is counted or written', async () => {
    const person = await enrollAs(t, 'analyst');
    const release = occupy(ARGON2_CONCURRENCY + ARGON2_MAX_WAITING);
    try {
      const busy = await signInFrom('10.31.0.1', person.username, person.password);
      expect(busy.statusCode).toBe(429);
      expect(busy.json().error.code).toBe('rate_limited');
      expect(busy.headers['retry-after']).toBe('2');
      const rows = await db.db.selectFrom('sign_in_throttle').select('failures').where('username_key', '=', person.username).execute();
      expect(rows).toEqual([]);
    } finally {
      await release();
    }
    expect((await signInFrom('10.31.0.1', person.username, person.password)).statusCode).toBe(200);
  });
});
