import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { deserialize, serialize } from 'node:v8';
import type { Transaction } from 'kysely';
import type { Actor, UserActor } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { applyCommand, type RoutingCommand, summarize } from '../domain/routing/commands.js';
import { ENGINE_STATE_VERSION, type EngineState, RoutingEngine } from '../domain/routing/engine.js';
import { type EngineConfig, EngineError, type EngineEvent, type TaskInput, type TaskStatus } from '../domain/routing/engine-types.js';
import type { Attributes } from '../domain/routing/expression.js';
import type { Db, Trx } from '../storage/database.js';
import { lockLease, releaseLease, takeOrRenewLeaseWithin } from '../storage/repositories/lease.repository.js';
import {
  announceRoutingAppend,
  findAgentAccount,
  findRoutingWorker,
  firstRoutingCommand,
  insertRoutingCommand,
  insertRoutingSnapshot,
  latestRoutingSnapshot,
  ROUTING_LOG_CHANNEL,
  routingCommandsAfter,
} from '../storage/repositories/routing.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * The routing engine as a durable service. Commands are applied one at a time, each in one transaction that
 * (1) takes the routing log's lock (the 'routing' row of cluster_leases), (2) applies to this node's engine every
 * command other nodes appended since it last looked, (3) applies the command — the engine refuses an illegal one
 * without changing — and (4) appends it with its audit event. The log is thus one sequence for any number of
 * nodes on one database, and no node decides on a stale engine: a desktop on node B and call control on node A
 * get the answers one engine would give. On start the log is replayed — the engine is deterministic, so the
 * state comes back exactly: waiting tasks keep their place and arrival time, agents their activity. If a write
 * fails the engine is rebuilt from the log, so memory never runs ahead of what is stored; if the log cannot be
 * read either (the database is down), the engine is marked stale and every command waits for a rebuild first.
 *
 * Timers (ticks: offers ringing out, escalations, wrap-up ends) are fired by one node, the leader: the holder of
 * the 'routing' lease, whose epoch is a fencing token. A tick appends only if the lease row, read under the log's
 * lock, names this node and its epoch; a leader that paused past its lease and was taken over never fires a timer
 * again. Other nodes follow the log (LISTEN/NOTIFY, and a poll in case a notification is lost) so their engines
 * stay hot for reads, realtime and the takeover. One process without `cluster` options (tests, tools) fires its
 * own ticks unfenced, as before.
 */

/** Commands between two snapshots of the engine (≈ 40,000 commands a day: one every hour or so at peak). */
const SNAPSHOT_EVERY = 2_000;

/** A node of a cluster: its name, and how long its lease lasts unless renewed (renewed every third of that). */
export type ClusterOptions = {
  nodeId: string;
  leaseMs: number;
  /** Subscribes to appends announced by other nodes; returns the unsubscribe. */
  listen?: (channel: string, onAppend: () => void) => Promise<() => Promise<void>>;
  /** Told when this node starts or stops leading (for the log and the jobs). */
  onLeadership?: (leading: boolean, epoch: number) => void;
};

const LEASE = 'routing';
/** Commands only the leader appends: the engine's timers, and forgetting old work. */
const LEADER_ONLY: ReadonlySet<RoutingCommand['type']> = new Set(['tick', 'forget']);

const CODE_STATUS: Record<EngineError['code'], ConstructorParameters<typeof AppError>[0]> = {
  unknown_task: 'not_found',
  unknown_worker: 'not_found',
  unknown_reservation: 'not_found',
  unknown_queue: 'not_found',
  unknown_activity: 'validation_failed',
  duplicate_id: 'conflict',
  illegal_transition: 'conflict',
  invalid_config: 'validation_failed',
  time_went_backwards: 'internal',
  invalid_state: 'internal',
};

export const toAppError = (error: EngineError): AppError => new AppError(CODE_STATUS[error.code], error.message);

/** Ended tasks stay in the engine's memory this long: statistics look back 24 hours. */
const RETAIN_ENDED_MS = 48 * 3_600_000;

/**
 * How far back a sweep looks for work items that were named but may never have been made: well inside
 * RETAIN_ENDED_MS, so a work item that was made and has ended is still known to the engine and never made twice.
 */
export const WORK_ITEM_SWEEP_MS = 24 * 3_600_000;

