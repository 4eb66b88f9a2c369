import type { Db } from '../database.js';

/** Status webhooks to partner agencies: the deliveries and their attempts. */

type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/**
 * Pending deliveries due by `now`, soonest first, with the recipient's URL and encrypted secret: a partner agency's
 * webhook, or a receiving organisation's (a hand-off, migration 0042).
 */
export const dueWebhookDeliveries = (db: Db, now: Date, limit: number) =>
  db
    .selectFrom('webhook_deliveries as d')
    .leftJoin('agency_webhooks as w', 'w.agency_ori', 'd.agency_ori')
    .leftJoin('handoff_organisations as o', 'o.id', 'd.organisation_id')
    .select(({ fn }) => [
      'd.id',
      'd.body',
      'd.attempts',
      'd.agency_ori',
      fn.coalesce('w.url', 'o.webhook_url').as('url'),
      fn.coalesce('w.secret_enc', 'o.secret_enc').as('secret_enc'),
    ])
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('w.url', 'is not', null), eb('o.webhook_url', 'is not', null)]))
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
  // Partner agencies' deliveries only: a hand-off's are followed on the hand-off.
  let q = db.selectFrom('webhook_deliveries').selectAll().where('agency_ori', 'is not', null);
  if (agencyOri) q = q.where('agency_ori', '=', agencyOri);
  if (status) q = q.where('status', '=', status);
  return q.orderBy('created_at', 'desc').limit(limit).execute();
}

/**
 * Makes a partner agency's delivery pending again with attempts from zero (only the agency's own when an ORI is
 * given); its id, if found. Never a hand-off's (agency_ori null): re-sending one is sendHandoff's alone, which runs
 * the disclosure check and the sponsor shield again — a stored hand-off body must not leave a second time unchecked.
 */
export async function resetDelivery(db: Db, id: string, agencyOri: string | null, now: Date): Promise<string | undefined> {
  let q = db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null })
    .where('id', '=', id)
    .where('agency_ori', 'is not', null);
  if (agencyOri) q = q.where('agency_ori', '=', agencyOri);
  return (await q.returning('id').executeTakeFirst())?.id;
}
