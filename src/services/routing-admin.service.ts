import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../domain/errors/app-error.js';
import type { EngineConfig } from '../domain/routing/engine-types.js';
import type { Attributes } from '../domain/routing/expression.js';
import { ExpressionError, parseExpression } from '../domain/routing/expression.js';
import type { Db } from '../storage/database.js';
import { referenceDir } from '../storage/paths.js';
import { findPhoneBinding } from '../storage/repositories/phone.repository.js';
import {
  agentDisplayNames,
  findAgentAccount,
  findQueueRow,
  listQueueRows,
  type QueueRow,
  upsertQueue,
  upsertRoutingWorker,
} from '../storage/repositories/routing.repository.js';
import type { RequestContext } from './audit.service.js';
import type { RoutingService } from './routing.service.js';

/**
 * The engine's configuration (queues from the database, activities and workflow from reference/routing.json) and
 * editing it: queues (checked, then taken by the engine, then stored) and agents' routing settings.
 */

const RoutingFile = z.object({
  activities: z.array(z.object({ name: z.string().min(1), available: z.boolean() })).min(1),
  workflow: z.object({
    defaultQueue: z.string(),
    filters: z.array(
      z.object({
        name: z.string(),
        expression: z.string(),
        targets: z.array(
          z.object({
            queue: z.string(),
            expression: z.string().optional(),
            priority: z.number().optional(),
            timeoutMs: z.number().int().positive().optional(),
            skipIf: z.string().optional(),
          }),
        ),
      }),
    ),
  }),
  reservationTimeoutMs: z.number().int().positive(),
  redialDelayMs: z.number().int().positive(),
  missedOfferLimit: z.number().int().positive(),
  wrapUpMs: z.number().int().positive(),
});

/** The engine's configuration: queues from the database (admins edit them there), activities and workflow from reference/routing.json. */
export async function loadRoutingConfig(db: Db): Promise<EngineConfig> {
  const file = RoutingFile.parse(JSON.parse(readFileSync(path.join(referenceDir(), 'routing.json'), 'utf8')));
  const queues = await listQueueRows(db);
  return {
    activities: file.activities,
    queues: queues.map((q) => ({
      id: q.id,
      targetExpression: q.target_expression,
      ordering: q.ordering,
      serviceLevelMs: q.service_level_seconds * 1000,
      serviceLevelTarget: q.service_level_target_percent / 100,
      ...(q.max_wait_seconds !== null ? { maxWaitMs: q.max_wait_seconds * 1000 } : {}),
    })),
    workflow: file.workflow,
    reservationTimeoutMs: file.reservationTimeoutMs,
    redialDelayMs: file.redialDelayMs,
    missedOfferLimit: file.missedOfferLimit,
    wrapUpMs: file.wrapUpMs,
  };
}

export type QueueInput = {
  id: string;
  name: string;
  description: string;
  channel: 'voice' | 'work_item';
  targetExpression: string;
  ordering: 'fifo' | 'lifo';
  serviceLevelSeconds: number;
  serviceLevelTargetPercent: number;
  maxWaitSeconds: number | null;
};

/**
 * Adds or changes a queue. The target expression is checked when it is saved
 * (a parse error names the position and what was expected); the engine then
 * takes the new configuration — refused without change if it does not fit the
 * work in progress — and only then is the queue row written.
 */
export async function saveQueue(db: Db, routing: RoutingService, ctx: RequestContext, input: QueueInput): Promise<QueueRow> {
  try {
    parseExpression(input.targetExpression);
  } catch (error) {
    if (error instanceof ExpressionError) {
      throw new AppError('validation_failed', 'The target expression is not valid.', {
        issues: [{ path: 'body.targetExpression', code: 'expression', message: error.message }],
      });
    }
    throw error;
  }
  const current = await loadRoutingConfig(db);
  const queue = {
    id: input.id,
    targetExpression: input.targetExpression,
    ordering: input.ordering,
    serviceLevelMs: input.serviceLevelSeconds * 1000,
    serviceLevelTarget: input.serviceLevelTargetPercent / 100,
    ...(input.maxWaitSeconds !== null ? { maxWaitMs: input.maxWaitSeconds * 1000 } : {}),
  };
  const queues = current.queues.some((q) => q.id === input.id)
    ? current.queues.map((q) => (q.id === input.id ? queue : q))
    : [...current.queues, queue];
  await routing.reconfigure({ ...current, queues }, ctx);
  const row = {
    name: input.name,
    description: input.description,
    channel: input.channel,
    target_expression: input.targetExpression,
    ordering: input.ordering,
    service_level_seconds: input.serviceLevelSeconds,
    service_level_target_percent: input.serviceLevelTargetPercent,
    max_wait_seconds: input.maxWaitSeconds,
  };
  await upsertQueue(db, input.id, row);
  const saved = await findQueueRow(db, input.id);
  if (!saved) throw new AppError('internal', 'The queue was saved but could not be read back.');
  return saved;
}

export type { QueueRow };

/** Display names of the given agents (an id missing from the answer has no account). */
export const agentNames = (db: Db, userIds: string[]) => agentDisplayNames(db, userIds);

/**
 * Stores an agent's routing attributes and capacity; the engine takes the new attributes (with the account's role and
 * unit) at once if it knows the agent, else when they next sign in.
 */
export async function saveWorkerSettings(
  db: Db,
  routing: RoutingService,
  ctx: RequestContext,
  userId: string,
  settings: { attributes: Record<string, unknown>; voiceCapacity: number; workItemCapacity: number },
): Promise<{ userId: string; attributes: Attributes }> {
  const user = await findAgentAccount(db, userId);
  if (!user) throw new AppError('not_found', 'There is no such account.');
  // The phone call control rings is the one bound from the admin console: a change of skills never drops it.
  const phone = await findPhoneBinding(db, user.id);
  if (phone) settings = { ...settings, attributes: { ...settings.attributes, sipUser: phone.sip_user } };
  await upsertRoutingWorker(db, { userId: user.id, ...settings }, ctx.now);
  const attributes = { ...settings.attributes, role: user.role, unit: user.unit } as Attributes;
  if (routing.engine.worker(user.id)) await routing.execute({ type: 'updateWorker', workerId: user.id, attributes }, ctx);
  return { userId: user.id, attributes };
}
