import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/domain/routing/engine.js';
import { type EngineConfig, EngineError, type EngineEvent, type Strategy } from '../../../src/domain/routing/engine-types.js';
import { evaluate, parseExpression } from '../../../src/domain/routing/expression.js';

/**
 * Random command sequences against the engine, checking its invariants after
 * every step: one worker per task, capacity never exceeded (offers included),
 * no offer outliving its timeout, terminal states final, no starvation, and the
 * same log giving the same events.
 */

const SKILLS = ['public', 'uac', 'partner'];
const REDIAL = 10_000;
const TIMEOUT = 8_000;

type Command =
  | { kind: 'task'; skill: string; channel: 'voice' | 'work_item'; priority: number; level: number }
  | { kind: 'accept'; pick: number }
  | { kind: 'reject'; pick: number }
  | { kind: 'complete'; pick: number }
  | { kind: 'finish'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'activity'; worker: number; available: boolean }
  | { kind: 'wait'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('task' as const),
    skill: fc.constantFrom(...SKILLS),
    channel: fc.constantFrom('voice' as const, 'work_item' as const),
    priority: fc.integer({ min: 0, max: 3 }),
    level: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constant('accept' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('reject' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('activity' as const), worker: fc.nat(), available: fc.boolean() }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 30_000 }) }),
);

