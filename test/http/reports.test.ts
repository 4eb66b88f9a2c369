import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TReport, TReportRequest } from '../../src/contracts/reports.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Historical reports (issue #20) match the call records they come from: a simulated week of calls (seeded, across
 * the fall-back DST change of 1 November 2026 in America/Chicago) is written to `calls`, and every figure is
 * computed again here, independently, from the generated calls by the definitions of docs/METRICS.md.
 */

let db: TestDatabase;
let t: TestApp;
let supervisor: SignedIn;
let callTaker: SignedIn;

/** Thursday 29 October 2026, 00:00 CDT, to Thursday 5 November, 00:00 CST: seven calendar days, 169 hours. */
const FROM = new Date('2026-10-29T05:00:00Z');
const TO = new Date('2026-11-05T06:00:00Z');
const SHORT_S = 5;

type SimCall = {
  line: string;
  language: string | null;
  queueId: string | null;
  agent: string | null;
  disposition: string | null;
  taskId: string;
  arrivedAt: Date;
  queuedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  endReason: 'completed' | 'abandoned_ivr' | 'abandoned_queue' | 'overflowed' | 'callback' | 'transferred' | 'failed' | null;
  callbackTaskId: string | null;
  /** Times on hold and the seconds on hold in all (what the call record keeps). */
  holds: number;
  holdSeconds: number;
};

