import { type Selectable, sql } from 'kysely';
import type { Trx } from '../database.js';
import type { LiveCallRequestsTable } from '../schema.js';

/** The `live_call_requests` table: acts of help on a live call, asked on one node and carried out by its holder. */

export type LiveCallRequestRow = Selectable<LiveCallRequestsTable>;
export const LIVE_CALL_CHANNEL = 'live_call_requests';

/** A request for `node`, and the NOTIFY that wakes it (sent when the insert commits). */
export async function insertLiveCallRequest(
  db: Trx,
  r: { node: string; recordId: string | null; act: string; args: Record<string, unknown> },
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('live_call_requests')
      .values({ node: r.node, record_id: r.recordId, act: r.act, args: JSON.stringify(r.args) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`SELECT pg_notify(${LIVE_CALL_CHANNEL}, ${r.node})`.execute(trx);
    return row.id;
  });
}

/** The requests waiting for `node`, taken by it (one statement: two pollers never take the same one). */
export function takeLiveCallRequests(db: Trx, node: string, limit = 20): Promise<LiveCallRequestRow[]> {
  return db
    .updateTable('live_call_requests')
    .set({ taken_at: sql<Date>`now()` })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('live_call_requests')
        .select('id')
        .where('node', '=', node)
        .where('taken_at', 'is', null)
        .orderBy('created_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

export async function answerLiveCallRequest(
  db: Trx,
  id: string,
  answer: { result: unknown } | { error: { code: string; message: string; details?: Record<string, unknown> } },
): Promise<void> {
  await db
    .updateTable('live_call_requests')
    .set({
      done_at: sql<Date>`now()`,
      result: 'result' in answer ? JSON.stringify(answer.result ?? null) : null,
      error: 'error' in answer ? JSON.stringify(answer.error) : null,
    })
    .where('id', '=', id)
    .execute();
}

export function findLiveCallRequest(db: Trx, id: string): Promise<LiveCallRequestRow | undefined> {
  return db.selectFrom('live_call_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Withdraws a request nobody took yet: true when it was withdrawn (so it will never be carried out). */
export async function withdrawLiveCallRequest(db: Trx, id: string): Promise<boolean> {
  const r = await db.deleteFrom('live_call_requests').where('id', '=', id).where('taken_at', 'is', null).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function deleteLiveCallRequest(db: Trx, id: string): Promise<void> {
  await db.deleteFrom('live_call_requests').where('id', '=', id).execute();
}

/** Requests left behind by an asker that died (older than `olderThanMs`): removed. */
export async function purgeStaleLiveCallRequests(db: Trx, olderThanMs: number): Promise<void> {
  await db
    .deleteFrom('live_call_requests')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .execute();
}

/** The call-control nodes alive now (a beat within `freshMs`, on the database's clock). */
export async function liveCallControlNodes(db: Trx, freshMs: number): Promise<string[]> {
  const rows = await db
    .selectFrom('call_control_nodes')
    .select('node')
    .where('seen_at', '>', sql<Date>`now() - make_interval(secs => ${freshMs / 1000})`)
    .execute();
  return rows.map((r) => r.node);
}
