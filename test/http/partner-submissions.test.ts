import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/domain/partner/webhook-signature.js';
import { offlineGeocoder } from '../../src/services/geonames.js';
import { processSubmissions, sweepSubmissionWorkItems } from '../../src/services/partner-submission.service.js';
import { RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { deliverWebhooks } from '../../src/services/webhook.service.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';

/**
 * The partner exchange over real HTTP on loopback: token → submit → 202 →
 * processed → status accepted → signed webhook to a local receiver that
 * verifies it. Idempotency, validation, agreement scope, agency scoping, and
 * malformed payloads (property-based: always a 4xx with codes, never a 5xx).
 */

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;
let base: string;
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];
let receiverStatus = 200;

const TASK_FORCE = 'TX0312100';

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  admin = await enrollAs(t, 'admin');
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = receiverStatus;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/switchboard`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

async function clientFor(ori: string, scopes = ['submissions:write', 'agency:read']) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/partner-clients',
    headers: admin.headers,
    payload: { agencyOri: ori, name: 'RMS', scopes },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  const { clientId } = res.json().client;
  const secret = res.json().clientSecret;
  const token = await fetch(`${base}/api/partner/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(token.status).toBe(200);
  return ((await token.json()) as { access_token: string }).access_token;
}

const submission = (over: Record<string, unknown> = {}) => ({
  type: 'location_report',
  occurredAt: '2026-11-29T08:30:00-06:00',
  officer: { name: 'Deputy Synthetic', badge: 'S-104' },
  narrative: 'Subject seen at this address during a traffic stop.',
  subject: { givenNames: 'Rogelio', familyName1: 'Sintético', dob: '1985-04-04', dobBasis: 'claimed', nationalities: ['MX'] },
  location: { line1: '900 Synthetic Blvd', zip: '78520' },
  ...over,
});

const post = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/partner/v1/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const process = () =>
  processSubmissions({ db: db.db, routing: t.routing, geocoder: offlineGeocoder(), timeZone: 'America/Chicago' }, t.clock.now);

/**
 * Runs `requests` while a SHARE lock on `table` holds every insert back: each request finds no earlier row with its
 * key, then waits to insert; the lock goes once as many as the pool allows are waiting, so they race for real.
 */
async function raced<T>(table: string, requests: () => Promise<T>[]): Promise<T[]> {
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${table} IN SHARE MODE`);
    const pending = Promise.all(requests());
    const contenders = Math.min(10, db.pool.options.max ?? 10);
    await waitUntil(`${contenders} inserts into ${table} waiting`, async () => {
      const { rows } = await locker.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE relation = '${table}'::regclass AND NOT granted`,
      );
      return (rows[0]?.n ?? 0) >= contenders;
    });
    await locker.query('COMMIT');
    return await pending;
  } finally {
    await locker.end();
  }
}

