import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath } from '../../src/services/attachment.service.js';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { startTelephony, type Telephony } from '../../src/telephony/runtime.js';
import { buildTestApp, enrollAs, loadTestAgencies, realTimeClockFrom, type TestApp } from '../support/app.js';
import { rms, startSoftphone } from '../support/baresip.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';
import { freeUdpPort, freeUdpRange, packetsBySide, sipp, testPhoneBook } from '../support/telephony.js';

/**
 * Real SIP on loopback: SIPp callers through Kamailio (Debian's) into a
 * call-control node, media anchored in rtpengine (Debian's), keys sent as RFC
 * 4733 events from SIPp's DTMF pcaps, the routing engine and call records in
 * PostgreSQL.
 */

let db: TestDatabase;
let t: TestApp;
let tel: Telephony;
let edge: string;
/** The agents' phones' credentials, as the edge holds them. */
const phoneBook = testPhoneBook();
/** The peers run in real time: call control's clock starts at the test clock's instant and runs on. */
let clock: () => Date;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  clock = realTimeClockFrom(t.clock.now);
  await loadTestAgencies(db);
  const range = await freeUdpRange(200);
  const edgePort = await freeUdpPort();
  // The default lines, and a test line whose flow transfers at once (no default flow transfers).
  const flowsDir = mkdtempSync(path.join(tmpdir(), 'sb-flows-'));
  for (const f of readdirSync('reference/ivr')) copyFileSync(path.join('reference/ivr', f), path.join(flowsDir, f));
  writeFileSync(
    path.join(flowsDir, 'test-transfer.json'),
    JSON.stringify({
      line: '+16155550109',
      name: 'Transfer test line',
      hours: { timeZone: 'America/Chicago', weekly: 'always', holidays: [] },
      start: 'out',
      nodes: { out: { type: 'transfer', to: '+16155550123', prompt: 'goodbye' } },
    }),
  );
  tel = await startTelephony({
    calls: new CallRecordService(db.db, t.routing, { blobDir: t.attachmentsDir }),
    routing: t.routing,
    flowsDir,
    kamailioTemplate: path.resolve('deploy/kamailio/kamailio.cfg'),
    phones: phoneBook.source,
    dataDir: mkdtempSync(path.join(tmpdir(), 'sb-telephony-')),
    node: 'node-a',
    clock,
    timeZone: 'America/Chicago',
    log: () => undefined,
    sip: { host: '127.0.0.1', port: 0 },
    edge: { host: '127.0.0.1', port: edgePort },
    rtpengine: { host: '127.0.0.1', port: await freeUdpPort(), portMin: range.min, portMax: range.max },
  });
  edge = `127.0.0.1:${edgePort}`;
}, 120_000);
afterAll(async () => {
  await tel?.stop();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const calls = () => db.db.selectFrom('calls').selectAll().orderBy('arrived_at').execute();
/** The shared poller (test/support/processes.ts), with this file's default patience. */
const until = (what: () => Promise<boolean> | boolean, ms = 30_000) => waitUntil('the call to get there', what, ms);

/** Sends raw bytes to the node and collects what comes back for a moment. */
async function raw(message: string): Promise<string[]> {
  const s = createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  s.send(message.replaceAll('@PORT@', String(s.address().port)), tel.endpoint.port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 700));
  s.close();
  return got;
}
const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n';
const invite = (headers: string[], body = SDP) =>
  `INVITE sip:+16155550100@127.0.0.1 SIP/2.0\r\n${headers.join('\r\n')}\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const base = (callId: string | null) =>
  [
    `Via: SIP/2.0/UDP 127.0.0.1:@PORT@;branch=z9hG4bK-raw-${Math.random().toString(36).slice(2)}`,
    'From: <sip:+16155550199@127.0.0.1>;tag=r1',
    'To: <sip:+16155550100@127.0.0.1>',
    callId === null ? '' : `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    'Contact: <sip:raw@127.0.0.1:@PORT@>',
  ].filter(Boolean);

