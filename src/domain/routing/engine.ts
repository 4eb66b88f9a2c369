// Over 500 lines: the ACD state machine (tasks, workers, reservations, timers) mutates one consistent in-memory state.
import {
  type ActivityConfig,
  type CancelReason,
  type Channel,
  type EngineConfig,
  EngineError,
  type EngineEvent,
  type QueueConfig,
  type ReservationStatus,
  type Strategy,
  type TaskInput,
  type TaskStatus,
  type WorkerInput,
  type WorkflowTarget,
} from './engine-types.js';
import { type Attributes, type Expr, ExpressionError, type Predicate, parseExpression, taskPaths, toPredicate } from './expression.js';
import { IdleOrder } from './idle-order.js';
import { MinHeap } from './min-heap.js';

/**
 * The ACD routing engine: a deterministic state machine. Every command takes
 * the time it happens (`now`, ms); before applying it the engine fires every
 * timer due by then (offers ringing out, escalations, maximum waits, wrap-up
 * ends) in time order, and after it offers waiting tasks to free workers. No
 * clock, randomness or I/O inside: the same commands give the same events.
 *
 * Guarantees (property-tested): a task is assigned to at most one worker; a
 * worker never holds more tasks (offers included) than its capacity on a
 * channel; no offer outlives its timeout; a task ends in exactly one terminal
 * state; a worker who rejects or misses a task is not offered it again within
 * the redial delay; after every command no waiting task has a free eligible
 * worker.
 */

type Queue = Required<Omit<QueueConfig, 'maxSize' | 'maxWaitMs' | 'overflowQueue'>> &
  Pick<QueueConfig, 'maxSize' | 'maxWaitMs' | 'overflowQueue'> & { test: Predicate; taskKeys: string[] };

type Target = WorkflowTarget & { test: Predicate | undefined; skip: Predicate | undefined };
type Filter = { name: string; test: Predicate; targets: Target[] };

export type WorkerView = {
  id: string;
  attributes: Attributes;
  activity: string;
  activitySince: number;
  capacity: Record<Channel, number>;
  load: Record<Channel, number>;
  idleSince: number;
  /** Order of joining: breaks ties between equally idle workers. */
  joinOrder: number;
  tasksAccepted: number;
  talkMs: number;
  consecutiveMisses: number;
};

export type TaskView = {
  id: string;
  attributes: Attributes;
  channel: Channel;
  basePriority: number;
  arrivedAt: number;
  enqueuedAt: number;
  seq: number;
  status: TaskStatus;
  cancelReason: CancelReason | null;
  queueId: string;
  filter: string;
  targetIndex: number;
  targetStartedAt: number;
  workerId: string | null;
  answeredAt: number | null;
  wrapStartedAt: number | null;
  endedAt: number | null;
  transferredFrom: string | null;
};

export type ReservationView = {
  id: string;
  taskId: string;
  workerId: string;
  status: ReservationStatus;
  createdAt: number;
  timeoutAt: number;
};

type Timer = {
  at: number;
  seq: number;
  kind: 'reservation' | 'target' | 'max-wait' | 'wrap-up' | 'redispatch';
  ref: string;
  version: number;
};

const DEFAULTS = {
  reservationTimeoutMs: 20_000,
  redialDelayMs: 30_000,
  missedOfferLimit: 2,
  missedActivity: 'Missed',
  wrapUpMs: 60_000,
  agingIntervalMs: 60_000,
  agingStep: 1,
  shortAbandonMs: 5_000,
  preferredWorkerMs: 15_000,
};

function compile(source: string, where: string): Expr {
  try {
    return parseExpression(source);
  } catch (error) {
    if (error instanceof ExpressionError) throw new EngineError('invalid_config', `${where}: ${error.message}`);
    throw error;
  }
}

/** The value of a dotted attribute path ("meta.level"), null when absent. */
function valueAt(attributes: Attributes, path: string): unknown {
  let value: unknown = attributes;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? null;
}

/** The cache key of the task values a queue expression reads; cheap for the usual single primitive. */
function eligibilityKey(paths: string[], attributes: Attributes): string {
  if (paths.length === 0) return '';
  if (paths.length === 1) {
    const value = valueAt(attributes, paths[0] ?? '');
    if (value === null || typeof value !== 'object') return `${typeof value}:${String(value)}`;
  }
  return JSON.stringify(paths.map((path) => valueAt(attributes, path)));
}

type Compiled = {
  settings: typeof DEFAULTS;
  activities: Map<string, ActivityConfig>;
  queues: Map<string, Queue>;
  filters: Filter[];
  defaultQueue: string;
};

