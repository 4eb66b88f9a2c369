import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordService } from '../../src/services/call-record.service.js';
import { attachSip } from '../../src/telephony/adapters/sip-front.js';
import { CallControl } from '../../src/telephony/call-control.js';
import { loadFlows } from '../../src/telephony/ivr-flows.js';
import { startTelephony, type Telephony } from '../../src/telephony/runtime.js';
import { SipEndpoint } from '../../src/telephony/sip/endpoint.js';
import { buildTestApp, realTimeClockFrom, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freeUdpPort, freeUdpRange, sipp, sippCounts } from '../support/telephony.js';

/**
 * Two call-control nodes behind Kamailio's dispatcher; one dies (stops
 * answering, ends nothing) while SIPp is placing calls. INVITEs that had no
 * final answer from it are retried by the edge on the other node; calls
 * already answered on the dead node are adopted by the other when their
 * caller's BYE reaches it (the edge fails the dialog over; the dead node
 * saved each call's dialogs with its record). The success rate is printed.
 */

let db: TestDatabase;
let t: TestApp;
let tel: Telephony;
let nodeB: SipEndpoint;
let controlB: CallControl;
let edge: string;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  // The peers run in real time: the nodes' clock starts at the test clock's instant and runs on.
  const clock = realTimeClockFrom(t.clock.now);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-failover-'));
  nodeB = await SipEndpoint.open({ host: '127.0.0.1', port: 0 });
  const range = await freeUdpRange(600);
  const edgePort = await freeUdpPort();
  tel = await startTelephony({
    calls: new CallRecordService(db.db, t.routing),
    routing: t.routing,
    flowsDir: path.resolve('reference/ivr'),
    kamailioTemplate: path.resolve('deploy/kamailio/kamailio.cfg'),
    dataDir,
    node: 'node-a',
    clock,
    timeZone: 'America/Chicago',
    log: () => undefined,
    sip: { host: '127.0.0.1', port: 0 },
    edge: { host: '127.0.0.1', port: edgePort },
    peers: [{ host: '127.0.0.1', port: nodeB.port }],
    rtpengine: { host: '127.0.0.1', port: await freeUdpPort(), portMin: range.min, portMax: range.max },
  });
  const { flows } = loadFlows(path.resolve('reference/ivr'));
  controlB = new CallControl({
    calls: new CallRecordService(db.db, t.routing),
    routing: t.routing,
    prompts: tel.prompts,
    flows,
    node: 'node-b',
    clock,
    timeZone: 'America/Chicago',
    log: () => undefined,
  });
  controlB.start();
  attachSip(nodeB, controlB, tel.gateway, () => undefined, null);
  edge = `127.0.0.1:${edgePort}`;
  // Let the dispatcher's pings find both nodes alive.
  await new Promise((r) => setTimeout(r, 2_500));
}, 120_000);
afterAll(async () => {
  await controlB?.stop();
  await tel?.stop();
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('call-control failover behind the edge', () => {
  it('a node dies during a SIPp run: its unanswered INVITEs go to the other node, its answered calls are adopted there; none is lost', async () => {
    const total = 40;
    const run = sipp('caller-hangs-up.xml', edge, {
      service: '+16155550102',
      calls: total,
      rate: 10,
      holdMs: 2_000,
      timeoutS: 80,
      extra: ['-max_retrans', '4'],
    });
    await new Promise((r) => setTimeout(r, 1_600));
    const answeredOnB = nodeB.stats.answered;
    await nodeB.abort();
    const result = await run;
    const { successful, failed } = sippCounts(result.stdout);
    const rate = successful / total;
    console.log(
      `failover: ${successful}/${total} calls completed (${(rate * 100).toFixed(1)} %); ${answeredOnB} had been answered on the node that died; node A answered ${tel.endpoint.stats.answered}`,
    );
    expect(answeredOnB).toBeGreaterThan(0); // the dead node did take calls: the test would prove nothing otherwise
    expect(successful + failed).toBe(total);
    // Every call completed: retried on node A before its answer, or adopted by node A after it.
    expect(successful).toBe(total);
    expect(tel.endpoint.stats.answered).toBeGreaterThanOrEqual(total - answeredOnB);
    // The calls answered on the dead node ended on node A, as completed by their callers, not as failed.
    const records = await db.db.selectFrom('calls').select(['node', 'end_reason']).where('node', '=', 'node-a').execute();
    expect(records.filter((r) => r.end_reason === 'failed')).toEqual([]);
  }, 120_000);
});
