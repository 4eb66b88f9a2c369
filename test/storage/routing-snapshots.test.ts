import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_STATE_VERSION } from '../../src/domain/routing/engine.js';
import { loadReferenceData } from '../../src/services/reference-data.service.js';
import { RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { testClock } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';

/**
 * Engine snapshots (issue #17): the leader stores its engine's state every N commands; a node starting restores the
 * latest one it can read and replays only the commands after it, and its engine is the one a full replay gives. A
 * snapshot of another state version, or one that cannot be read, is passed over: the log is the truth.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.db);
});
afterAll(async () => {
  await db.drop();
});

const ctx = (now: Date) => ({ actor: null, system: 'test', sourceIp: null, requestId: null, now, timeZone: 'America/Chicago' });
const snapshots = () => db.db.selectFrom('routing_snapshots').select(['seq', 'state_version']).orderBy('seq').execute();

describe('routing engine snapshots', () => {
  it('are stored every N commands, and a node restored from one has the engine a full replay gives', async () => {
    const clock = testClock();
    const config = await loadRoutingConfig(db.db);
    const leader = await RoutingService.open(db.db, config, clock.get, undefined, { snapshotEvery: 5 });
    const c = () => ctx(clock.get());
    for (let i = 0; i < 3; i++)
      await leader.execute(
        {
          type: 'addWorker',
          worker: {
            id: `snap-agent-${i}`,
            attributes: { unit: 'uac', languages: ['en', 'es'], skills: ['public_intake'] },
            activity: 'Available',
            capacity: { voice: 1, work_item: 2 },
          },
        },
        c(),
      );
    for (let i = 0; i < 9; i++) {
      clock.advance(1_000);
      await leader.execute(
        {
          type: 'createTask',
          task: { id: `snap-task-${i}`, channel: 'voice', attributes: { kind: 'call', language: 'es', topic: 'uac' } },
        },
        c(),
      );
    }
    const offered = [...leader.engine.allReservations()].find((r) => r.status === 'pending');
    if (offered) await leader.execute({ type: 'accept', reservationId: offered.id }, c());
    await waitUntil('two snapshots stored', async () => (await snapshots()).length >= 2, 10_000);
    expect((await snapshots()).every((s) => s.state_version === ENGINE_STATE_VERSION)).toBe(true);

    const restored = await RoutingService.open(db.db, config, clock.get);
    const latest = (await snapshots()).at(-1)?.seq;
    expect(restored.restored.snapshotSeq).toBe(latest);
    expect(restored.restored.replayed).toBeLessThan(5);
    expect(restored.engine.exportState()).toEqual(leader.engine.exportState());

    // Both go on alike: the same command gives the same events on each.
    clock.advance(25_000);
    const a = await leader.execute(
      { type: 'createTask', task: { id: 'snap-task-late', channel: 'voice', attributes: { kind: 'call' } } },
      c(),
    );
    await restored.follow();
    expect(restored.engine.exportState()).toEqual(leader.engine.exportState());
    expect(a.some((e) => e.type === 'task.created')).toBe(true);
    await leader.stop();
    await restored.stop();
  });

  it('pass over a snapshot of another state version, or one that cannot be read, and replay the log instead', async () => {
    const clock = testClock();
    const config = await loadRoutingConfig(db.db);
    const reference = await RoutingService.open(db.db, config, clock.get, undefined, { snapshotEvery: 1_000_000 });
    const top = Number((await snapshots()).at(-1)?.seq ?? 0);
    // A newer snapshot from a future version, and one at this version that is not a state at all.
    await db.db
      .insertInto('routing_snapshots')
      .values({ seq: String(top + 1_000_000), state_version: ENGINE_STATE_VERSION + 1, config: '{}', state: Buffer.from('future') })
      .execute();
    await db.db
      .insertInto('routing_snapshots')
      .values({ seq: String(top + 1), state_version: ENGINE_STATE_VERSION, config: '{}', state: Buffer.from('not a state') })
      .execute();
    const replayed = await RoutingService.open(db.db, config, clock.get, undefined, { snapshotEvery: 1_000_000 });
    expect(replayed.restored.snapshotSeq).toBeNull();
    expect(replayed.engine.exportState()).toEqual(reference.engine.exportState());
    await reference.stop();
    await replayed.stop();
  });
});
