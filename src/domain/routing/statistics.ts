import type { RoutingEngine, TaskView } from './engine.js';

/**
 * Queue statistics, as defined in docs/METRICS.md. Every figure is computed
 * from tasks by the queue they ended in (answered, abandoned or still
 * waiting there), over tasks that arrived in [from, to).
 */

export type QueueStatistics = {
  queueId: string;
  offered: number;
  answered: number;
  answeredWithinThreshold: number;
  abandoned: number;
  shortAbandoned: number;
  timedOut: number;
  overflowed: number;
  /** Abandoned or timed out after waiting longer than the threshold: the service level's other part. */
  abandonedAfterThreshold: number;
  completed: number;
  serviceLevel: number | null;
  serviceLevelTarget: number;
  thresholdSeconds: number;
  asaSeconds: number | null;
  ahtSeconds: number | null;
  abandonRate: number | null;
  waitingNow: number;
  longestWaitSeconds: number;
  agents: Record<string, number>;
  /** Busy eligible agents now ÷ eligible agents in an available activity or busy now. */
  occupancyNow: number | null;
  /** What a task arriving now would wait: (waiting + 1) ÷ agents in service × the queue's recent AHT; 0 with an agent free. */
  estimatedWaitSeconds: number;
};

const mean = (values: number[]): number | null => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

function statisticsOf(engine: RoutingEngine, queueId: string, tasks: TaskView[], now: number): QueueStatistics {
  const queue = engine.queueConfig(queueId);
  const thresholdMs = queue?.serviceLevelMs ?? 20_000;
  const short = engine.settings.shortAbandonMs;
  const answered = tasks.filter((t) => t.answeredAt !== null);
  const abandonedAll = tasks.filter((t) => t.status === 'canceled' && t.cancelReason === 'abandoned');
  const shortAbandoned = abandonedAll.filter((t) => (t.endedAt ?? now) - t.arrivedAt < short);
  const abandoned = abandonedAll.filter((t) => (t.endedAt ?? now) - t.arrivedAt >= short);
  const timedOut = tasks.filter((t) => t.cancelReason === 'timed-out');
  const overflowed = tasks.filter((t) => t.cancelReason === 'overflowed');
  // Callback requests hand their place to the callback task, which is counted instead; work resolved another way was never offered work.
  const notOffered = new Set(['callback', 'transferred', 'resolved']);
  const offered = tasks.filter((t) => !notOffered.has(t.cancelReason ?? '')).length - shortAbandoned.length;
  const within = answered.filter((t) => (t.answeredAt ?? 0) - t.arrivedAt <= thresholdMs).length;
  const lateAbandons = [...abandoned, ...timedOut].filter((t) => (t.endedAt ?? now) - t.arrivedAt > thresholdMs).length;
  const denominator = answered.length + lateAbandons;
  const completed = tasks.filter((t) => t.status === 'completed' && t.answeredAt !== null && t.endedAt !== null);
  const waiting = tasks.filter((t) => t.status === 'pending' || t.status === 'reserved');
  const agents: Record<string, number> = {};
  let staffed = 0;
  let busy = 0;
  for (const worker of engine.allWorkers()) {
    agents[worker.activity] = (agents[worker.activity] ?? 0) + 1;
    const isBusy = worker.load.voice + worker.load.work_item > 0;
    if (engine.activityIsAvailable(worker.activity) || isBusy) staffed += 1;
    if (isBusy) busy += 1;
  }
  return {
    queueId,
    offered,
    answered: answered.length,
    answeredWithinThreshold: within,
    abandoned: abandoned.length,
    shortAbandoned: shortAbandoned.length,
    timedOut: timedOut.length,
    overflowed: overflowed.length,
    abandonedAfterThreshold: lateAbandons,
    completed: completed.length,
    serviceLevel: denominator === 0 ? null : within / denominator,
    serviceLevelTarget: queue?.serviceLevelTarget ?? 0.8,
    thresholdSeconds: thresholdMs / 1000,
    asaSeconds: mean(answered.map((t) => ((t.answeredAt ?? 0) - t.arrivedAt) / 1000)),
    ahtSeconds: mean(completed.map((t) => ((t.endedAt ?? 0) - (t.answeredAt ?? 0)) / 1000)),
    abandonRate: offered === 0 ? null : (abandoned.length + timedOut.length) / offered,
    waitingNow: waiting.length,
    longestWaitSeconds: waiting.reduce((m, t) => Math.max(m, (now - t.arrivedAt) / 1000), 0),
    agents,
    occupancyNow: staffed === 0 ? null : busy / staffed,
    estimatedWaitSeconds:
      staffed > busy && waiting.length === 0 ? 0 : Math.round(((waiting.length + 1) / Math.max(staffed, 1)) * recentAht(engine, queueId)),
  };
}

