import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { carrierAddressFile, edgeRefusedCalls, startKamailio } from '../../src/telephony/processes.js';
import { startTelephony, type Telephony } from '../../src/telephony/runtime.js';
import { sipPing } from '../../src/telephony/sip/ping.js';
import { buildTestApp, loadTestAgencies, realTimeClockFrom, type TestApp } from '../support/app.js';
import { startSoftphone, toneLevel } from '../support/baresip.js';
import { selfSignedCertificate } from '../support/certificates.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';
import { freeSipPhonePorts, freeUdpPort, freeUdpRange, packetsBySide, sipp, testPhoneBook } from '../support/telephony.js';

/**
 * The production edge (issue #21 item 1) with real peers on loopback: Kamailio with SIP over TLS (a self-signed
 * certificate made by openssl) and the carrier access list (the permissions module; the default list is 127.0.0.1
 * only), rtpengine translating a caller's SDES-SRTP to the plain RTP call control and agents' phones speak.
 */

let db: TestDatabase;
let t: TestApp;
let tel: Telephony;
let edgePort: number;
let tlsPort: number;
let certificate: { cert: string; key: string };
let clock: () => Date;
let rtpenginePort: number;
const LINE = '+16155550110';

/** The agents' phones' credentials the edge checks (digest): each phone registers with the password issued to it. */
const phoneBook = testPhoneBook();

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  clock = realTimeClockFrom(t.clock.now);
  await loadTestAgencies(db);
  certificate = selfSignedCertificate();
  const range = await freeUdpRange(200);
  rtpenginePort = await freeUdpPort();
  edgePort = await freeUdpPort();
  // A TLS port apart from the phones' range and free on TCP now (the edge's UDP/TCP port is checked by its start).
  tlsPort = (await freeSipPhonePorts()).control;
  // The shipped flows, and a test line that queues the caller for the UAC unit at once (no menu to press through).
  const flowsDir = mkdtempSync(path.join(tmpdir(), 'sb-flows-'));
  for (const f of readdirSync('reference/ivr')) copyFileSync(path.join('reference/ivr', f), path.join(flowsDir, f));
  const uac = JSON.parse(readFileSync('reference/ivr/uac-line.json', 'utf8')) as { nodes: Record<string, unknown> };
  writeFileSync(
    path.join(flowsDir, 'test-edge.json'),
    JSON.stringify({
      line: LINE,
      name: 'Edge test line',
      unit: 'uac',
      hours: { timeZone: 'America/Chicago', weekly: 'always', holidays: [] },
      start: 'welcome',
      nodes: {
        welcome: { type: 'play', prompt: 'uac-welcome', set: { language: 'en', reason: 'uac', topic: 'uac' }, next: 'queue-uac' },
        'queue-uac': uac.nodes['queue-uac'],
      },
    }),
  );
  tel = await startTelephony({
    calls: new CallRecordService(db.db, t.routing, { blobDir: t.attachmentsDir }),
    routing: t.routing,
    flowsDir,
    kamailioTemplate: path.resolve('deploy/kamailio/kamailio.cfg'),
    dataDir: mkdtempSync(path.join(tmpdir(), 'sb-telephony-')),
    node: 'node-edge',
    clock,
    timeZone: 'America/Chicago',
    log: () => undefined,
    sip: { host: '127.0.0.1', port: 0 },
    edge: { host: '127.0.0.1', port: edgePort, tls: { port: tlsPort, certificate: certificate.cert, privateKey: certificate.key } },
    rtpengine: { host: '127.0.0.1', port: rtpenginePort, portMin: range.min, portMax: range.max },
    phones: phoneBook.source,
  });
}, 120_000);
afterAll(async () => {
  await tel?.stop();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const calls = () => db.db.selectFrom('calls').selectAll().orderBy('arrived_at').execute();
const until = (what: () => Promise<boolean> | boolean, ms = 30_000) => waitUntil('the call to get there', what, ms);

/** One SIP request over TLS to the edge (the certificate checked against ours); resolves with the first answer. */
function overTls(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: tlsPort, ca: readFileSync(certificate.cert), servername: 'localhost' }, () => {
      const local = `127.0.0.1:${socket.localPort}`;
      socket.write(request.replaceAll('@LOCAL@', local));
    });
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer over TLS: ${JSON.stringify(got)}`));
    }, 5_000);
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (/\r\n\r\n/.test(got)) {
        clearTimeout(timer);
        socket.end();
        resolve(got);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('SIP over TLS', () => {
  it('the edge answers on its TLS port with the configured certificate (verified by the client), and refuses a client offering only TLS 1.1', async () => {
    const answer = await overTls(
      [
        `OPTIONS sip:127.0.0.1:${tlsPort};transport=tls SIP/2.0`,
        'Via: SIP/2.0/TLS @LOCAL@;branch=z9hG4bK-tls-options-1',
        'From: <sip:probe@127.0.0.1>;tag=p1',
        `To: <sip:127.0.0.1:${tlsPort}>`,
        'Call-ID: tls-options-1',
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    expect(answer).toMatch(/^SIP\/2\.0 200 OK/);
    const old = new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () =>
        resolve('connected'),
      );
      s.on('error', (e) => resolve(`refused: ${e.message}`));
    });
    expect(await old).toMatch(/^refused/);
  });

  it('a caller on TLS offering only SDES-SRTP is answered in SRTP; rtpengine translates to the plain-RTP agent phone (registered over TLS), and each hears the other', async () => {
    // The agent's phone registers over TLS too (its media plain RTP): the edge calls it over its own connection.
    const agent = await startSoftphone('agent8', tlsPort, {
      toneHz: 900,
      transport: 'tls',
      caFile: certificate.cert,
      password: await phoneBook.issue('agent8'),
    });
    const caller = await startSoftphone('srtp-caller', tlsPort, {
      toneHz: 500,
      register: false,
      transport: 'tls',
      caFile: certificate.cert,
      mediaenc: 'srtp-mand',
    });
    try {
      await agent.registered();
      const ctx = { actor: null, system: 'test', sourceIp: null, requestId: null, now: clock(), timeZone: 'America/Chicago' };
      await t.routing.execute(
        {
          type: 'addWorker',
          worker: {
            id: 'agent-8',
            attributes: { unit: 'uac', languages: ['en'], skills: [], sipUser: 'agent8' },
            activity: 'Available',
            capacity: { voice: 1, work_item: 0 },
          },
        },
        ctx,
      );
      // Every SDP rtpengine makes for call control's side (the sink, the agent's phone) is plain RTP, whatever the caller
      // spoke: a phone that refuses SRTP rings too, and the first offer does not depend on what an earlier answer said.
      const offered: string[] = [];
      const command = tel.gateway.rtpengine.command.bind(tel.gateway.rtpengine);
      tel.gateway.rtpengine.command = async (name, args) => {
        const result = await command(name, args);
        if (name === 'offer') offered.push(String(result.sdp));
        return result;
      };
      const before = (await calls()).length;
      caller.command('dial', `sip:${LINE}@127.0.0.1:${tlsPort};transport=tls`);
      await caller.waitFor('CALL_ESTABLISHED');
      await until(async () => (await calls()).length > before && (await calls()).at(-1)?.answered_at !== null, 40_000);
      const answered = (await calls()).at(-1);
      expect(answered).toMatchObject({ adapter: 'sip', line: LINE, agent_worker_id: 'agent-8' });
      await agent.waitFor('CALL_ESTABLISHED');
      tel.gateway.rtpengine.command = command;
      expect(offered.length).toBeGreaterThanOrEqual(2);
      for (const sdp of offered) {
        expect(sdp).toMatch(/^m=audio \d+ RTP\/AVP /m);
        expect(sdp).not.toMatch(/^a=crypto:/m);
      }
      // Let both talk, then look at rtpengine: the caller's side is SRTP, the agent's plain RTP, and both sent media.
      await new Promise((r) => setTimeout(r, 6_000));
      const callId = answered?.external_id as string;
      const query = await tel.gateway.rtpengine.command('query', { 'call-id': callId });
      const protocols = Object.values(query.tags as Record<string, { medias?: { protocol?: string }[] }>)
        .flatMap((tag) => (tag.medias ?? []).map((m) => m.protocol))
        .sort();
      expect(protocols).toEqual(['RTP/AVP', 'RTP/SAVP']);
      const packets = await packetsBySide(tel.gateway.rtpengine, callId);
      expect(packets.filter((n) => n > 50).length).toBe(2);
      // The agent hangs up: call control's BYE reaches the caller back over its TLS connection.
      agent.command('hangup');
      await caller.waitFor('CALL_CLOSED');
      await until(async () => (await calls()).at(-1)?.end_reason !== null);
      // What each phone recorded: the agent heard the caller's 500 Hz (decrypted from SRTP), the caller the agent's
      // 900 Hz (encrypted for it) — a wrong key either way is noise or silence, not the other's tone.
      await until(() => agent.heard().length > 0 && caller.heard().length > 0, 5_000);
      const agentHeard = agent.heard()[0] as string;
      const callerHeard = caller.heard()[0] as string;
      expect(toneLevel(agentHeard, 500)).toBeGreaterThan(0.01);
      expect(toneLevel(callerHeard, 900)).toBeGreaterThan(0.01);
    } finally {
      await caller.stop();
      await agent.stop();
    }
  }, 90_000);
});

describe('carrier access list', () => {
  it('a call from an address outside the list (127.0.0.2) is refused 403 and counted; one from a listed trunk is answered', async () => {
    const ctl = tel.edgeCtl as string;
    const before = await edgeRefusedCalls(ctl);
    const refused = await sipp('caller-refused.xml', `127.0.0.1:${edgePort}`, { service: LINE, localIp: '127.0.0.2', timeoutS: 20 });
    expect(refused.code, refused.stderr + refused.stdout.slice(-2_000)).toBe(0);
    expect(await edgeRefusedCalls(ctl)).toBe(before + 1);
    // From 127.0.0.1 (listed): the call goes in, is answered, and the counter stays where it was.
    const accepted = await sipp('caller-hangs-up.xml', `127.0.0.1:${edgePort}`, { service: '+16155550102', holdMs: 1_000, timeoutS: 30 });
    expect(accepted.code, accepted.stderr + accepted.stdout.slice(-2_000)).toBe(0);
    expect(await edgeRefusedCalls(ctl)).toBe(before + 1);
  }, 60_000);

  it('the address file lists group 1 entries, and a malformed entry stops the edge from starting rather than opening it', () => {
    expect(carrierAddressFile(['127.0.0.1', '198.51.100.0/24'])).toMatch(/^1 127\.0\.0\.1 32 0\n1 198\.51\.100\.0 24 0\n$/m);
    expect(() => carrierAddressFile(['198.51.100.0/33'])).toThrow(/not an IPv4 address or network/);
    expect(() => carrierAddressFile(['carrier.example.com'])).toThrow(/not an IPv4 address or network/);
  });
});

describe('the edge bind (SIP_EDGE_BIND)', () => {
  it('an edge bound to another address of this machine (127.0.0.3) takes calls there, and listens nowhere else', async () => {
    const port = await freeUdpPort();
    const edge = await startKamailio({
      listen: { host: '127.0.0.3', port },
      nodes: [{ host: '127.0.0.1', port: tel.endpoint.port }],
      rtpengine: { host: '127.0.0.1', port: rtpenginePort },
      dir: mkdtempSync(path.join(tmpdir(), 'sb-edge-bind-')),
      template: path.resolve('deploy/kamailio/kamailio.cfg'),
      children: 2,
    });
    try {
      const call = await sipp('caller-hangs-up.xml', `127.0.0.3:${port}`, { service: '+16155550102', holdMs: 1_000, timeoutS: 30 });
      expect(call.code, call.stderr + call.stdout.slice(-2_000)).toBe(0);
      expect(await sipPing({ host: '127.0.0.3', port }, 1_000)).toBe(true);
      expect(await sipPing({ host: '127.0.0.1', port }, 1_000)).toBe(false);
    } finally {
      await edge.stop();
    }
  }, 60_000);
});
