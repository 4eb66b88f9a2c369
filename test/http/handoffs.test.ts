import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepHandoffs } from '../../src/services/handoff.service.js';
import { deliverWebhooks } from '../../src/services/webhook.service.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * Issue #22 item 4: a welfare referral handed off to the organisation that receives its type — refused without
 * consent (allowed for a child in danger), sent as a signed webhook with the minimal snapshot (no sponsor unless a
 * legal reviewer approved naming them), acknowledged and closed by the organisation through its own API with its
 * credential, and escalated once when overdue (a virtual clock). Synthetic people only.
 */

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;
let callTaker: SignedIn;
let uac: SignedIn;
let supervisor: SignedIn;
let reviewer: SignedIn;
let analyst: SignedIn;
let receiver: Server;
let hookUrl: string;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let orrSecret: string;
let orrId: string;
let orrCredential: string;
let cpsId: string;
let cpsCredential: string;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  admin = await enrollAs(t, 'admin');
  callTaker = await enrollAs(t, 'call_taker');
  uac = await enrollAs(t, 'uac_specialist');
  supervisor = await enrollAs(t, 'supervisor');
  reviewer = await enrollAs(t, 'legal_reviewer');
  analyst = await enrollAs(t, 'analyst');
  // The receiving organisation's webhook receiver: a real HTTP server on loopback.
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/switchboard-handoffs`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const put = (who: SignedIn, url: string, payload: Body = {}) => t.app.inject({ method: 'PUT', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const inbox = (credential: string, path: string, payload?: Body) =>
  t.app.inject({
    method: payload === undefined ? 'GET' : 'POST',
    url: path === '' ? '/api/v1/handoff-inbox' : `/api/v1/handoff-inbox/${path}`,
    headers: { authorization: `Bearer ${credential}` },
    ...(payload === undefined ? {} : { payload }),
  });
const deliver = () => deliverWebhooks({ db: db.db, keys: t.identity.keys, allowLoopback: true }, t.clock.get());
const sweep = () => sweepHandoffs({ db: db.db, routing: t.routing, timeZone: CENTER_TIME_ZONE }, t.clock.get());

const allNo = [
  'trafficking_indicators',
  'labour_exploitation',
  'abuse_or_neglect',
  'missing_from_sponsor',
  'unsafe_sponsor_placement',
  'urgent_medical_need',
  'urgent_mental_health_need',
];
const screen = (yes: string[]) => Object.fromEntries(allNo.map((q) => [q, { answer: yes.includes(q) ? 'yes' : 'no' }]));

type Kase = { caseId: string; child: string; sponsor: string; referrals: { id: string; agency: string; taskId: string }[] };

/** A UAC case: a child and the sponsor they live with (the child's address line names the sponsor), screened. */
async function childWithSponsor(
  n: { child: [string, string]; sponsor: [string, string]; phone: string },
  yes: string[],
  adultRole: 'sponsor' | 'associate' = 'sponsor',
): Promise<Kase> {
  const res = await post(
    callTaker,
    '/api/v1/intake',
    tip({
      narrative: 'The school reports the child has missed two weeks.',
      subjects: [
        { person: { givenNames: n.child[0], familyName1: n.child[1], dob: '2012-03-04', dobBasis: 'claimed' }, role: 'child' },
        {
          person: { givenNames: n.sponsor[0], familyName1: n.sponsor[1], dob: '1985-01-02', dobBasis: 'exact', phones: [n.phone] },
          role: adultRole,
        },
      ],
      locations: [
        { subject: 0, address: { line1: `c/o ${n.sponsor[0]} ${n.sponsor[1]}, 12 Synthetic Ave`, zip: '78520' }, confidence: 'high' },
        { subject: 1, address: { line1: '12 Synthetic Ave', zip: '78520' }, confidence: 'high' },
      ],
      case: { open: { type: 'uac_welfare', priority: 'high', summary: 'Child placed with a sponsor' } },
    }),
  );
  expect(res.statusCode, res.body).toBe(201);
  const c = res.json() as { case: { id: string }; subjects: { personId: string }[] };
  const [child, sponsor] = c.subjects.map((s) => s.personId) as [string, string];
  const screened = await post(uac, `/api/v1/cases/${c.case.id}/welfare-screening`, { personId: child, answers: screen(yes) });
  expect(screened.statusCode, screened.body).toBe(201);
  return { caseId: c.case.id, child, sponsor, referrals: screened.json().welfareReferrals };
}

const referralOf = (k: Kase, agency: string) => {
  const r = k.referrals.find((x) => x.agency === agency);
  if (!r) throw new Error(`no ${agency} referral`);
  return r;
};
const grantConsent = (k: Kase) =>
  post(uac, `/api/v1/cases/${k.caseId}/consents`, {
    personId: k.child,
    scope: 'other_orgs',
    decision: 'granted',
    givenBy: 'child',
    givenOn: '2026-11-28',
    basis: 'Explained in Spanish; the child agreed to ORR and CPS being told',
  });
const audits = (action: string, resourceId: string) =>
  db.db
    .selectFrom('audit_events')
    .select(['outcome', 'details', 'actor_type', 'actor_id'])
    .where('action', '=', action)
    .where('resource_id', '=', resourceId)
    .orderBy('occurred_at')
    .execute();
const caseHandoffs = async (k: Kase) => {
  const res = await get(uac, `/api/v1/cases/${k.caseId}/handoffs`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().handoffs as Record<string, unknown>[];
};

/** The signature as a receiver computes it, independently of the server's code. */
function verifySignature(secret: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${headers['x-switchboard-timestamp']}.${body}`).digest('hex')}`);
  const given = Buffer.from(String(headers['x-switchboard-signature']));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

describe('receiving organisations', () => {
  it('are configured by admins: a webhook under the address policy, its secret and the credential shown once', async () => {
    expect((await put(uac, '/api/v1/admin/handoff-organisations/orr', { name: 'ORR', kind: 'orr', webhookUrl: null })).statusCode).toBe(
      403,
    );
    const privateNet = await put(admin, '/api/v1/admin/handoff-organisations/orr', {
      name: 'Office of Refugee Resettlement',
      kind: 'orr',
      webhookUrl: 'http://10.1.2.3/hooks',
    });
    expect(privateNet.statusCode).toBe(400);
    expect(privateNet.json().error.issues[0].code).toBe('bad_url');
    const policeKind = await put(admin, '/api/v1/admin/handoff-organisations/orr', { name: 'X', kind: 'field_office', webhookUrl: null });
    expect(policeKind.statusCode).toBe(400);

    const orr = await put(admin, '/api/v1/admin/handoff-organisations/orr', {
      name: 'Office of Refugee Resettlement',
      kind: 'orr',
      webhookUrl: hookUrl,
    });
    expect(orr.statusCode, orr.body).toBe(200);
    orrSecret = orr.json().webhookSecret;
    orrId = orr.json().organisation.id;
    expect(orrSecret).toMatch(/^whsec_/);
    const again = await put(admin, '/api/v1/admin/handoff-organisations/orr', {
      name: 'Office of Refugee Resettlement',
      kind: 'orr',
      webhookUrl: hookUrl,
    });
    expect(again.json().webhookSecret).toBeNull();
    const stored = await db.db.selectFrom('handoff_organisations').selectAll().where('id', '=', orrId).executeTakeFirstOrThrow();
    expect(stored.secret_enc).not.toContain(orrSecret);

    const cps = await put(admin, '/api/v1/admin/handoff-organisations/cps', { name: 'Cameron County CPS', kind: 'cps', webhookUrl: null });
    expect(cps.statusCode).toBe(200);
    cpsId = cps.json().organisation.id;

    const cred = await post(admin, `/api/v1/admin/handoff-organisations/${orrId}/credential`);
    expect(cred.statusCode, cred.body).toBe(201);
    orrCredential = cred.json().credential;
    cpsCredential = (await post(admin, `/api/v1/admin/handoff-organisations/${cpsId}/credential`)).json().credential;
    const row = await db.db.selectFrom('handoff_organisations').selectAll().where('id', '=', orrId).executeTakeFirstOrThrow();
    expect(row.credential_digest).not.toBe(orrCredential);
    expect(row.credential_digest).toMatch(/^[0-9a-f]{64}$/);
    const list = await get(admin, '/api/v1/admin/handoff-organisations');
    expect(
      list.json().organisations.map((o: { referralType: string; hasCredential: boolean }) => [o.referralType, o.hasCredential]),
    ).toEqual([
      ['cps', true],
      ['orr', true],
    ]);
    expect(JSON.stringify(list.json())).not.toContain(orrCredential);
    expect((await audits('handoff.credential_issue', orrId)).map((a) => a.outcome)).toEqual(['allowed']);
  });
});

describe('a welfare referral handed off, acknowledged and closed by the receiving side', () => {
  let k: Kase;
  let handoffId: string;

  beforeAll(async () => {
    // Urgent medical need: one ORR referral, not a child in danger.
    k = await childWithSponsor({ child: ['Teodora', 'Quispel'], sponsor: ['Marisol', 'Quispel'], phone: '956-555-0141' }, [
      'urgent_medical_need',
    ]);
  });

  it('is refused without consent: 422 disclosure_refused, audited, nothing leaves, the center must act', async () => {
    const orr = referralOf(k, 'orr');
    const refused = await post(uac, `/api/v1/welfare-referrals/${orr.id}/handoff`);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error.code).toBe('disclosure_refused');
    expect(refused.json().error.issues[0].code).toBe('consent_required');
    const denied = await audits('handoff.send', k.caseId);
    expect(denied.map((a) => [a.outcome, (a.details as { rule: string }).rule])).toEqual([['denied', 'consent_required']]);
    const [h] = await caseHandoffs(k);
    expect(h).toMatchObject({ status: 'refused', sentAt: null, waitingOn: 'center', escalated: false });
    expect(await db.db.selectFrom('webhook_deliveries').selectAll().where('organisation_id', '=', orrId).execute()).toEqual([]);
  });

  it('with consent leaves as a signed webhook carrying the minimal snapshot, without the sponsor', async () => {
    expect((await grantConsent(k)).statusCode).toBe(201);
    const orr = referralOf(k, 'orr');
    expect((await post(callTaker, `/api/v1/welfare-referrals/${orr.id}/handoff`)).statusCode).toBe(403);
    const sent = await post(uac, `/api/v1/welfare-referrals/${orr.id}/handoff`);
    expect(sent.statusCode, sent.body).toBe(201);
    handoffId = sent.json().id;
    expect(sent.json()).toMatchObject({ status: 'sending', recipient: { kind: 'orr', name: 'Office of Refugee Resettlement' } });
    expect((await post(uac, `/api/v1/welfare-referrals/${orr.id}/handoff`)).statusCode).toBe(409);
    const row = await db.db.selectFrom('handoffs').selectAll().where('id', '=', handoffId).executeTakeFirstOrThrow();
    expect(row.basis).toBe('consent');
    expect(row.consent_id).not.toBeNull();
    const sendAudit = await audits('handoff.send', handoffId);
    expect(sendAudit[0]).toMatchObject({ outcome: 'allowed', details: { basis: 'consent', consentId: row.consent_id, sponsorsNamed: [] } });

    received.length = 0;
    expect(await deliver()).toMatchObject({ delivered: 1 });
    expect(received).toHaveLength(1);
    const hook = received[0];
    if (!hook) throw new Error('no delivery');
    expect(verifySignature(orrSecret, hook.headers, hook.body)).toBe(true);
    expect(verifySignature('whsec_wrong', hook.headers, hook.body)).toBe(false);
    const payload = JSON.parse(hook.body) as { event: string; handoff: Record<string, unknown> };
    expect(payload.event).toBe('handoff.sent');
    expect(payload.handoff).toMatchObject({
      handoffId,
      referralType: 'orr',
      child: { name: 'Teodora Quispel', dateOfBirth: '2012-03-04', age: 14 },
      childInDanger: false,
      reasons: [{ code: 'urgent_medical_need' }],
      sponsors: [],
      consent: { basis: 'consent', consentId: row.consent_id },
    });
    expect(Object.keys(payload.handoff).sort()).toEqual(
      [
        'acknowledgeBy',
        'caseReference',
        'center',
        'child',
        'childInDanger',
        'consent',
        'handoffId',
        'reasons',
        'referralType',
        'sentAt',
        'sponsors',
        'whereTheChildIs',
      ].sort(),
    );
    // The sponsor's name (in the child's address line too) and phone never leave.
    expect(hook.body).not.toMatch(/Marisol/i);
    expect(hook.body.replace(/\D/g, '')).not.toContain('9565550141');
    expect(hook.body).toContain('[sponsor withheld]');
    // The center's contact is the unit and the case reference, never the staff member who sent it.
    const caseNumber = payload.handoff.caseReference as string;
    expect(payload.handoff.center).toEqual({ unit: 'UAC unit', contact: `UAC unit, Switchboard center — case ${caseNumber}` });
    expect(hook.body).not.toContain(uac.username);

    expect(await sweep()).toMatchObject({ delivered: 1 });
    const h = (await caseHandoffs(k)).find((x) => x.id === handoffId);
    expect(h).toMatchObject({ status: 'sent', waitingOn: 'recipient' });
  });

  it('appears on the tracking view waiting on the recipient', async () => {
    const res = await get(supervisor, '/api/v1/handoffs?open=true');
    expect(res.statusCode, res.body).toBe(200);
    const mine = res.json().handoffs.filter((h: { caseId: string }) => h.caseId === k.caseId);
    // The refused one is superseded by the one that left.
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ id: handoffId, status: 'sent', waitingOn: 'recipient', overdue: false, referralType: 'orr' });
    expect(typeof mine[0].waitedMinutes).toBe('number');
    expect((await get(analyst, '/api/v1/handoffs?open=true')).statusCode).toBe(403);
  });

  it('a wrong, rotated or another organisation’s credential cannot read or answer it', async () => {
    expect((await inbox('sbho_not-a-credential', handoffId)).statusCode).toBe(401);
    expect((await inbox(orrCredential, handoffId)).statusCode).toBe(200);
    // A staff session is not a credential here.
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/handoff-inbox/${handoffId}`, headers: { cookie: uac.cookie } })).statusCode,
    ).toBe(401);
    const other = await inbox(cpsCredential, handoffId);
    expect(other.statusCode).toBe(404);
    expect((await inbox(cpsCredential, `${handoffId}/acknowledge`, {})).statusCode).toBe(404);
    expect((await inbox(cpsCredential, `${handoffId}/outcome`, { decision: 'accepted', outcome: 'x' })).statusCode).toBe(404);
    const refusals = (await audits('handoff.inbox_read', handoffId)).filter((a) => a.outcome === 'denied');
    expect(refusals).toEqual([expect.objectContaining({ actor_type: 'client', actor_id: `handoff:${cpsId}` })]);
    const rotated = await post(admin, `/api/v1/admin/handoff-organisations/${orrId}/credential`);
    expect(rotated.statusCode).toBe(201);
    expect((await inbox(orrCredential, handoffId)).statusCode).toBe(401);
    orrCredential = rotated.json().credential;
    expect((await inbox(orrCredential, handoffId)).statusCode).toBe(200);
  });

  it('is acknowledged and closed by the organisation through its interface; the welfare referral ends done', async () => {
    // The portal way: the organisation lists what waits on it — its own only, no content beyond the case reference.
    const listed = await inbox(orrCredential, '');
    expect(listed.statusCode, listed.body).toBe(200);
    const entry = listed.json().handoffs.find((h: { id: string }) => h.id === handoffId);
    expect(Object.keys(entry).sort()).toEqual(
      ['id', 'status', 'caseReference', 'sentAt', 'acknowledgedAt', 'ackDueAt', 'outcomeDueAt'].sort(),
    );
    expect(entry).toMatchObject({ status: 'sent', caseReference: expect.any(String), ackDueAt: expect.any(String) });
    expect(JSON.stringify(listed.json())).not.toMatch(/Teodora|Quispel/i);
    const cpsList = await inbox(cpsCredential, '');
    expect(cpsList.statusCode).toBe(200);
    expect(cpsList.json().handoffs.map((h: { id: string }) => h.id)).not.toContain(handoffId);
    expect((await audits('handoff.inbox_list', orrId)).map((a) => [a.outcome, a.actor_id])).toEqual([['allowed', `handoff:${orrId}`]]);
    expect((await inbox('sbho_not-a-credential', '')).statusCode).toBe(401);

    const read = await inbox(orrCredential, handoffId);
    expect(read.json().snapshot).toMatchObject({ handoffId, caseReference: expect.any(String) });
    const ack = await inbox(orrCredential, `${handoffId}/acknowledge`, {});
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json().status).toBe('acknowledged');
    const acked = (await caseHandoffs(k)).find((x) => x.id === handoffId);
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedAt: t.clock.get().toISOString(), waitingOn: 'recipient' });
    // Acknowledged again: no change, but the snapshot it returns is a read, audited like every other.
    const again = await inbox(orrCredential, `${handoffId}/acknowledge`, {});
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().snapshot).toMatchObject({ handoffId });
    expect((await audits('handoff.acknowledge', handoffId)).filter((a) => a.outcome === 'allowed').map((a) => a.details)).toEqual([
      {},
      { repeated: true },
    ]);
    expect((await inbox(orrCredential, '')).json().handoffs).toEqual([
      expect.objectContaining({ id: handoffId, status: 'acknowledged', outcomeDueAt: expect.any(String) }),
    ]);

    const bad = await inbox(orrCredential, `${handoffId}/outcome`, { decision: 'maybe', outcome: 'x' });
    expect(bad.statusCode).toBe(400);
    const closed = await inbox(orrCredential, `${handoffId}/outcome`, {
      decision: 'accepted',
      outcome: 'Medical appointment arranged; ORR case manager assigned.',
    });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', outcome: 'Medical appointment arranged; ORR case manager assigned.' });
    // Closed: no longer waiting on the organisation, so no longer listed.
    expect((await inbox(orrCredential, '')).json().handoffs.map((h: { id: string }) => h.id)).not.toContain(handoffId);
    expect((await inbox(orrCredential, `${handoffId}/outcome`, { decision: 'declined', outcome: 'again' })).statusCode).toBe(409);

    const referral = await db.db
      .selectFrom('welfare_referrals')
      .selectAll()
      .where('id', '=', referralOf(k, 'orr').id)
      .executeTakeFirstOrThrow();
    expect(referral.status).toBe('done');
    expect(referral.done_note).toContain('Office of Refugee Resettlement');
    expect(t.routing.engine.task(referral.task_id)).toMatchObject({ status: 'canceled', cancelReason: 'resolved' });

    const h = (await caseHandoffs(k)).find((x) => x.id === handoffId);
    expect(Object.keys(h ?? {}).sort()).toEqual(
      [
        'id',
        'welfareReferralId',
        'recipient',
        'status',
        'sentAt',
        'acknowledgedAt',
        'closedAt',
        'outcome',
        'ackDueAt',
        'escalated',
        'waitingOn',
      ].sort(),
    );
    expect(h).toMatchObject({ status: 'closed', waitingOn: null, closedAt: t.clock.get().toISOString() });
    const tracked = (await get(uac, '/api/v1/handoffs?open=true')).json().handoffs;
    expect(tracked.some((x: { caseId: string }) => x.caseId === k.caseId)).toBe(false);
    // Each answer audited with the organisation as the actor.
    for (const [action, times] of [
      ['handoff.acknowledge', 2],
      ['handoff.accept', 1],
    ] as const) {
      const rows = await audits(action, handoffId);
      expect(rows.filter((a) => a.outcome === 'allowed')).toEqual(
        Array.from({ length: times }, () => expect.objectContaining({ actor_type: 'client', actor_id: `handoff:${orrId}` })),
      );
      // The other organisation's attempt is on record as refused.
      expect(rows.filter((a) => a.outcome === 'denied')).toEqual([expect.objectContaining({ actor_id: `handoff:${cpsId}` })]);
    }
  });

  it('once consent is withdrawn (no child in danger), the organisation is no longer served the snapshot: 422, audited', async () => {
    const row = await db.db.selectFrom('handoffs').selectAll().where('id', '=', handoffId).executeTakeFirstOrThrow();
    expect((await inbox(orrCredential, handoffId)).statusCode).toBe(200);
    const withdrawn = await post(uac, `/api/v1/cases/${k.caseId}/consents/${row.consent_id}/withdraw`, {
      reason: 'The child no longer wants ORR told',
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    const refused = await inbox(orrCredential, handoffId);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error.code).toBe('disclosure_refused');
    expect(refused.body).not.toMatch(/Teodora/i);
    const denied = (await audits('handoff.inbox_read', k.caseId)).filter((a) => a.outcome === 'denied');
    expect(denied).toEqual([expect.objectContaining({ actor_id: `handoff:${orrId}` })]);
  });

  it('a case outside the viewer’s unit is not theirs to list', async () => {
    expect((await get(analyst, `/api/v1/cases/${k.caseId}/handoffs`)).statusCode).toBe(404);
  });
});