describe('partner submissions over HTTP', () => {
  let token: string;
  let secret: string;

  beforeAll(async () => {
    token = await clientFor(TASK_FORCE);
    const hook = await fetch(`${base}/api/partner/v1/webhook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiverUrl }),
    });
    expect(hook.status).toBe(200);
    secret = ((await hook.json()) as { secret: string }).secret;
    const insecure = await fetch(`${base}/api/partner/v1/webhook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://example.org/hook' }),
    });
    expect(insecure.status).toBe(400);
  });

  it('acknowledges with 202 after storing, processes into a case and a work item, and signs the status webhook', async () => {
    const res = await post(token, submission());
    expect(res.status).toBe(202);
    const ack = (await res.json()) as { id: string; status: string; statusUrl: string };
    expect(ack.status).toBe('received');
    expect(await db.db.selectFrom('partner_submissions').select('status').where('id', '=', ack.id).executeTakeFirst()).toEqual({
      status: 'received',
    });

    expect(await process()).toBe(1);
    const status = (await (await fetch(`${base}${ack.statusUrl}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      status: string;
      reference: string;
    };
    expect(status).toMatchObject({ status: 'accepted', reference: expect.stringMatching(/^C-2026-\d{6}$/) });
    const kase = await db.db.selectFrom('cases').selectAll().where('case_number', '=', status.reference).executeTakeFirstOrThrow();
    expect(kase).toMatchObject({ type: 'enforcement_lead', aor_office_code: 'HLG' });
    const report = await db.db.selectFrom('reports').selectAll().where('submission_id', '=', ack.id).executeTakeFirstOrThrow();
    expect(report).toMatchObject({
      source: 'partner_officer',
      reporter_agency_ori: TASK_FORCE,
      source_reliability: 'B',
      information_credibility: 2,
    });
    const task = [...t.routing.engine.allTasks()].find((x) => x.attributes.submissionId === ack.id);
    expect(task?.queueId).toBe('analysis');
    // The work item names the case and its unit as the intake answered them.
    expect(task?.attributes).toMatchObject({ kind: 'work_item', unit: 'enforcement', caseId: kase.id, caseNumber: status.reference });

    const sent = await deliverWebhooks({ db: db.db, keys: t.identity.keys, allowLoopback: true }, t.clock.now);
    expect(sent.delivered).toBe(1);
    const hook = received.at(-1);
    if (!hook) throw new Error('no webhook');
    const headers = {
      timestamp: String(hook.headers['x-switchboard-timestamp']),
      signature: String(hook.headers['x-switchboard-signature']),
    };
    expect(verify(secret, headers, hook.body, t.clock.now)).toEqual({ ok: true });
    expect(JSON.parse(hook.body)).toMatchObject({
      event: 'submission.status',
      submissionId: ack.id,
      status: 'accepted',
      reference: status.reference,
    });
    // Tampered or replayed deliveries are detectable.
    expect(verify(secret, headers, hook.body.replace('accepted', 'rejected'), t.clock.now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(secret, headers, hook.body, new Date(t.clock.now.getTime() + 10 * 60_000))).toEqual({ ok: false, reason: 'stale' });
    expect(verify('whsec_wrong', headers, hook.body, t.clock.now)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('an Idempotency-Key replays the original answer for the same body and refuses another body', async () => {
    const key = 'rms-2026-000123';
    const first = await post(token, submission(), { 'idempotency-key': key });
    const again = await post(token, submission(), { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    const other = await post(token, submission({ narrative: 'A different report' }), { 'idempotency-key': key });
    expect(other.status).toBe(409);
    const rows = await db.db.selectFrom('partner_submissions').select('id').where('idempotency_key', '=', key).execute();
    expect(rows).toHaveLength(1);
  });

  it('ten requests at once with one Idempotency-Key all get the same 202: one stored, nine replays', async () => {
    const key = 'rms-2026-race-0001';
    const answers = await raced('partner_submissions', () =>
      Array.from({ length: 10 }, () => post(token, submission({ narrative: 'Sent ten times at once.' }), { 'idempotency-key': key })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 10 }, () => 202));
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { id: string; status: string }[];
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    const rows = await db.db.selectFrom('partner_submissions').select('id').where('idempotency_key', '=', key).execute();
    expect(rows).toEqual([{ id: bodies[0]?.id }]);
    // The same key with another body, at once: one is the original, the others are refused as conflicts, none fails.
    const mixed = await raced('partner_submissions', () =>
      Array.from({ length: 6 }, (_, i) =>
        post(token, submission({ narrative: `Body ${i % 2}` }), { 'idempotency-key': 'rms-2026-race-0002' }),
      ),
    );
    expect(mixed.map((a) => a.status).sort()).toEqual([202, 202, 202, 409, 409, 409]);
  });

  it('a work item lost between the accepted status and the ACD is made by the sweep, exactly once', async () => {
    const res = await post(token, submission({ narrative: 'The ACD write fails once.' }));
    const { id } = (await res.json()) as { id: string };
    // The routing log refuses this submission's work item, as a crash right after the status commit would lose it.
    await sql`CREATE TABLE test_refused_work (submission_id text PRIMARY KEY)`.execute(db.db);
    await sql`INSERT INTO test_refused_work VALUES (${id})`.execute(db.db);
    await sql`CREATE FUNCTION test_refuse_work() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM test_refused_work WHERE submission_id = NEW.command -> 'task' -> 'attributes' ->> 'submissionId') THEN
          RAISE EXCEPTION 'simulated crash before the work item';
        END IF;
        RETURN NEW;
      END $$`.execute(db.db);
    await sql`CREATE TRIGGER test_refuse_work BEFORE INSERT ON routing_commands FOR EACH ROW EXECUTE FUNCTION test_refuse_work()`.execute(
      db.db,
    );
    const deps = { db: db.db, routing: t.routing, geocoder: offlineGeocoder(), timeZone: 'America/Chicago' };
    const tasksOf = () => [...t.routing.engine.allTasks()].filter((x) => x.attributes.submissionId === id);
    try {
      await expect(process()).rejects.toThrow(/simulated crash/);
      const row = await db.db.selectFrom('partner_submissions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.status).toBe('accepted');
      expect(row.task_id).toEqual(expect.any(String));
      expect(tasksOf()).toEqual([]);
      // While the cause lasts the sweep fails too, and makes nothing.
      await expect(sweepSubmissionWorkItems(deps, t.clock.now)).rejects.toThrow(/simulated crash/);
    } finally {
      await sql`DROP TRIGGER test_refuse_work ON routing_commands`.execute(db.db);
    }
    // After a restart the engine, rebuilt from the log, does not have it either.
    const restarted = await RoutingService.open(db.db, await loadRoutingConfig(db.db), t.clock.get);
    const row = await db.db.selectFrom('partner_submissions').select('task_id').where('id', '=', id).executeTakeFirstOrThrow();
    expect(restarted.engine.task(row.task_id ?? '')).toBeUndefined();
    await restarted.stop();

    expect(await sweepSubmissionWorkItems(deps, t.clock.now)).toBe(1);
    expect(tasksOf()).toEqual([expect.objectContaining({ id: row.task_id, queueId: 'analysis' })]);
    // Swept again, processed again, a day later: never a second one.
    expect(await sweepSubmissionWorkItems(deps, t.clock.now)).toBe(0);
    expect(await process()).toBe(0);
    expect(await sweepSubmissionWorkItems(deps, new Date(t.clock.now.getTime() + 23 * 3_600_000))).toBe(0);
    expect(tasksOf()).toHaveLength(1);
    const logged = await sql<{ n: string }>`
      SELECT count(*) AS n FROM routing_commands
      WHERE command ->> 'type' = 'createTask' AND command -> 'task' -> 'attributes' ->> 'submissionId' = ${id}`.execute(db.db);
    expect(logged.rows[0]?.n).toBe('1');
  });

  it('the portal: the acknowledgement links to a status a partner officer can read, for their own agency only (audited)', async () => {
    const officer = await enrollAs(t, 'partner_officer', { agencyOri: TASK_FORCE });
    const sent = await t.app.inject({ method: 'POST', url: '/api/v1/portal/submissions', headers: officer.headers, payload: submission() });
    expect(sent.statusCode, sent.body).toBe(202);
    const ack = sent.json() as { id: string; statusUrl: string };
    expect(ack.statusUrl).toBe(`/api/v1/portal/submissions/${ack.id}`);
    // The link is a registered route…
    expect(t.registered).toContainEqual({ method: 'GET', url: '/api/v1/portal/submissions/:id' });
    // … that answers with the status, as the partner API's GET does.
    const before = await t.app.inject({ method: 'GET', url: ack.statusUrl, headers: { cookie: officer.cookie } });
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json()).toMatchObject({ id: ack.id, status: 'received', statusUrl: ack.statusUrl, reference: null });
    await process();
    const after = (await t.app.inject({ method: 'GET', url: ack.statusUrl, headers: { cookie: officer.cookie } })).json();
    const viaApi = (await (
      await fetch(`${base}/api/partner/v1/submissions/${ack.id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as Record<string, unknown>;
    expect(after).toEqual({ ...viaApi, statusUrl: ack.statusUrl });
    expect(after).toMatchObject({ status: 'accepted', reference: expect.stringMatching(/^C-2026-\d{6}$/) });
    // The portal's list links to the portal too.
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/portal/submissions', headers: { cookie: officer.cookie } })).json();
    expect(listed.submissions.find((x: { id: string }) => x.id === ack.id)?.statusUrl).toBe(ack.statusUrl);

    // Another agency's officer: not found, and the attempt is in the audit; staff without a partner agency: forbidden.
    const stranger = await enrollAs(t, 'partner_officer', { agencyOri: 'TX1430300' });
    const peek = await t.app.inject({ method: 'GET', url: ack.statusUrl, headers: { cookie: stranger.cookie } });
    expect(peek.statusCode).toBe(404);
    expect(peek.json().error.code).toBe('not_found');
    const audited = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'outcome'])
      .where('action', '=', 'submission.read')
      .where('resource_id', '=', ack.id)
      .orderBy('inbox_id')
      .execute();
    expect(audited).toEqual([
      { actor_id: officer.userId, outcome: 'allowed' },
      { actor_id: officer.userId, outcome: 'allowed' },
      expect.objectContaining({ outcome: 'allowed' }),
      { actor_id: stranger.userId, outcome: 'denied' },
    ]);
    expect((await t.app.inject({ method: 'GET', url: ack.statusUrl, headers: { cookie: admin.cookie } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: ack.statusUrl })).statusCode).toBe(401);
  });

  it('reports every invalid field at once; unknown fields and __proto__ are refused, nothing is stored', async () => {
    const before = await db.db
      .selectFrom('partner_submissions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const res = await post(
      token,
      submission({ occurredAt: 'yesterday', subject: { givenNames: '', familyName1: 'X', dob: '1985-13-01' }, extra: 1 }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { path: string; code: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['body.occurredAt', 'body.subject.givenNames', 'body.subject.dob', 'body']),
    );
    const future = await post(token, submission({ occurredAt: '2026-12-25T10:00:00Z' }));
    expect(future.status).toBe(400);
    const proto = await post(token, '{"type":"location_report","__proto__":{"admin":true}}');
    expect(proto.status).toBe(400);
    const after = await db.db
      .selectFrom('partner_submissions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('a submission the intake cannot use is rejected with reasons after processing', async () => {
    const res = await post(token, submission({ location: { zip: '00000' } }));
    const { id } = (await res.json()) as { id: string };
    await process();
    const status = (await (
      await fetch(`${base}/api/partner/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      status: string;
      reasons: { path: string; code: string }[];
    };
    expect(status.status).toBe('rejected');
    expect(status.reasons).toEqual([expect.objectContaining({ path: 'location.zip', code: 'unknown_zip' })]);
  });

  it("an intake's refusal reaches the agency in the submission's own terms, every reason at once, nothing filed", async () => {
    const res = await post(
      token,
      submission({
        subject: { givenNames: 'Rogelio', familyName1: 'Sintético', dob: '2999-01-01', dobBasis: 'claimed', aNumber: 'A12' },
        location: { zip: '00000' },
      }),
    );
    const { id } = (await res.json()) as { id: string };
    await process();
    const status = (await (
      await fetch(`${base}/api/partner/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { status: string; reference: string | null; reasons: { path: string; code: string }[] };
    expect(status.status).toBe('rejected');
    expect(status.reference).toBeNull();
    expect(status.reasons.map((r) => `${r.path}:${r.code}`)).toEqual([
      'subject.dob:dob_in_future',
      'subject.identifiers.aNumber:invalid_a_number',
      'location.zip:unknown_zip',
    ]);
    expect(await db.db.selectFrom('reports').select('id').where('submission_id', '=', id).execute()).toEqual([]);
  });

  it('agencies see only their own submissions; agreements limit what may be sent', async () => {
    const mine = await post(token, submission());
    const { id } = (await mine.json()) as { id: string };
    const jail = await db.db
      .selectFrom('agencies')
      .select('ori')
      .where('agreement_model', '=', 'jail_enforcement')
      .where('agreement_status', '=', 'active')
      .executeTakeFirstOrThrow();
    const other = await clientFor(jail.ori);
    const peek = await fetch(`${base}/api/partner/v1/submissions/${id}`, { headers: { authorization: `Bearer ${other}` } });
    expect(peek.status).toBe(404);
    const outOfScope = await post(other, submission());
    expect(outOfScope.status).toBe(403);
    expect(((await outOfScope.json()) as { error: { issues: { code: string }[] } }).error.issues[0]?.code).toBe('out_of_scope');
    const childConcern = await post(
      other,
      submission({
        type: 'uac_concern',
        concern: 'sighting',
        subject: { givenNames: 'Niño', familyName1: 'Sintético', dob: '2014-02-02', dobBasis: 'estimated' },
      }),
    );
    expect(childConcern.status).toBe(202);
    const readOnly = await clientFor(TASK_FORCE, ['submissions:read']);
    expect((await post(readOnly, submission())).status).toBe(403);
    // A staff session cannot submit, a partner token cannot reach staff routes.
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/partner/v1/submissions', headers: admin.headers, payload: submission() }))
        .statusCode,
    ).toBe(401);
    expect((await fetch(`${base}/api/v1/cases`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('retries failed webhooks with backoff, then keeps them in a dead-letter list an admin can redeliver', async () => {
    receiverStatus = 500;
    const res = await post(token, submission());
    const { id } = (await res.json()) as { id: string };
    await process();
    let now = t.clock.now;
    for (let i = 0; i < 8; i++) {
      await deliverWebhooks({ db: db.db, keys: t.identity.keys, allowLoopback: true }, now);
      now = new Date(now.getTime() + 3 * 3_600_000);
    }
    const row = await db.db.selectFrom('webhook_deliveries').selectAll().where('submission_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'dead', attempts: 8, last_error: 'HTTP 500' });
    const dead = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/webhook-deliveries?status=dead',
      headers: { cookie: admin.cookie },
    });
    expect(dead.json().deliveries.map((d: { id: string }) => d.id)).toContain(row.id);
    receiverStatus = 200;
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/admin/webhook-deliveries/${row.id}/redeliver`, headers: admin.headers }))
        .statusCode,
    ).toBe(200);
    expect((await deliverWebhooks({ db: db.db, keys: t.identity.keys, allowLoopback: true }, now)).delivered).toBe(1);
  });

  const xml = (inner: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>${extra}
<PartnerSubmission xmlns="urn:switchboard:partner:1">${inner}</PartnerSubmission>`;
  const validXml = xml(`
    <SubmissionCategoryCode>location_report</SubmissionCategoryCode>
    <ActivityDateTime>2026-11-29T08:30:00-06:00</ActivityDateTime>
    <ReportingOfficer><PersonFullName>Deputy Synthetic</PersonFullName><OfficerBadgeIdentification>S-104</OfficerBadgeIdentification></ReportingOfficer>
    <ActivityDescriptionText>Subject seen at this address &amp; vehicle noted.</ActivityDescriptionText>
    <SubjectPerson>
      <PersonGivenName>Rogelio</PersonGivenName><PersonSurName>Xml</PersonSurName>
      <PersonBirthDate>1985-04-04</PersonBirthDate><PersonBirthDateBasisCode>claimed</PersonBirthDateBasisCode>
      <PersonCitizenshipCode>MX</PersonCitizenshipCode><PersonCitizenshipCode>GT</PersonCitizenshipCode>
    </SubjectPerson>
    <Location><LocationStreet>1 XML Way</LocationStreet><LocationPostalCode>78520</LocationPostalCode></Location>`);
  const postXml = (body: string) =>
    fetch(`${base}/api/partner/v1/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
      body,
    });

  it('takes the same submission as XML with NIEM-style names, into the same model', async () => {
    const res = await postXml(validXml);
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const row = await db.db.selectFrom('partner_submissions').select('payload').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.payload).toMatchObject({
      type: 'location_report',
      narrative: 'Subject seen at this address & vehicle noted.',
      subject: { givenNames: 'Rogelio', familyName1: 'Xml', nationalities: ['MX', 'GT'] },
      location: { line1: '1 XML Way', zip: '78520' },
    });
    await process();
    const status = (await (
      await fetch(`${base}/api/partner/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { status: string };
    expect(status.status).toBe('accepted');
  });

  it('refuses external entities, entity expansion, deep nesting and unknown elements — each a 400 with its code', async () => {
    const cases: [string, string][] = [
      [
        xml(
          '<ActivityDescriptionText>&xxe;</ActivityDescriptionText>',
          '<!DOCTYPE PartnerSubmission [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        ),
        'xml_doctype_forbidden',
      ],
      [
        xml(
          '<ActivityDescriptionText>&lol3;</ActivityDescriptionText>',
          '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>',
        ),
        'xml_doctype_forbidden',
      ],
      [xml(`<SubjectPerson>${'<PersonStateIdentification>'.repeat(12)}</SubjectPerson>`), 'xml_too_deep'],
      [xml('<SubmissionCategoryCode>location_report</SubmissionCategoryCode><Surprise>1</Surprise>'), 'unknown_element'],
      ['<PartnerSubmission><Unclosed>', 'xml_root'],
      [xml('<ActivityDescriptionText>&undefined;</ActivityDescriptionText>'), 'xml_malformed'],
      ['not xml at all', 'xml_malformed'],
    ];
    for (const [body, code] of cases) {
      const res = await postXml(body);
      expect(res.status, body).toBe(400);
      const parsed = (await res.json()) as { error: { issues: { code: string }[] } };
      expect(
        parsed.error.issues.map((i) => i.code),
        body,
      ).toContain(code);
    }
    // XML anywhere else is refused as a media type (to a caller who may use the route: the guard answers first).
    const callTaker = await enrollAs(t, 'call_taker');
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/api/v1/intake',
      headers: { ...callTaker.headers, 'content-type': 'application/xml' },
      payload: validXml,
    });
    expect(elsewhere.statusCode).toBe(415);
  });

  it('random XML is always a 4xx with codes, never a 5xx (property-based)', async () => {
    const element = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string().map((s) => s.replace(/[<&]/g, '')),
        fc
          .record({
            name: fc.constantFrom('SubjectPerson', 'PersonGivenName', 'Location', 'X', 'SubmissionCategoryCode'),
            kids: fc.array(tie('node'), { maxLength: 3 }),
          })
          .map((r) => `<${r.name}>${(r.kids as string[]).join('')}</${r.name}>`),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(element.node, fc.boolean(), async (inner, wrap) => {
        const res = await postXml(wrap ? xml(inner as string) : (inner as string));
        expect(res.status).toBeGreaterThanOrEqual(202);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(typeof ((await res.json()) as { error: { code: string } }).error.code).toBe('string');
        else await res.arrayBuffer();
      }),
      { numRuns: 60 },
    );
  });

  it('in production a delivery whose host resolves to a private address is refused, not sent', async () => {
    received.length = 0;
    const res = await post(token, submission());
    const { id } = (await res.json()) as { id: string };
    await process();
    const counts = await deliverWebhooks({ db: db.db, keys: t.identity.keys, lookup: async () => ['10.0.0.7'] }, t.clock.now);
    expect(counts.failed).toBeGreaterThanOrEqual(1);
    expect(received).toHaveLength(0);
    const row = await db.db
      .selectFrom('webhook_deliveries')
      .select(['status', 'last_error'])
      .where('submission_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'pending', last_error: 'no response' });
  });

  it('malformed payloads are always a 4xx with codes, never a 5xx (property-based)', async () => {
    const json = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          type: fc.constantFrom('location_report', 'encounter', 'uac_concern', 'hit_confirmation_request', 'nope'),
          subject: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(json, async (body) => {
        const res = await post(token, body);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        const parsed = (await res.json()) as { error: { code: string } };
        expect(typeof parsed.error.code).toBe('string');
      }),
      { numRuns: 60 },
    );
  });
});
