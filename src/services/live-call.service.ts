import type { Actor } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import { findCallById } from '../storage/repositories/call.repository.js';
import { callOfTask } from '../storage/repositories/callback.repository.js';
import { findUserByUsername } from '../storage/repositories/identity.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { RoutingService } from './routing.service.js';

/**
 * Help on live calls, as the audit sees it: who listened to, whispered on or joined which call, when, in which mode,
 * and whether it worked; who added or dropped an interpreter. The telephony node does the media
 * (telephony/live-calls.ts); this records the acts and finds the call behind a task in an agent's hands.
 */

type ActorCtx = RequestContext & { actor: Actor };

export async function auditCallHelp(
  db: Db,
  ctx: ActorCtx,
  act: { action: string; recordId: string; outcome: 'allowed' | 'denied'; details?: Record<string, unknown> },
): Promise<void> {
  await db.transaction().execute((trx) =>
    appendAudit(trx, ctx, {
      action: act.action,
      outcome: act.outcome,
      resourceType: 'call',
      resourceId: act.recordId,
      details: act.details ?? {},
    }),
  );
}

/** The call record of a task the actor has in hand (assigned to them); not found otherwise. */
export async function callOfTaskInHand(db: Db, routing: RoutingService, ctx: ActorCtx, taskId: string): Promise<string> {
  if (!routing.inHand(ctx.actor, taskId)) throw new AppError('not_found', 'You have no such call in hand.');
  const call = await callOfTask(db, taskId);
  if (!call) throw new AppError('not_found', 'This task is not a call.');
  return call.id;
}

/** A colleague to consult, by username: their phone (the routing attribute sipUser of their account). */
export async function colleaguePhone(db: Db, routing: RoutingService, username: string): Promise<string> {
  const user = await findUserByUsername(db, username);
  const phone = user ? routing.engine.worker(user.id)?.attributes.sipUser : undefined;
  if (typeof phone !== 'string' || phone === '')
    throw new AppError('unprocessable', `${username} has no phone to reach (no such user, or no routing attribute sipUser).`, {
      issues: [{ path: 'body.username', code: 'no_phone', message: 'not a colleague with a phone' }],
    });
  return phone;
}

/** Where a call is: its adapter (sip, twilio, simulator) and the node holding it; undefined for no such call. */
export async function whereaboutsOfCall(db: Db, recordId: string): Promise<{ adapter: string; node: string } | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(recordId)) return undefined;
  const row = await findCallById(db, recordId);
  return row ? { adapter: row.adapter, node: row.node } : undefined;
}