describe('a child in danger, and sponsors', () => {
  it('a child in danger is handed off without consent (basis recorded); the sponsor stays out without approval; a decline returns it to the center', async () => {
    // Abuse or neglect: CPS and ORR, a child in danger. CPS reads from its inbox (no webhook): sent at once.
    const k = await childWithSponsor({ child: ['Ilse', 'Warmak'], sponsor: ['Renata', 'Warmak'], phone: '956-555-0177' }, [
      'abuse_or_neglect',
    ]);
    const cps = referralOf(k, 'cps');
    const sent = await post(uac, `/api/v1/welfare-referrals/${cps.id}/handoff`);
    expect(sent.statusCode, sent.body).toBe(201);
    expect(sent.json()).toMatchObject({ status: 'sent', waitingOn: 'recipient' });
    // Four hours for a child in danger (the default).
    expect(new Date(sent.json().ackDueAt).getTime() - t.clock.get().getTime()).toBe(4 * 3_600_000);
    const row = await db.db.selectFrom('handoffs').selectAll().where('id', '=', sent.json().id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ basis: 'child_in_danger', consent_id: null });
    const snapshot = (await inbox(cpsCredential, sent.json().id)).json().snapshot;
    expect(snapshot).toMatchObject({ childInDanger: true, sponsors: [], consent: { basis: 'child_in_danger' } });
    expect(JSON.stringify(snapshot)).not.toMatch(/Renata/i);
    expect(JSON.stringify(snapshot).replace(/\D/g, '')).not.toContain('9565550177');
    // Once it has left, naming the sponsor can no longer be approved for it.
    const late = await post(reviewer, `/api/v1/welfare-referrals/${cps.id}/sponsor-approvals`, {
      personId: k.sponsor,
      justification: 'CPS needs to contact the sponsor to arrange a home visit.',
    });
    expect(late.statusCode).toBe(409);

    // CPS declines: the center must act; the welfare referral stays open and can be sent again.
    const declined = await inbox(cpsCredential, `${sent.json().id}/outcome`, { decision: 'declined', outcome: 'Outside our county.' });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({ status: 'declined', outcome: 'Outside our county.' });
    const referral = await db.db.selectFrom('welfare_referrals').select('status').where('id', '=', cps.id).executeTakeFirstOrThrow();
    expect(referral.status).toBe('open');
    // Declined: its snapshot is not served any more, the refusal audited.
    const afterDecline = await inbox(cpsCredential, sent.json().id);
    expect(afterDecline.statusCode, afterDecline.body).toBe(422);
    expect(afterDecline.json().error).toMatchObject({ code: 'disclosure_refused', issues: [{ code: 'handoff_declined' }] });
    expect((await audits('handoff.inbox_read', sent.json().id)).map((a) => a.outcome)).toContain('denied');
    expect(declined.json().snapshot).toBeNull();
    const tracked = () =>
      get(uac, '/api/v1/handoffs?open=true').then((r) =>
        r.json().handoffs.filter((h: { welfareReferralId: string }) => h.welfareReferralId === cps.id),
      );
    expect(await tracked()).toEqual([expect.objectContaining({ id: sent.json().id, status: 'declined', waitingOn: 'center' })]);
    expect((await audits('handoff.decline', sent.json().id)).map((a) => [a.outcome, a.actor_id])).toEqual([
      ['allowed', `handoff:${cpsId}`],
    ]);
    const again = await post(uac, `/api/v1/welfare-referrals/${cps.id}/handoff`);
    expect(again.statusCode, again.body).toBe(201);
    expect(await tracked()).toEqual([expect.objectContaining({ id: again.json().id, status: 'sent', waitingOn: 'recipient' })]);
  });

  it('a sponsor is named only when a legal reviewer approved naming them for that welfare referral', async () => {
    const k = await childWithSponsor({ child: ['Oriana', 'Belcic'], sponsor: ['Fausta', 'Belcic'], phone: '956-555-0188' }, [
      'abuse_or_neglect',
    ]);
    const cps = referralOf(k, 'cps');
    const approval = { personId: k.sponsor, justification: 'CPS needs to contact the sponsor to arrange a home visit.' };
    expect((await post(uac, `/api/v1/welfare-referrals/${cps.id}/sponsor-approvals`, approval)).statusCode).toBe(403);
    const notSponsor = await post(reviewer, `/api/v1/welfare-referrals/${cps.id}/sponsor-approvals`, { ...approval, personId: k.child });
    expect(notSponsor.statusCode).toBe(422);
    const ok = await post(reviewer, `/api/v1/welfare-referrals/${cps.id}/sponsor-approvals`, approval);
    expect(ok.statusCode, ok.body).toBe(201);
    // Approved for CPS's welfare referral only: ORR's hand-off of the same case still withholds the sponsor.
    const sentCps = await post(uac, `/api/v1/welfare-referrals/${cps.id}/handoff`);
    expect(sentCps.statusCode, sentCps.body).toBe(201);
    const snapshot = (await inbox(cpsCredential, sentCps.json().id)).json().snapshot;
    expect(snapshot.sponsors).toEqual([{ name: 'Fausta Belcic', phones: [expect.stringContaining('555')] }]);
    expect(snapshot.whereTheChildIs.line1).toContain('Fausta Belcic');
    const row = await db.db.selectFrom('handoffs').selectAll().where('id', '=', sentCps.json().id).executeTakeFirstOrThrow();
    expect(row.sponsors_named).toEqual([k.sponsor]);

    const sentOrr = await post(uac, `/api/v1/welfare-referrals/${referralOf(k, 'orr').id}/handoff`);
    expect(sentOrr.statusCode, sentOrr.body).toBe(201);
    const orrRow = await db.db.selectFrom('handoffs').selectAll().where('id', '=', sentOrr.json().id).executeTakeFirstOrThrow();
    expect(JSON.stringify(orrRow.snapshot)).not.toMatch(/Fausta/i);
    expect(orrRow.sponsors_named).toEqual([]);
  });
});

