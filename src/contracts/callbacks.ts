import { z } from 'zod';

/** Callbacks kept and voicemails worked (issue #19): the shapes on the wire. */

export const CALLBACK_STATUSES = ['queued', 'dialing', 'scheduled', 'completed', 'exhausted', 'closed'] as const;

export const ZCallbackListQuery = z.strictObject({
  status: z
    .string()
    .default('exhausted')
    .transform((v) => v.split(','))
    .pipe(z.array(z.enum(CALLBACK_STATUSES)).min(1))
    .describe('comma-separated statuses; default exhausted (the supervisors’ list: tries used up, or a number not allowed)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const ZCallbackTry = z.object({
  outcome: z.string(),
  counted: z.boolean().describe('false: the caller was not dialed (the agent was not reached, the number not allowed)'),
  sipStatus: z.number().int().nullable(),
  workerId: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string(),
});

export const ZCallback = z.object({
  id: z.uuid(),
  callId: z.uuid().nullable(),
  number: z.string().nullable().describe('masked: the center dials, people do not need the number'),
  line: z.string(),
  unit: z.enum(['general', 'uac']),
  language: z.string(),
  origin: z.enum(['ivr', 'overflow', 'scheduled']),
  status: z.enum(CALLBACK_STATUSES),
  taskId: z.string().nullable(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastOutcome: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  tries: z.array(ZCallbackTry),
});
export const ZCallbackList = z.object({ callbacks: z.array(ZCallback) });

export const ZCallbackClose = z.strictObject({
  reason: z.string().trim().min(10, 'say why in at least 10 characters').max(500),
});

export const ZVoicemail = z.object({
  id: z.uuid(),
  callId: z.uuid(),
  line: z.string(),
  unit: z.enum(['general', 'uac']),
  language: z.string(),
  durationMs: z.number().int(),
  sizeBytes: z.number().int(),
  taskId: z.string().nullable(),
  status: z.enum(['new', 'worked']),
  caseId: z.uuid().nullable(),
  createdAt: z.string(),
});

/** A callback try in an agent's hands: the callback and the cases it is about (of units the agent may read). */
export const ZCallbackInHand = z.object({
  callback: ZCallback,
  cases: z.array(z.object({ id: z.uuid(), caseNumber: z.string(), summary: z.string(), status: z.string(), type: z.string() })),
});