export type RoutingListener = (events: EngineEvent[]) => void;

export class RoutingService {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<RoutingListener>();
  private ticker: NodeJS.Timeout | undefined;
  /** A tick is queued or running: the ticker adds no other (during an outage each may wait for a connection timeout). */
  private ticking = false;
  /** A write failed and the rebuild from the log failed too: memory may be ahead of the log until rebuilt. */
  private stale = false;
  /** The last command of the log this node's engine has applied. */
  private lastSeq = '0';
  /** The log position of the last snapshot this node restored or stored. */
  private lastSnapshotSeq = 0;
  /** How this node's engine was built at start: from the snapshot at `snapshotSeq` (null: none), then `replayed` commands. */
  restored: { snapshotSeq: string | null; replayed: number } = { snapshotSeq: null, replayed: 0 };
  /** The lease epoch this node holds or last held (null: never); `leading` while it holds it. */
  private epoch: number | null = null;
  private leading = false;
  /** Monotonic time until which this node may act as leader without renewing (short of the lease's own expiry). */
  private leadingUntil = 0;
  private renewing = false;
  private leaseTimer: NodeJS.Timeout | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  /** Ticks this node tried after its lease was taken over (fencing refused them). */
  fencedTicks = 0;

  private constructor(
    private readonly db: Db,
    private readonly config: EngineConfig,
    private readonly clock: () => Date,
    private current: RoutingEngine,
    private readonly cluster: ClusterOptions | undefined,
    private readonly snapshotEvery: number,
  ) {}

  /**
   * Rebuilds the engine from the command log, then records the current
   * configuration if it differs from the one in force at the end of the log:
   * configuration changes are commands too, so a replay applies each at the
   * point it happened.
   */
  static async open(
    db: Db,
    config: EngineConfig,
    clock: () => Date,
    cluster?: ClusterOptions,
    options: { snapshotEvery?: number } = {},
  ): Promise<RoutingService> {
    const { engine, lastConfig, lastSeq, restored } = await RoutingService.replay(db, config, clock);
    const service = new RoutingService(db, config, clock, engine, cluster, options.snapshotEvery ?? SNAPSHOT_EVERY);
    service.lastSeq = lastSeq;
    service.restored = restored;
    service.lastSnapshotSeq = Number(restored.snapshotSeq ?? 0);
    // Another node may have recorded the same configuration meanwhile: decided under the log's lock, after catching up.
    const configured = lastConfig;
    await service.executeWhen((_, caughtUpConfig) =>
      JSON.stringify(caughtUpConfig ?? configured) !== JSON.stringify(config) ? { type: 'configure', config } : null,
    );
    return service;
  }

  private static async replay(
    db: Db,
    fallback: EngineConfig,
    clock: () => Date,
  ): Promise<{
    engine: RoutingEngine;
    lastConfig: EngineConfig | undefined;
    lastSeq: string;
    restored: { snapshotSeq: string | null; replayed: number };
  }> {
    // From the latest snapshot this code can read, if any (one it cannot: the whole log, as before snapshots).
    const snapshot = await latestRoutingSnapshot(db, ENGINE_STATE_VERSION);
    let engine: RoutingEngine | undefined;
    let lastConfig: EngineConfig | undefined;
    let after = '0';
    if (snapshot) {
      try {
        engine = RoutingEngine.fromState(snapshot.config as EngineConfig, deserialize(snapshot.state) as EngineState);
        lastConfig = snapshot.config as EngineConfig;
        after = snapshot.seq;
      } catch {
        engine = undefined;
      }
    }
    if (!engine) {
      const first = await firstRoutingCommand(db);
      const firstCommand = first?.command as RoutingCommand | undefined;
      // The log opens with the configuration it was written under.
      lastConfig = firstCommand?.type === 'configure' ? firstCommand.config : undefined;
      engine = new RoutingEngine(lastConfig ?? fallback, first ? Number(first.at_ms) : clock().getTime());
    }
    const snapshotSeq = after === '0' ? null : after;
    let replayed = 0;
    for (;;) {
      const batch = await routingCommandsAfter(db, after, 5000);
      replayed += batch.length;
      for (const row of batch) {
        const command = row.command as RoutingCommand;
        applyCommand(engine, Number(row.at_ms), command);
        if (command.type === 'configure') lastConfig = command.config;
      }
      const last = batch.at(-1);
      if (last) after = last.seq;
      if (!last || batch.length < 5000) break;
    }
    return { engine, lastConfig, lastSeq: after, restored: { snapshotSeq, replayed } };
  }

