import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { startTelephony, type Telephony } from '../../src/telephony/runtime.js';
import { buildTestApp, enrollAs, realTimeClockFrom, type SignedIn, type TestApp } from '../support/app.js';
import { startSoftphone } from '../support/baresip.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freeUdpPort, freeUdpRange, sipp, sippCounts } from '../support/telephony.js';

/**
 * Authenticated phones (issue #21, item 2), on the real edge: an admin binds an agent's phone from the API the admin
 * console uses and gets its password once; Kamailio challenges every REGISTER (401) and accepts the digest for that
 * password only; INVITEs from a phone, or to one from anyone but call control, are challenged (407); rotating and
 * unbinding take effect at the edge at once.
 */

let db: TestDatabase;
let t: TestApp;
let tel: Telephony;
let edge: string;
let edgePort: number;
let admin: SignedIn;
let agent: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  const range = await freeUdpRange(100);
  edgePort = await freeUdpPort();
  tel = await startTelephony({
    calls: new CallRecordService(db.db, t.routing, { blobDir: t.attachmentsDir }),
    routing: t.routing,
    flowsDir: path.resolve('reference/ivr'),
    kamailioTemplate: path.resolve('deploy/kamailio/kamailio.cfg'),
    phones: t.phones,
    dataDir: mkdtempSync(path.join(tmpdir(), 'sb-telephony-')),
    node: 'node-ph',
    clock: realTimeClockFrom(t.clock.now),
    timeZone: 'America/Chicago',
    log: () => undefined,
    sip: { host: '127.0.0.1', port: 0 },
    edge: { host: '127.0.0.1', port: edgePort },
    rtpengine: { host: '127.0.0.1', port: await freeUdpPort(), portMin: range.min, portMax: range.max },
  });
  edge = `127.0.0.1:${edgePort}`;
  admin = await enrollAs(t, 'admin');
  agent = await enrollAs(t, 'call_taker');
}, 120_000);
afterAll(async () => {
  await tel?.stop();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const issue = (who: SignedIn, username: string, payload: Record<string, unknown> = {}) =>
  t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${username}/phone`, headers: who.headers, payload });

/** SIPp registers as `user` with this password: 401 first, then 200 expected. */
async function registers(user: string, password: string): Promise<{ successful: number; failed: number }> {
  const run = await sipp('phone-registers.xml', edge, { service: user, timeoutS: 20, extra: ['-au', user, '-ap', password] });
  return sippCounts(run.stdout + run.stderr);
}

describe('authenticated phones', () => {
  it('an admin binds the agent’s phone and sees its password once; the edge challenges REGISTER (401) and accepts only that password', async () => {
    // Not an admin: refused.
    const refused = await issue(agent, agent.username);
    expect(refused.statusCode).toBe(403);

    const res = await issue(admin, agent.username);
    expect(res.statusCode).toBe(200);
    const issued = res.json() as { authUser: string; password: string; realm: string; phone: { sipUser: string } };
    expect(issued.phone.sipUser).toBe(agent.username);
    expect(issued.authUser).toBe(agent.username);
    expect(issued.realm).toBe('switchboard');
    expect(issued.password.length).toBeGreaterThanOrEqual(20);

    // Call control rings the bound phone: the routing attribute is set from the binding, never typed.
    const worker = await db.db.selectFrom('routing_workers').select('attributes').where('user_id', '=', agent.userId).executeTakeFirst();
    expect(worker?.attributes.sipUser).toBe(agent.username);

    // The listing tells when, never what.
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/phones', headers: { cookie: admin.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(issued.password);
    expect(list.json().phones).toEqual([expect.objectContaining({ username: agent.username, sipUser: agent.username })]);

    // Audited, without the secret.
    const events = await db.db
      .selectFrom('audit_events')
      .select(['action', 'outcome', 'details'])
      .where('resource_id', '=', agent.userId)
      .where('action', 'like', 'phone.%')
      .execute();
    expect(events.map((e) => `${e.action}:${e.outcome}`)).toEqual(['phone.bind:allowed']);
    expect(JSON.stringify(events)).not.toContain(issued.password);

    // The edge: no credentials → 401; the right digest → 200; a wrong password → 401 again (a failed scenario).
    expect(await registers(agent.username, issued.password)).toEqual({ successful: 1, failed: 0 });
    expect(await registers(agent.username, `${issued.password}x`)).toEqual({ successful: 0, failed: 1 });
    // Another phone's password does not register this one.
    const other = await enrollAs(t, 'call_taker');
    const otherPassword = (await issue(admin, other.username)).json().password as string;
    expect(await registers(agent.username, otherPassword)).toEqual({ successful: 0, failed: 1 });

    // baresip, configured with the issued credentials, registers.
    const phone = await startSoftphone(agent.username, edgePort, { password: issued.password });
    try {
      await phone.registered();
    } finally {
      await phone.stop();
    }
  }, 90_000);

  it('the softphone credential: only for an agent, and only where a softphone gateway runs — refusals say why', async () => {
    const auditor = await enrollAs(t, 'auditor');
    const notAgent = await t.app.inject({ method: 'POST', url: '/api/v1/softphone/credentials', headers: auditor.headers, payload: {} });
    expect(notAgent.statusCode).toBe(403);
    // This app has no gateway (no WebSocket transport configured): 409 with a stable code and words.
    const noGateway = await t.app.inject({ method: 'POST', url: '/api/v1/softphone/credentials', headers: agent.headers, payload: {} });
    expect(noGateway.statusCode).toBe(409);
    expect(noGateway.json()).toMatchObject({ error: { code: 'conflict', message: expect.stringMatching(/no softphone gateway/) } });
  });

  it('rotating the password ends the old one at the edge at once; unbinding ends both', async () => {
    const first = (await issue(admin, agent.username)).json().password as string;
    expect(await registers(agent.username, first)).toEqual({ successful: 1, failed: 0 });
    const rotated = await issue(admin, agent.username);
    expect(rotated.statusCode).toBe(200);
    const second = rotated.json().password as string;
    expect(second).not.toBe(first);
    expect(await registers(agent.username, first)).toEqual({ successful: 0, failed: 1 });
    expect(await registers(agent.username, second)).toEqual({ successful: 1, failed: 0 });

    // A SIP user is one account's phone.
    const other = await enrollAs(t, 'call_taker');
    const clash = await issue(admin, other.username, { sipUser: agent.username });
    expect(clash.statusCode).toBe(409);

    const unbound = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${agent.username}/phone`, headers: admin.headers });
    expect(unbound.statusCode).toBe(200);
    expect(await registers(agent.username, second)).toEqual({ successful: 0, failed: 1 });
    const worker = await db.db.selectFrom('routing_workers').select('attributes').where('user_id', '=', agent.userId).executeTakeFirst();
    expect(worker?.attributes.sipUser).toBeUndefined();
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${agent.username}/phone`, headers: admin.headers });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ error: { code: 'not_found' } });
  }, 90_000);

  it('an INVITE from a phone without credentials, or to a registered phone from anyone but call control, is challenged (407)', async () => {
    const password = (await issue(admin, agent.username)).json().password as string;
    const phone = await startSoftphone(agent.username, edgePort, { password });
    try {
      await phone.registered();
      // From the agent's SIP user to a center line, no credentials: challenged, not sent to call control.
      const fromPhone = await sipp('phone-invites-unauthenticated.xml', edge, {
        service: '+16155550100',
        timeoutS: 20,
        extra: ['-set', 'from', agent.username],
      });
      expect(sippCounts(fromPhone.stdout + fromPhone.stderr)).toEqual({ successful: 1, failed: 0 });
      // From a number to the agent's registered phone: challenged; the phone never rings.
      const toPhone = await sipp('phone-invites-unauthenticated.xml', edge, {
        service: agent.username,
        timeoutS: 20,
        extra: ['-set', 'from', '+16155550199'],
      });
      expect(sippCounts(toPhone.stdout + toPhone.stderr)).toEqual({ successful: 1, failed: 0 });
      expect(phone.events.some((e) => e.type === 'CALL_INCOMING')).toBe(false);
    } finally {
      await phone.stop();
    }
  }, 90_000);
});