describe('the sponsor shield on every inbox read', () => {
  it('a person linked as sponsor after the hand-off was sent is withheld from the organisation from then on', async () => {
    // The adult the child lives with is on the case, not (yet) as a sponsor: named in the address line as sent.
    const k = await childWithSponsor(
      { child: ['Nives', 'Korbel'], sponsor: ['Benigna', 'Korbel'], phone: '956-555-0133' },
      ['abuse_or_neglect'],
      'associate',
    );
    const sent = await post(uac, `/api/v1/welfare-referrals/${referralOf(k, 'cps').id}/handoff`);
    expect(sent.statusCode, sent.body).toBe(201);
    const before = await inbox(cpsCredential, sent.json().id);
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json().snapshot.whereTheChildIs.line1).toContain('Benigna Korbel');
    const linked = await post(uac, `/api/v1/cases/${k.caseId}/relationships`, {
      childPersonId: k.child,
      personId: k.sponsor,
      type: 'sponsor',
      source: 'orr',
      since: '2026-06-01',
    });
    expect(linked.statusCode, linked.body).toBe(201);
    const after = await inbox(cpsCredential, sent.json().id);
    expect(after.statusCode, after.body).toBe(200);
    expect(after.body).not.toMatch(/Benigna/i);
    expect(after.json().snapshot.whereTheChildIs.line1).toContain('[sponsor withheld]');
    const ack = await inbox(cpsCredential, `${sent.json().id}/acknowledge`, {});
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.body).not.toMatch(/Benigna/i);
  });
});