/** The queue's mean handle time over its last 50 completed tasks; 180 s before there are any. */
function recentAht(engine: RoutingEngine, queueId: string): number {
  const recent = [...engine.allTasks()]
    .filter((t) => t.queueId === queueId && t.status === 'completed' && t.answeredAt !== null && t.endedAt !== null)
    .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))
    .slice(0, 50);
  return mean(recent.map((t) => ((t.endedAt ?? 0) - (t.answeredAt ?? 0)) / 1000)) ?? 180;
}

export function queueStatistics(engine: RoutingEngine, options: { from?: number; to?: number } = {}): QueueStatistics[] {
  const now = engine.time();
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const byQueue = new Map<string, TaskView[]>(engine.queueIds().map((id) => [id, []]));
  for (const task of engine.allTasks()) {
    if (task.arrivedAt < from || task.arrivedAt >= to) continue;
    byQueue.get(task.queueId)?.push(task);
  }
  return engine.queueIds().map((id) => statisticsOf(engine, id, byQueue.get(id) ?? [], now));
}

export type OverallStatistics = Omit<QueueStatistics, 'queueId' | 'serviceLevelTarget' | 'thresholdSeconds'>;

/** The center as a whole: sums, and the service level over each queue's own threshold. */
export function overallStatistics(queues: QueueStatistics[]): OverallStatistics {
  const sum = (pick: (q: QueueStatistics) => number) => queues.reduce((n, q) => n + pick(q), 0);
  const weightedMean = (pick: (q: QueueStatistics) => number | null, weight: (q: QueueStatistics) => number) => {
    const total = sum(weight);
    return total === 0 ? null : sum((q) => (pick(q) ?? 0) * weight(q)) / total;
  };
  const answered = sum((q) => q.answered);
  const within = sum((q) => q.answeredWithinThreshold);
  const late = sum((q) => q.abandonedAfterThreshold);
  const offered = sum((q) => q.offered);
  const abandoned = sum((q) => q.abandoned);
  const timedOut = sum((q) => q.timedOut);
  return {
    offered,
    answered,
    answeredWithinThreshold: within,
    abandoned,
    shortAbandoned: sum((q) => q.shortAbandoned),
    timedOut,
    overflowed: sum((q) => q.overflowed),
    abandonedAfterThreshold: late,
    completed: sum((q) => q.completed),
    serviceLevel: answered + late === 0 ? null : within / (answered + late),
    asaSeconds: weightedMean(
      (q) => q.asaSeconds,
      (q) => q.answered,
    ),
    ahtSeconds: weightedMean(
      (q) => q.ahtSeconds,
      (q) => q.completed,
    ),
    abandonRate: offered === 0 ? null : (abandoned + timedOut) / offered,
    waitingNow: sum((q) => q.waitingNow),
    longestWaitSeconds: queues.reduce((m, q) => Math.max(m, q.longestWaitSeconds), 0),
    agents: queues[0]?.agents ?? {},
    occupancyNow: queues[0]?.occupancyNow ?? null,
    estimatedWaitSeconds: queues.reduce((m, q) => Math.max(m, q.estimatedWaitSeconds), 0),
  };
}

/** Statistics of one queue per interval of arrival ([i·intervalMs, (i+1)·intervalMs)), in one pass over the tasks. */
export function queueStatisticsByInterval(engine: RoutingEngine, queueId: string, intervalMs: number, count: number): QueueStatistics[] {
  const buckets: TaskView[][] = Array.from({ length: count }, () => []);
  for (const task of engine.allTasks()) {
    if (task.queueId !== queueId) continue;
    const index = Math.floor(task.arrivedAt / intervalMs);
    if (index >= 0 && index < count) buckets[index]?.push(task);
  }
  const now = engine.time();
  return buckets.map((tasks) => statisticsOf(engine, queueId, tasks, now));
}

/**
 * Estimated wait of a waiting task: its position among the queue's waiting
 * tasks, divided by the agents in service (in an available activity or busy),
 * times the queue's average handle time (of its last 50 completed tasks; 180 s
 * before there are any). Zero when an eligible agent is free.
 */
export function estimatedWaitSeconds(engine: RoutingEngine, taskId: string): { position: number; seconds: number } | undefined {
  const task = engine.task(taskId);
  if (!task || (task.status !== 'pending' && task.status !== 'reserved')) return undefined;
  if (task.status === 'reserved') return { position: 0, seconds: 0 };
  const waiting = engine.waitingIn(task.queueId);
  const position = waiting.findIndex((t) => t.id === taskId) + 1;
  const aht = recentAht(engine, task.queueId);
  let agents = 0;
  for (const worker of engine.allWorkers()) {
    const busy = worker.load.voice + worker.load.work_item > 0;
    if (engine.activityIsAvailable(worker.activity) || busy) agents += 1;
  }
  return { position, seconds: Math.round((position / Math.max(agents, 1)) * aht) };
}