/** Checks and compiles a configuration; throws EngineError('invalid_config') naming what is wrong. */
export function compileConfig(config: EngineConfig): Compiled {
  const settings = {
    reservationTimeoutMs: config.reservationTimeoutMs ?? DEFAULTS.reservationTimeoutMs,
    redialDelayMs: config.redialDelayMs ?? DEFAULTS.redialDelayMs,
    missedOfferLimit: config.missedOfferLimit ?? DEFAULTS.missedOfferLimit,
    missedActivity: config.missedActivity ?? DEFAULTS.missedActivity,
    wrapUpMs: config.wrapUpMs ?? DEFAULTS.wrapUpMs,
    agingIntervalMs: config.agingIntervalMs ?? DEFAULTS.agingIntervalMs,
    agingStep: config.agingStep ?? DEFAULTS.agingStep,
    shortAbandonMs: config.shortAbandonMs ?? DEFAULTS.shortAbandonMs,
    preferredWorkerMs: config.preferredWorkerMs ?? DEFAULTS.preferredWorkerMs,
  };
  const activities = new Map<string, ActivityConfig>();
  for (const activity of config.activities) {
    if (activities.has(activity.name)) throw new EngineError('invalid_config', `activity ${activity.name} is listed twice`);
    activities.set(activity.name, activity);
  }
  if (!activities.has(settings.missedActivity))
    activities.set(settings.missedActivity, { name: settings.missedActivity, available: false });
  const queues = new Map<string, Queue>();
  for (const q of config.queues) {
    if (queues.has(q.id)) throw new EngineError('invalid_config', `queue ${q.id} is listed twice`);
    const expr = compile(q.targetExpression, `queue ${q.id} target expression`);
    queues.set(q.id, {
      id: q.id,
      targetExpression: q.targetExpression,
      ordering: q.ordering ?? 'fifo',
      strategy: q.strategy ?? 'longest-idle',
      serviceLevelMs: q.serviceLevelMs ?? 20_000,
      serviceLevelTarget: q.serviceLevelTarget ?? 0.8,
      maxSize: q.maxSize,
      maxWaitMs: q.maxWaitMs,
      overflowQueue: q.overflowQueue,
      test: toPredicate(expr),
      taskKeys: taskPaths(expr),
    });
  }
  for (const q of queues.values()) {
    if (q.overflowQueue && !queues.has(q.overflowQueue))
      throw new EngineError('invalid_config', `queue ${q.id} overflows to unknown queue ${q.overflowQueue}`);
  }
  if (!queues.has(config.workflow.defaultQueue)) {
    throw new EngineError('invalid_config', `the workflow's default queue ${config.workflow.defaultQueue} does not exist`);
  }
  const filters = config.workflow.filters.map((f, i) => {
    if (f.targets.length === 0) throw new EngineError('invalid_config', `workflow filter ${f.name} has no targets`);
    return {
      name: f.name,
      test: toPredicate(compile(f.expression, `workflow filter ${i + 1} (${f.name})`)),
      targets: f.targets.map((t, j) => {
        if (!queues.has(t.queue))
          throw new EngineError('invalid_config', `workflow filter ${f.name}, target ${j + 1}: unknown queue ${t.queue}`);
        return {
          ...t,
          test: t.expression ? toPredicate(compile(t.expression, `workflow filter ${f.name}, target ${j + 1} expression`)) : undefined,
          skip: t.skipIf ? toPredicate(compile(t.skipIf, `workflow filter ${f.name}, target ${j + 1} skipIf`)) : undefined,
        };
      }),
    };
  });
  return { settings, activities, queues, filters, defaultQueue: config.workflow.defaultQueue };
}

/**
 * The version of the engine's state as `exportState` gives it: raise it whenever a field's meaning or shape changes,
 * so that snapshots taken by older code are ignored (the log is replayed instead) rather than misread.
 */
export const ENGINE_STATE_VERSION = 1;

/**
 * The engine's whole state between commands, for a snapshot: plain data (Maps, Sets, arrays, objects), with the
 * same objects shared where the engine shares them (a worker is in `workers` and in the idle order). The
 * configuration is not in it: the snapshot keeps the configuration in force beside it.
 */
export type EngineState = {
  version: number;
  workers: Map<string, WorkerView>;
  tasks: Map<string, TaskView>;
  reservations: Map<string, ReservationView>;
  waiting: Set<string>;
  declined: Map<string, Map<string, number>>;
  pendingByTask: Map<string, Set<string>>;
  pendingByWorker: Map<string, Set<string>>;
  roundRobin: Map<string, string>;
  eligible: Map<string, Map<string, Set<string>>>;
  free: ReturnType<IdleOrder<WorkerView>['exportState']>;
  timers: Timer[];
  timerSeq: number;
  taskSeq: number;
  reservationSeq: number;
  now: number;
  carried: EngineEvent[];
};

export class RoutingEngine {
  settings: typeof DEFAULTS;
  /** The configuration in force (the last one given, at construction or by `reconfigure`). */
  configuration: EngineConfig;
  private activities: Map<string, ActivityConfig>;
  private queues: Map<string, Queue>;
  private filters: Filter[];
  private defaultQueue: string;
  private readonly workers = new Map<string, WorkerView>();
  private readonly tasks = new Map<string, TaskView>();
  private readonly reservations = new Map<string, ReservationView>();
  /** Pending (unreserved, unassigned) tasks waiting for an offer. */
  private readonly waiting = new Set<string>();
  /** taskId → workerId → until when that worker is not offered the task again. */
  private readonly declined = new Map<string, Map<string, number>>();
  private readonly pendingByTask = new Map<string, Set<string>>();
  private readonly pendingByWorker = new Map<string, Set<string>>();
  private readonly roundRobin = new Map<string, string>();
  /** Eligibility cache: queue → task-attribute signature → worker ids matching the queue's expression. */
  private readonly eligible = new Map<string, Map<string, Set<string>>>();
  /**
   * Workers who could take a call now (available activity, no call in hand), in
   * longest-idle order: the common decision is the first eligible one here,
   * without scanning or sorting every eligible worker.
   */
  private readonly free = new IdleOrder<WorkerView>();
  private readonly timers = new MinHeap<Timer>();
  private timerSeq = 0;
  private taskSeq = 0;
  private reservationSeq = 0;
  private now: number;
  private events: EngineEvent[] = [];
  /** Events of timers that fired before a command that was then refused: delivered with the next command. */
  private carried: EngineEvent[] = [];

