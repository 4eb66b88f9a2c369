import { describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/domain/routing/engine.js';
import { type EngineConfig, EngineError, type EngineEvent } from '../../../src/domain/routing/engine-types.js';

const ACTIVITIES = [
  { name: 'Offline', available: false },
  { name: 'Available', available: true },
  { name: 'Break', available: false },
];

function engineWith(
  overrides: Partial<EngineConfig> = {},
  queues: EngineConfig['queues'] = [{ id: 'public', targetExpression: "worker.skills HAS 'public'" }],
): RoutingEngine {
  return new RoutingEngine(
    { activities: ACTIVITIES, queues, workflow: { filters: [], defaultQueue: queues[0]?.id ?? 'public' }, ...overrides },
    0,
  );
}

const offers = (events: EngineEvent[]) =>
  events.filter((e) => e.type === 'reservation.created').map((e) => ('workerId' in e ? e.workerId : ''));
const reservationFor = (events: EngineEvent[], workerId: string) => {
  const e = events.find((x) => x.type === 'reservation.created' && x.workerId === workerId);
  if (e?.type !== 'reservation.created') throw new Error(`no offer to ${workerId}`);
  return e.reservationId;
};
const agent = (id: string, skills = ['public'], extra = {}) => ({ id, attributes: { skills, ...extra }, activity: 'Available' });

describe('offers and reservations', () => {
  it('offers a task to the longest-idle eligible agent, and only to one', () => {
    const engine = engineWith();
    engine.addWorker(0, agent('a'));
    engine.addWorker(1000, agent('b'));
    engine.addWorker(2000, agent('c', ['uac']));
    const events = engine.createTask(5000, { id: 't1', attributes: {} });
    expect(offers(events)).toEqual(['a']);
    expect(engine.task('t1')?.status).toBe('reserved');
  });

  it('accepting assigns; accepting again or a rescinded offer is an illegal transition that changes nothing', () => {
    const engine = engineWith();
    engine.addWorker(0, agent('a'));
    const id = reservationFor(engine.createTask(10, { id: 't1', attributes: {} }), 'a');
    const accepted = engine.accept(20, id);
    expect(accepted.map((e) => e.type)).toEqual(['reservation.accepted', 'task.assigned']);
    const before = JSON.stringify(engine.task('t1'));
    expect(() => engine.accept(30, id)).toThrow(EngineError);
    expect(() => engine.reject(30, id)).toThrow(/only a pending offer/);
    expect(JSON.stringify(engine.task('t1'))).toBe(before);
  });

  it('moves a rejected offer to the next agent and does not re-ring the same agent at once', () => {
    const engine = engineWith({ redialDelayMs: 30_000 });
    engine.addWorker(0, agent('a'));
    engine.addWorker(1, agent('b'));
    const first = reservationFor(engine.createTask(10, { id: 't1', attributes: {} }), 'a');
    const afterReject = engine.reject(20, first);
    expect(offers(afterReject)).toEqual(['b']);
    const second = reservationFor(afterReject, 'b');
    // b rejects too: a is still inside its redial delay, so nobody is rung.
    expect(offers(engine.reject(30, second))).toEqual([]);
    expect(engine.task('t1')?.status).toBe('pending');
    // When a's delay ends the task is offered to a again.
    expect(offers(engine.tick(30_020))).toEqual(['a']);
  });

  it('times out an unanswered offer, counts it as a miss, and puts an agent who misses twice into Missed', () => {
    const engine = engineWith({ reservationTimeoutMs: 15_000, missedOfferLimit: 2, redialDelayMs: 1_000 });
    engine.addWorker(0, agent('a'));
    engine.createTask(0, { id: 't1', attributes: {} });
    const timedOut = engine.tick(15_000);
    expect(timedOut.map((e) => e.type)).toContain('reservation.timed-out');
    expect(engine.worker('a')?.consecutiveMisses).toBe(1);
    const again = engine.tick(16_000);
    expect(offers(again)).toEqual(['a']);
    const second = engine.tick(31_000);
    expect(second).toContainEqual(expect.objectContaining({ type: 'worker.activity', workerId: 'a', activity: 'Missed' }));
    expect(engine.worker('a')?.activity).toBe('Missed');
    expect(offers(engine.tick(60_000))).toEqual([]);
  });

  it('ring-all offers to every eligible agent; the first to accept wins and the rest are rescinded', () => {
    const engine = engineWith({}, [{ id: 'public', targetExpression: "worker.skills HAS 'public'", strategy: 'ring-all' }]);
    for (const id of ['a', 'b', 'c']) engine.addWorker(0, agent(id));
    const events = engine.createTask(10, { id: 't1', attributes: {} });
    expect(offers(events).sort()).toEqual(['a', 'b', 'c']);
    const accepted = engine.accept(20, reservationFor(events, 'b'));
    expect(
      accepted
        .filter((e) => e.type === 'reservation.rescinded')
        .map((e) => ('workerId' in e ? e.workerId : ''))
        .sort(),
    ).toEqual(['a', 'c']);
    expect(engine.task('t1')?.workerId).toBe('b');
    expect(() => engine.accept(21, reservationFor(events, 'a'))).toThrow(/rescinded/);
  });

  it('leaves an agent on break alone and rescinds their offer when they leave', () => {
    const engine = engineWith();
    engine.addWorker(0, agent('a'));
    engine.addWorker(1, agent('b'));
    engine.createTask(10, { id: 't1', attributes: {} });
    const moved = engine.setActivity(20, 'a', 'Break');
    expect(moved.map((e) => e.type)).toEqual(['reservation.rescinded', 'worker.activity', 'reservation.created']);
    expect(offers(moved)).toEqual(['b']);
  });
});

describe('strategies', () => {
  const run = (strategy: 'round-robin' | 'fewest-calls' | 'least-talk-time') => {
    const engine = engineWith({ wrapUpMs: 600_000 }, [{ id: 'public', targetExpression: "worker.skills HAS 'public'", strategy }]);
    for (const id of ['a', 'b', 'c']) engine.addWorker(0, agent(id));
    return engine;
  };
  const handle = (engine: RoutingEngine, at: number, taskId: string, talkMs: number): string => {
    const events = engine.createTask(at, { id: taskId, attributes: {} });
    const offer = events.find((e) => e.type === 'reservation.created');
    if (offer?.type !== 'reservation.created') throw new Error('no offer');
    engine.accept(at + 1, offer.reservationId);
    engine.complete(at + 1 + talkMs, taskId);
    engine.finishWrapUp(at + 2 + talkMs, taskId);
    return offer.workerId;
  };

  it('round-robin takes agents in turn', () => {
    const engine = run('round-robin');
    expect([handle(engine, 10, 't1', 5), handle(engine, 100, 't2', 5), handle(engine, 200, 't3', 5), handle(engine, 300, 't4', 5)]).toEqual(
      ['a', 'b', 'c', 'a'],
    );
  });

  it('fewest-calls prefers the agent who took the fewest', () => {
    const engine = run('fewest-calls');
    handle(engine, 10, 't1', 5);
    handle(engine, 100, 't2', 5);
    expect(handle(engine, 200, 't3', 5)).toBe('c');
  });

  it('least-talk-time prefers the agent who talked least', () => {
    const engine = run('least-talk-time');
    expect(handle(engine, 10, 't1', 50_000)).toBe('a');
    expect(handle(engine, 60_000, 't2', 10)).toBe('b');
    expect(handle(engine, 70_000, 't3', 10)).toBe('c');
    expect(handle(engine, 80_000, 't4', 10)).toBe('b');
  });

  it('offers a preferred (last) agent first, then falls back after the timeout', () => {
    const engine = engineWith({ preferredWorkerMs: 15_000 });
    engine.addWorker(0, agent('a'));
    engine.addWorker(0, agent('b'));
    engine.setActivity(1, 'b', 'Break');
    const waiting = engine.createTask(10, { id: 't1', attributes: { preferredWorker: 'b' } });
    expect(offers(waiting)).toEqual([]);
    expect(offers(engine.tick(15_010))).toEqual(['a']);
  });
});

describe('queues and workflows', () => {
  const queues = [
    { id: 'uac', targetExpression: "worker.unit == 'uac' AND worker.languages HAS task.language" },
    { id: 'public', targetExpression: "worker.skills HAS 'public'" },
  ];
  const workflow = {
    filters: [{ name: 'children', expression: "task.topic == 'uac'", targets: [{ queue: 'uac', timeoutMs: 60_000 }, { queue: 'public' }] }],
    defaultQueue: 'public',
  };

  it('routes by the first matching filter and escalates when the target times out', () => {
    const engine = new RoutingEngine({ activities: ACTIVITIES, queues, workflow }, 0);
    engine.addWorker(0, agent('p1'));
    engine.setActivity(0, 'p1', 'Break');
    engine.addWorker(0, { id: 'u1', attributes: { unit: 'uac', languages: ['en'] }, activity: 'Available' });
    const created = engine.createTask(10, { id: 't1', attributes: { topic: 'uac', language: 'es' } });
    expect(created[0]).toMatchObject({ type: 'task.created', queueId: 'uac' });
    expect(offers(created)).toEqual([]); // u1 does not speak Spanish
    engine.setActivity(100, 'p1', 'Available');
    const escalated = engine.tick(60_010);
    expect(escalated).toContainEqual(expect.objectContaining({ type: 'task.queued', queueId: 'public', target: 1 }));
    expect(offers(escalated)).toEqual(['p1']);
  });

  it('refuses an invalid expression or workflow at configuration time, naming the position', () => {
    expect(
      () =>
        new RoutingEngine(
          {
            activities: ACTIVITIES,
            queues: [{ id: 'q', targetExpression: 'worker.skills HAS' }],
            workflow: { filters: [], defaultQueue: 'q' },
          },
          0,
        ),
    ).toThrow(/queue q target expression: at position 18: expected an operand/);
    expect(
      () =>
        new RoutingEngine(
          {
            activities: ACTIVITIES,
            queues,
            workflow: { filters: [{ name: 'x', expression: 'task.a ==', targets: [{ queue: 'uac' }] }], defaultQueue: 'public' },
          },
          0,
        ),
    ).toThrow(/workflow filter 1 \(x\): at position 10/);
    expect(
      () =>
        new RoutingEngine(
          {
            activities: ACTIVITIES,
            queues,
            workflow: { filters: [{ name: 'x', expression: '', targets: [{ queue: 'nowhere' }] }], defaultQueue: 'public' },
          },
          0,
        ),
    ).toThrow(/unknown queue nowhere/);
  });

  it('overflows a full queue or a task that waited too long, and counts no overflow as an abandon', () => {
    const engine = new RoutingEngine(
      {
        activities: ACTIVITIES,
        queues: [
          { id: 'main', targetExpression: "worker.skills HAS 'main'", maxSize: 1, maxWaitMs: 60_000, overflowQueue: 'backup' },
          { id: 'backup', targetExpression: "worker.skills HAS 'backup'" },
        ],
        workflow: { filters: [], defaultQueue: 'main' },
      },
      0,
    );
    engine.createTask(0, { id: 't1', attributes: {} });
    const second = engine.createTask(1, { id: 't2', attributes: {} });
    expect(second).toContainEqual(expect.objectContaining({ type: 'task.queued', taskId: 't2', queueId: 'backup' }));
    const waited = engine.tick(60_000);
    expect(waited).toContainEqual(expect.objectContaining({ type: 'task.queued', taskId: 't1', queueId: 'backup' }));
    expect(engine.task('t1')?.status).toBe('pending');
  });

  it('times out a task in a queue with a maximum wait and no overflow', () => {
    const engine = engineWith({}, [{ id: 'public', targetExpression: "worker.skills HAS 'public'", maxWaitMs: 30_000 }]);
    engine.createTask(0, { id: 't1', attributes: {} });
    expect(engine.tick(30_000)).toContainEqual(expect.objectContaining({ type: 'task.canceled', taskId: 't1', reason: 'timed-out' }));
  });

  it('orders by priority, ages waiting tasks, and keeps FIFO among equals', () => {
    const engine = engineWith({ agingIntervalMs: 60_000, agingStep: 1 });
    engine.createTask(0, { id: 'old', attributes: {}, priority: 0 });
    engine.createTask(1_000, { id: 'mid', attributes: {}, priority: 0 });
    engine.createTask(150_000, { id: 'urgent', attributes: {}, priority: 3 });
    engine.createTask(150_001, { id: 'new-high', attributes: {}, priority: 2 });
    // At 150 s: old and mid have aged +2 → 2; urgent 3; new-high 2 (arrived last).
    expect(engine.waitingIn('public').map((t) => t.id)).toEqual(['urgent', 'old', 'mid', 'new-high']);
  });

  it("a callback keeps the caller's place and arrival time", () => {
    const engine = engineWith();
    engine.createTask(0, { id: 'caller1', attributes: {} });
    engine.createTask(5_000, { id: 'caller2', attributes: {} });
    const events = engine.requestCallback(60_000, 'caller1', 'cb1', { callbackNumber: '+15550100' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'task.canceled', taskId: 'caller1', reason: 'callback' }));
    expect(engine.waitingIn('public').map((t) => t.id)).toEqual(['cb1', 'caller2']);
    expect(engine.task('cb1')?.arrivedAt).toBe(0);
    engine.addWorker(61_000, agent('a'));
    expect(engine.task('cb1')?.status).toBe('reserved');
  });

  it('transfers keep the arrival time; the transferring agent goes to wrap-up', () => {
    const engine = engineWith({}, [
      { id: 'public', targetExpression: "worker.skills HAS 'public'" },
      { id: 'uac', targetExpression: "worker.skills HAS 'uac'" },
    ]);
    engine.addWorker(0, agent('a'));
    const offer = reservationFor(engine.createTask(1_000, { id: 't1', attributes: {} }), 'a');
    engine.accept(2_000, offer);
    engine.transfer(30_000, 't1', 'uac', 't1-uac');
    expect(engine.task('t1')?.status).toBe('wrapping');
    expect(engine.task('t1-uac')).toMatchObject({ status: 'pending', arrivedAt: 1_000, queueId: 'uac', transferredFrom: 't1' });
  });

  it('ends wrap-up by itself and frees the agent', () => {
    const engine = engineWith({ wrapUpMs: 30_000 });
    engine.addWorker(0, agent('a'));
    engine.accept(1, reservationFor(engine.createTask(0, { id: 't1', attributes: {} }), 'a'));
    engine.complete(60_000, 't1');
    engine.createTask(61_000, { id: 't2', attributes: {} });
    expect(engine.task('t2')?.status).toBe('pending');
    const later = engine.tick(90_000);
    expect(later.map((e) => e.type)).toEqual(['task.completed', 'reservation.created']);
  });

  it('takes a new configuration while work goes on, but not one that drops a queue still holding tasks', () => {
    const engine = engineWith({}, [
      { id: 'public', targetExpression: "worker.skills HAS 'public'" },
      { id: 'uac', targetExpression: "worker.skills HAS 'uac'" },
    ]);
    engine.createTask(0, { id: 't1', attributes: {} });
    const base = { activities: ACTIVITIES, workflow: { filters: [], defaultQueue: 'public' } };
    expect(() =>
      engine.reconfigure(10, { ...base, queues: [{ id: 'uac', targetExpression: '' }], workflow: { filters: [], defaultQueue: 'uac' } }),
    ).toThrow(/queue public still holds task t1/);
    expect(engine.queueConfig('public')).toBeDefined();
    engine.reconfigure(20, { ...base, queues: [{ id: 'public', targetExpression: "worker.skills HAS 'generalist'" }] });
    engine.addWorker(30, agent('g', ['generalist']));
    expect(engine.task('t1')?.status).toBe('reserved');
    expect(engine.queueConfig('uac')).toBeUndefined();
  });

  it('forgets ended tasks and their offers, keeping everything still in progress', () => {
    const engine = engineWith({ wrapUpMs: 1_000 });
    engine.addWorker(0, agent('a'));
    engine.accept(1, reservationFor(engine.createTask(0, { id: 'done', attributes: {} }), 'a'));
    engine.complete(10, 'done');
    engine.tick(2_000);
    engine.createTask(3_000, { id: 'open', attributes: {} });
    engine.forgetEndedBefore(5_000, 4_000);
    expect(engine.task('done')).toBeUndefined();
    expect([...engine.allReservations()].every((r) => r.taskId !== 'done')).toBe(true);
    expect(engine.task('open')?.status).toBe('reserved');
  });

  it('matches agents on nested task attributes, task by task (no stale eligibility)', () => {
    const engine = engineWith({}, [{ id: 'public', targetExpression: 'worker.level >= task.meta.level' }]);
    engine.addWorker(0, { id: 'junior', attributes: { level: 1 }, activity: 'Available' });
    expect(offers(engine.createTask(10, { id: 'easy', attributes: { meta: { level: 1 } } }))).toEqual(['junior']);
    engine.cancel(15, 'easy');
    expect(offers(engine.createTask(20, { id: 'hard', attributes: { meta: { level: 3 } } }))).toEqual([]);
  });

  it('refuses unknown ids and time travel with codes', () => {
    const engine = engineWith();
    expect(() => engine.accept(0, 'r404')).toThrow(expect.objectContaining({ code: 'unknown_reservation' }));
    expect(() => engine.setActivity(0, 'nobody', 'Available')).toThrow(expect.objectContaining({ code: 'unknown_worker' }));
    expect(() => engine.cancel(0, 'nothing')).toThrow(expect.objectContaining({ code: 'unknown_task' }));
    engine.tick(100);
    expect(() => engine.tick(50)).toThrow(expect.objectContaining({ code: 'time_went_backwards' }));
  });
});
