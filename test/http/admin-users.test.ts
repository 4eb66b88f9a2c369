import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/services/totp.js';
import {
  buildTestApp,
  collectFromOutbox,
  completeEnrollment,
  enrollAs,
  loadTestAgencies,
  type SignedIn,
  signInWithCode,
  type TestApp,
} from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;

const DAY_MS = 86_400_000;

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

const postAs = (who: SignedIn, url: string, payload?: object) =>
  t.app.inject({ method: 'POST', url, headers: who.headers, ...(payload ? { payload } : {}) });
const post = (url: string, payload?: object) => postAs(admin, url, payload);

/** An admin adds the account in the API; the person receives the link from the outbox and enrolls. */
async function addedByAdminAndEnrolled(by: SignedIn, body: Record<string, string>): Promise<SignedIn> {
  const res = await postAs(by, '/api/v1/admin/users', body);
  expect(res.statusCode, res.body).toBe(201);
  const username: string = res.json().user.username;
  const [link] = collectFromOutbox(t.outboxDir, username);
  if (!link) throw new Error(`no link for ${username} in the outbox`);
  return completeEnrollment(t, username, link.token);
}

/** Signs in again (a session ends after 12 hours); the next code comes from a later period. */
async function signInAgain(person: SignedIn): Promise<SignedIn> {
  const { second } = await signInWithCode(t, person.username, person.password, await totpCode(person.secret, t.clock.now));
  expect(second?.statusCode, second?.body).toBe(200);
  const cookie = /sb_session=[^;]+/.exec(String(second?.headers['set-cookie']))?.[0] ?? '';
  const csrf: string = second?.json().csrfToken;
  t.clock.advance(30_000);
  return { ...person, cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}

describe('account administration', () => {
  it('adds an account without answering with its link: the link waits in the outbox for the person, who enrolls with it', async () => {
    const res = await post('/api/v1/admin/users', { displayName: 'Ana Belén Ruiz', role: 'uac_specialist', unit: 'uac' });
    expect(res.statusCode).toBe(201);
    expect(res.json().user).toMatchObject({ username: 'ana.belen.ruiz', role: 'uac_specialist', status: 'invited', mfaEnrolled: false });
    expect(res.json().enrollment).toEqual({
      delivery: 'outbox',
      expiresAt: new Date(t.clock.now.getTime() + 72 * 3_600_000).toISOString(),
    });
    expect(res.body).not.toMatch(/token|enroll#/);
    // One file, readable by the server's user only, for the site's delivery agent.
    const files = readdirSync(t.outboxDir).filter((f) => f.includes('ana.belen.ruiz'));
    expect(files).toHaveLength(1);
    expect(statSync(path.join(t.outboxDir, files[0] ?? '')).mode & 0o777).toBe(0o600);
    const [link, ...more] = collectFromOutbox(t.outboxDir, 'ana.belen.ruiz');
    expect(more).toEqual([]);
    expect(link?.reason).toBe('new_account');
    expect(link?.url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/enroll#token=[A-Za-z0-9_-]{43}$/);
    const ana = await completeEnrollment(t, 'ana.belen.ruiz', link?.token ?? '');
    expect(ana.recoveryCodes).toHaveLength(10);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: { cookie: admin.cookie } });
    expect(list.json().users.find((u: { username: string }) => u.username === 'ana.belen.ruiz')?.status).toBe('active');
    const added = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'details'])
      .where('action', '=', 'user.add')
      .where('resource_id', '=', ana.userId)
      .executeTakeFirstOrThrow();
    expect(added).toMatchObject({ actor_id: admin.userId, details: { enrollmentLinkTo: 'outbox' } });
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

  it('changing an account’s access (role, unit, field office, agency) ends its sessions, keeps the scope rules, is audited with before and after — and nobody changes their own', async () => {
    const person = await enrollAs(t, 'call_taker');
    const patch = (who: SignedIn, username: string, payload: object) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${username}`, headers: who.headers, payload });
    const changed = await patch(admin, person.username, { role: 'uac_specialist', unit: 'uac' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ role: 'uac_specialist', unit: 'uac', status: 'active' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: person.cookie } })).statusCode).toBe(401);
    const again = await signInWithCode(t, person.username, person.password, await totpCode(person.secret, t.clock.now));
    expect(again.second?.json().user.role).toBe('uac_specialist');
    const audited = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'resource_id', 'details'])
      .where('action', '=', 'user.change_access')
      .orderBy('inbox_id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audited).toMatchObject({
      actor_id: admin.userId,
      resource_id: person.userId,
      details: { before: { role: 'call_taker', unit: null }, after: { role: 'uac_specialist', unit: 'uac' }, sessionsRevoked: 1 },
    });
    // The scope rules of a new account hold for a change: a field officer needs an office; only partners an agency.
    const noOffice = await patch(admin, person.username, { role: 'field_officer' });
    expect(noOffice.statusCode).toBe(400);
    expect(noOffice.json().error.issues.map((i: { path: string }) => i.path)).toEqual(['fieldOfficeCode']);
    expect((await patch(admin, person.username, { role: 'field_officer', fieldOfficeCode: 'ZZZ' })).statusCode).toBe(404);
    expect((await patch(admin, person.username, { agencyOri: 'TX1430300' })).statusCode).toBe(400);
    expect((await patch(admin, person.username, {})).statusCode).toBe(400);
    expect((await patch(admin, 'no.such.person', { role: 'analyst' })).statusCode).toBe(404);
    // Nobody changes their own access; a supervisor changes nobody's.
    const own = await patch(admin, admin.username, { role: 'legal_reviewer' });
    expect(own.statusCode).toBe(403);
    expect(own.json().error.message).toContain('Nobody changes their own access');
    const supervisor = await enrollAs(t, 'supervisor');
    expect((await patch(supervisor, person.username, { role: 'analyst' })).statusCode).toBe(403);
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

  it('resetting a password stops the old one, ends sessions and sends a new link out of band; the authenticator stays', async () => {
    const person = await enrollAs(t, 'analyst');
    const res = await post(`/api/v1/admin/users/${person.username}/reset-password`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ user: { status: 'invited', mfaEnrolled: true }, enrollment: { delivery: 'outbox' } });
    expect(res.body).not.toMatch(/token/);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: person.cookie } })).statusCode).toBe(401);
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: person.username, password: person.password },
    });
    expect(old.statusCode).toBe(401);
    const [link] = collectFromOutbox(t.outboxDir, person.username);
    expect(link?.reason).toBe('password_reset');
    const chosen = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/password',
      payload: { enrollmentToken: link?.token, password: 'quarry-Lantern-velvet-42' },
    });
    expect(chosen.statusCode, chosen.body).toBe(200);
    // The link alone opens nothing: the existing authenticator's code is still needed.
    expect(chosen.json().next).toBe('totp');
    expect(chosen.json().enrollment).toBeUndefined();
    const signedIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/second-factor',
      payload: { challengeToken: chosen.json().challengeToken, code: await totpCode(person.secret, t.clock.now) },
    });
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    t.clock.advance(30_000);
  });

  it('audits every admin action with the admin as actor', async () => {
    const actions = await db.db.selectFrom('audit_events').select(['action']).where('actor_id', '=', admin.userId).execute();
    const names = new Set(actions.map((a) => a.action));
    for (const action of ['user.add', 'user.list', 'user.disable', 'user.reset_mfa', 'user.reset_password'])
      expect(names).toContain(action);
  });
});

describe('a two-person rule needs two independent people', () => {
  const propose = (who: SignedIn, key: string, value: number) =>
    postAs(who, '/api/v1/safeguards/settings/changes', { key, value, reason: 'Agreed at the oversight meeting' });
  const decide = (who: SignedIn, id: string) => postAs(who, `/api/v1/safeguards/settings/changes/${id}/decide`, { decision: 'approved' });

  it('a legal reviewer created by an admin cannot approve that admin’s safeguard change — nor the reverse — until the cooling-off ends', async () => {
    let founder = await enrollAs(t, 'admin');
    let reviewer = await addedByAdminAndEnrolled(founder, { displayName: 'Lidia Revisora', role: 'legal_reviewer' });
    const independent = await enrollAs(t, 'legal_reviewer');

    const change = await propose(founder, 'welfare_response_hours', 20);
    expect(change.statusCode, change.body).toBe(201);
    const refused = await decide(reviewer, change.json().id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.issues[0].code).toBe('not_independent');
    expect(refused.json().error.message).toContain('the proposer created the approver');
    const audited = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'outcome', 'details'])
      .where('action', '=', 'safeguards.decide')
      .orderBy('inbox_id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audited).toMatchObject({
      actor_id: reviewer.userId,
      outcome: 'denied',
      details: { reason: 'not_independent', act: 'created', actBy: founder.userId, coolingOffDays: 7 },
    });
    const settings = await t.app.inject({ method: 'GET', url: '/api/v1/safeguards/settings', headers: { cookie: founder.cookie } });
    expect(settings.json().settings.find((s: { key: string }) => s.key === 'welfare_response_hours').value).toBe(24);
    // Someone the admin did not create is a second person.
    expect((await decide(independent, change.json().id)).statusCode).toBe(200);

    // The other direction: the reviewer proposes, the admin who created the account approves.
    const back = await propose(reviewer, 'welfare_response_hours', 24);
    expect((await decide(founder, back.json().id)).statusCode).toBe(403);

    // Seven days later they are two people again.
    t.clock.advance(7 * DAY_MS);
    founder = await signInAgain(founder);
    reviewer = await signInAgain(reviewer);
    expect((await decide(founder, back.json().id)).statusCode).toBe(200);
  });

  it('an admin who made someone a legal reviewer cannot have them approve the admin’s own safeguard change until the cooling-off ends', async () => {
    const maker = await enrollAs(t, 'admin');
    const colleague = await enrollAs(t, 'analyst');
    const promoted = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${colleague.username}`,
      headers: maker.headers,
      payload: { role: 'legal_reviewer' },
    });
    expect(promoted.statusCode, promoted.body).toBe(200);
    const reviewer = await signInAgain(colleague);
    const change = await propose(maker, 'welfare_response_hours', 22);
    expect(change.statusCode, change.body).toBe(201);
    const refused = await decide(reviewer, change.json().id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('the proposer changed the role or scopes of the approver');
  });

  it('a second-factor reset or a password reset by the proposer binds them the same way', async () => {
    const resetter = await enrollAs(t, 'admin');
    let reviewer = await enrollAs(t, 'legal_reviewer');
    expect((await postAs(resetter, `/api/v1/admin/users/${reviewer.username}/reset-password`)).statusCode).toBe(200);
    const [link] = collectFromOutbox(t.outboxDir, reviewer.username);
    const password = 'tundra-Pickle-orbit-58';
    const chosen = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/password',
      payload: { enrollmentToken: link?.token, password },
    });
    const signedIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/second-factor',
      payload: { challengeToken: chosen.json().challengeToken, code: await totpCode(reviewer.secret, t.clock.now) },
    });
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    t.clock.advance(30_000);
    reviewer = await signInAgain({ ...reviewer, password });

    const change = await propose(resetter, 'age_out_window_days', 45);
    const refused = await decide(reviewer, change.json().id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('reset the password of');

    const mfaResetter = await enrollAs(t, 'admin');
    const other = await enrollAs(t, 'legal_reviewer');
    expect((await postAs(mfaResetter, `/api/v1/admin/users/${other.username}/reset-mfa`)).statusCode).toBe(200);
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: other.username, password: other.password },
    });
    const secret: string = first.json().enrollment.secret;
    const confirmed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/enrollment/confirm',
      payload: { challengeToken: first.json().challengeToken, code: await totpCode(secret, t.clock.now) },
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const cookie = /sb_session=[^;]+/.exec(String(confirmed.headers['set-cookie']))?.[0] ?? '';
    const reEnrolled: SignedIn = { ...other, secret, cookie, headers: { cookie, 'x-csrf-token': confirmed.json().csrfToken } };
    t.clock.advance(30_000);
    const mfaChange = await propose(mfaResetter, 'age_out_window_days', 60);
    const mfaRefused = await decide(reEnrolled, mfaChange.json().id);
    expect(mfaRefused.statusCode).toBe(403);
    expect(mfaRefused.json().error.message).toContain('reset the second factor of');
  });

  it('the cooling-off period is itself a safeguard setting, with bounds', async () => {
    const proposer = await enrollAs(t, 'admin');
    expect((await propose(proposer, 'two_person_cooling_off_days', 0)).statusCode).toBe(400);
    expect((await propose(proposer, 'two_person_cooling_off_days', 91)).statusCode).toBe(400);
    const change = await propose(proposer, 'two_person_cooling_off_days', 14);
    expect(change.statusCode, change.body).toBe(201);
    const approver = await enrollAs(t, 'legal_reviewer');
    expect((await decide(approver, change.json().id)).statusCode).toBe(200);
    // Fourteen days now: an account created ten days ago still binds its creator.
    const creator = await enrollAs(t, 'admin');
    let created = await addedByAdminAndEnrolled(creator, { displayName: 'Nadia Revisora', role: 'legal_reviewer' });
    t.clock.advance(10 * DAY_MS);
    const fresh = await signInAgain(creator);
    created = await signInAgain(created);
    const change2 = await propose(fresh, 'welfare_response_hours', 30);
    const refused = await decide(created, change2.json().id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('a 14-day cooling-off');
  });
});
