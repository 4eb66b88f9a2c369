/**
 * Reports benchmark (issue #20): a year of a 7,000-call-a-day center in `calls` (about 2.5 M records, made in SQL
 * with generate_series), then a month's 15-minute report of the call figures timed N times — the whole center,
 * and split by queue — through the report service (the SQL and the figures), p50 and p95 printed.
 *
 *   npm run bench:reports                                 # embedded server in a temp dir
 *   BENCH_CALLS_PER_DAY=7000 BENCH_DAYS=365 BENCH_RUNS=20 npm run bench:reports
 *   DATABASE_URL=postgres://… npm run bench:reports       # an external server (its calls table gets the rows)
 *   BENCH_REUSE=1 DATABASE_URL=postgres://… npm run bench:reports   # time again on the calls already loaded
 */
import os from 'node:os';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import type { TReportRequest } from '../src/contracts/reports.js';
import { metricSpec, REPORT_METRICS } from '../src/domain/reports/report-metrics.js';
import { loadReferenceData } from '../src/services/reference-data.service.js';
import { computeReport } from '../src/services/report.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { benchDatabase } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const PER_DAY = Math.min(Number(process.env.BENCH_CALLS_PER_DAY ?? 7_000), 50_000);
const DAYS = Math.min(Number(process.env.BENCH_DAYS ?? 365), 731);
const RUNS = Math.min(Number(process.env.BENCH_RUNS ?? 20), 200);
const CHUNK_DAYS = 30;
const TIME_ZONE = 'America/Chicago';
/** The year ends on 30 November 2026; the month timed is November 2026 in Chicago. */
const YEAR_END = new Date('2026-12-01T06:00:00Z');
const MONTH = { from: '2026-11-01T05:00:00.000Z', to: '2026-12-01T06:00:00.000Z' };
/** The call figures (offered … abandon rate), as the domain defines them. */
const CALL_METRICS: TReportRequest['metrics'] = REPORT_METRICS.filter((m) => metricSpec(m).source === 'calls');

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

async function main(): Promise<void> {
  const database = await benchDatabase(config.DATABASE_URL);
  const handle = openDatabase(database.url, { poolSize: 4, applicationName: 'bench-reports' });
  const db = handle.db;
  try {
    await migrate(handle.pool, loadMigrations(migrationsDir()));
    await loadReferenceData(db);
    const version = (await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(db)).rows[0]?.v;
    console.log(`server: ${database.kind} PostgreSQL ${version}, Node ${process.version}, ${os.cpus().length} cores`);
    const queues = (await db.selectFrom('queues').select('id').where('channel', '=', 'voice').orderBy('id').execute()).map((q) => q.id);

    // A year of calls, a month per statement: arrivals spread over the day, 8 % abandoned (a fifth of them within
    // 5 s), 3 % callbacks, 2 % overflowed, the rest answered after 0–90 s and handled for 1–11 min.
    const started = performance.now();
    // BENCH_REUSE=1 on an external server keeps the calls a previous run loaded (to time changes to the query alone).
    const existing = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM calls`.execute(db)).rows[0]?.n ?? 0);
    const load = !(process.env.BENCH_REUSE === '1' && existing > 0);
    const firstDay = new Date(YEAR_END.getTime() - DAYS * 86_400_000);
    for (let day = 0; load && day < DAYS; day += CHUNK_DAYS) {
      const days = Math.min(CHUNK_DAYS, DAYS - day);
      const from = new Date(firstDay.getTime() + day * 86_400_000);
      await sql`
        INSERT INTO calls (adapter, external_id, node, line, unit, language, queue_id, task_id, callback_task_id, agent_worker_id,
                           arrived_at, queued_at, answered_at, ended_at, end_reason)
        SELECT 'simulator', 'bench-' || ${day} || '-' || g, 'bench',
               CASE WHEN g % 7 = 0 THEN '+16155550199' ELSE '+16155550100' END,
               CASE WHEN g % 7 = 0 THEN 'uac' ELSE 'general' END,
               (ARRAY['en', 'es', 'es', 'fr'])[1 + g % 4],
               (${queues}::text[])[1 + g % cardinality(${queues}::text[])],
               'bench-task-' || ${day} || '-' || g,
               CASE WHEN r BETWEEN 0.08 AND 0.11 THEN 'bench-cb-' || ${day} || '-' || g END,
               CASE WHEN r >= 0.13 THEN 'bench-agent-' || (g % 120) END,
               t - interval '20 seconds', t,
               CASE WHEN r >= 0.13 THEN t + w * interval '90 seconds' END,
               CASE WHEN r < 0.016 THEN t + w * interval '5 seconds'
                    WHEN r < 0.13 THEN t + w * interval '180 seconds'
                    ELSE t + w * interval '90 seconds' + (60 + h * 600) * interval '1 second' END,
               CASE WHEN r < 0.08 THEN 'abandoned_queue' WHEN r < 0.11 THEN 'callback' WHEN r < 0.13 THEN 'overflowed' ELSE 'completed' END
        FROM (
          SELECT g, random() AS r, random() AS w, random() AS h,
                 ${from}::timestamptz + (g::float8 / ${PER_DAY}) * interval '1 day' AS t
          FROM generate_series(0, ${days * PER_DAY - 1}) AS g
        ) s`.execute(db);
    }
    if (load) await sql`ANALYZE calls`.execute(db);
    const loaded = (await sql<{ n: string }>`SELECT count(*) AS n FROM calls`.execute(db)).rows[0]?.n;
    const took = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      load
        ? `loaded ${Number(loaded).toLocaleString('en-US')} calls (${DAYS} days × ${PER_DAY}/day) in ${took} s`
        : `reusing the ${Number(loaded).toLocaleString('en-US')} calls already loaded`,
    );

    const deps = { db, shortAbandonSeconds: () => 5 };
    for (const groupings of [[], ['queue']] as TReportRequest['groupings'][]) {
      const request: TReportRequest = { metrics: CALL_METRICS, groupings, interval: '15m', ...MONTH };
      const first = await computeReport(deps, TIME_ZONE, request);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await computeReport(deps, TIME_ZONE, request);
        times.push(performance.now() - t0);
      }
      console.log(
        `November 2026 by 15 minutes${groupings.length ? `, by ${groupings.join(', ')}` : ''}: ${first.rows.length} rows, ${RUNS} runs — p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms`,
      );
    }
  } finally {
    await handle.close();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
