import type { z } from 'zod';
import type { ZReservation, ZTask } from '../../contracts/routing.js';
import type { ReservationView, RoutingEngine, TaskView } from '../../domain/routing/engine.js';
import { estimatedWaitSeconds } from '../../domain/routing/statistics.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function presentTask(engine: RoutingEngine, task: TaskView): z.infer<typeof ZTask> {
  const ewt = estimatedWaitSeconds(engine, task.id);
  return {
    id: task.id,
    channel: task.channel,
    status: task.status,
    cancelReason: task.cancelReason,
    queueId: task.queueId,
    priority: task.basePriority,
    arrivedAt: new Date(task.arrivedAt).toISOString(),
    workerId: task.workerId,
    answeredAt: iso(task.answeredAt),
    position: ewt && task.status === 'pending' ? ewt.position : null,
    estimatedWaitSeconds: ewt ? ewt.seconds : null,
    attributes: task.attributes,
  };
}

export function presentReservation(engine: RoutingEngine, reservation: ReservationView): z.infer<typeof ZReservation> {
  const task = engine.task(reservation.taskId);
  return {
    id: reservation.id,
    taskId: reservation.taskId,
    status: reservation.status,
    createdAt: new Date(reservation.createdAt).toISOString(),
    timeoutAt: new Date(reservation.timeoutAt).toISOString(),
    task: task ? presentTask(engine, task) : null,
  };
}