/** mulberry32: a small seeded PRNG, so the week is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const AGENTS = ['w-ana', 'w-ben', 'w-cho', 'w-dev', 'w-eli'];
const DISPOSITIONS = ['information', 'tip taken', 'wrong number, hung up', '=transfer'];
const LINES = ['+16155550100', '+16155550199'];
const LANGUAGES = ['en', 'es', null];

function simulateWeek(queueIds: string[], count: number): SimCall[] {
  const random = prng(20_261_101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const calls: SimCall[] = [];
  // A few hours either side of the range: they must stay out of it.
  const start = FROM.getTime() - 3 * 3_600_000;
  const span = TO.getTime() + 3 * 3_600_000 - start;
  for (let i = 0; i < count; i++) {
    const arrived = start + Math.floor(random() * span);
    const ivr = Math.floor(random() * 40_000);
    const call: SimCall = {
      line: pick(LINES),
      language: pick(LANGUAGES),
      queueId: null,
      agent: null,
      disposition: null,
      taskId: `sim-task-${i}`,
      arrivedAt: new Date(arrived),
      queuedAt: null,
      answeredAt: null,
      endedAt: null,
      endReason: null,
      callbackTaskId: null,
      holds: 0,
      holdSeconds: 0,
    };
    const r = random();
    if (r < 0.08) {
      call.endedAt = new Date(arrived + ivr);
      call.endReason = 'abandoned_ivr';
      calls.push(call);
      continue;
    }
    const queued = arrived + ivr;
    call.queueId = pick(queueIds);
    call.queuedAt = new Date(queued);
    const wait = Math.floor(random() * 90_000);
    if (r < 0.72) {
      call.answeredAt = new Date(queued + wait);
      call.agent = pick(AGENTS);
      if (random() < 0.97) {
        call.endedAt = new Date(queued + wait + 30_000 + Math.floor(random() * 600_000));
        call.endReason = random() < 0.1 ? 'transferred' : 'completed';
      }
      // A quarter of the answered calls put the caller on hold, once or twice (a call still under way may be on hold).
      if (random() < 0.25) {
        call.holds = 1 + Math.floor(random() * 2);
        call.holdSeconds = Math.round(random() * 120_000) / 1000;
      }
      if (random() < 0.8) call.disposition = pick(DISPOSITIONS);
    } else if (r < 0.88) {
      // Abandons, a third of them within a few seconds (misdials).
      call.endedAt = new Date(queued + (random() < 0.3 ? Math.floor(random() * 8_000) : wait));
      call.endReason = 'abandoned_queue';
    } else if (r < 0.92) {
      call.endedAt = new Date(queued + wait);
      call.endReason = 'callback';
      call.callbackTaskId = `sim-cb-${i}`;
    } else if (r < 0.95) {
      call.endedAt = new Date(queued + wait);
      call.endReason = 'overflowed';
      if (random() < 0.5) call.callbackTaskId = `sim-cb-${i}`;
    } else if (r < 0.97) {
      call.endedAt = new Date(queued + wait);
      call.endReason = 'transferred';
    } else if (r < 0.99) {
      call.endedAt = new Date(queued + wait);
      call.endReason = 'failed';
    }
    // The rest are still waiting (no end).
    calls.push(call);
  }
  // Edge cases: exactly on a quarter hour, at local midnight, at the range's end (excluded), and in the repeated
  // hour of the fall-back night (01:30 CDT and 01:30 CST are different quarter hours).
  const edge = (at: string, i: number): SimCall => ({
    ...(calls[i] as SimCall),
    taskId: `sim-edge-${i}`,
    arrivedAt: new Date(at),
    queuedAt: new Date(at),
    answeredAt: new Date(new Date(at).getTime() + 20_000),
    endedAt: new Date(new Date(at).getTime() + 200_000),
    endReason: 'completed',
    queueId: queueIds[0] ?? null,
    agent: 'w-ana',
    callbackTaskId: null,
  });
  calls.push(edge('2026-10-30T05:00:00Z', 0), edge('2026-11-01T06:30:00Z', 1), edge('2026-11-01T07:30:00Z', 2));
  calls.push(edge(TO.toISOString(), 3), edge('2026-11-02T06:00:00Z', 4), edge('2026-11-02T05:59:59.999Z', 5));
  return calls;
}

let queues: Map<string, number>;
let calls: SimCall[];

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  supervisor = await enrollAs(t, 'supervisor');
  callTaker = await enrollAs(t, 'call_taker');
  const rows = await db.db.selectFrom('queues').select(['id', 'service_level_seconds']).execute();
  queues = new Map(rows.map((q) => [q.id, q.service_level_seconds]));
  calls = simulateWeek([...queues.keys()].slice(0, 3), 4_000);
  for (let i = 0; i < calls.length; i += 500) {
    const batch = calls.slice(i, i + 500);
    await db.db
      .insertInto('calls')
      .values(
        batch.map((c, j) => ({
          adapter: 'simulator' as const,
          external_id: `sim-report-${i + j}`,
          node: 'test',
          line: c.line,
          caller_number: '+16155550123',
          language: c.language,
          queue_id: c.queueId,
          task_id: c.taskId,
          callback_task_id: c.callbackTaskId,
          agent_worker_id: c.agent,
          arrived_at: c.arrivedAt,
          queued_at: c.queuedAt,
          answered_at: c.answeredAt,
          ended_at: c.endedAt,
          end_reason: c.endReason,
          holds: c.holds,
          hold_seconds: c.holdSeconds,
        })),
      )
      .execute();
    const dispositions = batch.filter((c) => c.disposition !== null && c.queueId !== null);
    if (dispositions.length > 0)
      await db.db
        .insertInto('contact_dispositions')
        .values(
          dispositions.map((c) => ({
            task_id: c.taskId,
            user_id: supervisor.userId,
            queue_id: c.queueId ?? '',
            channel: 'voice',
            caller_number: null,
            disposition: c.disposition ?? '',
            notes: null,
            created_at: c.endedAt ?? c.queuedAt ?? c.arrivedAt,
          })),
        )
        .execute();
  }
  // An outbound call is no queue's offered work.
  await db.db
    .insertInto('calls')
    .values({
      adapter: 'simulator',
      external_id: 'sim-report-outbound',
      node: 'test',
      line: LINES[0] ?? '',
      caller_number: null,
      direction: 'outbound',
      queue_id: [...queues.keys()][0] ?? null,
      arrived_at: new Date('2026-10-30T15:00:00Z'),
      queued_at: new Date('2026-10-30T15:00:00Z'),
      answered_at: new Date('2026-10-30T15:00:10Z'),
      ended_at: new Date('2026-10-30T15:05:00Z'),
      end_reason: 'completed',
    })
    .execute();
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const CALL_METRICS = [
  'offered',
  'answered',
  'answeredWithinThreshold',
  'abandoned',
  'shortAbandoned',
  'abandonedAfterThreshold',
  'overflowed',
  'transfers',
  'callbacksRequested',
  'serviceLevel',
  'asaSeconds',
  'ahtSeconds',
  'abandonRate',
  'holds',
  'heldCalls',
  'avgHoldSeconds',
] as const;
type CallMetric = (typeof CALL_METRICS)[number];

/** The figures of docs/METRICS.md, computed from the simulated calls themselves (no SQL). */
function expectedFigures(group: SimCall[]): Record<CallMetric, number | null> {
  const s = (a: Date | null, b: Date | null) => ((a?.getTime() ?? 0) - (b?.getTime() ?? 0)) / 1000;
  const threshold = (c: SimCall) => queues.get(c.queueId ?? '') ?? 20;
  const answered = group.filter((c) => c.answeredAt !== null);
  const abandonedAll = group.filter((c) => c.answeredAt === null && c.endReason === 'abandoned_queue');
  const short = abandonedAll.filter((c) => s(c.endedAt, c.queuedAt) < SHORT_S);
  const abandoned = abandonedAll.filter((c) => s(c.endedAt, c.queuedAt) >= SHORT_S);
  const late = abandoned.filter((c) => s(c.endedAt, c.queuedAt) > threshold(c));
  const notOffered = group.filter((c) => c.answeredAt === null && (c.endReason === 'callback' || c.endReason === 'transferred'));
  const offered = group.length - short.length - notOffered.length;
  const within = answered.filter((c) => s(c.answeredAt, c.queuedAt) <= threshold(c));
  const handled = answered.filter((c) => c.endedAt !== null);
  const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    offered,
    answered: answered.length,
    answeredWithinThreshold: within.length,
    abandoned: abandoned.length,
    shortAbandoned: short.length,
    abandonedAfterThreshold: late.length,
    overflowed: group.filter((c) => c.answeredAt === null && c.endReason === 'overflowed').length,
    transfers: answered.filter((c) => c.endReason === 'transferred').length,
    callbacksRequested: group.filter((c) => c.callbackTaskId !== null).length,
    serviceLevel: answered.length + late.length === 0 ? null : within.length / (answered.length + late.length),
    asaSeconds: mean(answered.map((c) => s(c.answeredAt, c.queuedAt))),
    ahtSeconds: mean(handled.map((c) => s(c.endedAt, c.answeredAt))),
    abandonRate: offered === 0 ? null : abandoned.length / offered,
    holds: handled.reduce((sum, c) => sum + c.holds, 0),
    heldCalls: handled.filter((c) => c.holds > 0).length,
    avgHoldSeconds: mean(handled.filter((c) => c.holds > 0).map((c) => c.holdSeconds)),
  };
}