  constructor(config: EngineConfig, start: number) {
    this.now = start;
    this.configuration = config;
    const compiled = compileConfig(config);
    this.settings = compiled.settings;
    this.activities = compiled.activities;
    this.queues = compiled.queues;
    this.filters = compiled.filters;
    this.defaultQueue = compiled.defaultQueue;
  }

  /** The state between commands, live (not a copy): serialise it at once, before the next command. */
  exportState(): EngineState {
    return {
      version: ENGINE_STATE_VERSION,
      workers: this.workers,
      tasks: this.tasks,
      reservations: this.reservations,
      waiting: this.waiting,
      declined: this.declined,
      pendingByTask: this.pendingByTask,
      pendingByWorker: this.pendingByWorker,
      roundRobin: this.roundRobin,
      eligible: this.eligible,
      free: this.free.exportState(),
      timers: this.timers.exportState(),
      timerSeq: this.timerSeq,
      taskSeq: this.taskSeq,
      reservationSeq: this.reservationSeq,
      now: this.now,
      carried: this.carried,
    };
  }

  /**
   * An engine in the state `exportState` gave (taken from a snapshot: the objects are the engine's own from then on),
   * under the configuration that was in force. It answers every later command exactly as the engine it was taken
   * from: the routing-cluster and engine tests compare both.
   */
  static fromState(config: EngineConfig, state: EngineState): RoutingEngine {
    if (state.version !== ENGINE_STATE_VERSION)
      throw new EngineError('invalid_state', `engine state version ${state.version}, this engine reads ${ENGINE_STATE_VERSION}`);
    const engine = new RoutingEngine(config, state.now);
    for (const [from, into] of [
      [state.workers, engine.workers],
      [state.tasks, engine.tasks],
      [state.reservations, engine.reservations],
      [state.declined, engine.declined],
      [state.pendingByTask, engine.pendingByTask],
      [state.pendingByWorker, engine.pendingByWorker],
      [state.roundRobin, engine.roundRobin],
      [state.eligible, engine.eligible],
    ] as [Map<string, unknown>, Map<string, unknown>][])
      for (const [key, value] of from) into.set(key, value);
    for (const id of state.waiting) engine.waiting.add(id);
    engine.free.loadState(state.free);
    engine.timers.loadState(state.timers);
    engine.timerSeq = state.timerSeq;
    engine.taskSeq = state.taskSeq;
    engine.reservationSeq = state.reservationSeq;
    engine.carried = state.carried;
    return engine;
  }

  // ── commands ────────────────────────────────────────────────────────────

  addWorker(now: number, input: WorkerInput): EngineEvent[] {
    return this.command(now, () => {
      if (this.workers.has(input.id)) throw new EngineError('duplicate_id', `worker ${input.id} exists`);
      this.requireActivity(input.activity);
      this.workers.set(input.id, {
        id: input.id,
        attributes: input.attributes,
        activity: input.activity,
        activitySince: now,
        capacity: { voice: input.capacity?.voice ?? 1, work_item: input.capacity?.work_item ?? 3 },
        load: { voice: 0, work_item: 0 },
        idleSince: now,
        joinOrder: this.workers.size,
        tasksAccepted: 0,
        talkMs: 0,
        consecutiveMisses: 0,
      });
      this.eligible.clear();
      this.syncFree(this.requireWorker(input.id));
    });
  }

  updateWorker(now: number, workerId: string, attributes: Attributes): EngineEvent[] {
    return this.command(now, () => {
      this.requireWorker(workerId).attributes = attributes;
      this.eligible.clear();
    });
  }

  setActivity(now: number, workerId: string, activity: string): EngineEvent[] {
    return this.command(now, () => {
      const worker = this.requireWorker(workerId);
      this.requireActivity(activity);
      this.changeActivity(worker, activity);
    });
  }

  createTask(now: number, input: TaskInput): EngineEvent[] {
    return this.command(now, () => {
      if (this.tasks.has(input.id)) throw new EngineError('duplicate_id', `task ${input.id} exists`);
      const { filter, index } = this.route(input.attributes);
      const target = filter ? filter.targets[index] : undefined;
      const queueId = target?.queue ?? this.defaultQueue;
      const task: TaskView = {
        id: input.id,
        attributes: input.attributes,
        channel: input.channel ?? 'voice',
        basePriority: input.priority ?? 0,
        arrivedAt: input.arrivedAt ?? now,
        enqueuedAt: now,
        seq: this.taskSeq++,
        status: 'pending',
        cancelReason: null,
        queueId,
        filter: filter?.name ?? 'default',
        targetIndex: index,
        targetStartedAt: now,
        workerId: null,
        answeredAt: null,
        wrapStartedAt: null,
        endedAt: null,
        transferredFrom: typeof input.attributes.transferredFrom === 'string' ? input.attributes.transferredFrom : null,
      };
      this.tasks.set(task.id, task);
      this.emit({ type: 'task.created', at: now, taskId: task.id, queueId });
      this.enqueue(task, queueId);
    });
  }

