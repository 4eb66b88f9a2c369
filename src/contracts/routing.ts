import { z } from 'zod';

const ZAttributeValue: z.ZodType<unknown> = z.union([
  z.string().max(200),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string().max(200), z.number()])).max(50),
]);
export const ZAttributes = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,39}$/, 'attribute names are letters, digits and _'), ZAttributeValue)
  .refine((a) => Object.keys(a).length <= 40, 'at most 40 attributes');

export const ZQueueStats = z.object({
  queueId: z.string(),
  offered: z.number().int(),
  answered: z.number().int(),
  answeredWithinThreshold: z.number().int(),
  abandoned: z.number().int(),
  shortAbandoned: z.number().int(),
  timedOut: z.number().int(),
  overflowed: z.number().int(),
  abandonedAfterThreshold: z.number().int(),
  completed: z.number().int(),
  serviceLevel: z.number().nullable(),
  serviceLevelTarget: z.number(),
  thresholdSeconds: z.number(),
  asaSeconds: z.number().nullable(),
  ahtSeconds: z.number().nullable(),
  abandonRate: z.number().nullable(),
  waitingNow: z.number().int(),
  longestWaitSeconds: z.number(),
  agents: z.record(z.string(), z.number().int()),
  occupancyNow: z.number().nullable(),
  estimatedWaitSeconds: z.number().int(),
});
export const ZCallbackRequest = z.strictObject({
  callbackNumber: z.string().regex(/^\+?[0-9]{7,15}$/, 'must be a phone number (digits, optional +)'),
});
export const ZQueueStatsResponse = z.object({
  since: z.string(),
  queues: z.array(ZQueueStats),
  overall: ZQueueStats.omit({ queueId: true, serviceLevelTarget: true, thresholdSeconds: true }),
});
export const ZStatsQuery = z.strictObject({ since: z.iso.datetime({ offset: true }).optional().describe('default: 24 hours ago') });

export const ZTask = z.object({
  id: z.string(),
  channel: z.enum(['voice', 'work_item']),
  status: z.string(),
  cancelReason: z.string().nullable(),
  queueId: z.string(),
  priority: z.number(),
  arrivedAt: z.string(),
  workerId: z.string().nullable(),
  answeredAt: z.string().nullable(),
  position: z.number().int().nullable().describe('place among the waiting tasks of the queue (1 = next)'),
  estimatedWaitSeconds: z.number().int().nullable(),
  attributes: z.record(z.string(), z.unknown()),
});
export const ZTaskList = z.object({ tasks: z.array(ZTask) });
export const ZTaskListQuery = z.strictObject({ status: z.enum(['waiting', 'active', 'all']).default('waiting') });
export const ZCreateTask = z.strictObject({
  attributes: ZAttributes.default({}),
  priority: z
    .number()
    .int()
    .min(0)
    .max(100) // domain/routing/work-priority.ts manualMax
    .default(0)
    .describe('0–100: routine work; welfare work from a positive screening and a child in danger always come first'),
});
export const ZTaskParams = z.strictObject({ id: z.string().min(1).max(64) });
export const ZCancelTask = z.strictObject({ reason: z.enum(['abandoned', 'timed-out']).default('abandoned') });
export const ZTransferTask = z.strictObject({ queueId: z.string().min(1).max(63) });

export const ZReservation = z.object({
  id: z.string(),
  taskId: z.string(),
  status: z.string(),
  createdAt: z.string(),
  timeoutAt: z.string(),
  task: ZTask.nullable(),
});
export const ZReservationParams = z.strictObject({ id: z.string().regex(/^r\d+$/, 'is not a reservation id') });

export const ZAgentState = z.object({
  workerId: z.string(),
  activity: z.string(),
  activitySince: z.string(),
  available: z.boolean(),
  load: z.object({ voice: z.number().int(), work_item: z.number().int() }),
  capacity: z.object({ voice: z.number().int(), work_item: z.number().int() }),
  offers: z.array(ZReservation),
  tasks: z.array(ZTask),
  activities: z.array(z.object({ name: z.string(), available: z.boolean() })).describe('the activities to choose from'),
  wrapUpSeconds: z.number().describe('wrap-up ends by itself after this long'),
  serverTime: z.string().describe("the server's clock: countdowns are computed against it, not against the browser's"),
  queues: z.array(z.string()).describe('queues a contact can be transferred to'),
});
export const ZSetActivity = z.strictObject({ activity: z.string().min(1).max(40) });
/** The activity set, and whether it takes offers. */
export const ZActivitySet = z.object({ activity: z.string(), available: z.boolean() });
export type ActivitySet = z.infer<typeof ZActivitySet>;

export const ZWorkerParams = z.strictObject({ userId: z.uuid() });
export const ZWorkerSettings = z.strictObject({
  attributes: ZAttributes,
  voiceCapacity: z.number().int().min(0).max(1).default(1),
  workItemCapacity: z.number().int().min(0).max(20).default(3),
});
/** PUT /api/v1/routing/workers/:userId: the agent's routing attributes as saved. */
export const ZWorkerSettingsSaved = z.object({ userId: z.string(), attributes: z.record(z.string(), z.unknown()) });
export type WorkerSettingsSaved = z.infer<typeof ZWorkerSettingsSaved>;

export const ZQueueParams = z.strictObject({ id: z.string().regex(/^[a-z][a-z0-9_]{1,62}$/, 'lower-case letters, digits and _') });
export const ZSaveQueue = z.strictObject({
  name: z.string().trim().min(2).max(80),
  description: z.string().trim().max(500).default(''),
  channel: z.enum(['voice', 'work_item']).default('voice'),
  targetExpression: z.string().max(2000),
  ordering: z.enum(['fifo', 'lifo']).default('fifo'),
  serviceLevelSeconds: z.number().int().min(1).max(86_400).default(20),
  serviceLevelTargetPercent: z.number().int().min(1).max(100).default(80),
  maxWaitSeconds: z.number().int().min(1).max(86_400).nullable().default(null),
});

/** GET /api/v1/routing/agents: every agent known to routing, with activity, time in it and load (supervisors). */
export const ZAgentList = z.object({
  agents: z.array(
    z.object({
      userId: z.string(),
      displayName: z.string(),
      activity: z.string(),
      activitySince: z.string(),
      available: z.boolean(),
      load: z.object({ voice: z.number(), work_item: z.number() }),
    }),
  ),
});