/** The local wall-clock date and time of an instant in the center's zone, independently of the server. */
const local = (iso: string) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: CENTER_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
const localDay = (d: Date) => local(d.toISOString()).slice(0, 10);

const inRange = (c: SimCall) => c.queuedAt !== null && c.queuedAt >= FROM && c.queuedAt < TO;

async function report(body: Partial<TReportRequest>, who: SignedIn = supervisor) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/reports/metrics',
    headers: who.headers,
    payload: { metrics: [...CALL_METRICS], from: FROM.toISOString(), to: TO.toISOString(), ...body },
  });
}

function compare(
  rows: TReport['rows'],
  expected: Map<string, Record<CallMetric, number | null>>,
  keyOf: (row: TReport['rows'][number]) => string,
) {
  expect(rows.length).toBe(expected.size);
  for (const row of rows) {
    const want = expected.get(keyOf(row));
    expect(want, keyOf(row)).toBeDefined();
    for (const metric of CALL_METRICS) {
      const got = row.values[metric];
      const w = want?.[metric] ?? null;
      if (w === null) expect(got, `${keyOf(row)} ${metric}`).toBeNull();
      else expect(got, `${keyOf(row)} ${metric}`).toBeCloseTo(w, 6);
    }
  }
}

function groupBy(list: SimCall[], keyOf: (c: SimCall) => string): Map<string, Record<CallMetric, number | null>> {
  const groups = new Map<string, SimCall[]>();
  for (const c of list) {
    const key = keyOf(c);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return new Map([...groups].map(([k, g]) => [k, expectedFigures(g)]));
}

describe('historical reports from the call records', () => {
  it('the week by calendar day in Chicago matches the records; 1 November (clocks back) has 25 hours', async () => {
    const res = await report({ interval: 'day', groupings: [] });
    expect(res.statusCode).toBe(200);
    const body: TReport = res.json();
    expect(body.timeZone).toBe(CENTER_TIME_ZONE);
    expect(body.rows.map((r) => local(r.start))).toEqual([
      '2026-10-29, 00:00',
      '2026-10-30, 00:00',
      '2026-10-31, 00:00',
      '2026-11-01, 00:00',
      '2026-11-02, 00:00',
      '2026-11-03, 00:00',
      '2026-11-04, 00:00',
    ]);
    const hours = body.rows.map((r) => (new Date(r.end).getTime() - new Date(r.start).getTime()) / 3_600_000);
    expect(hours).toEqual([24, 24, 24, 25, 24, 24, 24]);
    compare(
      body.rows,
      groupBy(calls.filter(inRange), (c) => localDay(c.queuedAt as Date)),
      (r) => localDay(new Date(r.start)),
    );
    // The call at 23:59:59.999 on 1 November is that day's; the one at 00:00 on 2 November the next day's.
    expect(body.rows[3]?.values.answered).toBeGreaterThan(0);
  });

  it('quarter hours by queue match the records, the repeated hour of the fall-back night included', async () => {
    const res = await report({ interval: '15m', groupings: ['queue'] });
    expect(res.statusCode).toBe(200);
    const body: TReport = res.json();
    for (const row of body.rows) {
      expect(Number(local(row.start).slice(-2)) % 15).toBe(0);
      expect(new Date(row.end).getTime() - new Date(row.start).getTime()).toBe(900_000);
    }
    const quarter = (d: Date) => new Date(Math.floor(d.getTime() / 900_000) * 900_000).toISOString();
    compare(
      body.rows,
      groupBy(calls.filter(inRange), (c) => `${quarter(c.queuedAt as Date)}|${c.queueId}`),
      (r) => `${r.start}|${r.groups.queue}`,
    );
    // 01:30 CDT and 01:30 CST on 1 November are two rows, an hour apart.
    const repeated = body.rows.filter((r) => local(r.start) === '2026-11-01, 01:30');
    expect(new Set(repeated.map((r) => r.start))).toEqual(new Set(['2026-11-01T06:30:00.000Z', '2026-11-01T07:30:00.000Z']));
  });

  it('the whole range by agent and disposition, and by line and language, matches the records', async () => {
    const byAgent = await report({ interval: 'total', groupings: ['agent', 'disposition'] });
    expect(byAgent.statusCode).toBe(200);
    compare(
      (byAgent.json() as TReport).rows,
      groupBy(calls.filter(inRange), (c) => `${c.agent}|${c.disposition}`),
      (r) => `${r.groups.agent}|${r.groups.disposition}`,
    );
    const byLine = await report({ interval: 'day', groupings: ['line', 'language'] });
    compare(
      (byLine.json() as TReport).rows,
      groupBy(calls.filter(inRange), (c) => `${localDay(c.queuedAt as Date)}|${c.line}|${c.language}`),
      (r) => `${localDay(new Date(r.start))}|${r.groups.line}|${r.groups.language}`,
    );
  });

  it('is audited, without personal data', async () => {
    const before = await db.db.selectFrom('audit_events').select('details').where('action', '=', 'report.read').execute();
    await report({ interval: 'total', groupings: ['queue'] });
    const after = await db.db
      .selectFrom('audit_events')
      .select(['details', 'actor_id'])
      .where('action', '=', 'report.read')
      .where('actor_id', '=', supervisor.userId)
      .execute();
    expect(after.length).toBe(before.length + 1);
    const details = JSON.stringify(after.map((a) => a.details));
    expect(details).toContain('"interval":"total"');
    expect(details).not.toContain('5550123');
  });

  it('exports CSV (RFC 4180): quoted fields with commas, no formula cells', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports/metrics.csv',
      headers: supervisor.headers,
      payload: {
        metrics: ['answered', 'serviceLevel'],
        groupings: ['disposition'],
        interval: 'total',
        from: FROM.toISOString(),
        to: TO.toISOString(),
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('interval_start,interval_end,disposition,answered,serviceLevel');
    expect(lines.some((l) => l.includes(',"wrong number, hung up",'))).toBe(true);
    expect(lines.some((l) => l.includes(",'=transfer,"))).toBe(true);
    expect(lines.at(-1)).toBe('');
    const answered = calls.filter((c) => inRange(c) && c.answeredAt !== null && c.disposition === 'information').length;
    expect(lines.find((l) => l.includes(',information,'))?.split(',')[3]).toBe(String(answered));
  });

  it('exports PDF: a document, the read audited as such', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports/metrics.pdf',
      headers: supervisor.headers,
      payload: {
        metrics: ['offered', 'serviceLevel'],
        groupings: ['queue'],
        interval: 'day',
        from: FROM.toISOString(),
        to: TO.toISOString(),
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(res.rawPayload.length).toBeGreaterThan(2_000);
    const audit = await db.db.selectFrom('audit_events').select('details').where('action', '=', 'report.read').execute();
    expect(audit.some((a) => (a.details as { format?: string }).format === 'pdf')).toBe(true);
  });

  it('refuses what it cannot answer with stable codes, and people without report:read', async () => {
    const unsupported = await report({ metrics: ['offered', 'referralsCreated'], interval: 'day', groupings: ['queue'] });
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.json().error.issues.map((i: { code: string }) => i.code)).toContain('report_grouping_unsupported');
    const backwards = await report({ interval: 'day', from: TO.toISOString(), to: FROM.toISOString() });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.issues[0].code).toBe('report_range');
    const tooLong = await report({ interval: '15m', to: new Date(FROM.getTime() + 100 * 86_400_000).toISOString() });
    expect(tooLong.statusCode).toBe(400);
    const unknown = await report({ metrics: ['callerNumber' as 'offered'], interval: 'day' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('validation_failed');
    const refused = await report({ interval: 'day' }, callTaker);
    expect(refused.statusCode).toBe(403);
  });
});