  accept(now: number, reservationId: string): EngineEvent[] {
    return this.command(now, () => {
      const reservation = this.requireReservation(reservationId);
      if (reservation.status !== 'pending') {
        throw new EngineError(
          'illegal_transition',
          `reservation ${reservationId} is ${reservation.status}; only a pending offer can be accepted`,
        );
      }
      const task = this.requireTask(reservation.taskId);
      const worker = this.requireWorker(reservation.workerId);
      this.closeReservation(reservation, 'accepted');
      worker.load[task.channel] += 1; // The offer's hold becomes the task's.
      this.syncFree(worker);
      for (const other of [...(this.pendingByTask.get(task.id) ?? [])]) this.closeReservation(this.requireReservation(other), 'rescinded');
      task.status = 'assigned';
      task.workerId = worker.id;
      task.answeredAt = now;
      worker.tasksAccepted += 1;
      worker.consecutiveMisses = 0;
      this.emit({ type: 'task.assigned', at: now, taskId: task.id, workerId: worker.id });
    });
  }

  reject(now: number, reservationId: string): EngineEvent[] {
    return this.command(now, () => {
      const reservation = this.requireReservation(reservationId);
      if (reservation.status !== 'pending') {
        throw new EngineError(
          'illegal_transition',
          `reservation ${reservationId} is ${reservation.status}; only a pending offer can be rejected`,
        );
      }
      this.declineOffer(reservation, 'rejected');
    });
  }

  /** The conversation (or the work) is over: the task moves to wrap-up, which ends by itself after wrapUpMs. */
  complete(now: number, taskId: string): EngineEvent[] {
    return this.command(now, () => {
      const task = this.requireTask(taskId);
      if (task.status !== 'assigned')
        throw new EngineError('illegal_transition', `task ${taskId} is ${task.status}; only an assigned task can be completed`);
      const worker = this.requireWorker(task.workerId ?? '');
      worker.talkMs += now - (task.answeredAt ?? now);
      task.status = 'wrapping';
      task.wrapStartedAt = now;
      this.emit({ type: 'task.wrapping', at: now, taskId, workerId: worker.id });
      this.schedule(now + this.settings.wrapUpMs, 'wrap-up', taskId, 0);
    });
  }

  /** The worker ends wrap-up (or it timed out): the task is completed and the worker free again. */
  finishWrapUp(now: number, taskId: string): EngineEvent[] {
    return this.command(now, () => this.endWrapUp(this.requireTask(taskId)));
  }

  /** The caller hung up (abandoned) while waiting or ringing. */
  cancel(now: number, taskId: string, reason: CancelReason = 'abandoned'): EngineEvent[] {
    return this.command(now, () => {
      const task = this.requireTask(taskId);
      if (task.status !== 'pending' && task.status !== 'reserved') {
        throw new EngineError('illegal_transition', `task ${taskId} is ${task.status}; only a waiting task can be canceled`);
      }
      this.terminate(task, reason);
    });
  }

  /** Moves a task to another queue, keeping its arrival time for ordering and reporting. */
  transfer(now: number, taskId: string, queueId: string, newTaskId: string): EngineEvent[] {
    return this.command(now, () => {
      const task = this.requireTask(taskId);
      if (!this.queues.has(queueId)) throw new EngineError('unknown_queue', `there is no queue ${queueId}`);
      if (this.tasks.has(newTaskId)) throw new EngineError('duplicate_id', `task ${newTaskId} exists`);
      if (task.status === 'pending' || task.status === 'reserved') this.terminate(task, 'transferred');
      else if (task.status === 'assigned') {
        const worker = this.requireWorker(task.workerId ?? '');
        worker.talkMs += now - (task.answeredAt ?? now);
        task.status = 'wrapping';
        task.wrapStartedAt = now;
        this.emit({ type: 'task.wrapping', at: now, taskId, workerId: worker.id });
        this.schedule(now + this.settings.wrapUpMs, 'wrap-up', taskId, 0);
      } else throw new EngineError('illegal_transition', `task ${taskId} is ${task.status} and cannot be transferred`);
      const moved: TaskView = {
        ...task,
        id: newTaskId,
        attributes: { ...task.attributes, transferredFrom: taskId },
        status: 'pending',
        cancelReason: null,
        seq: this.taskSeq++,
        enqueuedAt: now,
        workerId: null,
        answeredAt: null,
        wrapStartedAt: null,
        endedAt: null,
        transferredFrom: taskId,
        filter: 'transfer',
        targetIndex: 0,
        targetStartedAt: now,
      };
      this.tasks.set(moved.id, moved);
      this.emit({ type: 'task.created', at: now, taskId: moved.id, queueId });
      this.enqueue(moved, queueId, { noEscalation: true });
    });
  }

  /** A waiting caller asks to be called back: the callback task keeps the caller's place (arrival time and order). */
  requestCallback(now: number, taskId: string, callbackTaskId: string, attributes: Attributes = {}): EngineEvent[] {
    return this.command(now, () => {
      const task = this.requireTask(taskId);
      if (task.status !== 'pending' && task.status !== 'reserved')
        throw new EngineError('illegal_transition', `task ${taskId} is ${task.status}; only a waiting caller can ask for a callback`);
      if (this.tasks.has(callbackTaskId)) throw new EngineError('duplicate_id', `task ${callbackTaskId} exists`);
      const queueId = task.queueId;
      const keep = { seq: task.seq, targetIndex: task.targetIndex, targetStartedAt: task.targetStartedAt, filter: task.filter };
      this.terminate(task, 'callback');
      const callback: TaskView = {
        ...task,
        ...keep,
        id: callbackTaskId,
        attributes: { ...task.attributes, ...attributes, callback: true, callbackFor: taskId },
        status: 'pending',
        cancelReason: null,
        workerId: null,
        endedAt: null,
      };
      this.tasks.set(callback.id, callback);
      this.emit({ type: 'task.created', at: now, taskId: callback.id, queueId });
      this.waiting.add(callback.id);
      this.emit({ type: 'task.queued', at: now, taskId: callback.id, queueId, target: callback.targetIndex });
    });
  }

