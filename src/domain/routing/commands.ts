import type { RoutingEngine } from './engine.js';
import type { CancelReason, EngineConfig, EngineEvent, TaskInput, WorkerInput } from './engine-types.js';
import type { Attributes } from './expression.js';

/**
 * The commands the routing engine takes, as stored in the routing log (routing_commands), and how each applies to
 * an engine. Pure: the same log applied to a new engine gives the same state, on any node.
 */

export type RoutingCommand =
  | { type: 'addWorker'; worker: WorkerInput }
  | { type: 'updateWorker'; workerId: string; attributes: Attributes }
  | { type: 'setActivity'; workerId: string; activity: string }
  | { type: 'createTask'; task: TaskInput }
  | { type: 'accept'; reservationId: string }
  | { type: 'reject'; reservationId: string }
  | { type: 'complete'; taskId: string }
  | { type: 'finishWrapUp'; taskId: string }
  | { type: 'cancel'; taskId: string; reason: CancelReason }
  | { type: 'transfer'; taskId: string; queueId: string; newTaskId: string }
  | { type: 'callback'; taskId: string; callbackTaskId: string; attributes: Attributes }
  | { type: 'configure'; config: EngineConfig }
  | { type: 'forget'; before: number }
  | { type: 'tick' };

export function applyCommand(engine: RoutingEngine, at: number, command: RoutingCommand): EngineEvent[] {
  switch (command.type) {
    case 'addWorker':
      return engine.addWorker(at, command.worker);
    case 'updateWorker':
      return engine.updateWorker(at, command.workerId, command.attributes);
    case 'setActivity':
      return engine.setActivity(at, command.workerId, command.activity);
    case 'createTask':
      return engine.createTask(at, command.task);
    case 'accept':
      return engine.accept(at, command.reservationId);
    case 'reject':
      return engine.reject(at, command.reservationId);
    case 'complete':
      return engine.complete(at, command.taskId);
    case 'finishWrapUp':
      return engine.finishWrapUp(at, command.taskId);
    case 'cancel':
      return engine.cancel(at, command.taskId, command.reason);
    case 'transfer':
      return engine.transfer(at, command.taskId, command.queueId, command.newTaskId);
    case 'callback':
      return engine.requestCallback(at, command.taskId, command.callbackTaskId, command.attributes);
    case 'configure':
      return engine.reconfigure(at, command.config);
    case 'forget':
      return engine.forgetEndedBefore(at, command.before);
    case 'tick':
      return engine.tick(at);
  }
}

/** What the audit keeps of a routing command: ids and the activity, no task attributes (they may describe people). */
export function summarize(command: RoutingCommand): Record<string, unknown> {
  switch (command.type) {
    case 'addWorker':
      return { workerId: command.worker.id };
    case 'updateWorker':
    case 'setActivity':
      return { workerId: command.workerId, ...(command.type === 'setActivity' ? { activity: command.activity } : {}) };
    case 'createTask':
      return { taskId: command.task.id, channel: command.task.channel ?? 'voice' };
    case 'accept':
    case 'reject':
      return { reservationId: command.reservationId };
    case 'transfer':
      return { taskId: command.taskId, queueId: command.queueId, newTaskId: command.newTaskId };
    case 'callback':
      return { taskId: command.taskId, callbackTaskId: command.callbackTaskId };
    case 'cancel':
      return { taskId: command.taskId, reason: command.reason };
    case 'complete':
    case 'finishWrapUp':
      return { taskId: command.taskId };
    case 'configure':
      return { queues: command.config.queues.map((q) => q.id) };
    case 'forget':
      return { before: new Date(command.before).toISOString() };
    case 'tick':
      return {};
  }
}
