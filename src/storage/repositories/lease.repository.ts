import { sql } from 'kysely';
import type { Db, Trx } from '../database.js';

/**
 * Cluster leases (migration 0022): who holds one, under which epoch, until when. Times are the database's
 * (clock_timestamp()), the one clock every node shares; a node's own clock never decides who leads.
 */

export type LeaseRow = { holder: string | null; epoch: number; expiresAt: Date; held: boolean };

const toLease = (row: { holder: string | null; epoch: string; expires_at: Date; held: boolean }): LeaseRow => ({
  holder: row.holder,
  epoch: Number(row.epoch),
  expiresAt: row.expires_at,
  held: row.held,
});

/**
 * Takes the lease if it is free or expired — a new epoch — or renews it when `holder` has it under `epoch`
 * already (same epoch). Undefined when another node holds it, or when this node's epoch was taken over.
 */
export async function takeOrRenewLease(
  db: Trx,
  name: string,
  holder: string,
  epoch: number | null,
  ttlMs: number,
): Promise<LeaseRow | undefined> {
  const row = await db
    .updateTable('cluster_leases')
    .set({
      epoch: sql<number>`CASE WHEN holder = ${holder} AND epoch = ${epoch ?? -1} AND expires_at > clock_timestamp() THEN epoch ELSE epoch + 1 END`,
      acquired_at: sql<Date>`CASE WHEN holder = ${holder} AND epoch = ${epoch ?? -1} AND expires_at > clock_timestamp() THEN acquired_at ELSE clock_timestamp() END`,
      holder,
      expires_at: sql<Date>`clock_timestamp() + make_interval(secs => ${ttlMs / 1000})`,
    })
    .where('name', '=', name)
    .where((eb) =>
      eb.or([
        eb('expires_at', '<=', sql<Date>`clock_timestamp()`),
        eb('holder', 'is', null),
        eb.and([eb('holder', '=', holder), eb('epoch', '=', String(epoch ?? -1))]),
      ]),
    )
    .returning(['holder', 'epoch', 'expires_at', sql<boolean>`true`.as('held')])
    .executeTakeFirst();
  return row ? toLease(row) : undefined;
}

/**
 * takeOrRenewLease in a transaction of its own that waits at most `waitMs` for the lease row's lock: a node that
 * paused while holding it (inside a routing append) must not freeze the one that would take over. 'busy' when the
 * lock did not come in time (55P03): who holds the lease is then unknown.
 */
export async function takeOrRenewLeaseWithin(
  db: Db,
  name: string,
  holder: string,
  epoch: number | null,
  ttlMs: number,
  waitMs: number,
): Promise<LeaseRow | undefined | 'busy'> {
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('lock_timeout', ${`${Math.round(waitMs)}ms`}, true)`.execute(trx);
      return takeOrRenewLease(trx, name, holder, epoch, ttlMs);
    });
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === '55P03') return 'busy';
    throw error;
  }
}

/** Gives the lease up at once (a clean stop), so another node need not wait for it to expire. */
export async function releaseLease(db: Trx, name: string, holder: string, epoch: number): Promise<void> {
  await db
    .updateTable('cluster_leases')
    .set({ holder: null, expires_at: sql<Date>`'-infinity'::timestamptz` })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .where('epoch', '=', String(epoch))
    .execute();
}

/**
 * Locks the lease row for the rest of the transaction and reads it: appends to the routing log take this lock
 * first, so they commit one at a time in sequence order. `held` says whether `holder` leads under `epoch` now.
 */
export async function lockLease(db: Trx, name: string, holder: string, epoch: number | null, idleLimitMs?: number): Promise<LeaseRow> {
  // A node that stops between two statements of this transaction (SIGSTOP, a long GC pause) would hold the lock
  // for everyone: the server ends such a session after idleLimitMs, which rolls it back and frees the lock.
  if (idleLimitMs !== undefined) {
    await sql`SELECT set_config('idle_in_transaction_session_timeout', ${`${Math.round(idleLimitMs)}ms`}, true)`.execute(db);
  }
  const row = await db
    .selectFrom('cluster_leases')
    .select([
      'holder',
      'epoch',
      'expires_at',
      sql<boolean>`holder IS NOT DISTINCT FROM ${holder} AND epoch = ${epoch ?? -1} AND expires_at > clock_timestamp()`.as('held'),
    ])
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return toLease(row);
}