describe('a webhook that cannot be delivered', () => {
  it('dies after its retries like any webhook; the hand-off is then failed and the center must act', async () => {
    // NCMEC's receiver is down (nothing listens on port 9).
    const ncmec = await put(admin, '/api/v1/admin/handoff-organisations/ncmec', {
      name: 'NCMEC',
      kind: 'ncmec',
      webhookUrl: 'http://127.0.0.1:9/hooks',
    });
    expect(ncmec.statusCode, ncmec.body).toBe(200);
    const k = await childWithSponsor({ child: ['Vesna', 'Oltar'], sponsor: ['Mirta', 'Oltar'], phone: '956-555-0155' }, [
      'missing_from_sponsor',
    ]);
    const sent = await post(uac, `/api/v1/welfare-referrals/${referralOf(k, 'ncmec').id}/handoff`);
    expect(sent.statusCode, sent.body).toBe(201);
    const id = sent.json().id as string;
    const delivery = () => db.db.selectFrom('webhook_deliveries').selectAll().where('handoff_id', '=', id).executeTakeFirstOrThrow();
    await deliver();
    expect(await delivery()).toMatchObject({ status: 'pending', attempts: 1, last_error: 'no response' });
    await sweep();
    expect((await caseHandoffs(k)).find((h) => h.id === id)).toMatchObject({ status: 'sending', waitingOn: 'recipient' });
    // The last of its eight attempts, now.
    await db.db
      .updateTable('webhook_deliveries')
      .set({ attempts: 7, next_attempt_at: t.clock.get() })
      .where('handoff_id', '=', id)
      .execute();
    await deliver();
    expect(await delivery()).toMatchObject({ status: 'dead', attempts: 8 });
    expect((await sweep()).failed).toBe(1);
    expect((await caseHandoffs(k)).find((h) => h.id === id)).toMatchObject({ status: 'failed', sentAt: null, waitingOn: 'center' });
    expect((await audits('handoff.failed', id)).map((a) => a.actor_id)).toEqual(['handoff.sweep']);
    // Partner agencies' delivery listing is theirs alone.
    const listed = await get(admin, '/api/v1/admin/webhook-deliveries');
    expect(listed.statusCode).toBe(200);
    const ids = listed.json().deliveries.map((d: { id: string }) => d.id);
    expect(ids.length).toBe(0);
    expect(ids).not.toContain((await delivery()).id);
  });

  it('an admin re-send of a hand-off delivery is 404 as any unknown id: the stored snapshot never leaves again unchecked', async () => {
    const k = await childWithSponsor({ child: ['Zdenka', 'Murtal'], sponsor: ['Ljuba', 'Murtal'], phone: '956-555-0166' }, [
      'missing_from_sponsor',
    ]);
    const sent = await post(uac, `/api/v1/welfare-referrals/${referralOf(k, 'ncmec').id}/handoff`);
    expect(sent.statusCode, sent.body).toBe(201);
    const id = sent.json().id as string;
    await db.db
      .updateTable('webhook_deliveries')
      .set({ status: 'dead', attempts: 8, last_error: 'no response' })
      .where('handoff_id', '=', id)
      .execute();
    const delivery = await db.db.selectFrom('webhook_deliveries').selectAll().where('handoff_id', '=', id).executeTakeFirstOrThrow();
    const resend = await post(admin, `/api/v1/admin/webhook-deliveries/${delivery.id}/redeliver`);
    expect(resend.statusCode, resend.body).toBe(404);
    expect(resend.json().error.code).toBe('not_found');
    const after = await db.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', delivery.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'dead', attempts: 8 });
    expect(await audits('webhook.redeliver', delivery.id)).toEqual([]);
  });
});

