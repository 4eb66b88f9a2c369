import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TReportDefinition } from '../../src/contracts/reports.js';
import { dailyReportsJob } from '../../src/jobs/daily-reports.job.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Saved report definitions (issue #20): kept, changed by their owner or an admin, audited; daily ones written to the drop. */

let db: TestDatabase;
let t: TestApp;
let supervisor: SignedIn;
let auditor: SignedIn;
let admin: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  supervisor = await enrollAs(t, 'supervisor');
  auditor = await enrollAs(t, 'auditor');
  admin = await enrollAs(t, 'admin');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const definition = {
  name: 'Queues, yesterday, by quarter hour',
  metrics: ['offered', 'answered', 'serviceLevel'],
  groupings: ['queue'],
  interval: '15m',
  rangeDays: 1,
  schedule: 'daily',
};

const api = (who: SignedIn, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  t.app.inject({ method, url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

describe('report definitions', () => {
  it('are saved, listed, changed by their owner or an admin only, deleted, and audited', async () => {
    const created = await api(supervisor, 'POST', '/api/v1/reports/definitions', definition);
    expect(created.statusCode, created.body).toBe(201);
    const saved: TReportDefinition = created.json();
    expect(saved).toMatchObject({
      name: definition.name,
      ownerId: supervisor.userId,
      rangeDays: 1,
      schedule: 'daily',
      lastDeliveredDay: null,
    });

    const listed = await api(auditor, 'GET', '/api/v1/reports/definitions');
    expect(listed.json().definitions.map((d: TReportDefinition) => d.id)).toContain(saved.id);

    const byAuditor = await api(auditor, 'PUT', `/api/v1/reports/definitions/${saved.id}`, { ...definition, name: 'mine now' });
    expect(byAuditor.statusCode).toBe(403);
    const byAdmin = await api(admin, 'PUT', `/api/v1/reports/definitions/${saved.id}`, {
      ...definition,
      name: 'Renamed',
      schedule: 'none',
    });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json()).toMatchObject({ name: 'Renamed', schedule: 'none', ownerId: supervisor.userId });

    expect((await api(supervisor, 'DELETE', `/api/v1/reports/definitions/${saved.id}`)).statusCode).toBe(200);
    expect((await api(supervisor, 'DELETE', `/api/v1/reports/definitions/${saved.id}`)).statusCode).toBe(404);
    const after = await api(supervisor, 'GET', '/api/v1/reports/definitions');
    expect(after.json().definitions.map((d: TReportDefinition) => d.id)).not.toContain(saved.id);

    const audit = await db.db
      .selectFrom('audit_events')
      .select(['action', 'outcome'])
      .where('resource_id', '=', saved.id)
      .orderBy('occurred_at')
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual([
      'report_definition.created:allowed',
      'report_definition.changed:denied',
      'report_definition.changed:allowed',
      'report_definition.deleted:allowed',
    ]);
  });

  it('refuses definitions no report could answer', async () => {
    const tooLong = await api(supervisor, 'POST', '/api/v1/reports/definitions', { ...definition, rangeDays: 200 });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.issues[0].code).toBe('report_range');
    const unsupported = await api(supervisor, 'POST', '/api/v1/reports/definitions', { ...definition, metrics: ['partnerSubmissions'] });
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.json().error.issues[0].code).toBe('report_grouping_unsupported');
  });

  it('a daily one is written once a day to the drop as CSV, for the day before on the center’s calendar', async () => {
    const created: TReportDefinition = (
      await api(supervisor, 'POST', '/api/v1/reports/definitions', { ...definition, name: 'Daily: queues / quarter hours' })
    ).json();
    // A queue answering within 20 s (the reference data's general voice queue).
    const queueId = (
      await db.db.selectFrom('queues').select('id').where('service_level_seconds', '=', 20).orderBy('id').executeTakeFirstOrThrow()
    ).id;
    // The test clock stands at 2026-11-29 09:00 in Chicago: yesterday is 28 November (06:00Z to 06:00Z next day).
    const call = (n: number, queued: string, answeredAfterS: number | null) => ({
      adapter: 'simulator' as const,
      external_id: `def-${n}`,
      node: 'test',
      line: '+16155550100',
      caller_number: null,
      queue_id: queueId,
      arrived_at: new Date(queued),
      queued_at: new Date(queued),
      answered_at: answeredAfterS === null ? null : new Date(new Date(queued).getTime() + answeredAfterS * 1000),
      ended_at: new Date(new Date(queued).getTime() + 300_000),
      end_reason: answeredAfterS === null ? ('abandoned_queue' as const) : ('completed' as const),
    });
    await db.db
      .insertInto('calls')
      .values([
        call(1, '2026-11-28T06:00:00Z', 10),
        call(2, '2026-11-28T06:05:00Z', 60),
        call(3, '2026-11-29T05:59:00Z', null),
        call(4, '2026-11-29T06:00:00Z', 5),
      ])
      .execute();
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-report-drop-'));
    const job = dailyReportsJob({ db: db.db, shortAbandonSeconds: () => 5, dir, timeZone: CENTER_TIME_ZONE });

    const first = await job.run(t.clock.now);
    expect(first).toEqual({ day: '2026-11-28', delivered: 1, failed: 0 });
    const files = readdirSync(dir);
    expect(files).toEqual([`2026-11-28-daily-queues-quarter-hours-${created.id.slice(0, 8)}.csv`]);
    const lines = readFileSync(path.join(dir, files[0] ?? ''), 'utf8').split('\r\n');
    expect(lines).toEqual([
      'interval_start,interval_end,queue,offered,answered,serviceLevel',
      `2026-11-28T06:00:00.000Z,2026-11-28T06:15:00.000Z,${queueId},2,2,0.5`,
      `2026-11-29T05:45:00.000Z,2026-11-29T06:00:00.000Z,${queueId},1,0,0`,
      '',
    ]);

    // Run again the same day: nothing more. The next day: the next file.
    expect(await job.run(t.clock.now)).toEqual({ day: '2026-11-28', delivered: 0, failed: 0 });
    t.clock.advance(86_400_000);
    expect(await job.run(t.clock.now)).toEqual({ day: '2026-11-29', delivered: 1, failed: 0 });
    expect(readdirSync(dir).sort()).toHaveLength(2);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    const stored = await db.db
      .selectFrom('report_definitions')
      .select('last_delivered_day')
      .where('id', '=', created.id)
      .executeTakeFirst();
    expect(stored?.last_delivered_day).toBe('2026-11-29');
    const audit = await db.db.selectFrom('audit_events').select(['action', 'actor_id']).where('resource_id', '=', created.id).execute();
    expect(audit.filter((a) => a.action === 'report.delivered')).toEqual([
      { action: 'report.delivered', actor_id: 'reports.daily' },
      { action: 'report.delivered', actor_id: 'reports.daily' },
    ]);
  });
});
