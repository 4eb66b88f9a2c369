/**
 * Routing replay: how long a node takes to rebuild its engine at start from the command log (40,000 commands by
 * default, about a day and a half: a call every 12 s taken by one of 60 agents — created, offered, accepted,
 * completed, wrap-up finished — and the leader's hourly `forget` of work ended two days before), from
 * the whole log and from the latest engine snapshot (taken 1,000 commands before the end, as the leader's every
 * 2,000 would leave at most). Both in the same process, on the same database; the ratio is the figure.
 *
 *   npm run bench:routing-replay
 *   BENCH_COMMANDS=400000 npm run bench:routing-replay   (about two weeks)
 */
import { isDeepStrictEqual } from 'node:util';
import { serialize } from 'node:v8';
import { applyCommand, type RoutingCommand } from '../src/domain/routing/commands.js';
import { ENGINE_STATE_VERSION, RoutingEngine } from '../src/domain/routing/engine.js';
import { loadReferenceData } from '../src/services/reference-data.service.js';
import { RoutingService } from '../src/services/routing.service.js';
import { loadRoutingConfig } from '../src/services/routing-admin.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { insertRoutingSnapshot } from '../src/storage/repositories/routing.repository.js';
import { benchDatabase, median } from './support.js';

const COMMANDS = Math.max(5_000, Math.min(Number(process.env.BENCH_COMMANDS ?? 40_000), 500_000));
const AGENTS = 60;
const ROUNDS = 3;

const database = await benchDatabase(process.env.DATABASE_URL);
const handle = openDatabase(database.url, { poolSize: 4 });
try {
  await migrate(handle.pool, loadMigrations(migrationsDir()));
  await loadReferenceData(handle.db);
  const config = await loadRoutingConfig(handle.db);

  // A day's log, made by an engine as the center would make it (legal commands only), stored in batches.
  const engine = new RoutingEngine(config, Date.UTC(2026, 2, 2, 6));
  const log: { at: number; command: RoutingCommand }[] = [];
  let now = Date.UTC(2026, 2, 2, 6);
  const run = (command: RoutingCommand) => {
    const events = applyCommand(engine, now, command);
    log.push({ at: now, command });
    return events;
  };
  run({ type: 'configure', config });
  for (let i = 0; i < AGENTS; i++)
    run({
      type: 'addWorker',
      worker: {
        id: `agent-${i}`,
        attributes: { unit: 'uac', languages: ['en', 'es'], skills: ['public_intake', 'partner_intake'] },
        activity: 'Available',
        capacity: { voice: 1, work_item: 0 },
      },
    });
  let snapshotAt = -1;
  let snapshot: Buffer | undefined;
  let forgotAt = now;
  for (let call = 0; log.length < COMMANDS; call++) {
    // A call every 12 s (7,200 a day, the center's volume); hourly, the leader's `forget` of work ended two days ago.
    now += 12_000;
    if (now - forgotAt >= 3_600_000) {
      forgotAt = now;
      run({ type: 'forget', before: now - 2 * 86_400_000 });
    }
    const offers = run({
      type: 'createTask',
      task: { id: `call-${call}`, channel: 'voice', attributes: { kind: 'call', language: call % 3 ? 'es' : 'en', topic: 'uac' } },
    });
    for (const offer of offers) if (offer.type === 'reservation.created') run({ type: 'accept', reservationId: offer.reservationId });
    for (const task of [...engine.allTasks()]) {
      if (task.status === 'assigned' && now - task.arrivedAt > 300_000) run({ type: 'complete', taskId: task.id });
      if (task.status === 'wrapping') {
        now += 1;
        const offered = run({ type: 'finishWrapUp', taskId: task.id });
        for (const offer of offered) if (offer.type === 'reservation.created') run({ type: 'accept', reservationId: offer.reservationId });
      }
    }
    if (snapshotAt < 0 && log.length >= COMMANDS - 1_000) {
      snapshotAt = log.length;
      snapshot = serialize(engine.exportState());
    }
  }
  for (let i = 0; i < log.length; i += 2_000)
    await handle.db
      .insertInto('routing_commands')
      .values(
        log.slice(i, i + 2_000).map((entry) => ({
          at: new Date(entry.at),
          at_ms: entry.at,
          command: JSON.stringify(entry.command),
          actor_id: null,
        })),
      )
      .execute();
  const seqAtSnapshot = await handle.db
    .selectFrom('routing_commands')
    .select('seq')
    .orderBy('seq')
    .offset(snapshotAt - 1)
    .limit(1)
    .executeTakeFirstOrThrow();

  const clock = () => new Date(now);
  const time = async (): Promise<{ ms: number; service: RoutingService }> => {
    const started = performance.now();
    const service = await RoutingService.open(handle.db, config, clock, undefined, { snapshotEvery: Number.MAX_SAFE_INTEGER });
    return { ms: performance.now() - started, service };
  };
  const whole: number[] = [];
  const fromSnapshot: number[] = [];
  let replayedAfter = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await handle.db.deleteFrom('routing_snapshots').execute();
    const a = await time();
    whole.push(a.ms);
    await insertRoutingSnapshot(handle.db, {
      seq: seqAtSnapshot.seq,
      stateVersion: ENGINE_STATE_VERSION,
      config: engine.configuration,
      state: snapshot as Buffer,
    });
    const b = await time();
    fromSnapshot.push(b.ms);
    replayedAfter = b.service.restored.replayed;
    if (round === 0) {
      // Deep equality (PostgreSQL's jsonb keeps a command's keys in its own order, so JSON text would differ).
      const view = (e: RoutingEngine) => ({
        tasks: [...e.allTasks()],
        workers: [...e.allWorkers()],
        reservations: [...e.allReservations()],
      });
      const made = view(engine);
      if (!isDeepStrictEqual(view(a.service.engine), made) || !isDeepStrictEqual(view(b.service.engine), made))
        throw new Error('a replayed engine differs from the one that made the log');
    }
  }
  const tasks = [...engine.allTasks()].length;
  console.log(
    `routing replay: ${log.length} commands (${tasks} tasks, ${AGENTS} agents), ${database.kind} PostgreSQL; median of ${ROUNDS}`,
  );
  console.log(`  whole log:          ${median(whole).toFixed(0)} ms`);
  console.log(
    `  from the snapshot:  ${median(fromSnapshot).toFixed(0)} ms (snapshot ${((snapshot?.length ?? 0) / 1024) | 0} KiB at command ${snapshotAt}, then ${replayedAfter} commands)`,
  );
  console.log(`  ratio (snapshot / whole): ${(median(fromSnapshot) / median(whole)).toFixed(3)}`);
} finally {
  await handle.close();
  await database.close();
}
