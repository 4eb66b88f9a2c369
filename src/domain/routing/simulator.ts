import { type Random, seededRandom } from '../demo/random.js';
import { RoutingEngine } from './engine.js';
import type { EngineConfig, EngineEvent } from './engine-types.js';
import { MinHeap } from './min-heap.js';
import { queueStatistics, queueStatisticsByInterval } from './statistics.js';

/**
 * A discrete-event simulation of the real routing engine on a virtual clock:
 * Poisson arrivals (flat, or shaped by a time-of-day profile), exponential
 * handle times and caller patience, agents who answer at once. A day of a
 * large center runs in seconds, and the same seed gives the same day.
 */

export type SimulationOptions = {
  callsPerDay: number;
  days: number;
  profile: 'flat' | 'daily';
  ahtSeconds: number;
  /** Mean caller patience; null: nobody abandons. */
  patienceSeconds: number | null;
  agents: number;
  /** Shifts instead of `agents` around the clock: each day, `agents` agents work from `start` to `end` ("HH:MM", may cross midnight). */
  shifts?: Shift[];
  /** Named agents' work periods (ms from the start; `from` may be negative for work begun before it) instead of `agents` or `shifts`: Offline outside them. */
  workPeriods?: WorkPeriod[];
  /** Expected calls per interval, repeating, instead of `callsPerDay` and `profile`. */
  arrivals?: { intervalMs: number; callsPerInterval: number[] };
  thresholdSeconds: number;
  wrapSeconds: number;
  seed: number;
  /** Called now and then with the share done (0–1). */
  progress?: (done: number) => void;
};

export type Shift = { start: string; end: string; agents: number };
export type WorkPeriod = { agentId: string; from: number; to: number };

const minutesOf = (hhmm: string): number => {
  const match = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  const h = Number(match?.[1]);
  const m = Number(match?.[2]);
  if (!match || h > 24 || m > 59 || h * 60 + m > 1440) throw new Error(`not a time of day (HH:MM): ${hhmm}`);
  return h * 60 + m;
};

export type Interval = {
  start: string;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  asa: number | null;
};

export type SimulationResult = {
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  asa: number | null;
  aht: number | null;
  abandonRate: number | null;
  occupancy: number;
  intervals: Interval[];
  engineEvents: number;
  simulatedSeconds: number;
};

const DAY_MS = 86_400_000;
const HALF_HOUR_MS = 1_800_000;

/**
 * Relative call volume by hour for a 24/7 hotline (night trough, daytime
 * plateau, evening shoulder); normalised so the day sums to 1.
 */
const DAILY_SHAPE = [
  0.35, 0.28, 0.24, 0.22, 0.25, 0.35, 0.6, 0.9, 1.2, 1.4, 1.5, 1.5, 1.45, 1.45, 1.45, 1.4, 1.35, 1.3, 1.2, 1.1, 1.0, 0.85, 0.65, 0.45,
];
const SHAPE_SUM = DAILY_SHAPE.reduce((a, b) => a + b, 0);
const SHAPE_MAX = Math.max(...DAILY_SHAPE);

const exponential = (random: Random, mean: number): number => -Math.log(1 - random.next()) * mean;

type SimEvent = { at: number; seq: number; kind: 'arrival' | 'end' | 'abandon' | 'shift-start' | 'shift-end'; ref: string };

/** Simulation events in time order. */
class EventQueue {
  private readonly heap = new MinHeap<SimEvent>();
  private seq = 0;
  push(at: number, kind: SimEvent['kind'], ref: string): void {
    this.heap.push({ at, seq: this.seq++, kind, ref });
  }
  peekAt(): number | undefined {
    return this.heap.peek()?.at;
  }
  pop(): SimEvent | undefined {
    return this.heap.pop();
  }
}

