import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { TwilioCalls } from '../../src/telephony/adapters/twilio.js';
import { CallControl } from '../../src/telephony/call-control.js';
import { loadFlows } from '../../src/telephony/ivr-flows.js';
import { PromptLibrary } from '../../src/telephony/media/prompts.js';
import { buildTestApp, loadTestAgencies, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';

/**
 * The Twilio adapter against Twilio's documented wire format: form-encoded
 * webhooks signed as Twilio signs them (HMAC-SHA1 over the full URL followed
 * by each POST parameter's name and value, sorted by name, base64) — computed
 * here from the documentation, not with the library the server uses — and
 * TwiML answers. The same IVR flows and the same routing engine as SIP.
 */

const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
const BASE_URL = 'https://switchboard.example.gov';
let db: TestDatabase;
let t: TestApp;

/** Twilio's REST API as documented (POST …/Accounts/{AccountSid}/Calls/{CallSid}.json, Basic auth, form body): a local stand-in. */
const restCalls: { path: string; auth: string; twiml: string }[] = [];
let rest: Server;
const ACCOUNT_SID = `AC${'a'.repeat(32)}`;

beforeAll(async () => {
  rest = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      restCalls.push({ path: req.url ?? '', auth: req.headers.authorization ?? '', twiml: new URLSearchParams(body).get('Twiml') ?? '' });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sid: 'CA-updated', status: 'in-progress' }));
    });
  });
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  const restUrl = `http://127.0.0.1:${(rest.address() as AddressInfo).port}`;
  db = await createTestDatabase();
  const { flows, prompts: catalog } = loadFlows(path.resolve('reference/ivr'));
  const prompts = new PromptLibrary(catalog, mkdtempSync(path.join(tmpdir(), 'sb-twilio-prompts-')));
  t = await buildTestApp(db, {
    twilio: (routing, clock) => {
      const control = new CallControl({
        calls: new CallRecordService(db.db, routing),
        routing,
        prompts,
        flows,
        node: 'twilio-test',
        clock,
        timeZone: 'America/Chicago',
        log: () => undefined,
      });
      return {
        config: { authToken: AUTH_TOKEN, baseUrl: BASE_URL },
        calls: (() => {
          const calls = new TwilioCalls({
            calls: new CallRecordService(db.db, routing),
            routing,
            flows,
            prompts,
            validators: control.validators,
            node: 'twilio-test',
            clock,
            timeZone: 'America/Chicago',
            rest: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: restUrl, agentSipDomain: 'agents.sip.example.gov' },
          });
          calls.start();
          return calls;
        })(),
      };
    },
  });
  await loadTestAgencies(db);
});
afterAll(async () => {
  await new Promise((resolve) => rest.close(resolve));
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

/** Twilio's documented algorithm: https://www.twilio.com/docs/usage/security#validating-requests */
function sign(url: string, params: Record<string, string>, token = AUTH_TOKEN): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
}

const post = (pathAndQuery: string, params: Record<string, string>, signature?: string | null) =>
  t.app.inject({
    method: 'POST',
    url: pathAndQuery,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature === null ? {} : { 'x-twilio-signature': signature ?? sign(`${BASE_URL}${pathAndQuery}`, params) }),
    },
    payload: new URLSearchParams(params).toString(),
  });

const callSid = (n: number) => `CA${String(n).padStart(32, '0')}`;
const base = (n: number, extra: Record<string, string> = {}) => ({
  CallSid: callSid(n),
  AccountSid: `AC${'1'.repeat(32)}`,
  From: '+16155550177',
  To: '+16155550100',
  CallStatus: 'in-progress',
  Direction: 'inbound',
  ...extra,
});
const record = (n: number) => db.db.selectFrom('calls').selectAll().where('external_id', '=', callSid(n)).executeTakeFirstOrThrow();

