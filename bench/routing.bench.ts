/**
 * Routing benchmark: decisions per second and decision latency of the pure
 * engine with 1,000 agents, 50 queues and expression targets; and the time to
 * simulate a 7,000-call day (60 agents) and a 650,000-call day (5,000 agents).
 *
 *   npm run bench:routing
 *   BENCH_TASKS=50000 npm run bench:routing
 */
import { seededRandom } from '../src/domain/demo/random.js';
import { RoutingEngine } from '../src/domain/routing/engine.js';
import { simulate } from '../src/domain/routing/simulator.js';

const TASKS = Math.min(Number(process.env.BENCH_TASKS ?? 50_000), 500_000);
const LANGUAGES = ['en', 'es', 'kiche', 'mam', 'qanjobal', 'pt', 'fr', 'ht'];

function decisions(): void {
  const random = seededRandom(42);
  const queues = Array.from({ length: 50 }, (_, i) => ({
    id: `q${String(i).padStart(2, '0')}`,
    targetExpression: `worker.skills HAS 'skill${i % 25}' AND worker.languages HAS task.language AND worker.level >= ${i % 3}`,
  }));
  const engine = new RoutingEngine(
    {
      activities: [
        { name: 'Offline', available: false },
        { name: 'Available', available: true },
      ],
      queues,
      workflow: {
        filters: queues.map((q) => ({ name: q.id, expression: `task.queue == '${q.id}'`, targets: [{ queue: q.id }] })),
        defaultQueue: 'q00',
      },
      wrapUpMs: 600_000,
    },
    0,
  );
  for (let i = 0; i < 1000; i++) {
    const skills = Array.from({ length: 6 }, () => `skill${random.int(0, 24)}`);
    const languages = ['en', 'es', random.pick(LANGUAGES)];
    engine.addWorker(0, {
      id: `w${String(i).padStart(4, '0')}`,
      attributes: { skills, languages, level: random.int(0, 3) },
      activity: 'Available',
    });
  }
  const latencies: number[] = [];
  let offered = 0;
  let now = 1;
  const started = performance.now();
  for (let i = 0; i < TASKS; i++) {
    now += 10;
    const queue = `q${String(random.int(0, 49)).padStart(2, '0')}`;
    const t0 = performance.now();
    const events = engine.createTask(now, {
      id: `t${i}`,
      attributes: { queue, language: random.chance(0.7) ? 'es' : random.pick(LANGUAGES) },
    });
    latencies.push(performance.now() - t0);
    const offer = events.find((e) => e.type === 'reservation.created');
    if (offer?.type === 'reservation.created') {
      offered += 1;
      engine.accept(now, offer.reservationId);
      engine.complete(now, offer.taskId);
      engine.finishWrapUp(now, offer.taskId);
    } else engine.cancel(now, `t${i}`);
  }
  const total = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const decisionSeconds = latencies.reduce((a, b) => a + b, 0) / 1000;
  const p = (q: number) => (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 1000;
  console.log(
    `engine: 1,000 agents, 50 queues with expression targets, ${TASKS} tasks (${offered} offered at once, the rest had no eligible agent)`,
  );
  console.log(
    `routing decisions/s: ${(TASKS / decisionSeconds).toFixed(0)} (createTask alone); full task cycles/s: ${(TASKS / total).toFixed(0)}`,
  );
  console.log(`decision latency: p50 ${p(0.5).toFixed(1)} µs, p99 ${p(0.99).toFixed(1)} µs, max ${p(1).toFixed(1)} µs`);
}

function days(): void {
  for (const [calls, agents] of [
    [7_000, 60],
    [650_000, 5_000],
  ] as const) {
    const t0 = performance.now();
    const result = simulate({
      callsPerDay: calls,
      days: 1,
      profile: 'daily',
      ahtSeconds: 240,
      patienceSeconds: 120,
      agents,
      thresholdSeconds: 20,
      wrapSeconds: 30,
      seed: 1,
    });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `simulated day: ${calls.toLocaleString('en-US')} calls, ${agents.toLocaleString('en-US')} agents → ${seconds.toFixed(2)} s (offered ${result.offered}, service level ${((result.serviceLevel ?? 0) * 100).toFixed(1)}%, ${result.engineEvents} engine events)`,
    );
  }
}

decisions();
days();
