import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/access/access-control.js';
import { totpCode } from '../../src/services/totp.js';
import { addUser, setBreakGlass } from '../../src/services/user-admin.service.js';
import { buildTestApp, completeEnrollment, operatorCourier, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { PASSWORD_ONLY, PIV, signInAtIdp, ssoSettingsFor, startTestIdp, type TestIdp } from '../support/oidc-provider.js';

/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider) on loopback: the code flow with PKCE through
 * Switchboard's start and callback routes, the claims mapped to a role and scopes, the acr a role requires, and the
 * audit naming the provider and the subject — and password sign-in kept for break-glass accounts only.
 */

const REDIRECT = 'http://127.0.0.1:8080/api/v1/auth/oidc/callback';

let db: TestDatabase;
let t: TestApp;
let idp: TestIdp;
let admin: SignedIn;
let localAnalyst: SignedIn;

const person = (sub: string, acr: string, claims: Record<string, unknown>) => ({
  sub,
  acr,
  claims: { name: `Synthetic ${sub}`, ...claims },
});

beforeAll(async () => {
  db = await createTestDatabase();
  idp = await startTestIdp(REDIRECT, [
    person('ct-0001', PASSWORD_ONLY, { preferred_username: 'carla.ejemplo', groups: ['sb-call-takers', 'all-staff'] }),
    person('sup-0002', PIV, { preferred_username: 'sam.muestra', groups: ['sb-supervisors'] }),
    person('sup-0003', PASSWORD_ONLY, { preferred_username: 'pat.prueba', groups: ['sb-supervisors'] }),
    person('fo-0004', PIV, { preferred_username: 'frank.ficticio', groups: ['sb-field-officers'], field_office: 'NOL' }),
    person('fo-0005', PIV, { preferred_username: 'fiona.ficticia', groups: ['sb-field-officers'] }),
    person('nobody-0006', PIV, { preferred_username: 'nadia.nadie', groups: ['all-staff'] }),
    person('two-0007', PIV, { preferred_username: 'tomas.doble', groups: ['sb-auditors', 'sb-admins'] }),
    person('mover-0008', PIV, { preferred_username: 'mia.mover', groups: ['sb-analysts'] }),
    person('clash-0009', PIV, { groups: ['sb-analysts'] }),
  ]);
  t = await buildTestApp(db, { sso: ssoSettingsFor(idp, REDIRECT) });
  // Local accounts: a break-glass admin, and an analyst made before single sign-on (break-glass only while enrolling).
  admin = await enrollLocal('admin', 'glass.admin');
  localAnalyst = await enrollLocal('analyst', 'local.analyst');
  await setBreakGlass(t.identity, operator(), localAnalyst.username, false);
}, 60_000);

const operator = () => ({
  actor: null,
  system: 'cli:test',
  sourceIp: null,
  requestId: null,
  now: t.clock.now,
  timeZone: 'America/Chicago',
});

/** As the operator does it at the command line: add the account, mark it break-glass, hand the link to the person. */
async function enrollLocal(role: Role, username: string): Promise<SignedIn> {
  const courier = operatorCourier();
  await addUser(t.identity, operator(), { displayName: `Local ${role}`, role, username }, courier.courier);
  await setBreakGlass(t.identity, operator(), username, true);
  return completeEnrollment(t, username, courier.link().url.split('#token=')[1] ?? '');
}
afterAll(async () => {
  await t?.routing.stop();
  await t?.app.close();
  await idp?.close();
  await db?.drop();
});

/** Begins a login at Switchboard: the provider's URL and the login cookie the browser keeps. */
async function start(): Promise<{ location: string; loginCookie: string }> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
  expect(res.statusCode, res.body).toBe(302);
  const setCookie = String(res.headers['set-cookie']);
  expect(setCookie).toMatch(/sb_sso=[^;]+; Path=\/api\/v1\/auth\/oidc; HttpOnly; SameSite=Lax; Max-Age=600/);
  return { location: String(res.headers.location), loginCookie: /sb_sso=[^;]+/.exec(setCookie)?.[0] ?? '' };
}

