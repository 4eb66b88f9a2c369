import { Counter, Gauge, type Registry } from 'prom-client';
import { isDatabaseUnavailable } from '../storage/database.js';

/**
 * Background jobs (the sweeps, the partner processor, retention): each a module in src/jobs naming itself, its
 * interval and whether it needs the lease; this runner runs them on their timers, never two runs of one job at
 * once, counts their runs and failures and times them (the /metrics registry), and logs failures without a line
 * a second while the database is away. `start` now runs the jobs on the PostgreSQL job queue instead
 * (job-queue-runner.ts, once per interval across nodes) and no longer uses this class; its `Job` type and outage
 * log are shared with the queue runner.
 */

/** What a run reports (logged at info when given): counts, never personal data. */
export type JobReport = Record<string, unknown>;

export type Job = {
  /** The job's name in logs and in the metrics' `job` label. */
  readonly name: string;
  readonly intervalMs: number;
  /** The first run after start (default: one interval). */
  readonly firstRunAfterMs?: number;
  /** Only one node may run it at a time: it runs only while this node holds the job's lease. */
  readonly exclusive: boolean;
  run(now: Date): Promise<JobReport | undefined>;
};

/** Who may run an exclusive job now. One node: always this one; with two nodes, a lease the composition root supplies. */
export interface JobLease {
  held(job: string): Promise<boolean>;
}

export const singleNodeLease: JobLease = { held: async () => true };

type Logger = {
  info: (details: Record<string, unknown>, message: string) => void;
  warn: (details: Record<string, unknown>, message: string) => void;
};

/**
 * A job's outcome, logged without a line a second while the database is away: the first failure of an outage
 * (then once a minute), and one line when the job works again. Other failures are logged each time.
 */
export function outcomeLog(logger: Logger, name: string, clock: () => Date): { succeeded: () => void; failed: (error: unknown) => void } {
  let unavailable = false;
  let lastLogged = 0;
  return {
    succeeded: () => {
      if (!unavailable) return;
      unavailable = false;
      logger.info({ job: name }, `${name}: the database answers again`);
    },
    failed: (error) => {
      if (!isDatabaseUnavailable(error)) {
        logger.warn({ err: error }, `${name} failed`);
        return;
      }
      unavailable = true;
      // At most once a minute: a job that never reports success (the simulation control) still says it is waiting.
      const now = clock().getTime();
      if (now - lastLogged < 60_000) return;
      lastLogged = now;
      logger.warn(
        { job: name, reason: error instanceof Error ? error.message : String(error) },
        `${name}: the database is unavailable; retrying`,
      );
    },
  };
}

export class JobRunner {
  private readonly runs = new Counter({
    name: 'switchboard_job_runs_total',
    help: 'Background job runs by job',
    labelNames: ['job'],
    registers: [],
  });
  private readonly failures = new Counter({
    name: 'switchboard_job_failures_total',
    help: 'Background job runs that failed, by job',
    labelNames: ['job'],
    registers: [],
  });
  private readonly lastDuration = new Gauge({
    name: 'switchboard_job_last_duration_seconds',
    help: 'How long the last run of each background job took',
    labelNames: ['job'],
    registers: [],
  });
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly busy = new Set<string>();
  private readonly outcomes = new Map<string, ReturnType<typeof outcomeLog>>();

  constructor(
    private readonly jobs: readonly Job[],
    private readonly deps: { lease: JobLease; clock: () => Date; logger: Logger },
  ) {
    for (const job of jobs) {
      this.outcomes.set(job.name, outcomeLog(deps.logger, job.name, deps.clock));
      // Zero from the start, so a job that never ran shows as such.
      this.runs.inc({ job: job.name }, 0);
      this.failures.inc({ job: job.name }, 0);
    }
  }

  /** Adds the jobs' metrics to the app's registry (served at /metrics). */
  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.runs);
    registry.registerMetric(this.failures);
    registry.registerMetric(this.lastDuration);
  }

  start(): void {
    if (this.timers.length > 0) return;
    for (const job of this.jobs) {
      const first = setTimeout(() => {
        void this.runNow(job.name);
        const every = setInterval(() => void this.runNow(job.name), job.intervalMs);
        every.unref();
        this.timers.push(every);
      }, job.firstRunAfterMs ?? job.intervalMs);
      first.unref();
      this.timers.push(first);
    }
  }

  /** Stops the timers; a run under way finishes on its own (as before the jobs had a module). */
  stop(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }

  /**
   * One run of a job now, unless one is under way or this node does not hold its lease; false when it did not run.
   * Never throws: a failure is counted and logged.
   */
  async runNow(name: string): Promise<boolean> {
    const job = this.jobs.find((j) => j.name === name);
    const outcome = this.outcomes.get(name);
    if (!job || !outcome || this.busy.has(name)) return false;
    this.busy.add(name);
    try {
      if (job.exclusive && !(await this.deps.lease.held(name))) return false;
      this.runs.inc({ job: name });
      const started = performance.now();
      try {
        const report = await job.run(this.deps.clock());
        outcome.succeeded();
        if (report) this.deps.logger.info({ job: name, ...report }, `${name} run`);
      } catch (error) {
        this.failures.inc({ job: name });
        outcome.failed(error);
      } finally {
        this.lastDuration.set({ job: name }, (performance.now() - started) / 1_000);
      }
      return true;
    } catch (error) {
      // The lease could not be asked (the database away): counted as a failed run.
      this.failures.inc({ job: name });
      outcome.failed(error);
      return false;
    } finally {
      this.busy.delete(name);
    }
  }
}