describe('Twilio adapter', () => {
  it('refuses unsigned, tampered and wrongly signed webhooks with 403, and audits them', async () => {
    const params = base(1);
    expect((await post('/api/telephony/twilio/voice', params, null)).statusCode).toBe(403);
    const signature = sign(`${BASE_URL}/api/telephony/twilio/voice`, params);
    // The same signature over changed parameters (a different caller): tampered.
    expect((await post('/api/telephony/twilio/voice', { ...params, From: '+16155550000' }, signature)).statusCode).toBe(403);
    expect(
      (await post('/api/telephony/twilio/voice', params, sign(`${BASE_URL}/api/telephony/twilio/voice`, params, 'wrong-token'))).statusCode,
    ).toBe(403);
    // Signed for another URL (a replay against another endpoint).
    expect((await post('/api/telephony/twilio/gather', params, signature)).statusCode).toBe(403);
    const denied = await db.db
      .selectFrom('audit_events')
      .select(['action', 'outcome', 'actor_type'])
      .where('action', 'like', 'POST /api/telephony/twilio/%')
      .execute();
    expect(denied.length).toBe(4);
    expect(denied.every((d) => d.outcome === 'denied')).toBe(true);
    expect(await db.db.selectFrom('calls').select('id').execute()).toHaveLength(0);
  });

  it('runs the public line’s flow: TwiML gathers, 2 then 2 → Spanish, UAC unit queue; the caller hangs up in the queue → abandoned', async () => {
    const first = await post('/api/telephony/twilio/voice', base(2));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/xml/);
    expect(first.body).toMatch(
      /<Gather input="dtmf" numDigits="1" timeout="6" finishOnKey="" action="\/api\/telephony\/twilio\/gather" method="POST"><Say language="en-US">Thank you for calling/,
    );
    expect(first.body).toContain('<Redirect method="POST">/api/telephony/twilio/gather?timedOut=1</Redirect>');
    const second = await post('/api/telephony/twilio/gather', base(2, { Digits: '2' }));
    expect(second.body).toContain('<Say language="es-MX">Esta llamada puede ser grabada.</Say>');
    expect(second.body).toMatch(/<Gather[^>]*><Say language="es-MX">Para reportar información/);
    const third = await post('/api/telephony/twilio/gather', base(2, { Digits: '2' }));
    expect(third.body).toMatch(
      /<Enqueue waitUrl="\/api\/telephony\/twilio\/wait" waitUrlMethod="POST" action="\/api\/telephony\/twilio\/queue-result" method="POST">[0-9a-f-]{36}<\/Enqueue>/,
    );
    const row = await record(2);
    expect(row).toMatchObject({ adapter: 'twilio', language: 'es', reason: 'uac', queue_id: 'uac_unit', caller_number: '+16155550177' });
    expect(row.ivr_path).toEqual(['hours=open', 'language=2', 'reason=2']);
    const wait = await post('/api/telephony/twilio/wait', base(2, { QueuePosition: '1', QueueTime: '12' }));
    expect(wait.body).toMatch(/Usted es el número 1 en la fila/);
    expect(wait.body).toMatch(/<Gather[^>]*action="\/api\/telephony\/twilio\/wait-key"/);
    const result = await post('/api/telephony/twilio/queue-result', base(2, { QueueResult: 'hangup', CallStatus: 'completed' }));
    expect(result.body).toContain('<Hangup/>');
    expect(await record(2)).toMatchObject({ end_reason: 'abandoned_queue' });
    expect(t.routing.engine.task(row.task_id as string)).toMatchObject({ status: 'canceled', cancelReason: 'abandoned' });
  });

  it('a timeout is a timeout, the callback keeps the place, and 9 says dial 911', async () => {
    await post('/api/telephony/twilio/voice', base(3));
    const timedOut = await post('/api/telephony/twilio/gather?timedOut=1', base(3));
    expect(timedOut.body).toContain('We did not receive your choice.');
    await post('/api/telephony/twilio/gather', base(3, { Digits: '1' }));
    await post('/api/telephony/twilio/gather', base(3, { Digits: '1' }));
    const queued = await record(3);
    const original = t.routing.engine.task(queued.task_id as string);
    const key = await post('/api/telephony/twilio/wait-key', base(3, { Digits: '1' }));
    expect(key.body).toContain('<Leave/>');
    const result = await post('/api/telephony/twilio/queue-result', base(3, { QueueResult: 'leave' }));
    expect(result.body).toContain('We will call you back');
    const row = await record(3);
    expect(row).toMatchObject({ end_reason: 'callback' });
    expect(t.routing.engine.task(row.callback_task_id as string)?.arrivedAt).toBe(original?.arrivedAt);

    await post('/api/telephony/twilio/voice', base(4));
    await post('/api/telephony/twilio/gather', base(4, { Digits: '1' }));
    const emergency = await post('/api/telephony/twilio/gather', base(4, { Digits: '9' }));
    expect(emergency.body).toMatch(/hang up and dial 9 1 1 now\.<\/Say><Hangup\/>/);
    expect(await record(4)).toMatchObject({ end_reason: 'emergency_guidance' });
  });

  it('an unknown number is rejected; a status callback ends a call hung up in the IVR', async () => {
    const unknown = await post('/api/telephony/twilio/voice', base(5, { To: '+15555550123' }));
    expect(unknown.body).toContain('<Reject reason="rejected"/>');
    await post('/api/telephony/twilio/voice', base(6));
    await post('/api/telephony/twilio/status', base(6, { CallStatus: 'completed' }));
    expect(await record(6)).toMatchObject({ end_reason: 'abandoned_ivr' });
  });

  it('the ACD reserves an agent: the call is moved to a <Dial> of their SIP phone by the REST API; answered → accepted; the end → wrap-up; no answer → back in the queue', async () => {
    const ctx = { actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' };
    await post('/api/telephony/twilio/voice', base(7, { To: '+16155550102' }));
    await post('/api/telephony/twilio/gather', base(7, { Digits: '1' }));
    const queued = await record(7);
    const taskId = queued.task_id as string;
    expect(t.routing.engine.task(taskId)?.status).toBe('pending');
    await t.routing.execute(
      {
        type: 'addWorker',
        worker: {
          id: 'tw-agent-1',
          attributes: { unit: 'uac', languages: ['en'], sipUser: 'agent9' },
          activity: 'Available',
          capacity: { voice: 1, work_item: 0 },
        },
      },
      ctx,
    );
    const reservation = [...t.routing.engine.allReservations()].find((r) => r.taskId === taskId && r.status === 'pending');
    expect(reservation).toBeDefined();
    await waitUntil("the adapter's REST call", () => restCalls.length > 0, 5_000);
    const moved = restCalls.at(-1);
    expect(moved?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid(7)}.json`);
    expect(moved?.auth).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(moved?.twiml).toContain(
      `<Dial action="/api/telephony/twilio/dial-result?reservation=${reservation?.id}" method="POST" timeout="20">`,
    );
    expect(moved?.twiml).toMatch(/<Sip statusCallbackEvent="answered"[^>]*>sip:agent9@agents\.sip\.example\.gov<\/Sip>/);
    // The queue is left (redirected): nothing ends.
    await post('/api/telephony/twilio/queue-result', base(7, { QueueResult: 'redirected' }));
    expect((await record(7)).end_reason).toBeNull();
    // The agent's phone does not answer: rejected, and the caller waits again for the same task.
    const noAnswer = await post(
      `/api/telephony/twilio/dial-result?reservation=${reservation?.id}`,
      base(7, { DialCallStatus: 'no-answer' }),
    );
    expect(noAnswer.body).toContain(`>${taskId}</Enqueue>`);
    expect(t.routing.engine.reservation(reservation?.id as string)?.status).toBe('rejected');
    // The ACD offers it again once the redial delay has passed (the same agent, here): this time the phone answers.
    t.clock.advance(31_000);
    await t.routing.execute({ type: 'setActivity', workerId: 'tw-agent-1', activity: 'Available' }, ctx);
    await t.routing.execute({ type: 'tick' }, null);
    const again = [...t.routing.engine.allReservations()].find((r) => r.taskId === taskId && r.status === 'pending');
    expect(again).toBeDefined();
    const answered = await post(
      `/api/telephony/twilio/agent-status?reservation=${again?.id}`,
      base(7, { CallStatus: 'in-progress', ParentCallSid: callSid(7) }),
    );
    expect(answered.statusCode).toBe(200);
    expect(t.routing.engine.task(taskId)?.status).toBe('assigned');
    expect((await record(7)).answered_at).not.toBeNull();
    const done = await post(`/api/telephony/twilio/dial-result?reservation=${again?.id}`, base(7, { DialCallStatus: 'completed' }));
    expect(done.body).toContain('<Hangup/>');
    expect(t.routing.engine.task(taskId)?.status).toBe('wrapping');
    expect(await record(7)).toMatchObject({ end_reason: 'completed', agent_worker_id: 'tw-agent-1' });
  });
});