  /**
   * Replaces queues, workflow, activities and settings while work goes on.
   * Refused (nothing changes) if the new configuration is invalid, drops a
   * queue that still holds tasks, or drops an activity an agent is in.
   */
  reconfigure(now: number, config: EngineConfig): EngineEvent[] {
    return this.command(now, () => {
      const compiled = compileConfig(config);
      for (const task of this.tasks.values()) {
        if (task.status !== 'completed' && task.status !== 'canceled' && !compiled.queues.has(task.queueId)) {
          throw new EngineError(
            'invalid_config',
            `queue ${task.queueId} still holds task ${task.id}; move or finish its tasks before removing it`,
          );
        }
      }
      for (const worker of this.workers.values()) {
        if (!compiled.activities.has(worker.activity))
          throw new EngineError(
            'invalid_config',
            `agent ${worker.id} is in activity ${worker.activity}, which the new configuration drops`,
          );
      }
      this.settings = compiled.settings;
      this.activities = compiled.activities;
      this.queues = compiled.queues;
      this.filters = compiled.filters;
      this.defaultQueue = compiled.defaultQueue;
      this.configuration = config;
      this.eligible.clear();
      for (const worker of this.workers.values()) this.syncFree(worker);
    });
  }

  /**
   * Drops tasks that ended before `before`, with their offers, so a server
   * running for months holds only recent work. Statistics cover what remains.
   */
  forgetEndedBefore(now: number, before: number): EngineEvent[] {
    return this.command(now, () => {
      const gone = new Set<string>();
      for (const task of this.tasks.values()) {
        if ((task.status === 'completed' || task.status === 'canceled') && task.endedAt !== null && task.endedAt < before)
          gone.add(task.id);
      }
      for (const id of gone) this.tasks.delete(id);
      for (const [id, reservation] of this.reservations) if (gone.has(reservation.taskId)) this.reservations.delete(id);
      for (const id of gone) {
        this.pendingByTask.delete(id);
        this.declined.delete(id);
      }
    });
  }

  /** Lets time pass: fires due timers and offers what can be offered. */
  tick(now: number): EngineEvent[] {
    return this.command(now, () => undefined);
  }

  // ── queries ─────────────────────────────────────────────────────────────

  time(): number {
    return this.now;
  }
  task(id: string): TaskView | undefined {
    return this.tasks.get(id);
  }
  worker(id: string): WorkerView | undefined {
    return this.workers.get(id);
  }
  reservation(id: string): ReservationView | undefined {
    return this.reservations.get(id);
  }
  allTasks(): IterableIterator<TaskView> {
    return this.tasks.values();
  }
  allWorkers(): IterableIterator<WorkerView> {
    return this.workers.values();
  }
  allReservations(): IterableIterator<ReservationView> {
    return this.reservations.values();
  }
  queueIds(): string[] {
    return [...this.queues.keys()].sort();
  }
  queueConfig(id: string): Queue | undefined {
    return this.queues.get(id);
  }
  /** The activities agents choose from, in configuration order. */
  activityList(): { name: string; available: boolean }[] {
    return [...this.activities.values()].map((a) => ({ name: a.name, available: a.available }));
  }
  activityIsAvailable(activity: string): boolean {
    return this.activities.get(activity)?.available ?? false;
  }
  /** The next time something happens by itself (for simulators), or undefined. */
  nextTimerAt(): number | undefined {
    return this.timers.peek()?.at;
  }
  /** Waiting tasks of a queue in the order they will be offered. */
  waitingIn(queueId: string): TaskView[] {
    return this.orderedWaiting().filter((t) => t.queueId === queueId);
  }
  pendingReservationsOf(workerId: string): ReservationView[] {
    return [...(this.pendingByWorker.get(workerId) ?? [])].map((id) => this.requireReservation(id));
  }

  // ── internals ───────────────────────────────────────────────────────────

  /** Runs a command atomically: on error nothing changed and no events were emitted. */
  private command(now: number, apply: () => void): EngineEvent[] {
    if (now < this.now) throw new EngineError('time_went_backwards', `time ${now} is before the engine's time ${this.now}`);
    this.events = [];
    this.advance(now);
    const fired = this.carried.length > 0 ? this.carried.concat(this.events) : this.events;
    this.carried = [];
    this.events = [];
    try {
      // Commands validate before they change anything, so a refused command leaves the state as it was.
      apply();
    } catch (error) {
      // Timers that fired stay fired (time has passed); their events go out with the next command.
      this.carried = fired;
      this.events = [];
      throw error;
    }
    this.dispatch();
    const out = fired.length > 0 ? fired.concat(this.events) : this.events;
    this.events = [];
    return out;
  }

  private advance(now: number): void {
    for (let timer = this.timers.peek(); timer && timer.at <= now; timer = this.timers.peek()) {
      this.timers.pop();
      this.now = timer.at;
      this.fire(timer);
      this.dispatch();
    }
    this.now = now;
  }

