import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '../../src/domain/ivr/flow.js';
import { loadFlows } from '../../src/telephony/ivr-flows.js';
import { buildTestApp, enrollAs, loadTestAgencies, type TestApp } from '../support/app.js';
import { clearTheDesks } from '../support/calls.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  TWILIO_ACCOUNT_SID as ACCOUNT_SID,
  TWILIO_AUTH_TOKEN as AUTH_TOKEN,
  TWILIO_BASE_URL as BASE_URL,
  twilioParams as base,
  callSid,
  postTwilio,
  type RestCall,
  signTwilio as sign,
  startTwilioStandIn,
  type TwilioStandIn,
  twilioAdapter,
} from '../support/twilio.js';

/**
 * The Twilio adapter against Twilio's documented wire format (test/support/twilio.ts): signed form-encoded webhooks
 * and TwiML answers, the REST API's requests as its stand-in records them. The same IVR flows and the same routing
 * engine as SIP.
 */

let db: TestDatabase;
let t: TestApp;
let rest: TwilioStandIn;
let restCalls: RestCall[];
/** The flow map the adapter reads: the admin console's versions change it in place. */
const flows = loadFlows(path.resolve('reference/ivr')).flows;

beforeAll(async () => {
  rest = await startTwilioStandIn();
  restCalls = rest.calls;
  db = await createTestDatabase();
  t = await buildTestApp(db, { twilio: twilioAdapter(db, rest.url, { flows }) });
  await loadTestAgencies(db);
});
afterAll(async () => {
  await rest.close();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const post = (pathAndQuery: string, params: Record<string, string>, signature?: string | null) =>
  postTwilio(t, pathAndQuery, params, signature);

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

  it('a flow changed while a caller is in the menus is for the calls after: the caller goes on in the flow they started in', async () => {
    const shipped = flows.get('+16155550102') as Flow;
    const first = await post('/api/telephony/twilio/voice', base(12, { To: '+16155550102' }));
    expect(first.body).toMatch(/<Gather/);
    // A new version renames every node (as an edit from the admin console can): the caller's "language" menu is gone.
    const renamed = structuredClone(shipped);
    const rename = (name: string) => `v2-${name}`;
    renamed.start = rename(shipped.start);
    renamed.nodes = Object.fromEntries(
      Object.entries(shipped.nodes).map(([name, node]) => [
        rename(name),
        JSON.parse(JSON.stringify(node), (key, value) =>
          ['next', 'onFailure', 'open', 'closed'].includes(key) && typeof value === 'string' ? rename(value) : value,
        ),
      ]),
    ) as Flow['nodes'];
    flows.set(shipped.line, renamed);
    try {
      // The caller presses 1 in the menu they heard: the call goes on (not hung up as failed).
      const second = await post('/api/telephony/twilio/gather', base(12, { Digits: '1' }));
      expect(second.body).not.toContain('<Hangup/>');
      expect(second.body).toMatch(/<Gather|<Say/);
      expect((await record(12)).ivr_path).toEqual(['language=1']);
      // A call after the change runs the new version.
      await post('/api/telephony/twilio/voice', base(13, { To: '+16155550102' }));
      await post('/api/telephony/twilio/gather', base(13, { Digits: '1' }));
      expect((await record(13)).ivr_path).toEqual(['v2-language=1']);
    } finally {
      flows.set(shipped.line, shipped);
      // Both callers hang up (in the menus or the queue): nothing is left for the tests after.
      for (const n of [12, 13]) await post('/api/telephony/twilio/status', base(n, { CallStatus: 'completed' }));
      for (const n of [12, 13])
        await post('/api/telephony/twilio/queue-result', base(n, { QueueResult: 'hangup', CallStatus: 'completed' }));
    }
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

  it('the ACD reserves an agent: the caller is moved into a <Conference> and the agent’s phone added as a participant (REST); answered → accepted; the end → wrap-up; no answer → back in the queue', async () => {
    const { taskId, recordId, reservation } = await queuedTwilioCall(7, 'tw-agent-1', 'agent9');
    const [moved, added] = await waitForRest(2);
    const room = `sb-${recordId}`;
    expect(moved?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid(7)}.json`);
    expect(moved?.auth).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    // TwiML given through the REST API has no document to be relative to: its addresses are absolute.
    expect(moved?.twiml).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="${BASE_URL}/api/telephony/twilio/dial-result?reservation=${reservation}" method="POST">` +
        `<Conference beep="false" startConferenceOnEnter="false" endConferenceOnExit="true" participantLabel="caller">${room}</Conference></Dial></Response>`,
    );
    expect(added?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences/${room}/Participants.json`);
    expect(Object.fromEntries(added?.params ?? [])).toMatchObject({
      From: '+16155550102',
      To: 'sip:agent9@agents.sip.example.gov',
      Label: 'agent',
      // The phone gives up 3 s before the ACD's 20 s offer does.
      Timeout: '17',
      StartConferenceOnEnter: 'true',
      EndConferenceOnExit: 'true',
      StatusCallback: `${BASE_URL}/api/telephony/twilio/participant-status?record=${recordId}&party=agent&reservation=${reservation}`,
    });
    expect(added?.params.getAll('StatusCallbackEvent')).toEqual(['answered', 'completed']);
    // The queue is left (redirected): nothing ends.
    await post('/api/telephony/twilio/queue-result', base(7, { QueueResult: 'redirected' }));
    expect((await record(7)).end_reason).toBeNull();
    // The agent's phone does not answer: rejected, and the caller is put back in the queue for the same task.
    const before = restCalls.length;
    const noAnswer = await postTo(added?.params.get('StatusCallback') ?? '', { ...base(901), CallStatus: 'no-answer' });
    expect(noAnswer.statusCode, noAnswer.body).toBe(200);
    expect(t.routing.engine.reservation(reservation)?.status).toBe('rejected');
    const [requeued] = await waitForRest(1, before);
    expect(requeued?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid(7)}.json`);
    expect(requeued?.twiml).toContain(
      `<Enqueue waitUrl="${BASE_URL}/api/telephony/twilio/wait" waitUrlMethod="POST" action="${BASE_URL}/api/telephony/twilio/queue-result" method="POST">${taskId}</Enqueue>`,
    );
    // The ACD offers it again once the redial delay has passed (the same agent, here): this time the phone answers.
    t.clock.advance(31_000);
    await t.routing.execute({ type: 'setActivity', workerId: 'tw-agent-1', activity: 'Available' }, system());
    await t.routing.execute({ type: 'tick' }, null);
    const again = [...t.routing.engine.allReservations()].find((r) => r.taskId === taskId && r.status === 'pending');
    expect(again).toBeDefined();
    const [, addedAgain] = await waitForRest(2, before + 1);
    // The first phone answers late, after its offer ended: it is taken off the call (by its call SID, not the label
    // the new offer's phone has too), and the room's agent is still the new offer's ringing phone.
    const late = restCalls.length;
    await postTo(added?.params.get('StatusCallback') ?? '', { ...base(901), CallStatus: 'in-progress' });
    const dropped = await waitForRest(1, late);
    expect(dropped[0]).toMatchObject({
      method: 'DELETE',
      path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences/${room}/Participants/${callSid(901)}.json`,
    });
    expect(await legSid(recordId, 'agent')).not.toBe(callSid(901));
    expect(t.routing.engine.reservation(again?.id as string)?.status).toBe('pending');
    const answered = await postTo(addedAgain?.params.get('StatusCallback') ?? '', { ...base(902), CallStatus: 'in-progress' });
    expect(answered.statusCode).toBe(200);
    expect(t.routing.engine.task(taskId)?.status).toBe('assigned');
    expect((await record(7)).answered_at).not.toBeNull();
    // The agent hangs up: the room ends (EndConferenceOnExit) and the caller's <Dial> reports.
    const done = await post(`/api/telephony/twilio/dial-result?reservation=${again?.id}`, base(7, { DialCallStatus: 'completed' }));
    expect(done.body).toContain('<Hangup/>');
    expect(t.routing.engine.task(taskId)?.status).toBe('wrapping');
    expect(await record(7)).toMatchObject({ end_reason: 'completed', agent_worker_id: 'tw-agent-1' });
  });

  it('help on a Twilio call through the same API as SIP: a supervisor monitors (muted), whispers (coaching the agent’s leg), barges; the interpreter hears the language; consult then warm transfer — each audited', async () => {
    const agent = await enrollAs(t, 'call_taker');
    const { taskId, recordId } = await queuedTwilioCall(8, agent.userId, 'agent8');
    const [, added] = await waitForRest(2);
    await postTo(added?.params.get('StatusCallback') ?? '', { ...base(903), CallStatus: 'in-progress' });
    expect(t.routing.engine.task(taskId)).toMatchObject({ status: 'assigned', workerId: agent.userId });
    const agentLeg = await legSid(recordId, 'agent');
    const room = `sb-${recordId}`;
    const participants = `/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences/${room}/Participants`;

    const boss = await enrollAs(t, 'supervisor');
    await t.routing.execute(
      {
        type: 'addWorker',
        worker: {
          id: boss.userId,
          attributes: { languages: ['en'], sipUser: 'boss1' },
          activity: 'Offline',
          capacity: { voice: 1, work_item: 0 },
        },
      },
      system(),
    );
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/calls/live', headers: { cookie: boss.cookie } });
    expect(listed.json().calls).toContainEqual(expect.objectContaining({ recordId, parties: ['caller', 'agent'], mode: null }));
    const supervise = (mode: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/calls/${recordId}/supervise`, headers: boss.headers, payload: { mode } });

    let mark = restCalls.length;
    const monitor = await supervise('monitor');
    expect(monitor.statusCode, monitor.body).toBe(200);
    const [joined] = restCalls.slice(mark);
    expect(joined?.path).toBe(`${participants}.json`);
    expect(Object.fromEntries(joined?.params ?? [])).toMatchObject({
      To: 'sip:boss1@agents.sip.example.gov',
      Label: 'supervisor',
      Muted: 'true',
      Coaching: 'false',
      EndConferenceOnExit: 'false',
    });
    await postTo(joined?.params.get('StatusCallback') ?? '', { ...base(904), CallStatus: 'in-progress' });
    mark = restCalls.length;
    expect((await supervise('whisper')).statusCode).toBe(200);
    expect(restCalls[mark]?.path).toBe(`${participants}/supervisor.json`);
    expect(Object.fromEntries(restCalls[mark]?.params ?? [])).toEqual({ Muted: 'false', Coaching: 'true', CallSidToCoach: agentLeg });
    mark = restCalls.length;
    const barge = await supervise('barge');
    expect(barge.json()).toMatchObject({ parties: ['caller', 'agent', 'supervisor'], mode: 'barge' });
    expect(Object.fromEntries(restCalls[mark]?.params ?? [])).toEqual({ Muted: 'false', Coaching: 'false' });
    mark = restCalls.length;
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/calls/${recordId}/supervise`, headers: boss.headers })).statusCode).toBe(
      200,
    );
    expect(restCalls[mark]).toMatchObject({ method: 'DELETE', path: `${participants}/supervisor.json` });

    // The interpreter: dialed into the room; once it answers, it alone hears which language is needed.
    mark = restCalls.length;
    const interp = await t.app.inject({
      method: 'POST',
      url: `/api/v1/routing/tasks/${taskId}/interpreter`,
      headers: agent.headers,
      payload: { language: 'mam' },
    });
    expect(interp.statusCode, interp.body).toBe(200);
    const dialed = restCalls[mark];
    expect(Object.fromEntries(dialed?.params ?? [])).toMatchObject({ To: '+18005550199', From: '+16155550100', Label: 'interpreter' });
    mark = restCalls.length;
    await postTo(dialed?.params.get('StatusCallback') ?? '', { ...base(905), CallStatus: 'in-progress' });
    expect(restCalls[mark]?.path).toBe(`${participants}/interpreter.json`);
    const announceUrl = restCalls[mark]?.params.get('AnnounceUrl') ?? '';
    expect(announceUrl).toBe(`${BASE_URL}/api/telephony/twilio/announce?language=mam`);
    const announced = await postTo(announceUrl, base(905));
    // Mam has no English name in Node's ICU data: the code is spelled out.
    expect(announced.body).toContain('<Say language="en-US">An interpreter is needed. Language code m a m.</Say>');
    expect((await postTo(`${BASE_URL}/api/telephony/twilio/announce?language=pt-BR`, base(905))).body).toContain(
      'An interpreter is needed for Brazilian Portuguese. Language code p t, B R.',
    );
    const parties = await t.app.inject({ method: 'GET', url: `/api/v1/routing/tasks/${taskId}/parties`, headers: agent.headers });
    expect(parties.json().parties).toEqual(['caller', 'agent', 'interpreter']);
    mark = restCalls.length;
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/routing/tasks/${taskId}/interpreter`, headers: agent.headers })).statusCode,
    ).toBe(200);
    expect(restCalls[mark]).toMatchObject({ method: 'DELETE', path: `${participants}/interpreter.json` });

    // Consult a number (allow-listed): the caller holds; then warm transfer — the agent leaves, the room now ends
    // with the consulted party, and the agent's task goes to wrap-up.
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/routing/tasks/${taskId}/consult`,
      headers: agent.headers,
      payload: { number: '+12025550100' },
    });
    expect(refused.statusCode).toBe(422);
    mark = restCalls.length;
    const consult = await t.app.inject({
      method: 'POST',
      url: `/api/v1/routing/tasks/${taskId}/consult`,
      headers: agent.headers,
      payload: { number: '+16155550123' },
    });
    expect(consult.statusCode, consult.body).toBe(200);
    expect(restCalls[mark]).toMatchObject({ path: `${participants}/caller.json` });
    expect(restCalls[mark]?.params.get('Hold')).toBe('true');
    expect(Object.fromEntries(restCalls[mark + 1]?.params ?? [])).toMatchObject({
      To: '+16155550123',
      From: '+16155550100',
      Label: 'consult',
    });
    await postTo(restCalls[mark + 1]?.params.get('StatusCallback') ?? '', { ...base(906), CallStatus: 'in-progress' });
    mark = restCalls.length;
    const transfer = await t.app.inject({
      method: 'POST',
      url: `/api/v1/routing/tasks/${taskId}/consult/transfer`,
      headers: agent.headers,
    });
    expect(transfer.statusCode, transfer.body).toBe(200);
    expect(restCalls.slice(mark).map((c) => `${c.method} ${c.path.replace(participants, '')} ${c.params.toString()}`)).toEqual([
      'POST /caller.json Hold=false',
      'POST /consult.json EndConferenceOnExit=true',
      'POST /agent.json EndConferenceOnExit=false',
      'DELETE /agent.json ',
    ]);
    expect(t.routing.engine.task(taskId)?.status).toBe('wrapping');
    const live = await t.app.inject({ method: 'GET', url: '/api/v1/calls/live', headers: { cookie: boss.cookie } });
    expect(live.json().calls).toContainEqual(expect.objectContaining({ recordId, parties: ['caller', 'consult'], consult: 'transferred' }));
    // The caller and the consulted party hang up: the caller's <Dial> reports, the record ends.
    await post(`/api/telephony/twilio/dial-result?reservation=x`, base(8, { DialCallStatus: 'completed' }));
    // The caller held once, for the consultation: counted on the record for the reports.
    expect(await record(8)).toMatchObject({ end_reason: 'completed', holds: 1, hold_started_at: null });

    const audited = await db.db
      .selectFrom('audit_events')
      .select(['action', 'outcome'])
      .where('resource_type', '=', 'call')
      .where('resource_id', '=', recordId)
      .orderBy('seq')
      .execute();
    expect(audited.map((a) => `${a.action}:${a.outcome}`)).toEqual([
      'call.supervise:allowed',
      'call.supervise:allowed',
      'call.supervise:allowed',
      'call.supervise_end:allowed',
      'call.interpreter_add:allowed',
      'call.interpreter_drop:allowed',
      'call.consult:allowed',
      'call.consult_transfer:allowed',
    ]);
  });
});

describe('callbacks of Twilio calls', () => {
  it('are dialed through Twilio: the agent’s phone into the try’s room, then the number from the center’s caller ID; no answer → tried again on schedule; answered → kept; each try reported once', async () => {
    // Nothing else waiting for an agent (earlier tests' calls and callbacks).
    await clearTheDesks(t);
    // A caller on the public line asks for a callback from the queue.
    const mine = (extra: Record<string, string> = {}) => base(20, { From: '+16155550178', ...extra });
    await post('/api/telephony/twilio/voice', mine());
    await post('/api/telephony/twilio/gather', mine({ Digits: '1' }));
    await post('/api/telephony/twilio/gather', mine({ Digits: '1' }));
    expect((await post('/api/telephony/twilio/wait-key', mine({ Digits: '1' }))).body).toContain('<Leave/>');
    await post('/api/telephony/twilio/queue-result', mine({ QueueResult: 'leave' }));
    const callback = await db.db.selectFrom('callbacks').selectAll().where('number', '=', '+16155550178').executeTakeFirstOrThrow();
    expect(callback).toMatchObject({ origin: 'ivr', status: 'queued' });

    // An agent with a phone takes the try.
    await t.routing.execute(
      {
        type: 'addWorker',
        worker: {
          id: 'tw-cb-agent',
          attributes: { skills: ['public_intake'], languages: ['en'], sipUser: 'agentcb' },
          activity: 'Available',
          capacity: { voice: 1, work_item: 0 },
        },
      },
      system(),
    );
    const tryCall = async (taskId: string) => {
      const offer = t.routing.engine.pendingReservationsOf('tw-cb-agent').find((r) => r.taskId === taskId);
      expect(offer, `an offer of ${taskId}`).toBeDefined();
      const mark = restCalls.length;
      await t.routing.execute({ type: 'accept', reservationId: offer?.id as string }, system());
      const [agentLeg] = await waitForRest(1, mark);
      expect(agentLeg?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences/sb-cb-${taskId}/Participants.json`);
      expect(Object.fromEntries(agentLeg?.params ?? [])).toMatchObject({
        From: '+16155550100',
        To: 'sip:agentcb@agents.sip.example.gov',
        Label: 'agent',
        EndConferenceOnExit: 'true',
      });
      // The agent answers: the number is dialed into the room.
      const dialing = restCalls.length;
      await postTo(agentLeg?.params.get('StatusCallback') ?? '', { ...base(30), CallStatus: 'in-progress' });
      const [numberLeg] = await waitForRest(1, dialing);
      // The same news again (Twilio retries a webhook it got no answer to): the number is not dialed twice.
      await postTo(agentLeg?.params.get('StatusCallback') ?? '', { ...base(30), CallStatus: 'in-progress' });
      expect(restCalls.slice(dialing).filter((c) => c.params.get('Label') === 'caller')).toHaveLength(1);
      expect(Object.fromEntries(numberLeg?.params ?? [])).toMatchObject({
        From: '+16155550100',
        To: '+16155550178',
        Label: 'caller',
        Timeout: '25',
      });
      return { numberLeg: numberLeg as RestCall };
    };

    // Try 1: the number does not answer.
    const first = callback.task_id as string;
    const { numberLeg } = await tryCall(first);
    const outbound = await db.db.selectFrom('calls').selectAll().where('direction', '=', 'outbound').executeTakeFirstOrThrow();
    expect(outbound).toMatchObject({ adapter: 'twilio', caller_number: '+16155550178', task_id: first, agent_worker_id: 'tw-cb-agent' });
    const hangUp = restCalls.length;
    await postTo(numberLeg.params.get('StatusCallback') ?? '', { ...base(31), CallStatus: 'no-answer' });
    // The same news twice (Twilio retries a webhook it got no answer to): one try.
    await postTo(numberLeg.params.get('StatusCallback') ?? '', { ...base(31), CallStatus: 'no-answer' });
    expect(restCalls.slice(hangUp).map((c) => `${c.method} ${c.path.split('/').slice(-1)[0]}`)).toContain('DELETE agent.json');
    const afterFirst = await db.db.selectFrom('callbacks').selectAll().where('id', '=', callback.id).executeTakeFirstOrThrow();
    expect(afterFirst).toMatchObject({ status: 'scheduled', attempts: 1, last_outcome: 'no_answer', dialing_state: null });
    expect(await db.db.selectFrom('calls').select('end_reason').where('id', '=', outbound.id).executeTakeFirstOrThrow()).toEqual({
      end_reason: 'no_answer',
    });
    expect(t.routing.engine.task(first)?.status).toBe('wrapping');
    await t.routing.execute({ type: 'finishWrapUp', taskId: first }, system());

    // Try 2, at its time: answered; the callback is kept; the conversation's end ends the outbound record.
    const at = afterFirst.next_attempt_at as Date;
    expect(await t.callbacks.releaseDue({ ...system(), now: at })).toBe(1);
    const second = (await db.db.selectFrom('callbacks').select('task_id').where('id', '=', callback.id).executeTakeFirstOrThrow())
      .task_id as string;
    const { numberLeg: again } = await tryCall(second);
    // Its status callbacks carry the call SID Twilio gave the leg (the outbound record's external id).
    const secondCall = await db.db
      .selectFrom('calls')
      .select('external_id')
      .where('direction', '=', 'outbound')
      .where('task_id', '=', second)
      .executeTakeFirstOrThrow();
    const leg = { ...base(32), CallSid: secondCall.external_id };
    await postTo(again.params.get('StatusCallback') ?? '', { ...leg, CallStatus: 'in-progress' });
    expect(await db.db.selectFrom('callbacks').selectAll().where('id', '=', callback.id).executeTakeFirstOrThrow()).toMatchObject({
      status: 'completed',
      last_outcome: 'answered',
    });
    await postTo(again.params.get('StatusCallback') ?? '', { ...leg, CallStatus: 'completed' });
    const outboundOf = (taskId: string) =>
      db.db
        .selectFrom('calls')
        .select(['end_reason', 'answered_at'])
        .where('direction', '=', 'outbound')
        .where('task_id', '=', taskId)
        .executeTakeFirstOrThrow();
    expect(await outboundOf(first)).toMatchObject({ end_reason: 'no_answer', answered_at: null });
    expect(await outboundOf(second)).toMatchObject({ end_reason: 'completed', answered_at: expect.any(Date) });
    expect(t.routing.engine.task(second)?.status).toBe('wrapping');
    const tries = await db.db
      .selectFrom('callback_attempts')
      .select(['task_id', 'outcome', 'counted'])
      .where('callback_id', '=', callback.id)
      .execute();
    expect(tries).toHaveLength(2);
    expect(tries).toEqual(
      expect.arrayContaining([
        { task_id: first, outcome: 'no_answer', counted: true },
        { task_id: second, outcome: 'answered', counted: true },
      ]),
    );
  });
});

