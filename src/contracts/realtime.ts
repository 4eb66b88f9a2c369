import { z } from 'zod';
import type { ZQueueStats, ZQueueStatsResponse } from './routing.js';
import type { Role } from './vocabulary.js';

/**
 * What the server pushes over the realtime connection (/api/v1/realtime), by type. Payloads carry ids, statuses
 * and times — never task attributes, which may describe people; clients fetch details through the API, where access
 * is checked and audited. The hub (src/realtime/hub.ts) sends exactly these; the web app subscribes by type.
 */
export type ServerEvents = {
  /** An offer ringing for me (agents). */
  'routing.offer': { reservationId: string; taskId: string; timeoutAt: string };
  /** An offer of mine ended: accepted, rejected, timed out or withdrawn. */
  'routing.offer.ended': { reservationId: string; taskId: string; status: 'accepted' | 'rejected' | 'timed-out' | 'rescinded' };
  /** A task of mine (or, for supervisors, any task) changed state. */
  'routing.task': { taskId: string; status: string; queueId: string | null; workerId: string | null; reason: string | null };
  /** An agent's activity changed (mine, or any for supervisors). */
  'routing.agent': { workerId: string; activity: string; reason: string | null };
  /** Live queue statistics (supervisors), at most every two seconds while something changes. */
  'queues.stats': { queues: z.infer<typeof ZQueueStats>[]; overall: z.infer<typeof ZQueueStatsResponse>['overall'] };
  /** Sent once after connecting. */
  hello: { userId: string; role: Role; supervisor: boolean };
};

export type ServerEventType = keyof ServerEvents;

/** One frame on the wire: its type, when the server sent it, and that type's payload. */
export type ServerMessage = { [K in ServerEventType]: { type: K; at: string; data: ServerEvents[K] } }[ServerEventType];

/** GET /api/v1/realtime as plain HTTP: no answer body (the connection upgrades to a WebSocket; a plain request gets 426). */
export const ZRealtimeUpgrade = z.object({});