describe('SIP calls through Kamailio and rtpengine', () => {
  it('public line, 2 then 2 by RFC 4733: Spanish, about a child, queued for the UAC unit; the caller hangs up → abandoned', async () => {
    const before = (await calls()).length;
    // What another node would adopt the call from, read the moment its task exists: already "queued", with the task
    // (stored in the task's transaction, so a node killed right then leaves no queued caller saved as in the menus).
    const savedAtTask: Promise<unknown>[] = [];
    const unsubscribe = t.routing.subscribe((events) => {
      for (const e of events)
        if (e.type === 'task.created')
          savedAtTask.push(
            db.db
              .selectFrom('calls')
              .select('adapter_state')
              .where('task_id', '=', e.taskId)
              .executeTakeFirst()
              .then((r) => r?.adapter_state),
          );
    });
    const run = sipp('caller-2-2-hangs-up.xml', edge, {
      service: '+16155550100',
      holdMs: 12_000,
      keys: [
        { digit: '2', atMs: 0 },
        { digit: '2', atMs: 2_500 },
      ],
    });
    await until(async () => (await calls()).length > before && (await calls()).at(-1)?.queue_id !== null);
    const queued = (await calls()).at(-1);
    expect(queued).toMatchObject({
      adapter: 'sip',
      line: '+16155550100',
      language: 'es',
      reason: 'uac',
      queue_id: 'uac_unit',
      caller_number: '+16155550199',
    });
    expect(queued?.ivr_path).toEqual(['hours=open', 'language=2', 'reason=2']);
    const task = t.routing.engine.task(queued?.task_id as string);
    expect(task).toMatchObject({ status: 'pending', attributes: { language: 'es', topic: 'uac' } });
    unsubscribe();
    expect(await Promise.all(savedAtTask)).toEqual([expect.objectContaining({ phase: 'queued', taskId: queued?.task_id })]);
    const result = await run;
    expect(result.code, result.stderr + result.stdout.slice(-2_000)).toBe(0);
    await until(async () => (await calls()).at(-1)?.end_reason !== null);
    expect((await calls()).at(-1)).toMatchObject({ end_reason: 'abandoned_queue' });
    expect(t.routing.engine.task(queued?.task_id as string)).toMatchObject({ status: 'canceled', cancelReason: 'abandoned' });
  });

  it('a caller who presses 1 in the queue gets a callback task with the original arrival time, and the call ends', async () => {
    const result = await sipp('caller-1-1-callback.xml', edge, {
      service: '+16155550100',
      keys: [
        { digit: '1', atMs: 0 },
        { digit: '1', atMs: 2_500 },
        { digit: '1', atMs: 9_000 },
      ],
    });
    expect(result.code, result.stderr + result.stdout.slice(-2_000)).toBe(0);
    await until(async () => (await calls()).at(-1)?.end_reason !== null);
    const row = (await calls()).at(-1);
    expect(row).toMatchObject({ end_reason: 'callback', reason: 'report', language: 'en' });
    const original = t.routing.engine.task(row?.task_id as string);
    const callback = t.routing.engine.task(row?.callback_task_id as string);
    expect(original).toMatchObject({ status: 'canceled', cancelReason: 'callback' });
    expect(callback).toMatchObject({ status: 'pending', attributes: { callback: true, callRecord: row?.id } });
    expect(callback?.arrivedAt).toBe(original?.arrivedAt);
  });

  it('answers malformed INVITEs with errors — missing Call-ID 400, unusable SDP 488, huge headers 513, unknown number 404 — and keeps serving', async () => {
    const noCallId = await raw(invite(base(null)));
    expect(noCallId[0]).toMatch(/^SIP\/2\.0 400 Missing Call-ID/);
    const badSdp = await raw(invite(base('bad-sdp-1'), 'this is not sdp'));
    expect(badSdp.find((m) => !m.startsWith('SIP/2.0 100'))).toMatch(/^SIP\/2\.0 488 Not Acceptable Here[\s\S]*Warning: 399 switchboard/);
    const video = await raw(invite(base('bad-sdp-2'), SDP.replace('m=audio 40000 RTP/AVP 0 101', 'm=video 40000 RTP/AVP 96')));
    expect(video.find((m) => !m.startsWith('SIP/2.0 100'))).toMatch(/^SIP\/2\.0 488/);
    const huge = await raw(invite([...base('huge-1'), `X-Padding: ${'x'.repeat(6_000)}`]));
    expect(huge[0]).toMatch(/^SIP\/2\.0 513/);
    const unknown = await raw(invite(base('unknown-1')).replace('sip:+16155550100@', 'sip:+15555550123@'));
    expect(unknown.find((m) => !m.startsWith('SIP/2.0 100'))).toMatch(/^SIP\/2\.0 404/);
    // A bad percent escape in the number is a number we do not have (404), not a failure of the node (5xx would make
    // the edge mark every node down, one after the other).
    const escaped = await raw(invite(base('pct-1')).replace('sip:+16155550100@', 'sip:%E0@'));
    expect(escaped.find((m) => !m.startsWith('SIP/2.0 100'))).toMatch(/^SIP\/2\.0 404/);
    // Nothing answers garbage. (A response retransmitted for an earlier message — their INVITEs are never ACKed — can
    // reach this socket when the system gives it the closed one's port again: such a response is not an answer.)
    const earlier = /^Call-ID: (bad-sdp|huge|unknown|pct)-\d/m;
    expect((await raw('\u0000\u0001garbage that is not SIP at all')).filter((m) => !earlier.test(m))).toEqual([]);
    const bye = await raw(
      invite(base('nobody'))
        .replace(/^INVITE/, 'BYE')
        .replace('CSeq: 1 INVITE', 'CSeq: 2 BYE')
        .replace('To: <sip:+16155550100@127.0.0.1>', 'To: <sip:+16155550100@127.0.0.1>;tag=zz'),
    );
    expect(bye[0]).toMatch(/^SIP\/2\.0 481/);
    expect(tel.endpoint.stats.malformed).toBeGreaterThanOrEqual(2);
    // Still serving: a call through the edge is answered and hangs up cleanly.
    const result = await sipp('caller-hangs-up.xml', edge, { service: '+16155550102', holdMs: 1_500 });
    expect(result.code, result.stderr + result.stdout.slice(-2_000)).toBe(0);
    expect(tel.endpoint.calls.filter((c) => c.state !== 'ended').length).toBeLessThanOrEqual(1);
  });
});