const system = () => ({ actor: null, system: 'test', sourceIp: null, requestId: null, now: t.clock.now, timeZone: 'America/Chicago' });

/** A signed webhook to one of the absolute addresses the adapter gave Twilio. */
const postTo = (url: string, params: Record<string, string>) => post(url.replace(BASE_URL, ''), params);

const waitForRest = (n: number, from?: number) => rest.waitFor(n, from);

/** The call_sid the stand-in gave a participant, as the call record keeps it. */
async function legSid(recordId: string, label: string): Promise<string> {
  const row = await db.db.selectFrom('calls').select('adapter_state').where('id', '=', recordId).executeTakeFirstOrThrow();
  return (row.adapter_state as { conference?: Record<string, { sid?: string } | null> }).conference?.[label]?.sid ?? '';
}

/** A call through the public line's flow into the queue, then an agent with a SIP phone made available: the ACD reserves them. */
async function queuedTwilioCall(n: number, workerId: string, sipUser: string) {
  await post('/api/telephony/twilio/voice', base(n, { To: '+16155550102' }));
  await post('/api/telephony/twilio/gather', base(n, { Digits: '1' }));
  const queued = await record(n);
  const taskId = queued.task_id as string;
  expect(t.routing.engine.task(taskId)?.status).toBe('pending');
  const from = restCalls.length;
  await t.routing.execute(
    {
      type: 'addWorker',
      worker: {
        id: workerId,
        attributes: { unit: 'uac', languages: ['en'], sipUser },
        activity: 'Available',
        capacity: { voice: 1, work_item: 0 },
      },
    },
    system(),
  );
  const reservation = [...t.routing.engine.allReservations()].find((r) => r.taskId === taskId && r.status === 'pending');
  expect(reservation).toBeDefined();
  await waitForRest(2, from);
  return { taskId, recordId: queued.id, reservation: reservation?.id as string };
}
