import { createHash } from 'node:crypto';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isDatabaseUnavailable } from '../storage/database.js';
import { JOB_QUEUE_SCHEMA, type JobQueueSpec, jobQueueDb } from '../storage/job-queue.js';
import { type Job, outcomeLog } from './job-runner.js';

/**
 * The background jobs on the PostgreSQL job queue (pg-boss): every node runs this runner; each job runs once per
 * interval across all the nodes. At each interval's boundary every node adds that interval's run to the job's queue
 * under an id derived from the job and the interval (one of exclusive job, one per node for the partner processor):
 * the first insert wins, the others are dropped by the id. Any node's worker may take it (SKIP LOCKED); an
 * exclusive job's queue is a singleton, so two runs of it are never active at once. A failed run is retried with
 * the queue's backoff (jobs/job-queues.ts). Runs, failures and the last duration are counted per node, as before,
 * plus the queue depth; the runs themselves stay in the queue's tables (`switchboard jobs` lists them).
 */

type Logger = {
  info: (details: Record<string, unknown>, message: string) => void;
  warn: (details: Record<string, unknown>, message: string) => void;
};

export type QueueJobRunnerDeps = {
  /** The application's pool: the queue's schema is already installed (applyMigrations), never by this runner. */
  pool: pg.Pool;
  nodeId: string;
  /** What a run is given as `now`, and where interval boundaries fall. */
  clock: () => Date;
  logger: Logger;
  /** The queue of each job, by the job's name (default JOB_QUEUES); a job without one is refused. */
  queues: Readonly<Record<string, JobQueueSpec>>;
  /** How often an idle worker asks its queue for a run (seconds, at least 0.5). */
  pollingIntervalSeconds?: number;
};

