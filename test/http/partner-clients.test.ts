import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  collectFromOutbox,
  completeEnrollment,
  enrollAs,
  loadTestAgencies,
  type SignedIn,
  type TestApp,
} from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;

const AGENCY_A = 'TX1430300';
const AGENCY_B = 'FL0859000';
/** Suspended in reference/agencies.json. */
const SUSPENDED = 'TX0742300';

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

async function newClient(agencyOri = AGENCY_A): Promise<{ clientId: string; clientSecret: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/partner-clients',
    headers: admin.headers,
    payload: { agencyOri, name: 'Records system' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return { clientId: res.json().client.clientId, clientSecret: res.json().clientSecret };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function tokenFor(client: { clientId: string; clientSecret: string }, ip = '127.0.0.1'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/partner/v1/oauth/token',
    remoteAddress: ip,
    headers: { authorization: basic(client.clientId, client.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().access_token;
}

describe('partner clients and the token endpoint', () => {
  it('issues a short-lived bearer token bound to the agency, by HTTP Basic or form fields', async () => {
    const client = await newClient();
    expect(client.clientSecret).toMatch(/^pcs_/);
    const token = await tokenFor(client);
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    expect(claims).toMatchObject({
      sub: client.clientId,
      ori: AGENCY_A,
      scope: 'agency:read submissions:write submissions:read requests:respond',
      iss: 'switchboard',
      aud: 'switchboard-partner-api',
    });
    expect(claims.exp - claims.iat).toBe(900);
    const form = await t.app.inject({
      method: 'POST',
      url: '/api/partner/v1/oauth/token',
      remoteAddress: '127.0.0.2',
      payload: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret },
    });
    expect(form.statusCode).toBe(200);
    expect(form.json()).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
  });

  it('lets a token read its own agency, refuses another agency and audits the refusal', async () => {
    const client = await newClient();
    const token = await tokenFor(client, '127.0.0.3');
    const own = await t.app.inject({
      method: 'GET',
      url: `/api/partner/v1/agencies/${AGENCY_A}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ ori: AGENCY_A, agreement: { status: 'active' } });
    const other = await t.app.inject({
      method: 'GET',
      url: `/api/partner/v1/agencies/${AGENCY_B}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(other.statusCode).toBe(403);
    expect(other.body).not.toContain(AGENCY_B.slice(2));
    const audit = await db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_id', '=', client.clientId)
      .where('action', '=', 'agency.read')
      .orderBy('inbox_id')
      .execute();
    expect(audit.map((a) => [a.outcome, a.resource_id, a.actor_agency_ori])).toEqual([
      ['allowed', AGENCY_A, AGENCY_A],
      ['denied', AGENCY_B, AGENCY_A],
    ]);
  });

  it('answers bad requests in the RFC 6749 error format', async () => {
    const client = await newClient();
    const send = (payload: Record<string, string>, ip: string) =>
      t.app.inject({ method: 'POST', url: '/api/partner/v1/oauth/token', remoteAddress: ip, payload });
    const wrongSecret = await send(
      { grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'pcs_wrong' },
      '127.0.1.1',
    );
    expect(wrongSecret.statusCode).toBe(401);
    expect(wrongSecret.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
    const grant = await send({ grant_type: 'password', client_id: client.clientId, client_secret: client.clientSecret }, '127.0.1.2');
    expect(grant.json().error).toBe('unsupported_grant_type');
    const scope = await send(
      { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: 'cases:write' },
      '127.0.1.3',
    );
    expect(scope.json().error).toBe('invalid_scope');
  });

  it('rotation retires the old secret; revocation stops the client and its tokens at once', async () => {
    const client = await newClient();
    const token = await tokenFor(client, '127.0.2.1');
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/partner-clients/${client.clientId}/rotate`,
      headers: admin.headers,
    });
    expect(rotated.statusCode).toBe(200);
    const newSecret = rotated.json().clientSecret;
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/partner/v1/oauth/token',
      remoteAddress: '127.0.2.2',
      payload: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret },
    });
    expect(old.statusCode).toBe(401);
    await tokenFor({ clientId: client.clientId, clientSecret: newSecret }, '127.0.2.3');
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/partner-clients/${client.clientId}/revoke`,
      headers: admin.headers,
    });
    expect(revoked.json().status).toBe('revoked');
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/partner/v1/agencies/${AGENCY_A}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.statusCode).toBe(401);
  });

  it('rotation alone revokes every token issued under the old secret, at once; tokens of the new one work', async () => {
    const client = await newClient();
    const read = (token: string) =>
      t.app.inject({ method: 'GET', url: `/api/partner/v1/agencies/${AGENCY_A}`, headers: { authorization: `Bearer ${token}` } });
    const before = await tokenFor(client, '127.0.2.11');
    expect((await read(before)).statusCode).toBe(200);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/partner-clients/${client.clientId}/rotate`,
      headers: admin.headers,
    });
    expect(rotated.statusCode).toBe(200);
    // Well inside the old token's 15 minutes: refused all the same.
    t.clock.advance(60_000);
    expect((await read(before)).statusCode).toBe(401);
    const after = await tokenFor({ clientId: client.clientId, clientSecret: rotated.json().clientSecret }, '127.0.2.12');
    expect((await read(after)).statusCode).toBe(200);
    const audit = await db.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'client.rotate')
      .where('resource_id', '=', client.clientId)
      .executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ generation: 2, tokensRevoked: true });
  });

  it('refuses tokens that are expired, forged or for the wrong kind of route', async () => {
    const client = await newClient();
    const token = await tokenFor(client, '127.0.3.1');
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    const forgedRes = await t.app.inject({
      method: 'GET',
      url: `/api/partner/v1/agencies/${AGENCY_A}`,
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(forgedRes.statusCode).toBe(401);
    // A partner token is not a staff session, and a staff session is not a partner token.
    const staffRoute = await t.app.inject({ method: 'GET', url: '/api/v1/queues', headers: { authorization: `Bearer ${token}` } });
    expect(staffRoute.statusCode).toBe(401);
    const partnerRoute = await t.app.inject({
      method: 'GET',
      url: `/api/partner/v1/agencies/${AGENCY_A}`,
      headers: { cookie: admin.cookie },
    });
    expect(partnerRoute.statusCode).toBe(401);
    t.clock.advance(16 * 60_000);
    const expired = await t.app.inject({
      method: 'GET',
      url: `/api/partner/v1/agencies/${AGENCY_A}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(expired.statusCode).toBe(401);
  });

  it('issues clients only to agencies with an active agreement, and never shows a secret again', async () => {
    const inactive = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/partner-clients',
      headers: admin.headers,
      payload: { agencyOri: SUSPENDED, name: 'Jail system' },
    });
    expect(inactive.statusCode).toBe(409);
    expect(inactive.json().error.message).toContain('suspended');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/partner-clients',
      headers: admin.headers,
      payload: { agencyOri: 'ZZ0000000', name: 'Jail system' },
    });
    expect(unknown.statusCode).toBe(404);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/partner-clients', headers: { cookie: admin.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toMatch(/pcs_|secret/i);
  });

  it('rate-limits the token endpoint per address', async () => {
    let last = 0;
    for (let i = 0; i < 31; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/partner/v1/oauth/token',
        remoteAddress: '127.0.9.9',
        payload: { grant_type: 'client_credentials' },
      });
      last = res.statusCode;
      if (i < 30) expect(res.statusCode).toBe(401);
    }
    expect(last).toBe(429);
  });

  it('bad secrets from one address never refuse the client from another address', async () => {
    const client = await newClient();
    const attempt = (remoteAddress: string, clientSecret: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/partner/v1/oauth/token',
        remoteAddress,
        payload: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: clientSecret },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await attempt('127.0.8.8', `pcs_guess_${i}`)).statusCode);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    // The partner's own system, elsewhere, with the right secret.
    expect((await attempt('127.0.8.9', client.clientSecret)).statusCode).toBe(200);
    expect((await attempt('127.0.8.8', client.clientSecret)).statusCode).toBe(429);
  });
});