  private fire(timer: Timer): void {
    switch (timer.kind) {
      case 'reservation': {
        const reservation = this.reservations.get(timer.ref);
        if (reservation?.status === 'pending') this.declineOffer(reservation, 'timed-out');
        return;
      }
      case 'target': {
        const task = this.tasks.get(timer.ref);
        if (task?.status !== 'pending' || task.targetIndex !== timer.version) return;
        this.escalate(task);
        return;
      }
      case 'max-wait': {
        const task = this.tasks.get(timer.ref);
        if (!task || (task.status !== 'pending' && task.status !== 'reserved') || task.enqueuedAt !== timer.version) return;
        const queue = this.queues.get(task.queueId);
        if (queue?.overflowQueue) {
          this.rescindAll(task);
          this.emit({ type: 'task.queued', at: this.now, taskId: task.id, queueId: queue.overflowQueue, target: task.targetIndex });
          this.moveTo(task, queue.overflowQueue);
        } else this.terminate(task, 'timed-out');
        return;
      }
      case 'wrap-up': {
        const task = this.tasks.get(timer.ref);
        if (task?.status === 'wrapping') this.endWrapUp(task);
        return;
      }
      case 'redispatch':
        return; // dispatch() runs after every timer
    }
  }

  private emit(event: EngineEvent): void {
    this.events.push(event);
  }

  private schedule(at: number, kind: Timer['kind'], ref: string, version: number): void {
    this.timers.push({ at, seq: this.timerSeq++, kind, ref, version });
  }

  private requireWorker(id: string): WorkerView {
    const worker = this.workers.get(id);
    if (!worker) throw new EngineError('unknown_worker', `there is no worker ${id}`);
    return worker;
  }
  private requireTask(id: string): TaskView {
    const task = this.tasks.get(id);
    if (!task) throw new EngineError('unknown_task', `there is no task ${id}`);
    return task;
  }
  private requireReservation(id: string): ReservationView {
    const reservation = this.reservations.get(id);
    if (!reservation) throw new EngineError('unknown_reservation', `there is no reservation ${id}`);
    return reservation;
  }
  private requireActivity(name: string): ActivityConfig {
    const activity = this.activities.get(name);
    if (!activity) throw new EngineError('unknown_activity', `there is no activity ${name}`);
    return activity;
  }

  private changeActivity(worker: WorkerView, activity: string, reason?: string): void {
    if (worker.activity === activity) return;
    const wasAvailable = this.activityIsAvailable(worker.activity);
    worker.activity = activity;
    worker.activitySince = this.now;
    if (!wasAvailable && this.activityIsAvailable(activity)) worker.idleSince = this.now;
    if (!this.activityIsAvailable(activity)) {
      // Leaving service: outstanding offers go to someone else.
      for (const id of [...(this.pendingByWorker.get(worker.id) ?? [])]) {
        const reservation = this.requireReservation(id);
        this.closeReservation(reservation, 'rescinded');
        this.requeueIfUnoffered(this.requireTask(reservation.taskId));
      }
    }
    this.syncFree(worker);
    this.emit({ type: 'worker.activity', at: this.now, workerId: worker.id, activity, ...(reason ? { reason } : {}) });
  }

  private canTakeCall(worker: WorkerView): boolean {
    return this.activityIsAvailable(worker.activity) && worker.load.voice === 0 && worker.capacity.voice > 0;
  }

  /** Keeps `free` right after any change of a worker's activity, load or idle time. */
  private syncFree(worker: WorkerView): void {
    const key = this.free.keyOf(worker.id);
    const belongs = this.canTakeCall(worker);
    if (key && belongs && key.idleSince === worker.idleSince) return;
    if (key) this.free.remove(worker.id);
    if (belongs) this.free.add(worker, worker.idleSince, worker.joinOrder);
  }

  /** The first workflow filter whose expression holds, and its first target not skipped. */
  private route(attributes: Attributes): { filter: Filter | undefined; index: number } {
    const scope = { task: attributes, worker: {} };
    for (const filter of this.filters) {
      if (!filter.test(scope)) continue;
      const index = this.firstTarget(filter, 0, attributes);
      if (index !== undefined) return { filter, index };
    }
    return { filter: undefined, index: 0 };
  }

  private firstTarget(filter: Filter, from: number, attributes: Attributes): number | undefined {
    for (let i = from; i < filter.targets.length; i++) {
      const target = filter.targets[i];
      if (target && !target.skip?.({ task: attributes, worker: {} })) return i;
    }
    return undefined;
  }

  private target(task: TaskView): Target | undefined {
    return this.filters.find((f) => f.name === task.filter)?.targets[task.targetIndex];
  }

  private enqueue(task: TaskView, queueId: string, options: { noEscalation?: boolean } = {}): void {
    const queue = this.queues.get(queueId);
    if (!queue) throw new EngineError('unknown_queue', `there is no queue ${queueId}`);
    const size = this.orderedWaiting().filter((t) => t.queueId === queueId).length;
    if (queue.maxSize !== undefined && size >= queue.maxSize) {
      if (queue.overflowQueue && queue.overflowQueue !== queueId) {
        this.enqueue(task, queue.overflowQueue, options);
        return;
      }
      this.terminate(task, 'overflowed');
      return;
    }
    task.queueId = queueId;
    task.enqueuedAt = this.now;
    task.status = 'pending';
    this.waiting.add(task.id);
    this.emit({ type: 'task.queued', at: this.now, taskId: task.id, queueId, target: task.targetIndex });
    if (queue.maxWaitMs !== undefined) this.schedule(this.now + queue.maxWaitMs, 'max-wait', task.id, task.enqueuedAt);
    const target = options.noEscalation ? undefined : this.target(task);
    if (target?.timeoutMs !== undefined) this.schedule(this.now + target.timeoutMs, 'target', task.id, task.targetIndex);
    if (typeof task.attributes.preferredWorker === 'string')
      this.schedule(task.arrivedAt + this.settings.preferredWorkerMs, 'redispatch', task.id, 0);
  }

