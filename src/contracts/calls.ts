import { z } from 'zod';

/** Call records: who called which line, what they pressed, where the call went, how it ended. */

export const ZCall = z.object({
  id: z.string(),
  adapter: z.string(),
  node: z.string(),
  line: z.string(),
  callerNumber: z.string().nullable(),
  language: z.string().nullable(),
  reason: z.string().nullable(),
  interpreter: z.boolean(),
  unit: z.string(),
  ivrPath: z.array(z.string()),
  queueId: z.string().nullable(),
  taskId: z.string().nullable(),
  callbackTaskId: z.string().nullable(),
  agentWorkerId: z.string().nullable(),
  arrivedAt: z.string(),
  ivrDoneAt: z.string().nullable(),
  queuedAt: z.string().nullable(),
  offeredAt: z.string().nullable(),
  answeredAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
  recordingRef: z.string().nullable(),
});
export type CallRecord = z.infer<typeof ZCall>;

export const ZCallListQuery = z.strictObject({
  line: z
    .string()
    .regex(/^\+\d{7,15}$/)
    .optional(),
  endReason: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type CallListQuery = z.infer<typeof ZCallListQuery>;

export const ZCallList = z.object({ calls: z.array(ZCall) });
export type CallList = z.infer<typeof ZCallList>;

/** Twilio's voice webhooks (form-encoded POSTs, answered with TwiML): the form Twilio posts. */
export const ZTwilioWebhookForm = z.record(z.string().max(100), z.string().max(2_000));
export type TwilioWebhookForm = z.infer<typeof ZTwilioWebhookForm>;

/** The query the server itself puts in the webhook addresses it gives Twilio. */
export const ZTwilioWebhookQuery = z.strictObject({
  timedOut: z.enum(['1']).optional(),
  voicemail: z.enum(['1']).optional(),
  reservation: z.string().max(64).optional(),
  /** A conference leg's status callback: the call record and the leg. */
  record: z.uuid().optional(),
  party: z.enum(['agent', 'interpreter', 'supervisor', 'consult']).optional(),
  /** A callback try's leg: the callback, the try's task and which leg. */
  callback: z.uuid().optional(),
  task: z.string().max(64).optional(),
  leg: z.enum(['agent', 'caller']).optional(),
  /** The interpreter's announcement: the language code needed. */
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/)
    .optional(),
});
export type TwilioWebhookQuery = z.infer<typeof ZTwilioWebhookQuery>;