describe('API clients requested in the portal', () => {
  it('an officer asks, an admin approves, the officer collects the secret once, and the client works', async () => {
    const officer = await enrollAs(t, 'partner_officer', { agencyOri: AGENCY_A });
    const colleague = await enrollAs(t, 'partner_officer', { agencyOri: AGENCY_A });
    const outsider = await enrollAs(t, 'partner_officer', { agencyOri: AGENCY_B });
    const asked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/client-requests',
      headers: officer.headers,
      payload: {
        name: 'County RMS',
        scopes: ['submissions:write', 'requests:respond'],
        justification: 'Our records system will submit encounters.',
      },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const id = asked.json().id;
    expect(asked.json()).toMatchObject({ status: 'pending', agencyOri: AGENCY_A, clientId: null });
    const badScope = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/client-requests',
      headers: officer.headers,
      payload: { name: 'x', scopes: ['admin:everything'], justification: 'want all the things' },
    });
    expect(badScope.statusCode).toBe(400);
    // Officers cannot approve; the admin queue has it.
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/client-requests/${id}/decide`,
          headers: officer.headers,
          payload: { decision: 'approve' },
        })
      ).statusCode,
    ).toBe(403);
    const queue = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/client-requests?status=pending',
      headers: { cookie: admin.cookie },
    });
    expect(queue.json().requests.map((r: { id: string }) => r.id)).toContain(id);
    const decided = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/client-requests/${id}/decide`,
      headers: admin.headers,
      payload: { decision: 'approve', note: 'Agreement checked' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json()).toMatchObject({ status: 'approved', secretWaiting: true, clientId: expect.stringMatching(/^pc_/) });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/client-requests/${id}/decide`,
          headers: admin.headers,
          payload: { decision: 'refuse' },
        })
      ).statusCode,
    ).toBe(409);

    // Only the officer who asked collects the secret, once; nobody else — not a colleague, not another agency.
    const collect = (who: SignedIn) =>
      t.app.inject({ method: 'POST', url: `/api/v1/portal/client-requests/${id}/collect`, headers: who.headers });
    expect((await collect(colleague)).statusCode).toBe(404);
    expect((await collect(outsider)).statusCode).toBe(404);
    // The refused attempts are in the audit log (the refusal does not roll the audit back).
    const denied = await db.db
      .selectFrom('audit_events')
      .select('outcome')
      .where('action', '=', 'client_request.collect')
      .where('resource_id', '=', id)
      .execute();
    expect(denied.map((d) => d.outcome)).toEqual(['denied', 'denied']);
    const secret = await collect(officer);
    expect(secret.statusCode, secret.body).toBe(200);
    expect((await collect(officer)).statusCode).toBe(409);
    const stored = await db.db.selectFrom('partner_client_requests').select(['secret_enc']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.secret_enc).toBeNull();
    const token = await tokenFor(secret.json());
    expect(token.split('.')).toHaveLength(3);

    // The agency's page lists its requests and clients; another agency's officer sees none of them.
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/portal/client-requests', headers: { cookie: officer.cookie } });
    expect(mine.json().clients.map((c: { clientId: string }) => c.clientId)).toContain(secret.json().clientId);
    const theirs = await t.app.inject({ method: 'GET', url: '/api/v1/portal/client-requests', headers: { cookie: outsider.cookie } });
    expect(theirs.json().requests.map((r: { id: string }) => r.id)).not.toContain(id);
    expect(theirs.json().clients.map((c: { clientId: string }) => c.clientId)).not.toContain(secret.json().clientId);
  });
});

describe('two independent people for an API client', () => {
  it('an admin cannot approve a client for an officer whose account they created; another admin can; the refusal is audited', async () => {
    const creator = await enrollAs(t, 'admin');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers: creator.headers,
      payload: { displayName: 'Oficial Creado', role: 'partner_officer', agencyOri: AGENCY_A },
    });
    expect(created.statusCode, created.body).toBe(201);
    const username: string = created.json().user.username;
    const [link] = collectFromOutbox(t.outboxDir, username);
    const officer = await completeEnrollment(t, username, link?.token ?? '');
    const asked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/client-requests',
      headers: officer.headers,
      payload: { name: 'Jail system', scopes: ['submissions:write'], justification: 'Booking encounters, nightly.' },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const id = asked.json().id;
    const decide = (who: SignedIn) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/client-requests/${id}/decide`,
        headers: who.headers,
        payload: { decision: 'approve' },
      });
    const refused = await decide(creator);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.issues[0].code).toBe('not_independent');
    const audit = await db.db
      .selectFrom('audit_events')
      .select(['outcome', 'details'])
      .where('action', '=', 'client_request.decide')
      .where('resource_id', '=', id)
      .execute();
    expect(audit).toEqual([{ outcome: 'denied', details: expect.objectContaining({ reason: 'not_independent', act: 'created' }) }]);
    const stillPending = await db.db.selectFrom('partner_client_requests').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stillPending.status).toBe('pending');
    expect((await decide(admin)).statusCode).toBe(200);
  });
});
