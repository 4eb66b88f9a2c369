import type { Attributes } from './expression.js';

export type Channel = 'voice' | 'work_item';
export type Strategy = 'longest-idle' | 'round-robin' | 'fewest-calls' | 'least-talk-time' | 'ring-all';

export type ActivityConfig = { name: string; available: boolean };

export type QueueConfig = {
  id: string;
  /** Which workers may take this queue's tasks: an expression over worker (and task) attributes. */
  targetExpression: string;
  ordering?: 'fifo' | 'lifo';
  strategy?: Strategy;
  serviceLevelMs?: number;
  serviceLevelTarget?: number;
  maxSize?: number;
  maxWaitMs?: number;
  /** Where tasks go when the queue is full or they wait longer than maxWaitMs; none → canceled. */
  overflowQueue?: string;
};

export type WorkflowTarget = {
  queue: string;
  /** A further condition on workers, e.g. "worker.level >= 2". */
  expression?: string;
  priority?: number;
  /** After this long on this target the task escalates to the next one. */
  timeoutMs?: number;
  /** Skip this target when the expression holds for the task, e.g. "task.vip == true". */
  skipIf?: string;
};

export type WorkflowFilter = { name: string; expression: string; targets: WorkflowTarget[] };

export type EngineConfig = {
  activities: ActivityConfig[];
  queues: QueueConfig[];
  workflow: { filters: WorkflowFilter[]; defaultQueue: string };
  /** How long an offer rings before it times out (default 20 s). */
  reservationTimeoutMs?: number;
  /** A worker who rejected or missed a task is not offered that task again for this long (default 30 s). */
  redialDelayMs?: number;
  /** Consecutive missed offers that move a worker to `missedActivity` (default 2). */
  missedOfferLimit?: number;
  missedActivity?: string;
  /** Automatic end of wrap-up (default 60 s). */
  wrapUpMs?: number;
  /** Priority aging: +agingStep for every agingIntervalMs waited (default +1 a minute). */
  agingIntervalMs?: number;
  agingStep?: number;
  /** Abandons sooner than this are short abandons, outside the service level (default 5 s). */
  shortAbandonMs?: number;
  /** For a task with attribute preferredWorker: how long it waits for that worker alone (default 15 s). */
  preferredWorkerMs?: number;
};

export type TaskStatus = 'pending' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled';
/** 'resolved': the work a work item stood for was done another way (e.g. a review recorded from its own screen). */
export type CancelReason = 'abandoned' | 'timed-out' | 'transferred' | 'overflowed' | 'callback' | 'resolved';
export type ReservationStatus = 'pending' | 'accepted' | 'rejected' | 'timed-out' | 'rescinded';

export type WorkerInput = { id: string; attributes: Attributes; activity: string; capacity?: Partial<Record<Channel, number>> };
export type TaskInput = { id: string; attributes: Attributes; channel?: Channel; priority?: number; arrivedAt?: number };

export type EngineEvent =
  | { type: 'task.created'; at: number; taskId: string; queueId: string }
  | { type: 'task.queued'; at: number; taskId: string; queueId: string; target: number }
  | { type: 'reservation.created'; at: number; reservationId: string; taskId: string; workerId: string }
  | { type: 'reservation.accepted'; at: number; reservationId: string; taskId: string; workerId: string }
  | { type: 'reservation.rejected'; at: number; reservationId: string; taskId: string; workerId: string }
  | { type: 'reservation.timed-out'; at: number; reservationId: string; taskId: string; workerId: string }
  | { type: 'reservation.rescinded'; at: number; reservationId: string; taskId: string; workerId: string }
  | { type: 'task.assigned'; at: number; taskId: string; workerId: string }
  | { type: 'task.wrapping'; at: number; taskId: string; workerId: string }
  | { type: 'task.completed'; at: number; taskId: string; workerId: string }
  | { type: 'task.canceled'; at: number; taskId: string; reason: CancelReason }
  | { type: 'worker.activity'; at: number; workerId: string; activity: string; reason?: string };

export type EngineErrorCode =
  | 'invalid_config'
  | 'invalid_state'
  | 'unknown_task'
  | 'unknown_worker'
  | 'unknown_reservation'
  | 'unknown_queue'
  | 'unknown_activity'
  | 'duplicate_id'
  | 'illegal_transition'
  | 'time_went_backwards';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}