  private moveTo(task: TaskView, queueId: string): void {
    this.waiting.delete(task.id);
    this.enqueue(task, queueId, { noEscalation: true });
  }

  private escalate(task: TaskView): void {
    const filter = this.filters.find((f) => f.name === task.filter);
    if (!filter) return;
    const next = this.firstTarget(filter, task.targetIndex + 1, task.attributes);
    if (next === undefined) return; // The last target keeps the task.
    const target = filter.targets[next];
    if (!target) return;
    task.targetIndex = next;
    task.targetStartedAt = this.now;
    this.emit({ type: 'task.queued', at: this.now, taskId: task.id, queueId: target.queue, target: next });
    if (target.queue !== task.queueId) {
      task.queueId = target.queue;
      const queue = this.queues.get(target.queue);
      if (queue?.maxWaitMs !== undefined) {
        task.enqueuedAt = this.now;
        this.schedule(this.now + queue.maxWaitMs, 'max-wait', task.id, task.enqueuedAt);
      }
    }
    if (target.timeoutMs !== undefined) this.schedule(this.now + target.timeoutMs, 'target', task.id, next);
  }

  private effectivePriority(task: TaskView): number {
    const base = this.target(task)?.priority ?? task.basePriority;
    return base + Math.floor((this.now - task.arrivedAt) / this.settings.agingIntervalMs) * this.settings.agingStep;
  }

  private orderedWaiting(): TaskView[] {
    const list: { task: TaskView; priority: number }[] = [];
    for (const id of this.waiting) {
      const task = this.tasks.get(id);
      if (task) list.push({ task, priority: this.effectivePriority(task) });
    }
    list.sort((a, b) => {
      if (a.priority !== b.priority) return b.priority - a.priority;
      const lifo = this.queues.get(a.task.queueId)?.ordering === 'lifo' && a.task.queueId === b.task.queueId;
      const byArrival = a.task.arrivedAt - b.task.arrivedAt || a.task.seq - b.task.seq;
      return lifo ? -byArrival : byArrival;
    });
    return list.map((x) => x.task);
  }

  /** Workers whose attributes match the queue's expression for this task's attributes (cached per distinct task values). */
  private eligibleFor(queue: Queue, task: TaskView): Set<string> {
    let byKey = this.eligible.get(queue.id);
    if (!byKey) {
      byKey = new Map();
      this.eligible.set(queue.id, byKey);
    }
    const key = eligibilityKey(queue.taskKeys, task.attributes);
    let ids = byKey.get(key);
    if (!ids) {
      ids = new Set<string>();
      for (const worker of this.workers.values()) if (queue.test({ task: task.attributes, worker: worker.attributes })) ids.add(worker.id);
      byKey.set(key, ids);
    }
    return ids;
  }

  /** Everything that makes a worker a candidate for a task, apart from the queue's expression. */
  private candidateTest(task: TaskView): (worker: WorkerView) => boolean {
    const target = this.target(task);
    const declined = this.declined.get(task.id);
    const pending = this.pendingByTask.get(task.id);
    const offeredTo = pending && pending.size > 0 ? new Set([...pending].map((r) => this.reservations.get(r)?.workerId)) : undefined;
    const preferred =
      typeof task.attributes.preferredWorker === 'string' && this.now < task.arrivedAt + this.settings.preferredWorkerMs
        ? task.attributes.preferredWorker
        : undefined;
    return (worker) => {
      if (preferred !== undefined && worker.id !== preferred) return false;
      if (!this.activityIsAvailable(worker.activity)) return false;
      if (worker.load[task.channel] >= worker.capacity[task.channel]) return false;
      // Someone on (or being offered) a call gets nothing else until it ends.
      if (worker.load.voice > 0) return false;
      const until = declined?.get(worker.id);
      if (until !== undefined && this.now < until) return false;
      if (offeredTo?.has(worker.id)) return false;
      return !target?.test || target.test({ task: task.attributes, worker: worker.attributes });
    };
  }

  private candidates(task: TaskView, queue: Queue): WorkerView[] {
    const test = this.candidateTest(task);
    const out: WorkerView[] = [];
    for (const id of this.eligibleFor(queue, task)) {
      const worker = this.workers.get(id);
      if (worker && test(worker)) out.push(worker);
    }
    return out;
  }

  /** Longest-idle without scanning everyone: the first worker in `free` order who qualifies (every candidate is in `free`). */
  private longestIdle(task: TaskView, queue: Queue): WorkerView | undefined {
    const eligible = this.eligibleFor(queue, task);
    if (eligible.size === 0) return undefined;
    const test = this.candidateTest(task);
    return this.free.find((worker) => eligible.has(worker.id) && test(worker));
  }

