import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { callbackReleaseJob } from '../../../src/jobs/callback-release.job.js';
import { casePlanSweepJob } from '../../../src/jobs/case-plan-sweep.job.js';
import { dailyReportsJob } from '../../../src/jobs/daily-reports.job.js';
import { handoffSweepJob } from '../../../src/jobs/handoff-sweep.job.js';
import { JOB_QUEUES } from '../../../src/jobs/job-queues.js';
import { type Job, type JobLease, JobRunner, singleNodeLease } from '../../../src/jobs/job-runner.js';
import { partnerProcessorJob } from '../../../src/jobs/partner-processor.job.js';
import { partnerRequestSweepJob } from '../../../src/jobs/partner-request-sweep.job.js';
import { retentionJob } from '../../../src/jobs/retention.job.js';
import { submissionWorkItemSweepJob } from '../../../src/jobs/submission-work-item-sweep.job.js';
import { welfareSweepJob } from '../../../src/jobs/welfare-sweep.job.js';

/** The background-job runner: runs, failures and durations in the metrics registry, the lease, one run at a time. */

type Line = { level: 'info' | 'warn'; details: Record<string, unknown>; message: string };

function setup(jobs: Job[], lease: JobLease = singleNodeLease) {
  const lines: Line[] = [];
  let now = new Date('2026-03-02T15:00:00Z');
  const runner = new JobRunner(jobs, {
    lease,
    clock: () => now,
    logger: {
      info: (details, message) => lines.push({ level: 'info', details, message }),
      warn: (details, message) => lines.push({ level: 'warn', details, message }),
    },
  });
  const registry = new Registry();
  runner.registerMetrics(registry);
  const value = async (metric: string, job: string) => {
    const found = (await registry.getMetricsAsJSON()).find((m) => m.name === metric);
    return found?.values.find((v) => v.labels.job === job)?.value;
  };
  return { runner, lines, value, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const job = (name: string, run: Job['run'], exclusive = true): Job => ({ name, intervalMs: 60_000, exclusive, run });
const unavailable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('job runner', () => {
  it('counts runs and failures, times the last run, and logs a failure and a report', async () => {
    let fail = false;
    const { runner, lines, value } = setup([
      job('sweep', async () => {
        if (fail) throw new Error('the sweep broke');
        return { escalated: 2 };
      }),
    ]);
    expect(await value('switchboard_job_runs_total', 'sweep')).toBe(0);
    expect(await runner.runNow('sweep')).toBe(true);
    fail = true;
    expect(await runner.runNow('sweep')).toBe(true);
    expect(await value('switchboard_job_runs_total', 'sweep')).toBe(2);
    expect(await value('switchboard_job_failures_total', 'sweep')).toBe(1);
    expect(await value('switchboard_job_last_duration_seconds', 'sweep')).toBeGreaterThanOrEqual(0);
    expect(lines).toEqual([
      { level: 'info', details: { job: 'sweep', escalated: 2 }, message: 'sweep run' },
      { level: 'warn', details: { err: expect.any(Error) }, message: 'sweep failed' },
    ]);
  });

  it('runs an exclusive job only while this node holds its lease; a shared one runs anyway', async () => {
    const ran: string[] = [];
    const { runner, value } = setup(
      [
        job('exclusive', async () => {
          ran.push('exclusive');
          return undefined;
        }),
        job(
          'shared',
          async () => {
            ran.push('shared');
            return undefined;
          },
          false,
        ),
      ],
      { held: async () => false },
    );
    expect(await runner.runNow('exclusive')).toBe(false);
    expect(await runner.runNow('shared')).toBe(true);
    expect(ran).toEqual(['shared']);
    expect(await value('switchboard_job_runs_total', 'exclusive')).toBe(0);
  });

  it('never starts a second run of a job while one is under way', async () => {
    let release: () => void = () => undefined;
    const { runner } = setup([job('slow', () => new Promise((resolve) => (release = () => resolve(undefined))))]);
    const first = runner.runNow('slow');
    await Promise.resolve();
    expect(await runner.runNow('slow')).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(await runner.runNow('unknown job')).toBe(false);
  });

  it('while the database is away, says so once a minute and once when it answers again', async () => {
    let down = true;
    const { runner, lines, advance } = setup([
      job('sweep', async () => {
        if (down) throw unavailable();
        return undefined;
      }),
    ]);
    await runner.runNow('sweep');
    advance(1_000);
    await runner.runNow('sweep');
    advance(60_000);
    await runner.runNow('sweep');
    down = false;
    await runner.runNow('sweep');
    expect(lines.map((l) => l.message)).toEqual([
      'sweep: the database is unavailable; retrying',
      'sweep: the database is unavailable; retrying',
      'sweep: the database answers again',
    ]);
  });
});

describe('the jobs keep their schedules', () => {
  // The factories only keep their dependencies until a run: none is used here.
  const unused = {} as never;
  it('sweeps every minute, callbacks released every 15 seconds, daily reports looked for every 15 minutes, the partner processor every second (on every node), retention daily from an hour after start', () => {
    const jobs = [
      welfareSweepJob(unused),
      casePlanSweepJob(unused),
      handoffSweepJob(unused),
      partnerRequestSweepJob(unused),
      submissionWorkItemSweepJob(unused),
      callbackReleaseJob(unused),
      dailyReportsJob(unused),
      partnerProcessorJob(unused, unused),
      retentionJob({ asOwner: unused, attachmentsDir: 'attachments', timeZone: 'America/Chicago' }),
    ];
    expect(jobs.map((j) => [j.name, j.intervalMs, j.firstRunAfterMs ?? j.intervalMs, j.exclusive])).toEqual([
      ['welfare sweep', 60_000, 60_000, true],
      ['case plan sweep', 60_000, 60_000, true],
      ['handoff sweep', 60_000, 60_000, true],
      ['partner request sweep', 60_000, 60_000, true],
      ['submission work item sweep', 60_000, 60_000, true],
      ['callback release', 15_000, 15_000, true],
      ['daily reports', 900_000, 900_000, true],
      ['partner processor', 1_000, 1_000, false],
      ['retention', 86_400_000, 3_600_000, true],
    ]);
    // Each has its queue: an exclusive job's a singleton (one run at a time across nodes), the shared one's not.
    expect(jobs.map((j) => [j.name, JOB_QUEUES[j.name]?.policy])).toEqual(jobs.map((j) => [j.name, j.exclusive ? 'singleton' : 'short']));
    expect(Object.keys(JOB_QUEUES).sort()).toEqual(jobs.map((j) => j.name).sort());
  });
});
