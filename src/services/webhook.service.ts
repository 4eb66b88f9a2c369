import { AppError } from '../domain/errors/app-error.js';
import { MAX_WEBHOOK_ATTEMPTS, nextDelayMs, sign } from '../domain/partner/webhook-signature.js';
import type { Db } from '../storage/database.js';
import {
  dueWebhookDeliveries,
  listWebhookDeliveries,
  markDeliveryDead,
  markDeliveryDelivered,
  resetDelivery,
  scheduleDeliveryRetry,
} from '../storage/repositories/webhook.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { decrypt, type Keys } from './keys.js';
import { type Resolve, WebhookTransport } from './webhook-transport.js';

/**
 * Delivers status webhooks: due deliveries are POSTed, signed, to the agency's
 * URL (or a receiving organisation's, for a hand-off: the same signing, retries and dead letters); a 2xx ends them, anything else is retried with exponential backoff and
 * jitter, and after eight attempts the delivery is dead — listed for the agency
 * and for admins, who can have it sent again. Deliveries go out through
 * WebhookTransport, which reaches public addresses only (checked at connect
 * time) and never follows a redirect.
 */

export type WebhookDeps = {
  db: Db;
  keys: Keys;
  timeoutMs?: number;
  /**
   * Development on this machine only: deliveries may go to loopback. Never private networks, in any mode; in
   * production not even this machine.
   */
  allowLoopback?: boolean;
  /** The resolver the connection asks (tests inject one); the system's otherwise. */
  lookup?: Resolve;
};

export async function deliverWebhooks(
  deps: WebhookDeps,
  now: Date,
  limit = 20,
): Promise<{ delivered: number; failed: number; dead: number }> {
  const due = await dueWebhookDeliveries(deps.db, now, limit);
  const counts = { delivered: 0, failed: 0, dead: 0 };
  if (due.length === 0) return counts;
  const transport = new WebhookTransport({ allowLoopback: deps.allowLoopback ?? false, resolve: deps.lookup, timeoutMs: deps.timeoutMs });
  try {
    for (const d of due) {
      const body = JSON.stringify(d.body);
      const timestamp = Math.floor(now.getTime() / 1000);
      let error: string | undefined;
      try {
        // The query joins only deliveries whose recipient has a webhook; its URL and secret are set together.
        if (!d.url || !d.secret_enc) throw new Error('no webhook');
        const status = await transport.post(
          d.url,
          {
            'content-type': 'application/json',
            'x-switchboard-delivery': d.id,
            'x-switchboard-timestamp': String(timestamp),
            'x-switchboard-signature': sign(decrypt(deps.keys, d.secret_enc), timestamp, body),
          },
          body,
        );
        // A redirect is not followed: it could lead anywhere, this server included.
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch {
        // Shown to the partner: say that it failed, not how (a refused destination included: no internal network details).
        error = 'no response';
      }
      const attempts = d.attempts + 1;
      if (!error) {
        await markDeliveryDelivered(deps.db, d.id, attempts, now);
        counts.delivered += 1;
      } else if (attempts >= MAX_WEBHOOK_ATTEMPTS) {
        await markDeliveryDead(deps.db, d.id, attempts, error);
        counts.dead += 1;
      } else {
        await scheduleDeliveryRetry(deps.db, d.id, attempts, error, new Date(now.getTime() + nextDelayMs(attempts)));
        counts.failed += 1;
      }
    }
  } finally {
    transport.close();
  }
  return counts;
}

export async function listDeliveries(
  db: Db,
  agencyOri: string | null,
  status: 'pending' | 'delivered' | 'dead' | undefined,
  limit: number,
) {
  return listWebhookDeliveries(db, agencyOri, status, limit);
}

/** Sends a delivery again (a dead one, or a delivered one the agency missed): pending now, attempts from zero. */
export async function redeliver(db: Db, ctx: RequestContext, id: string, agencyOri: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const updated = await resetDelivery(trx, id, agencyOri, ctx.now);
    if (!updated) throw new AppError('not_found', 'There is no such delivery.');
    await appendAudit(trx, ctx, { action: 'webhook.redeliver', outcome: 'allowed', resourceType: 'webhook_delivery', resourceId: id });
  });
}