  private choose(strategy: Strategy, queueId: string, candidates: WorkerView[]): WorkerView | undefined {
    const byIdle = (a: WorkerView, b: WorkerView) => a.idleSince - b.idleSince || a.joinOrder - b.joinOrder;
    switch (strategy) {
      case 'longest-idle':
      case 'ring-all':
        return [...candidates].sort(byIdle)[0];
      case 'fewest-calls':
        return [...candidates].sort((a, b) => a.tasksAccepted - b.tasksAccepted || byIdle(a, b))[0];
      case 'least-talk-time':
        return [...candidates].sort((a, b) => a.talkMs - b.talkMs || byIdle(a, b))[0];
      case 'round-robin': {
        const last = this.roundRobin.get(queueId);
        const sorted = [...candidates].sort((a, b) => (a.id < b.id ? -1 : 1));
        return sorted.find((w) => last === undefined || w.id > last) ?? sorted[0];
      }
    }
  }

  /** Offers every waiting task it can, highest priority first. */
  private dispatch(): void {
    for (const task of this.orderedWaiting()) {
      if (task.status !== 'pending') continue;
      const queue = this.queues.get(task.queueId);
      if (!queue) continue;
      if (queue.strategy === 'longest-idle') {
        const worker = this.longestIdle(task, queue);
        if (worker) this.offer(task, worker);
        continue;
      }
      const candidates = this.candidates(task, queue);
      if (candidates.length === 0) continue;
      const chosen =
        queue.strategy === 'ring-all' ? candidates : [this.choose(queue.strategy, queue.id, candidates)].filter((w) => w !== undefined);
      for (const worker of chosen) this.offer(task, worker);
      if (queue.strategy === 'round-robin' && chosen[0]) this.roundRobin.set(queue.id, chosen[0].id);
    }
  }

  private offer(task: TaskView, worker: WorkerView): void {
    const id = `r${++this.reservationSeq}`;
    const reservation: ReservationView = {
      id,
      taskId: task.id,
      workerId: worker.id,
      status: 'pending',
      createdAt: this.now,
      timeoutAt: this.now + this.settings.reservationTimeoutMs,
    };
    this.reservations.set(id, reservation);
    this.index(this.pendingByTask, task.id).add(id);
    this.index(this.pendingByWorker, worker.id).add(id);
    worker.load[task.channel] += 1;
    this.syncFree(worker);
    task.status = 'reserved';
    this.waiting.delete(task.id);
    this.schedule(reservation.timeoutAt, 'reservation', id, 0);
    this.emit({ type: 'reservation.created', at: this.now, reservationId: id, taskId: task.id, workerId: worker.id });
  }

  private index(map: Map<string, Set<string>>, key: string): Set<string> {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    return set;
  }

  /** Ends a pending offer; frees the capacity it held. */
  private closeReservation(reservation: ReservationView, status: Exclude<ReservationStatus, 'pending'>): void {
    reservation.status = status;
    this.pendingByTask.get(reservation.taskId)?.delete(reservation.id);
    this.pendingByWorker.get(reservation.workerId)?.delete(reservation.id);
    const task = this.tasks.get(reservation.taskId);
    const worker = this.workers.get(reservation.workerId);
    if (task && worker) {
      worker.load[task.channel] -= 1;
      this.syncFree(worker);
    }
    this.emit({
      type: `reservation.${status}`,
      at: this.now,
      reservationId: reservation.id,
      taskId: reservation.taskId,
      workerId: reservation.workerId,
    });
  }

  /** A rejected or unanswered offer: the task goes back to waiting, and not to this worker again for a while. */
  private declineOffer(reservation: ReservationView, status: 'rejected' | 'timed-out'): void {
    this.closeReservation(reservation, status);
    const task = this.requireTask(reservation.taskId);
    const worker = this.requireWorker(reservation.workerId);
    const until = this.now + this.settings.redialDelayMs;
    let declined = this.declined.get(task.id);
    if (!declined) {
      declined = new Map();
      this.declined.set(task.id, declined);
    }
    declined.set(worker.id, until);
    this.schedule(until, 'redispatch', task.id, 0);
    if (status === 'timed-out') {
      worker.consecutiveMisses += 1;
      if (worker.consecutiveMisses >= this.settings.missedOfferLimit && this.activityIsAvailable(worker.activity)) {
        this.changeActivity(worker, this.settings.missedActivity, `${worker.consecutiveMisses} offers in a row went unanswered`);
      }
    }
    this.requeueIfUnoffered(task);
  }

  private requeueIfUnoffered(task: TaskView): void {
    if (task.status === 'reserved' && (this.pendingByTask.get(task.id)?.size ?? 0) === 0) {
      task.status = 'pending';
      this.waiting.add(task.id);
    }
  }

  private rescindAll(task: TaskView): void {
    for (const id of [...(this.pendingByTask.get(task.id) ?? [])]) this.closeReservation(this.requireReservation(id), 'rescinded');
  }

  private terminate(task: TaskView, reason: CancelReason): void {
    this.rescindAll(task);
    this.waiting.delete(task.id);
    this.declined.delete(task.id);
    task.status = 'canceled';
    task.cancelReason = reason;
    task.endedAt = this.now;
    this.emit({ type: 'task.canceled', at: this.now, taskId: task.id, reason });
  }

  private endWrapUp(task: TaskView): void {
    if (task.status !== 'wrapping')
      throw new EngineError('illegal_transition', `task ${task.id} is ${task.status}; only a task in wrap-up can finish it`);
    const worker = this.requireWorker(task.workerId ?? '');
    worker.load[task.channel] -= 1;
    if (worker.load.voice + worker.load.work_item === 0) worker.idleSince = this.now;
    this.syncFree(worker);
    task.status = 'completed';
    task.endedAt = this.now;
    this.declined.delete(task.id);
    this.emit({ type: 'task.completed', at: this.now, taskId: task.id, workerId: worker.id });
  }
}