describe('overdue hand-offs escalate once (virtual clock)', () => {
  let unanswered: { k: Kase; id: string };
  let acknowledged: { k: Kase; id: string };
  let start: number;

  beforeAll(async () => {
    const send = async (k: Kase) => {
      expect((await grantConsent(k)).statusCode).toBe(201);
      const sent = await post(uac, `/api/v1/welfare-referrals/${referralOf(k, 'orr').id}/handoff`);
      expect(sent.statusCode, sent.body).toBe(201);
      // 24 hours for a child not in danger (the default).
      expect(new Date(sent.json().ackDueAt).getTime() - t.clock.get().getTime()).toBe(24 * 3_600_000);
      return { k, id: sent.json().id as string };
    };
    unanswered = await send(
      await childWithSponsor({ child: ['Nives', 'Tarkan'], sponsor: ['Bruna', 'Tarkan'], phone: '956-555-0199' }, ['urgent_medical_need']),
    );
    acknowledged = await send(
      await childWithSponsor({ child: ['Dunja', 'Pell'], sponsor: ['Zorka', 'Pell'], phone: '956-555-0133' }, ['urgent_medical_need']),
    );
    await deliver();
    expect((await inbox(orrCredential, `${acknowledged.id}/acknowledge`, {})).statusCode).toBe(200);
    start = t.clock.get().getTime();
  });
  const row = (id: string) => db.db.selectFrom('handoffs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('unacknowledged past its target: one higher work item and a mark, not before it is due, never twice', async () => {
    t.clock.advance(24 * 3_600_000 - 60_000);
    await sweep();
    expect((await row(unanswered.id)).escalated_at).toBeNull();
    t.clock.advance(60_000);
    expect((await sweep()).escalated).toBeGreaterThanOrEqual(1);
    await sweep();
    const escalated = await row(unanswered.id);
    expect(escalated.escalated_at?.getTime()).toBe(start + 24 * 3_600_000);
    expect((await audits('handoff.escalate', unanswered.id)).map((a) => [a.outcome, a.actor_type, a.actor_id])).toEqual([
      ['allowed', 'system', 'handoff.sweep'],
    ]);
    const task = t.routing.engine.task(escalated.escalation_task_id ?? '');
    const own = t.routing.engine.task(referralOf(unanswered.k, 'orr').taskId);
    expect(task).toMatchObject({ status: 'pending', attributes: expect.objectContaining({ handoff: unanswered.id, escalation: true }) });
    expect(task?.basePriority).toBeGreaterThan(own?.basePriority ?? Number.POSITIVE_INFINITY);
    // Sessions last 12 hours: a specialist signed in now looks.
    const later = await enrollAs(t, 'uac_specialist');
    const onCase = (await get(later, `/api/v1/cases/${unanswered.k.caseId}/handoffs`)).json().handoffs;
    expect(onCase).toEqual([expect.objectContaining({ id: unanswered.id, escalated: true, waitingOn: 'center' })]);
    const tracked = (await get(later, '/api/v1/handoffs?open=true')).json().handoffs.find((h: { id: string }) => h.id === unanswered.id);
    expect(tracked).toMatchObject({ overdue: true, waitingOn: 'center', waitedMinutes: 24 * 60 });
    // The acknowledged one is not overdue yet.
    expect((await row(acknowledged.id)).escalated_at).toBeNull();
  });

  it('acknowledged but without an outcome past the longer deadline escalates too', async () => {
    // 120 hours from the acknowledgement (the default).
    t.clock.advance(start + 120 * 3_600_000 - 60_000 - t.clock.get().getTime());
    await sweep();
    expect((await row(acknowledged.id)).escalated_at).toBeNull();
    t.clock.advance(60_000);
    await sweep();
    await sweep();
    expect((await row(acknowledged.id)).escalated_at?.getTime()).toBe(start + 120 * 3_600_000);
    expect((await audits('handoff.escalate', acknowledged.id)).map((a) => (a.details as { why: string }).why)).toEqual(['no_outcome']);
  });
});
