/**
 * What the server pushes over the realtime connection, by type. Payloads carry
 * ids, statuses and times — never task attributes, which may describe people;
 * clients fetch details through the API, where access is checked and audited.
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
  'queues.stats': { queues: unknown[]; overall: unknown };
  /** Sent once after connecting. */
  hello: { userId: string; role: string; supervisor: boolean };
};

export type ServerMessage = { [K in keyof ServerEvents]: { type: K; at: string; data: ServerEvents[K] } }[keyof ServerEvents];