describe('in-dialog requests', () => {
  it('a re-INVITE (the caller puts us on hold) is renegotiated through rtpengine and answered 200 with SDP; BYE ends the call', async () => {
    const s = createSocket('udp4');
    const got: string[] = [];
    s.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    const port = s.address().port;
    const send = (m: string) => s.send(m.replaceAll('@PORT@', String(port)), tel.endpoint.port, '127.0.0.1');
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100; i++) {
        const hit = got.find((m) => re.test(m));
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${re} in ${JSON.stringify(got.map((g) => g.split('\r\n')[0]))}`);
    };
    const callId = `reinvite-${randomUUID()}`;
    const headers = (cseq: string, toTag = '') => [
      `Via: SIP/2.0/UDP 127.0.0.1:@PORT@;branch=z9hG4bK-${Math.random().toString(36).slice(2)}`,
      'From: <sip:+16155550199@127.0.0.1>;tag=ri1',
      `To: <sip:+16155550102@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq}`,
      'Max-Forwards: 70',
      'Contact: <sip:raw@127.0.0.1:@PORT@>',
    ];
    const audio = SDP.replace('m=audio 40000', `m=audio ${port + 2}`);
    send(invite(headers('1 INVITE'), audio).replace('sip:+16155550100@', 'sip:+16155550102@'));
    const ok = await waitFor(/^SIP\/2\.0 200 OK[\s\S]*CSeq: 1 INVITE/);
    const toTag = /To: [^\r\n]*;tag=([^;\r\n]+)/.exec(ok)?.[1] as string;
    expect(ok).toMatch(/m=audio \d+ RTP\/AVP/);
    send(`ACK sip:switchboard@127.0.0.1 SIP/2.0\r\n${headers('1 ACK', toTag).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
    const hold = `${audio}a=sendonly\r\n`;
    send(
      `INVITE sip:switchboard@127.0.0.1 SIP/2.0\r\n${headers('2 INVITE', toTag).join('\r\n')}\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(hold)}\r\n\r\n${hold}`,
    );
    const reinvited = await waitFor(/^SIP\/2\.0 200 OK[\s\S]*CSeq: 2 INVITE/);
    expect(reinvited).toMatch(/m=audio \d+ RTP\/AVP[\s\S]*a=recvonly/);
    send(`ACK sip:switchboard@127.0.0.1 SIP/2.0\r\n${headers('2 ACK', toTag).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
    send(`BYE sip:switchboard@127.0.0.1 SIP/2.0\r\n${headers('3 BYE', toTag).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
    await waitFor(/^SIP\/2\.0 200 OK[\s\S]*CSeq: 3 BYE/);
    await until(
      async () =>
        (await db.db.selectFrom('calls').select('end_reason').where('external_id', '=', callId).executeTakeFirst())?.end_reason ===
        'abandoned_ivr',
    );
    s.close();
  });
});

describe('transfer', () => {
  it('a transfer node REFERs the caller to the number through the edge, then hangs up; the record says transferred', async () => {
    const s = createSocket('udp4');
    const got: string[] = [];
    s.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    const port = s.address().port;
    const reply = (request: string, status: string) => {
      const keep = request.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
      s.send(`SIP/2.0 ${status}\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, tel.endpoint.port, '127.0.0.1');
    };
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 200; i++) {
        const hit = got.find((m) => re.test(m));
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${re} in ${JSON.stringify(got.map((g) => g.split('\r\n')[0]))}`);
    };
    const callId = `transfer-${randomUUID()}`;
    const headers = (cseq: string, toTag = '') => [
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${Math.random().toString(36).slice(2)}`,
      'From: <sip:+16155550199@127.0.0.1>;tag=tr1',
      `To: <sip:+16155550109@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq}`,
      'Max-Forwards: 70',
      `Contact: <sip:raw@127.0.0.1:${port}>`,
    ];
    const audio = SDP.replace('m=audio 40000', `m=audio ${port + 2}`);
    s.send(
      `INVITE sip:+16155550109@127.0.0.1 SIP/2.0\r\n${headers('1 INVITE').join('\r\n')}\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(audio)}\r\n\r\n${audio}`,
      tel.endpoint.port,
      '127.0.0.1',
    );
    const ok = await waitFor(/^SIP\/2\.0 200 OK/);
    const toTag = /To: [^\r\n]*;tag=([^;\r\n]+)/.exec(ok)?.[1] as string;
    s.send(
      `ACK sip:switchboard@127.0.0.1 SIP/2.0\r\n${headers('1 ACK', toTag).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`,
      tel.endpoint.port,
      '127.0.0.1',
    );
    const refer = await waitFor(/^REFER /);
    expect(refer).toMatch(new RegExp(`Refer-To: <sip:\\+16155550123@${edge.replace('.', '\\.')}>`));
    reply(refer, '202 Accepted');
    const bye = await waitFor(/^BYE /);
    reply(bye, '200 OK');
    await until(
      async () =>
        (await db.db.selectFrom('calls').select('end_reason').where('external_id', '=', callId).executeTakeFirst())?.end_reason ===
        'transferred',
    );
    s.close();
  });
});

describe('an agent answers on a SIP phone', () => {
  it('public line 2-2: the ACD reserves the UAC agent, their baresip phone rings and answers, audio flows both ways, the agent hangs up, the task wraps up and completes', async () => {
    const edgePort = Number(edge.split(':')[1]);
    const phone = await startSoftphone('agent7', edgePort, { password: await phoneBook.issue('agent7') });
    try {
      await phone.registered();
      const ctx = { actor: null, system: 'test', sourceIp: null, requestId: null, now: clock(), timeZone: 'America/Chicago' };
      await t.routing.execute(
        {
          type: 'addWorker',
          worker: {
            id: 'agent-7',
            attributes: { unit: 'uac', languages: ['en', 'es'], skills: [], sipUser: 'agent7' },
            activity: 'Available',
            capacity: { voice: 1, work_item: 0 },
          },
        },
        ctx,
      );
      const before = (await calls()).length;
      const run = sipp('caller-talks-to-agent.xml', edge, {
        service: '+16155550100',
        keys: [
          { digit: '2', atMs: 0 },
          { digit: '2', atMs: 2_500 },
        ],
      });
      await until(async () => (await calls()).length > before && (await calls()).at(-1)?.answered_at !== null, 40_000);
      const answered = (await calls()).at(-1);
      expect(answered).toMatchObject({ language: 'es', reason: 'uac', queue_id: 'uac_unit', agent_worker_id: 'agent-7' });
      await phone.waitFor('CALL_ESTABLISHED');
      // Let the caller talk (SIPp's A-law sample) and the agent's tone flow, then look at rtpengine's counters.
      await new Promise((r) => setTimeout(r, 9_000));
      const packets = await packetsBySide(tel.gateway.rtpengine, answered?.external_id as string);
      // Both sides sent media through rtpengine: the caller and the agent.
      expect(packets.filter((n) => n > 50).length).toBe(2);
      phone.command('hangup');
      const result = await run;
      expect(result.code, result.stderr + result.stdout.slice(-2_000)).toBe(0);
      await until(async () => (await calls()).at(-1)?.end_reason !== null);
      const ended = (await calls()).at(-1);
      // The public line announces recording: the conversation with the agent was recorded by rtpengine.
      expect(ended).toMatchObject({
        end_reason: 'completed',
        agent_worker_id: 'agent-7',
        recording_ref: `rtpengine:${ended?.external_id}`,
      });
      expect(t.routing.engine.task(ended?.task_id as string)?.status).toBe('wrapping');
      await t.routing.execute({ type: 'finishWrapUp', taskId: ended?.task_id as string }, ctx);
      expect(t.routing.engine.task(ended?.task_id as string)?.status).toBe('completed');
      // The agent heard the caller: the recording of what baresip received is not silence.
      await until(() => phone.heard().length > 0, 5_000);
      expect(Math.max(...phone.heard().map(rms))).toBeGreaterThan(0.01);
      // The conversation's recording, mixed from rtpengine's capture once the call was over: both parties, not silence.
      await until(
        async () =>
          (
            await db.db
              .selectFrom('recordings')
              .select('id')
              .where('call_id', '=', ended?.id as string)
              .execute()
          ).length === 1,
      );
      const recording = await db.db
        .selectFrom('recordings')
        .selectAll()
        .where('call_id', '=', ended?.id as string)
        .executeTakeFirstOrThrow();
      expect(recording.streams).toBe(2);
      expect(recording.duration_ms).toBeGreaterThan(5_000);
      expect(rms(blobPath(t.attachmentsDir, recording.sha256))).toBeGreaterThan(0.01);
      // A supervisor plays it, saying why; without a purpose it is refused (both audited).
      const supervisor = await enrollAs(t, 'supervisor');
      const bare = await t.app.inject({
        method: 'GET',
        url: `/api/v1/calls/${ended?.id}/recording`,
        headers: { cookie: supervisor.cookie },
      });
      expect(bare.statusCode).toBe(400);
      const played = await t.app.inject({
        method: 'GET',
        url: `/api/v1/calls/${ended?.id}/recording?purposeCode=case_work&purpose=${encodeURIComponent('quality review of the call')}`,
        headers: { cookie: supervisor.cookie },
      });
      expect(played.statusCode).toBe(200);
      expect(played.headers['content-type']).toMatch(/^audio\/wav/);
      const agentTries = await enrollAs(t, 'call_taker');
      const notAllowed = await t.app.inject({
        method: 'GET',
        url: `/api/v1/calls/${ended?.id}/recording?purposeCode=case_work&purpose=${encodeURIComponent('quality review of the call')}`,
        headers: { cookie: agentTries.cookie },
      });
      expect(notAllowed.statusCode).toBe(403);
      const plays = await db.db.selectFrom('audit_events').select(['outcome', 'purpose']).where('action', '=', 'recording.play').execute();
      expect(plays.map((p) => p.outcome).sort()).toEqual(['allowed', 'denied']);
    } finally {
      await phone.stop();
    }
  }, 90_000);
});