/** A run's id: the same on every node for one job and interval (and node, for a job every node runs). */
export function runId(queue: string, slotStart: number, node: string | null): string {
  const hex = createHash('sha256')
    .update(`${queue}|${slotStart}|${node ?? ''}`)
    .digest('hex');
  // Shaped as a version-5-style UUID (pg-boss's ids are uuids).
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

export class QueueJobRunner {
  private readonly runs = new Counter({
    name: 'switchboard_job_runs_total',
    help: 'Background job runs by job (on this node)',
    labelNames: ['job'],
    registers: [],
  });
  private readonly failures = new Counter({
    name: 'switchboard_job_failures_total',
    help: 'Background job runs that failed, by job (on this node)',
    labelNames: ['job'],
    registers: [],
  });
  private readonly lastDuration = new Gauge({
    name: 'switchboard_job_last_duration_seconds',
    help: 'How long the last run of each background job on this node took',
    labelNames: ['job'],
    registers: [],
  });
  private readonly depth: Gauge;
  private readonly boss: PgBoss;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly outcomes = new Map<string, ReturnType<typeof outcomeLog>>();
  private readonly queueOutcome: ReturnType<typeof outcomeLog>;
  private readonly startedAt: number;
  private started = false;
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly jobs: readonly Job[],
    private readonly deps: QueueJobRunnerDeps,
  ) {
    for (const job of jobs) {
      if (!deps.queues[job.name]) throw new Error(`the job "${job.name}" has no queue (jobs/job-queues.ts)`);
      this.outcomes.set(job.name, outcomeLog(deps.logger, job.name, deps.clock));
      this.runs.inc({ job: job.name }, 0);
      this.failures.inc({ job: job.name }, 0);
    }
    this.startedAt = deps.clock().getTime();
    this.queueOutcome = outcomeLog(deps.logger, 'job queue', deps.clock);
    this.boss = new PgBoss({
      db: jobQueueDb(deps.pool),
      schema: JOB_QUEUE_SCHEMA,
      // The owner installed the schema and the queues; this only checks the version.
      migrate: false,
      // No cron: the intervals (down to a second) are kept by the boundaries below.
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: 30,
      // A completed run stays in the job table (where its id stops a late duplicate) for an hour, then in the archive
      // (`switchboard jobs`) for two days: the processor alone adds a run a second per node.
      archiveCompletedAfterSeconds: 3_600,
      deleteAfterDays: 2,
    });
    this.boss.on('error', (error) => this.queueOutcome.failed(error));
    const boss = this.boss;
    const queueOf = (name: string) => this.queueOf(name);
    this.depth = new Gauge({
      name: 'switchboard_job_queue_depth',
      help: 'Runs of each background job waiting in the queue (created or to be retried)',
      labelNames: ['job'],
      registers: [],
      async collect() {
        for (const job of jobs) {
          const size = await boss.getQueueSize(queueOf(job.name).name).catch(() => undefined);
          if (size !== undefined) this.set({ job: job.name }, size);
        }
      },
    });
  }

  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.runs);
    registry.registerMetric(this.failures);
    registry.registerMetric(this.lastDuration);
    registry.registerMetric(this.depth);
  }

  private queueOf(name: string): JobQueueSpec {
    const queue = this.deps.queues[name];
    if (!queue) throw new Error(`the job "${name}" has no queue`);
    return queue;
  }

  /** Starts the workers (this node takes runs from every job's queue); no runs are added until startTimers. */
  async startWorkers(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.boss.start();
    for (const job of this.jobs) {
      const pollMs = 1_000 * (this.deps.pollingIntervalSeconds ?? Math.min(2, Math.max(0.5, job.intervalMs / 2_000)));
      this.loops.push(this.workLoop(job, pollMs));
    }
  }

  /**
   * This node's worker for one job: takes a run when there is one, else waits a poll. Written here rather than
   * pg-boss's work(), whose 10.x worker completes or fails a run without awaiting it: with the database away
   * that is an unhandled rejection, which ends the process.
   */
  private async workLoop(job: Job, pollMs: number): Promise<void> {
    const queue = this.queueOf(job.name).name;
    while (this.started) {
      // fetch answers [] when the database is away (pg-boss swallows the error); the next poll tries again.
      const [taken] = await this.boss.fetch(queue).catch(() => []);
      if (taken) {
        const failure = await this.runOne(job);
        try {
          if (failure) await this.boss.fail(queue, taken.id, { message: failure });
          else await this.boss.complete(queue, taken.id);
          this.queueOutcome.succeeded();
        } catch (error) {
          // The run stays active until it expires; then the queue fails (and retries) it.
          this.queueOutcome.failed(error);
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, pollMs);
        timer.unref();
        this.wakers.add(wake);
      });
    }
  }

  /** At every interval's boundary (the first one at least the job's first delay after start), adds the run. */
  startTimers(): void {
    if (this.timers.size > 0) return;
    for (const job of this.jobs) {
      // Stopped = its timer is no longer the job's in the map: the chain ends there.
      const schedule = (): void => {
        const now = this.deps.clock().getTime();
        const earliest = Math.max(now, this.startedAt + (job.firstRunAfterMs ?? 0));
        const boundary = (Math.floor(earliest / job.intervalMs) + 1) * job.intervalMs;
        const timer = setTimeout(() => {
          void this.enqueue(job.name, new Date(boundary)).finally(() => {
            if (this.timers.get(job.name) === timer) schedule();
          });
        }, boundary - now);
        timer.unref();
        this.timers.set(job.name, timer);
      };
      schedule();
    }
  }

  async start(): Promise<void> {
    await this.startWorkers();
    this.startTimers();
  }

  /**
   * Adds the run of the interval holding `at`, unless a node already did; true when this call added it. A database
   * away is logged (without a line a second) and answered false.
   */
  async enqueue(name: string, at: Date): Promise<boolean> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) return false;
    const queue = this.queueOf(name);
    const slotStart = Math.floor(at.getTime() / job.intervalMs) * job.intervalMs;
    try {
      const id = await this.boss.send(
        queue.name,
        { slot: new Date(slotStart).toISOString() },
        {
          id: runId(queue.name, slotStart, job.exclusive ? null : this.deps.nodeId),
          // A job every node runs: one waiting run per node at most (its queue's policy is short).
          ...(job.exclusive ? {} : { singletonKey: this.deps.nodeId }),
        },
      );
      this.queueOutcome.succeeded();
      return id !== null;
    } catch (error) {
      this.queueOutcome.failed(error);
      return false;
    }
  }

  /**
   * One run, on this node: counted and timed; a failure is logged and answered as what the queue keeps of it
   * (the job's name, never the error's message, which might hold a value from a row).
   */
  private async runOne(job: Job): Promise<string | undefined> {
    const outcome = this.outcomes.get(job.name);
    this.runs.inc({ job: job.name });
    const started = performance.now();
    try {
      const report = await job.run(this.deps.clock());
      outcome?.succeeded();
      if (report) this.deps.logger.info({ job: job.name, ...report }, `${job.name} run`);
      return undefined;
    } catch (error) {
      this.failures.inc({ job: job.name });
      outcome?.failed(error);
      return isDatabaseUnavailable(error) ? `${job.name}: the database was unavailable` : `${job.name} failed`;
    } finally {
      this.lastDuration.set({ job: job.name }, (performance.now() - started) / 1_000);
    }
  }

  /** Stops adding runs and taking them; a run under way finishes (waited for up to `timeoutMs`) before it returns. */
  async stop(timeoutMs = 10_000): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (!this.started) return;
    this.started = false;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.loops.splice(0)),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, timeoutMs);
        timeout.unref();
      }),
    ]);
    clearTimeout(timeout);
    await this.boss.stop({ graceful: false, close: false, wait: true });
  }
}
