import { type Insertable, type Selectable, sql } from 'kysely';
import type { Db, Trx } from '../database.js';
import type { QueuesTable, RoutingCommandsTable } from '../schema.js';

/** The routing command log, queues and agents' routing settings. */

export type QueueRow = Selectable<QueuesTable>;

export const listQueueRows = (db: Db): Promise<QueueRow[]> => db.selectFrom('queues').selectAll().orderBy('id').execute();

export const findQueueRow = (db: Db, id: string): Promise<QueueRow | undefined> =>
  db.selectFrom('queues').selectAll().where('id', '=', id).executeTakeFirst();

/** Adds the queue or changes every field but its id. */
export async function upsertQueue(db: Db, id: string, row: Omit<Insertable<QueuesTable>, 'id'>): Promise<void> {
  await db
    .insertInto('queues')
    .values({ id, ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}

/** The first command of the log (it carries the configuration the log was written under). */
export const firstRoutingCommand = (db: Db) =>
  db.selectFrom('routing_commands').select(['at_ms', 'command']).orderBy('seq').limit(1).executeTakeFirst();

/** Up to `limit` commands after `after` (a seq), in log order. */
export const routingCommandsAfter = (db: Trx, after: string, limit: number) =>
  db.selectFrom('routing_commands').select(['seq', 'at_ms', 'command']).where('seq', '>', after).orderBy('seq').limit(limit).execute();

/** Appends a command (under the log's lock: see lease.repository lockLease) and returns its sequence number. */
export async function insertRoutingCommand(db: Trx, command: Insertable<RoutingCommandsTable>): Promise<string> {
  const row = await db.insertInto('routing_commands').values(command).returning('seq').executeTakeFirstOrThrow();
  return row.seq;
}

/** The latest engine snapshot of a state version this code reads, if any. */
export const latestRoutingSnapshot = (db: Db, stateVersion: number) =>
  db
    .selectFrom('routing_snapshots')
    .select(['seq', 'config', 'state'])
    .where('state_version', '=', stateVersion)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();

/** Stores a snapshot (once per position: a second node's of the same position is dropped) and keeps the latest three. */
export async function insertRoutingSnapshot(
  db: Db,
  snapshot: { seq: string; stateVersion: number; config: unknown; state: Buffer },
): Promise<void> {
  await db
    .insertInto('routing_snapshots')
    .values({ seq: snapshot.seq, state_version: snapshot.stateVersion, config: JSON.stringify(snapshot.config), state: snapshot.state })
    .onConflict((oc) => oc.column('seq').doNothing())
    .execute();
  await db
    .deleteFrom('routing_snapshots')
    .where('seq', 'not in', (eb) => eb.selectFrom('routing_snapshots').select('seq').orderBy('seq', 'desc').limit(3))
    .execute();
}

/** The channel on which an append is announced to the other nodes (delivered when the append commits). */
export const ROUTING_LOG_CHANNEL = 'routing_log';

export async function announceRoutingAppend(db: Trx, seq: string): Promise<void> {
  await sql`SELECT pg_notify(${ROUTING_LOG_CHANNEL}, ${seq})`.execute(db);
}

/** Epochs whose timers (ticks, forgets) more than one node appended: a split brain. Empty when fencing held. */
export async function epochsWithTwoTimekeepers(db: Trx): Promise<{ epoch: string; nodes: string[] }[]> {
  const result = await sql<{ epoch: string; nodes: string[] }>`
    SELECT epoch, array_agg(DISTINCT node ORDER BY node) AS nodes FROM routing_commands
    WHERE epoch IS NOT NULL AND command->>'type' IN ('tick', 'forget')
    GROUP BY epoch HAVING count(DISTINCT node) > 1 ORDER BY epoch`.execute(db);
  return result.rows;
}

export const findRoutingWorker = (db: Db, userId: string) =>
  db.selectFrom('routing_workers').selectAll().where('user_id', '=', userId).executeTakeFirst();

export async function upsertRoutingWorker(
  db: Db,
  worker: { userId: string; attributes: Record<string, unknown>; voiceCapacity: number; workItemCapacity: number },
  now: Date,
): Promise<void> {
  await db
    .insertInto('routing_workers')
    .values({
      user_id: worker.userId,
      attributes: JSON.stringify(worker.attributes),
      voice_capacity: worker.voiceCapacity,
      work_item_capacity: worker.workItemCapacity,
    })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        attributes: JSON.stringify(worker.attributes),
        voice_capacity: worker.voiceCapacity,
        work_item_capacity: worker.workItemCapacity,
        updated_at: now,
      }),
    )
    .execute();
}

/** The account facts routing keeps as agent attributes. */
export const findAgentAccount = (db: Db, userId: string) =>
  db.selectFrom('users').select(['id', 'role', 'unit']).where('id', '=', userId).executeTakeFirst();

export async function agentDisplayNames(db: Db, userIds: string[]): Promise<{ id: string; display_name: string }[]> {
  if (userIds.length === 0) return [];
  return db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', userIds).execute();
}