export function simulate(options: SimulationOptions): SimulationResult {
  // Separate streams for arrivals, handle times and patience ("common random numbers"): the same seed gives
  // the same callers whatever the staffing, so two staffing plans are compared on the same day.
  const arrivalsRandom = seededRandom(options.seed);
  const handleRandom = seededRandom(options.seed ^ 0x5bd1e995);
  const patienceRandom = seededRandom(options.seed ^ 0x1b873593);
  const durationMs = options.days * DAY_MS;
  const config: EngineConfig = {
    activities: [
      { name: 'Offline', available: false },
      { name: 'Available', available: true },
    ],
    queues: [{ id: 'main', targetExpression: '', serviceLevelMs: options.thresholdSeconds * 1000 }],
    workflow: { filters: [], defaultQueue: 'main' },
    wrapUpMs: Math.max(1, options.wrapSeconds * 1000),
    // Agents in the simulation answer at once, so offers never ring out; no aging (pure FIFO, as Erlang C assumes).
    reservationTimeoutMs: 3_600_000,
    agingStep: 0,
    shortAbandonMs: 0,
  };
  const engine = new RoutingEngine(config, 0);
  const queue = new EventQueue();
  let staffedAgentMs = 0;
  if (options.workPeriods && options.workPeriods.length > 0) {
    const added = new Set<string>();
    for (const period of options.workPeriods) {
      if (!added.has(period.agentId)) {
        added.add(period.agentId);
        engine.addWorker(0, { id: period.agentId, attributes: {}, activity: 'Offline' });
      }
      if (period.to <= Math.max(0, period.from) || period.from >= durationMs) continue;
      staffedAgentMs += Math.min(period.to, durationMs) - Math.max(period.from, 0);
      queue.push(Math.max(0, period.from), 'shift-start', period.agentId);
      queue.push(period.to, 'shift-end', period.agentId);
    }
  } else if (options.shifts && options.shifts.length > 0) {
    // Each shift has its own agents, Offline outside it; a call in hand is finished after the shift ends.
    let n = 0;
    for (const [s, shift] of options.shifts.entries()) {
      const start = minutesOf(shift.start) * 60_000;
      let end = minutesOf(shift.end) * 60_000;
      if (end <= start) end += DAY_MS;
      const clipped = (from: number, to: number) => Math.max(0, Math.min(to, durationMs) - Math.max(from, 0));
      for (let day = 0; day < options.days; day++) staffedAgentMs += shift.agents * clipped(day * DAY_MS + start, day * DAY_MS + end);
      if (end > DAY_MS) staffedAgentMs += shift.agents * clipped(0, end - DAY_MS);
      for (let a = 0; a < shift.agents; a++) {
        n += 1;
        const id = `shift${s + 1}-agent-${String(n).padStart(4, '0')}`;
        engine.addWorker(0, { id, attributes: {}, activity: 'Offline' });
        for (let day = 0; day < options.days; day++) {
          queue.push(day * DAY_MS + start, 'shift-start', id);
          queue.push(day * DAY_MS + end, 'shift-end', id);
        }
        // A night shift that began the evening before is already at work at midnight of the first day.
        if (end > DAY_MS) {
          queue.push(0, 'shift-start', id);
          queue.push(end - DAY_MS, 'shift-end', id);
        }
      }
    }
  } else {
    staffedAgentMs = options.agents * durationMs;
    for (let i = 0; i < options.agents; i++)
      engine.addWorker(0, { id: `agent-${String(i + 1).padStart(4, '0')}`, attributes: {}, activity: 'Available' });
  }

  const ratePerMs = options.callsPerDay / DAY_MS;
  const custom = options.arrivals;
  const customRate = (t: number): number =>
    custom ? (custom.callsPerInterval[Math.floor(t / custom.intervalMs) % custom.callsPerInterval.length] ?? 0) / custom.intervalMs : 0;
  // Arrivals by thinning a Poisson process at the profile's peak rate.
  const peakRate = custom
    ? Math.max(...custom.callsPerInterval) / custom.intervalMs
    : options.profile === 'flat'
      ? ratePerMs
      : (ratePerMs * 24 * SHAPE_MAX) / SHAPE_SUM;
  let arrivals = 0;
  const nextArrival = (from: number): number => {
    if (!(peakRate > 0)) return Number.POSITIVE_INFINITY;
    let t = from;
    for (;;) {
      t += exponential(arrivalsRandom, 1 / peakRate);
      if (custom) {
        if (arrivalsRandom.next() < customRate(t) / peakRate) return t;
        continue;
      }
      if (options.profile === 'flat') return t;
      const hour = Math.floor((t % DAY_MS) / 3_600_000);
      const rate = (ratePerMs * 24 * (DAILY_SHAPE[hour] ?? 1)) / SHAPE_SUM;
      if (arrivalsRandom.next() < rate / peakRate) return t;
    }
  };
  queue.push(nextArrival(0), 'arrival', '');

  let busyMs = 0;
  let engineEvents = 0;
  let lastProgress = 0;
  const handle = (events: EngineEvent[]): void => {
    engineEvents += events.length;
    for (const event of events) {
      if (event.type === 'reservation.created') handle(engine.accept(event.at, event.reservationId));
      else if (event.type === 'task.assigned') {
        const talk = Math.max(1, Math.round(exponential(handleRandom, options.ahtSeconds * 1000)));
        busyMs += talk + options.wrapSeconds * 1000;
        queue.push(event.at + talk, 'end', event.taskId);
      }
    }
  };

  for (;;) {
    const simAt = queue.peekAt();
    const timerAt = engine.nextTimerAt();
    if (simAt === undefined && timerAt === undefined) break;
    if (timerAt !== undefined && (simAt === undefined || timerAt < simAt)) {
      handle(engine.tick(timerAt));
      continue;
    }
    const event = queue.pop();
    if (!event) break;
    const at = Math.round(event.at);
    if (event.kind === 'arrival') {
      if (at >= durationMs) continue;
      const id = `c${++arrivals}`;
      handle(engine.createTask(at, { id, attributes: {} }));
      if (options.patienceSeconds !== null) queue.push(at + exponential(patienceRandom, options.patienceSeconds * 1000), 'abandon', id);
      queue.push(nextArrival(event.at), 'arrival', '');
      if (options.progress && at - lastProgress > durationMs / 100) {
        lastProgress = at;
        options.progress(at / durationMs);
      }
    } else if (event.kind === 'shift-start' || event.kind === 'shift-end') {
      if (at < durationMs || event.kind === 'shift-end')
        handle(engine.setActivity(Math.max(at, engine.time()), event.ref, event.kind === 'shift-start' ? 'Available' : 'Offline'));
    } else if (event.kind === 'abandon') {
      const status = engine.task(event.ref)?.status;
      if (status === 'pending' || status === 'reserved') handle(engine.cancel(Math.max(at, engine.time()), event.ref, 'abandoned'));
    } else {
      const now = Math.max(at, engine.time());
      handle(engine.complete(now, event.ref));
      if (options.wrapSeconds === 0) handle(engine.finishWrapUp(now, event.ref));
    }
  }
  options.progress?.(1);

  const [overall] = queueStatistics(engine);
  const intervals: Interval[] = [];
  const halfHours = Math.ceil(durationMs / HALF_HOUR_MS);
  const perInterval = queueStatisticsByInterval(engine, 'main', HALF_HOUR_MS, halfHours);
  for (let i = 0; i < halfHours; i++) {
    const s = perInterval[i];
    const minutes = (i * 30) % 1440;
    intervals.push({
      start: `d${Math.floor(i / 48) + 1} ${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`,
      offered: s?.offered ?? 0,
      answered: s?.answered ?? 0,
      abandoned: s?.abandoned ?? 0,
      serviceLevel: s?.serviceLevel ?? null,
      asa: s?.asaSeconds ?? null,
    });
  }
  return {
    offered: overall?.offered ?? 0,
    answered: overall?.answered ?? 0,
    abandoned: overall?.abandoned ?? 0,
    serviceLevel: overall?.serviceLevel ?? null,
    asa: overall?.asaSeconds ?? null,
    aht: overall?.ahtSeconds ?? null,
    abandonRate: overall?.abandonRate ?? null,
    occupancy: staffedAgentMs === 0 ? 0 : Math.min(1, busyMs / staffedAgentMs),
    intervals,
    engineEvents,
    simulatedSeconds: durationMs / 1000,
  };
}