  /**
   * Every `snapshotEvery` commands the leader stores its engine's state, taken right after a command it appended —
   * the state a replay up to that command gives (its time is that command's). Stored outside the command's
   * transaction: a snapshot lost costs a longer replay, nothing more.
   */
  private snapshotAfter(seq: string): void {
    if (!this.isLeader || Number(seq) - this.lastSnapshotSeq < this.snapshotEvery) return;
    this.lastSnapshotSeq = Number(seq);
    let state: Buffer;
    try {
      state = serialize(this.current.exportState());
    } catch {
      return;
    }
    const config = this.current.configuration;
    void insertRoutingSnapshot(this.db, { seq, stateVersion: ENGINE_STATE_VERSION, config, state }).catch(() => undefined);
  }

  /** Applies a new configuration (after a queue or workflow edit); refused without change if it does not fit the work in progress. */
  reconfigure(config: EngineConfig, ctx: RequestContext): Promise<EngineEvent[]> {
    return this.execute({ type: 'configure', config }, ctx);
  }

  get engine(): RoutingEngine {
    return this.current;
  }

  subscribe(listener: RoutingListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies and stores one command; commands run strictly one after another, in log order. `alongside` writes what
   * belongs with the command (a call record's milestone) in the command's transaction: both are stored or neither;
   * it runs after the command is applied, so it may read the engine's new state.
   */
  execute(
    command: RoutingCommand,
    ctx: RequestContext | null,
    alongside?: (trx: Transaction<Database>) => Promise<void>,
  ): Promise<EngineEvent[]> {
    return this.serially(() => this.executeNow(() => command, ctx, alongside));
  }

  /**
   * Decides the command on the engine as it stands once the log is caught up, under the log's lock (null: nothing
   * to do) — how "create it unless it exists" stays true with two nodes.
   */
  private executeWhen(
    decide: (engine: RoutingEngine, configInForce: EngineConfig | undefined) => RoutingCommand | null,
    ctx: RequestContext | null = null,
  ): Promise<EngineEvent[]> {
    return this.serially(() => this.executeNow(decide, ctx));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async executeNow(
    decide: (engine: RoutingEngine, configInForce: EngineConfig | undefined) => RoutingCommand | null,
    ctx: RequestContext | null,
    alongside?: (trx: Transaction<Database>) => Promise<void>,
  ): Promise<EngineEvent[]> {
    if (this.stale) await this.rebuild();
    const caughtUp: EngineEvent[] = [];
    let events: EngineEvent[] = [];
    let decided: RoutingCommand | null = null;
    let appended: string | undefined;
    let at = 0;
    try {
      await this.db.transaction().execute(async (trx) => {
        const lease = await lockLease(
          trx,
          LEASE,
          this.cluster?.nodeId ?? '',
          this.epoch,
          this.cluster ? this.cluster.leaseMs / 2 : undefined,
        );
        const configInForce = await this.catchUp(trx, caughtUp);
        const command = decide(this.current, configInForce);
        decided = command;
        if (!command) return;
        if (this.cluster && LEADER_ONLY.has(command.type) && !lease.held) {
          // Fenced: another node leads (or this node's lease ran out unrenewed). Its timers are not this node's to fire.
          this.fencedTicks += 1;
          this.setLeading(false);
          decided = null;
          return;
        }
        at = Math.max(this.clock().getTime(), this.current.time());
        try {
          events = applyCommand(this.current, at, command);
        } catch (error) {
          if (error instanceof EngineError) throw toAppError(error);
          throw error;
        }
        // A tick that changed nothing need not be stored: replay reaches the same state without it.
        if (command.type === 'tick' && events.length === 0) return;
        appended = await insertRoutingCommand(trx, {
          at: new Date(at),
          at_ms: at,
          command: JSON.stringify(command),
          actor_id: ctx?.actor?.kind === 'user' ? ctx.actor.userId : null,
          epoch: lease.epoch,
          node: this.cluster?.nodeId ?? null,
        });
        if (this.cluster) await announceRoutingAppend(trx, appended);
        if (ctx && command.type !== 'tick') {
          await appendAudit(
            trx,
            { ...ctx, now: new Date(at) },
            { action: `routing.${command.type}`, outcome: 'allowed', resourceType: 'routing', details: summarize(command) },
          );
        }
        if (alongside) await alongside(trx);
      });
    } catch (error) {
      this.emit(caughtUp);
      // An illegal command changed nothing (the engine refuses without changing); the caught-up commands are stored.
      if (error instanceof AppError && appended === undefined && events.length === 0) throw error;
      // Memory must not run ahead of the log: rebuild from what was stored (the write may have committed before its
      // answer was lost). If that fails too, the next command rebuilds first.
      this.stale = true;
      await this.rebuild().catch(() => undefined);
      throw error;
    }
    if (appended !== undefined) {
      this.lastSeq = appended;
      this.snapshotAfter(appended);
    }
    this.emit(caughtUp);
    this.emit(events);
    const command = decided as RoutingCommand | null;
    if (command?.type === 'tick' && events.length === 0) await this.forgetOldWork(at);
    return events;
  }

  /**
   * Applies to this node's engine the commands other nodes appended since it last looked; their events go to this
   * node's listeners (its realtime hub). Returns the configuration in force if the tail changed it.
   */
  private async catchUp(trx: Trx, into: EngineEvent[]): Promise<EngineConfig | undefined> {
    let configInForce: EngineConfig | undefined;
    for (;;) {
      const batch = await routingCommandsAfter(trx, this.lastSeq, 1000);
      for (const row of batch) {
        const command = row.command as RoutingCommand;
        into.push(...applyCommand(this.current, Number(row.at_ms), command));
        if (command.type === 'configure') configInForce = command.config;
        this.lastSeq = row.seq;
      }
      if (batch.length < 1000) return configInForce;
    }
  }

  private emit(events: EngineEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) listener(events);
  }

  /** Follows the log now (a notification arrived, or the poll): other nodes' commands reach this engine and its listeners. */
  follow(): Promise<void> {
    return this.serially(async () => {
      if (this.stale) await this.rebuild();
      const caughtUp: EngineEvent[] = [];
      try {
        await this.catchUp(this.db, caughtUp);
      } finally {
        this.emit(caughtUp);
      }
    });
  }

  private async rebuild(): Promise<void> {
    const replayed = await RoutingService.replay(this.db, this.config, this.clock);
    this.current = replayed.engine;
    this.lastSeq = replayed.lastSeq;
    this.stale = false;
  }

  /** Whether this node fires the engine's timers (always, without cluster options). */
  get isLeader(): boolean {
    return this.cluster ? this.leading && performance.now() < this.leadingUntil : true;
  }

  /** This node's part in the cluster, for /readyz. */
  clusterState(): { node: string | null; leader: boolean; epoch: number | null; lastSeq: string } {
    return { node: this.cluster?.nodeId ?? null, leader: this.isLeader, epoch: this.epoch, lastSeq: this.lastSeq };
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.cluster?.onLeadership?.(leading, this.epoch ?? 0);
  }

  /**
   * Takes or renews the lease (every third of its length). A node counts itself leader only until 90 % of the lease
   * after the renewal was asked for — before the database's expiry — so it stops running jobs before another node
   * can take over; its timers are fenced by the database in any case.
   */
  private async holdLease(): Promise<void> {
    if (!this.cluster || this.renewing) return;
    this.renewing = true;
    const asked = performance.now();
    try {
      const cluster = this.cluster;
      const lease = await takeOrRenewLeaseWithin(this.db, LEASE, cluster.nodeId, this.epoch, cluster.leaseMs, cluster.leaseMs / 3);
      if (lease === 'busy') {
        // The row is locked (a long append, or a node paused holding it): the local deadline decides until next time.
        if (!this.isLeader) this.setLeading(false);
      } else if (lease) {
        if (lease.epoch !== this.epoch) {
          // A new epoch: catch up before the first timer, so the new leader's engine is the log's.
          this.epoch = lease.epoch;
          await this.follow();
        }
        this.leadingUntil = asked + cluster.leaseMs * 0.9;
        this.setLeading(true);
      } else {
        // Another node holds the lease.
        this.setLeading(false);
      }
    } catch {
      // The database cannot say who leads now: the local deadline decides (isLeader), the next renewal tries again.
      if (!this.isLeader) this.setLeading(false);
    } finally {
      this.renewing = false;
    }
  }

  /** Once an hour: tasks that ended more than two days ago leave memory (they stay in the log and the audit). */
  private lastForget = 0;
  private async forgetOldWork(at: number): Promise<void> {
    if (at - this.lastForget < 3_600_000) return;
    this.lastForget = at;
    const before = at - RETAIN_ENDED_MS;
    const any = [...this.current.allTasks()].some((t) => t.endedAt !== null && t.endedAt < before);
    if (any) await this.executeNow(() => ({ type: 'forget', before }), null);
  }

  /** Fires due timers now and then (offers ringing out, escalations, wrap-up ends). */
  start(intervalMs = 500): void {
    if (this.cluster && !this.leaseTimer) {
      const cluster = this.cluster;
      void this.holdLease();
      this.leaseTimer = setInterval(() => void this.holdLease(), Math.max(100, Math.floor(cluster.leaseMs / 3)));
      this.leaseTimer.unref();
      // Followers stay hot: a notification per append, and a poll in case one is lost (a reconnect drops them).
      this.followTimer = setInterval(() => void this.follow().catch(() => undefined), 1000);
      this.followTimer.unref();
      void cluster
        .listen?.(ROUTING_LOG_CHANNEL, () => void this.follow().catch(() => undefined))
        .then((stop) => {
          this.unlisten = stop;
        });
    }
    this.ticker ??= setInterval(() => {
      if (this.ticking || !this.isLeader) return;
      this.ticking = true;
      this.execute({ type: 'tick' }, null)
        .catch(() => undefined)
        .finally(() => {
          this.ticking = false;
        });
    }, intervalMs);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.followTimer) clearInterval(this.followTimer);
    this.ticker = this.leaseTimer = this.followTimer = undefined;
    await this.unlisten?.().catch(() => undefined);
    await this.tail;
    // A clean stop hands the lease over at once instead of letting it run out.
    if (this.cluster && this.leading && this.epoch !== null) {
      await releaseLease(this.db, LEASE, this.cluster.nodeId, this.epoch).catch(() => undefined);
      this.setLeading(false);
    }
  }

  /**
   * Creates the task unless the engine has it already, checked in turn with every other command, so two callers
   * (the step that named it, a sweep) never make it twice. For work items whose id was stored in the same
   * transaction as their cause: a crash between that commit and this call loses nothing, since a sweep (looking back
   * at most WORK_ITEM_SWEEP_MS) calls it again. True if it was created now.
   */
  async ensureTask(task: TaskInput, ctx: RequestContext | null): Promise<boolean> {
    let created = false;
    await this.executeWhen((engine) => {
      created = !engine.task(task.id);
      return created ? { type: 'createTask', task } : null;
    }, ctx);
    return created;
  }

  /** Makes sure a staff member is known to the engine as an agent, with their routing attributes. */
  async ensureWorker(actor: UserActor, ctx: RequestContext): Promise<void> {
    if (this.current.worker(actor.userId)) return;
    const row = await findRoutingWorker(this.db, actor.userId);
    const user = await findAgentAccount(this.db, actor.userId);
    // Another node may have added them meanwhile: decided once the log is caught up.
    await this.executeWhen(
      (engine) =>
        engine.worker(actor.userId)
          ? null
          : {
              type: 'addWorker',
              worker: {
                id: actor.userId,
                attributes: { ...((row?.attributes ?? {}) as Attributes), role: actor.role, unit: user?.unit ?? null },
                activity: 'Offline',
                capacity: { voice: row?.voice_capacity ?? 1, work_item: row?.work_item_capacity ?? 3 },
              },
            },
      ctx,
    );
  }

  newTaskId(): string {
    return randomUUID();
  }

  /** Whether `actor` has the task in hand: assigned to them (`also`: or in one of these statuses, such as wrap-up). */
  inHand(actor: Actor, taskId: string | null, also: readonly TaskStatus[] = []): boolean {
    const task = taskId ? this.engine.task(taskId) : undefined;
    return actor.kind === 'user' && task?.workerId === actor.userId && (task.status === 'assigned' || also.includes(task.status));
  }
}

export type { RoutingCommand };