async function callback(returned: string, loginCookie: string, accept = 'text/html') {
  const url = new URL(returned);
  expect(url.origin + url.pathname).toBe(REDIRECT);
  return t.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/callback${url.search}`, headers: { cookie: loginCookie, accept } });
}

/** The whole walk: Switchboard → provider (signed in as `account`) → Switchboard's callback. */
async function ssoSignIn(account: string, accept?: string) {
  const { location, loginCookie } = await start();
  return callback(await signInAtIdp(location, account), loginCookie, accept);
}

const sessionCookieOf = (res: { headers: Record<string, unknown> }) =>
  /sb_session=[^;]+/.exec(String(res.headers['set-cookie']))?.[0] ?? '';

async function auditOf(action: string, subject: string) {
  const rows = await db.db
    .selectFrom('audit_events')
    .select(['action', 'outcome', 'resource_id', 'details'])
    .where('action', '=', action)
    .execute();
  return rows.filter((r) => (r.details as { subject?: string } | null)?.subject === subject);
}

describe('single sign-on through a loopback OpenID Connect provider', () => {
  it('the sign-in page is told single sign-on is on, and the start sends the browser to the provider with PKCE, state and nonce', async () => {
    const info = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc' });
    expect(info.json()).toEqual({ enabled: true, providerName: 'Test Agency ID', startUrl: '/api/v1/auth/oidc/start' });
    const { location } = await start();
    const url = new URL(location);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(url.searchParams.get('acr_values')).toBe(`${PIV} ${PASSWORD_ONLY}`);
  });

  it('a first sign-in provisions the account with the mapped role, opens a session, and audits the issuer and subject', async () => {
    const res = await ssoSignIn('ct-0001');
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(String(res.headers['set-cookie'])).toMatch(/sb_sso=; Path=\/api\/v1\/auth\/oidc;.*Max-Age=0/);
    const cookie = sessionCookieOf(res);
    expect(String(res.headers['set-cookie'])).toMatch(/sb_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200/);
    const session = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
    expect(session.statusCode).toBe(200);
    expect(session.json().user).toMatchObject({ username: 'carla.ejemplo', displayName: 'Synthetic ct-0001', role: 'call_taker' });
    const [signIn] = await auditOf('auth.sign_in', 'ct-0001');
    expect(signIn).toMatchObject({
      outcome: 'allowed',
      resource_id: session.json().user.id,
      details: { method: 'oidc', issuer: idp.issuer, subject: 'ct-0001', acr: PASSWORD_ONLY },
    });
    const [added] = await auditOf('user.add', 'ct-0001');
    expect(added?.details).toMatchObject({ provisionedBy: 'oidc', issuer: idp.issuer, role: 'call_taker' });
    // The next sign-in finds the same account by (issuer, subject).
    const again = await ssoSignIn('ct-0001');
    expect(again.statusCode).toBe(303);
    expect(await db.db.selectFrom('users').select('id').where('sso_subject', '=', 'ct-0001').execute()).toHaveLength(1);
  });

  it('a role that needs phishing-resistant MFA is refused a password-only login with a clear page, a stable code, and an audit record', async () => {
    const res = await ssoSignIn('sup-0003');
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('data-error-code="sso_assurance_insufficient"');
    expect(res.body).toMatch(/The supervisor role needs a stronger sign-in \(phishing-resistant, such as your PIV card\)/);
    expect(sessionCookieOf(res)).toBe('');
    expect(await db.db.selectFrom('users').select('id').where('sso_subject', '=', 'sup-0003').execute()).toEqual([]);
    const [refused] = await auditOf('auth.sign_in', 'sup-0003');
    expect(refused).toMatchObject({
      outcome: 'denied',
      details: {
        method: 'oidc',
        issuer: idp.issuer,
        subject: 'sup-0003',
        code: 'sso_assurance_insufficient',
        acr: PASSWORD_ONLY,
        required: [PIV],
      },
    });
    // The same person with a PIV login gets in.
    const piv = await ssoSignIn('sup-0002');
    expect(piv.statusCode, piv.body).toBe(303);
  });

  it('a client that accepts only JSON gets the refusal as the one error body', async () => {
    const res = await ssoSignIn('sup-0003', 'application/json');
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'sso_assurance_insufficient' });
  });

  it("a field officer's office comes from the claim; without one, or with no mapped group, or two roles, there is no access", async () => {
    const ok = await ssoSignIn('fo-0004');
    expect(ok.statusCode, ok.body).toBe(303);
    const user = await db.db.selectFrom('users').selectAll().where('sso_subject', '=', 'fo-0004').executeTakeFirstOrThrow();
    expect(user).toMatchObject({
      role: 'field_officer',
      field_office_code: 'NOL',
      agency_ori: null,
      break_glass: false,
      password_hash: null,
    });
    for (const [account, pattern] of [
      ['fo-0005', /did not name one/],
      ['nobody-0006', /not in a group that has access to Switchboard/],
      ['two-0007', /groups for several Switchboard roles \(admin, auditor\)/],
    ] as const) {
      const res = await ssoSignIn(account);
      expect(res.statusCode, account).toBe(403);
      expect(res.body).toContain('data-error-code="sso_no_access"');
      expect(res.body).toMatch(pattern);
      expect((await auditOf('auth.sign_in', account))[0]).toMatchObject({ outcome: 'denied', details: { issuer: idp.issuer } });
    }
  });

  it('a group change at the provider changes the role at the next sign-in and ends older sessions', async () => {
    const first = await ssoSignIn('mover-0008');
    const oldCookie = sessionCookieOf(first);
    const account = idp.accounts.get('mover-0008');
    if (!account) throw new Error('no such test account');
    account.claims.groups = ['sb-legal'];
    const second = await ssoSignIn('mover-0008');
    expect(second.statusCode).toBe(303);
    const now = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: sessionCookieOf(second) } });
    expect(now.json().user.role).toBe('legal_reviewer');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: oldCookie } })).statusCode).toBe(401);
    const [change] = await auditOf('user.change_access', 'mover-0008');
    expect(change?.details).toMatchObject({ by: 'oidc', before: { role: 'analyst' }, after: { role: 'legal_reviewer' } });
  });

  it('a first sign-in whose username belongs to an unlinked local account is refused, not merged into it', async () => {
    idp.accounts.set('clash-0009', {
      sub: 'clash-0009',
      acr: PIV,
      claims: { preferred_username: localAnalyst.username, groups: ['sb-analysts'] },
    });
    const res = await ssoSignIn('clash-0009');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('data-error-code="sso_account_conflict"');
    const local = await db.db.selectFrom('users').selectAll().where('username', '=', localAnalyst.username).executeTakeFirstOrThrow();
    expect(local.sso_subject).toBeNull();
  });

  it('callback errors are clear pages, never a 500: no login in progress, a state not ours, an expired login, the provider refusing', async () => {
    const { location } = await start();
    const returned = await signInAtIdp(location, 'ct-0001');
    const noCookie = await callback(returned, '');
    expect(noCookie.statusCode).toBe(400);
    expect(noCookie.body).toContain('data-error-code="sso_failed"');
    expect(noCookie.body).toMatch(/no sign-in in progress/);

    const other = await start();
    const wrongBrowser = await callback(returned, other.loginCookie);
    expect(wrongBrowser.statusCode).toBe(400);
    expect(wrongBrowser.body).toMatch(/does not match the one this browser began/);

    const slow = await start();
    const slowReturn = await signInAtIdp(slow.location, 'ct-0001');
    t.clock.advance(11 * 60_000);
    const expired = await callback(slowReturn, slow.loginCookie);
    expect(expired.statusCode).toBe(400);
    expect(expired.body).toMatch(/longer than 10 minutes/);

    idp.refuseNext('access_denied');
    const refused = await ssoSignIn('ct-0001');
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/Test Agency ID did not sign you in \(access denied\)/);

    const reasons = (
      await db.db
        .selectFrom('audit_events')
        .select('details')
        .where('action', '=', 'auth.sign_in')
        .where('outcome', '=', 'denied')
        .execute()
    ).map((r) => (r.details as { reason?: string }).reason);
    expect(reasons).toEqual(expect.arrayContaining(['no_login_in_progress', 'bad_state', 'login_expired', 'provider_error']));
    const tampered = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/oidc/callback?code=x&state=y',
      headers: { cookie: 'sb_sso=zz-notours' },
    });
    expect(tampered.statusCode).toBe(400);
  });
});

describe('password sign-in while single sign-on is on', () => {
  const signIn = (who: SignedIn, password = who.password) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username: who.username, password } });

  it('is refused for an ordinary account with a message pointing to SSO (only after a right password), and allowed for break-glass accounts', async () => {
    const refused = await signIn(localAnalyst);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({
      code: 'sso_required',
      message: expect.stringMatching(/^Sign in with Test Agency ID: password sign-in is kept for break-glass accounts/),
    });
    // A wrong password says only that: the SSO answer reveals nothing to a guesser.
    expect((await signIn(localAnalyst, 'not-the-password-at-all')).json().error.code).toBe('sign_in_failed');

    // Both factors at once is refused the same way.
    const both = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in/both-factors',
      payload: { username: localAnalyst.username, password: localAnalyst.password, code: await totpCode(localAnalyst.secret, t.clock.now) },
    });
    expect(both.json().error.code).toBe('sso_required');

    // The break-glass admin signs in with password and code; nobody changes their own mark.
    expect((await signIn(admin)).statusCode).toBe(200);
    const self = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/admin/users/${admin.username}/break-glass`,
      headers: admin.headers,
      payload: { breakGlass: false },
    });
    expect(self.statusCode).toBe(403);
    const marked = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/admin/users/${localAnalyst.username}/break-glass`,
      headers: admin.headers,
      payload: { breakGlass: true },
    });
    expect(marked.statusCode, marked.body).toBe(200);
    expect(marked.json()).toMatchObject({ breakGlass: true, singleSignOn: false });
    const audit = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'details'])
      .where('action', '=', 'user.break_glass')
      .where('resource_id', '=', localAnalyst.userId)
      .execute();
    expect(audit.map((a) => a.details)).toEqual([
      { before: false, after: true, sessionsRevoked: 0 },
      { before: true, after: false, sessionsRevoked: 0 },
      { before: false, after: true, sessionsRevoked: 0 },
    ]);
    expect(audit[2]?.actor_id).toBe(admin.userId);
    const allowed = await signIn(localAnalyst);
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(allowed.json().next).toBe('totp');
  });
});
