import type { Db } from '../database.js';

/** Status webhooks to partner agencies: the deliveries and their attempts. */

type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** Pending deliveries due by `now`, soonest first, with the agency's URL and encrypted secret. */
export const dueWebhookDeliveries = (db: Db, now: Date, limit: number) =>
  db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('agency_webhooks as w', 'w.agency_ori', 'd.agency_ori')
    .select(['d.id', 'd.body', 'd.attempts', 'd.agency_ori', 'w.url', 'w.secret_enc'])
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .orderBy('d.next_attempt_at')
    .limit(limit)
    .execute();

export async function markDeliveryDelivered(db: Db, id: string, attempts: number, now: Date): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'delivered', attempts, delivered_at: now, last_error: null })
    .where('id', '=', id)
    .execute();
}

export async function markDeliveryDead(db: Db, id: string, attempts: number, error: string): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ status: 'dead', attempts, last_error: error }).where('id', '=', id).execute();
}

export async function scheduleDeliveryRetry(db: Db, id: string, attempts: number, error: string, nextAttemptAt: Date): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ attempts, last_error: error, next_attempt_at: nextAttemptAt })
    .where('id', '=', id)
    .execute();
}

export function listWebhookDeliveries(db: Db, agencyOri: string | null, status: DeliveryStatus | undefined, limit: number) {
  let q = db.selectFrom('webhook_deliveries').selectAll();
  if (agencyOri) q = q.where('agency_ori', '=', agencyOri);
  if (status) q = q.where('status', '=', status);
  return q.orderBy('created_at', 'desc').limit(limit).execute();
}

/** Makes the delivery pending again with attempts from zero (only the agency's own when an ORI is given); its id, if found. */
export async function resetDelivery(db: Db, id: string, agencyOri: string | null, now: Date): Promise<string | undefined> {
  let q = db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null })
    .where('id', '=', id);
  if (agencyOri) q = q.where('agency_ori', '=', agencyOri);
  return (await q.returning('id').executeTakeFirst())?.id;
}