const scenario = fc.record({
  strategy: fc.constantFrom<Strategy>('longest-idle', 'round-robin', 'fewest-calls', 'least-talk-time', 'ring-all'),
  workers: fc.array(
    fc.record({
      skills: fc.subarray(SKILLS, { minLength: 1 }),
      voice: fc.constant(1),
      work: fc.integer({ min: 1, max: 3 }),
      level: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  commands: fc.array(command, { minLength: 1, maxLength: 60 }),
});

function config(strategy: Strategy): EngineConfig {
  return {
    activities: [
      { name: 'Offline', available: false },
      { name: 'Available', available: true },
    ],
    queues: SKILLS.map((s) => ({ id: s, targetExpression: `worker.skills HAS '${s}' AND worker.level >= task.meta.level`, strategy })),
    workflow: {
      filters: SKILLS.map((s) => ({ name: s, expression: `task.skill == '${s}'`, targets: [{ queue: s }] })),
      defaultQueue: 'public',
    },
    reservationTimeoutMs: TIMEOUT,
    redialDelayMs: REDIAL,
    missedOfferLimit: 3,
    wrapUpMs: 20_000,
  };
}

type Run = { events: EngineEvent[]; engine: RoutingEngine };

/** Runs a scenario; `check` is called after every command with the engine and the time. */
type Scenario = { strategy: Strategy; workers: { skills: string[]; voice: number; work: number; level: number }[]; commands: Command[] };

/** An engine through a snapshot, as a node restarting from one gets it: state serialised, read back, restored. */
const throughSnapshot = (engine: RoutingEngine): RoutingEngine =>
  RoutingEngine.fromState(engine.configuration, deserialize(serialize(engine.exportState())));

function run(
  s: Scenario,
  check?: (engine: RoutingEngine, declinedUntil: Map<string, number>) => void,
  /** Before command `at`, the engine is replaced by what `restore` makes of it (a snapshot taken there). */
  swap?: { at: number; restore: (engine: RoutingEngine) => RoutingEngine },
): Run {
  let engine = new RoutingEngine(config(s.strategy), 0);
  const events: EngineEvent[] = [];
  const declinedUntil = new Map<string, number>();
  let now = 0;
  let taskCount = 0;
  const record = (out: EngineEvent[]) => {
    for (const e of out) {
      events.push(e);
      // 5. Never re-ring a worker who just rejected or missed the task.
      if (e.type === 'reservation.created' && (declinedUntil.get(`${e.taskId}|${e.workerId}`) ?? 0) > e.at) {
        throw new Error(`task ${e.taskId} re-offered to ${e.workerId} at ${e.at}, inside the redial delay`);
      }
      if (e.type === 'reservation.rejected' || e.type === 'reservation.timed-out')
        declinedUntil.set(`${e.taskId}|${e.workerId}`, e.at + REDIAL);
    }
  };
  for (const [i, w] of s.workers.entries()) {
    record(
      engine.addWorker(0, {
        id: `w${i}`,
        attributes: { skills: w.skills, level: w.level },
        activity: 'Available',
        capacity: { voice: w.voice, work_item: w.work },
      }),
    );
  }
  for (const [index, c] of s.commands.entries()) {
    if (swap && index === swap.at) engine = swap.restore(engine);
    const pick = <T>(items: T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);
    const reservations = [...engine.allReservations()].filter((r) => r.status === 'pending');
    const tasks = [...engine.allTasks()];
    try {
      switch (c.kind) {
        case 'task':
          record(
            engine.createTask(now, {
              id: `t${taskCount++}`,
              attributes: { skill: c.skill, meta: { level: c.level } },
              channel: c.channel,
              priority: c.priority,
            }),
          );
          break;
        case 'accept': {
          const r = pick(reservations, c.pick);
          if (r) record(engine.accept(now, r.id));
          break;
        }
        case 'reject': {
          const r = pick(reservations, c.pick);
          if (r) record(engine.reject(now, r.id));
          break;
        }
        case 'complete': {
          const t = pick(
            tasks.filter((x) => x.status === 'assigned'),
            c.pick,
          );
          if (t) record(engine.complete(now, t.id));
          break;
        }
        case 'finish': {
          const t = pick(
            tasks.filter((x) => x.status === 'wrapping'),
            c.pick,
          );
          if (t) record(engine.finishWrapUp(now, t.id));
          break;
        }
        case 'cancel': {
          const t = pick(
            tasks.filter((x) => x.status === 'pending' || x.status === 'reserved'),
            c.pick,
          );
          if (t) record(engine.cancel(now, t.id));
          break;
        }
        case 'activity':
          record(engine.setActivity(now, `w${c.worker % s.workers.length}`, c.available ? 'Available' : 'Offline'));
          break;
        case 'wait':
          now += c.ms;
          record(engine.tick(now));
          break;
      }
    } catch (error) {
      // Commands picked from live state are legal; anything refused here is a bug.
      if (error instanceof EngineError) throw new Error(`refused ${JSON.stringify(c)}: ${error.message}`);
      throw error;
    }
    check?.(engine, declinedUntil);
  }
  return { events, engine };
}

function checkInvariants(engine: RoutingEngine, declinedUntil: Map<string, number>, terminal: Map<string, string>): void {
  const now = engine.time();
  const reservations = [...engine.allReservations()];
  const tasks = [...engine.allTasks()];
  // 1. One worker per task: at most one accepted reservation, and pending offers only while reserved.
  for (const task of tasks) {
    const accepted = reservations.filter((r) => r.taskId === task.id && r.status === 'accepted');
    expect(accepted.length, `task ${task.id} accepted twice`).toBeLessThanOrEqual(1);
    const pending = reservations.filter((r) => r.taskId === task.id && r.status === 'pending');
    if (pending.length > 0) expect(task.status).toBe('reserved');
    if (task.status === 'assigned' || task.status === 'wrapping') expect(task.workerId).toBe(accepted[0]?.workerId);
    // 4. Terminal states are final.
    const seen = terminal.get(task.id);
    if (seen) expect(`${task.status}/${task.cancelReason}`).toBe(seen);
    if (task.status === 'completed' || task.status === 'canceled') terminal.set(task.id, `${task.status}/${task.cancelReason}`);
  }
  // 2. Capacity: load = pending offers + tasks held, never above capacity.
  for (const worker of engine.allWorkers()) {
    for (const channel of ['voice', 'work_item'] as const) {
      const offers = reservations.filter(
        (r) => r.workerId === worker.id && r.status === 'pending' && engine.task(r.taskId)?.channel === channel,
      ).length;
      const held = tasks.filter(
        (t) => t.workerId === worker.id && t.channel === channel && (t.status === 'assigned' || t.status === 'wrapping'),
      ).length;
      expect(worker.load[channel], `${worker.id} ${channel} load`).toBe(offers + held);
      expect(worker.load[channel]).toBeLessThanOrEqual(worker.capacity[channel]);
    }
  }
  // 7. Offers go only to workers the queue's expression admits for that very task.
  for (const r of reservations.filter((x) => x.status === 'pending')) {
    const task = engine.task(r.taskId);
    const worker = engine.worker(r.workerId);
    if (!task || !worker) throw new Error(`offer ${r.id} refers to a missing task or worker`);
    const expr = parseExpression(engine.queueConfig(task.queueId)?.targetExpression ?? '');
    expect(
      evaluate(expr, { task: task.attributes, worker: worker.attributes }),
      `offer ${r.id} of ${task.id} to ineligible ${worker.id}`,
    ).toBe(true);
  }
  // 3. No offer outlives its timeout.
  for (const r of reservations) if (r.status === 'pending') expect(r.timeoutAt).toBeGreaterThan(now);
  // 6. No starvation: no waiting task has a free, available, eligible worker it has not just declined.
  for (const task of tasks.filter((t) => t.status === 'pending')) {
    const expr = parseExpression(engine.queueConfig(task.queueId)?.targetExpression ?? '');
    for (const worker of engine.allWorkers()) {
      const free =
        engine.activityIsAvailable(worker.activity) && worker.load.voice === 0 && worker.load[task.channel] < worker.capacity[task.channel];
      const declined = (declinedUntil.get(`${task.id}|${worker.id}`) ?? 0) > now;
      if (free && !declined && evaluate(expr, { task: task.attributes, worker: worker.attributes })) {
        throw new Error(`task ${task.id} waits while ${worker.id} is free and eligible at ${now}`);
      }
    }
  }
}

/** Some worker (in any activity) matches the task's queue: it can be served once everyone is available. */
function serviceable(engine: RoutingEngine, taskId: string): boolean {
  const task = engine.task(taskId);
  if (!task) return false;
  const expr = parseExpression(engine.queueConfig(task.queueId)?.targetExpression ?? '');
  return [...engine.allWorkers()].some((w) => evaluate(expr, { task: task.attributes, worker: w.attributes }));
}

describe('routing engine invariants (property-based)', () => {
  it('hold after every command of random sequences', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const terminal = new Map<string, string>();
        run(s, (engine, declined) => checkInvariants(engine, declined, terminal));
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });

  it('are deterministic: the same log gives the same events', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        expect(run(s).events).toEqual(run(s).events);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('answer the same after a snapshot: an engine restored from its state at any point gives the same events and state as the one that ran on', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), (s, cut) => {
        const at = cut % (s.commands.length + 1);
        const straight = run(s);
        const restored = run(s, undefined, { at, restore: throughSnapshot });
        expect(restored.events).toEqual(straight.events);
        expect(restored.engine.exportState()).toEqual(straight.engine.exportState());
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('refuse a snapshot of another state version (the log is replayed instead)', () => {
    const engine = new RoutingEngine(config('longest-idle'), 0);
    const state = { ...engine.exportState(), version: 999 };
    expect(() => RoutingEngine.fromState(engine.configuration, state)).toThrow(/state version 999/);
  });

  it('end every task in exactly one terminal state once everything is answered and finished', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { engine } = run(s);
        // Drain: accept every offer, complete and finish everything, until nothing is left waiting on anyone.
        let now = engine.time();
        for (let round = 0; round < 200; round++) {
          now += 1_000;
          engine.tick(now);
          for (const worker of engine.allWorkers()) engine.setActivity(now, worker.id, 'Available');
          for (const r of [...engine.allReservations()].filter((x) => x.status === 'pending')) {
            if (engine.reservation(r.id)?.status === 'pending') engine.accept(now, r.id);
          }
          for (const t of [...engine.allTasks()]) {
            if (t.status === 'assigned') engine.complete(now, t.id);
            if (engine.task(t.id)?.status === 'wrapping') engine.finishWrapUp(now, t.id);
          }
          const open = [...engine.allTasks()].filter((t) => t.status !== 'completed' && t.status !== 'canceled');
          const waitingForNobody = open.every((t) => t.status === 'pending' && !serviceable(engine, t.id));
          if (open.length === 0 || waitingForNobody) break;
        }
        for (const t of engine.allTasks()) {
          const terminal = t.status === 'completed' || t.status === 'canceled';
          const unserviceable = !serviceable(engine, t.id);
          expect(terminal || (unserviceable && t.status === 'pending'), `${t.id} is ${t.status}`).toBe(true);
        }
      }),
      { numRuns: 100, seed: 11 },
    );
  });
});
