import type { WebSocket } from 'ws';
import type { UserActor } from '../domain/access/access-control.js';
import type { EngineEvent } from '../domain/routing/engine-types.js';
import { overallStatistics, queueStatistics } from '../domain/routing/statistics.js';
import type { RoutingService } from '../services/routing.service.js';
import type { ServerEvents, ServerMessage } from './events.js';

/**
 * Pushes routing events to connected desktops and wallboards. An agent hears
 * about their own offers, tasks and activity; a supervisor about everything,
 * plus queue statistics. Slow or dead connections are dropped, not buffered.
 */

type Connection = { socket: WebSocket; actor: UserActor; supervisor: boolean };

const MAX_BUFFERED = 1_000_000;

export class RealtimeHub {
  private readonly connections = new Set<Connection>();
  private statsTimer: NodeJS.Timeout | undefined;
  private statsDirty = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly routing: RoutingService,
    private readonly clock: () => Date,
  ) {
    this.unsubscribe = routing.subscribe((events) => this.publish(events));
  }

  get size(): number {
    return this.connections.size;
  }

  add(socket: WebSocket, actor: UserActor, supervisor: boolean): void {
    const connection = { socket, actor, supervisor };
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    socket.on('error', () => this.connections.delete(connection));
    // Clients only listen; anything they send is ignored.
    socket.on('message', () => undefined);
    this.send(connection, 'hello', { userId: actor.userId, role: actor.role, supervisor });
    if (supervisor) this.sendStats([connection]);
  }

  close(): void {
    this.unsubscribe();
    if (this.statsTimer) clearTimeout(this.statsTimer);
    for (const c of this.connections) c.socket.close(1001, 'server shutting down');
    this.connections.clear();
  }

  private send<K extends keyof ServerEvents>(connection: Connection, type: K, data: ServerEvents[K]): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    if (connection.socket.bufferedAmount > MAX_BUFFERED) {
      connection.socket.terminate();
      this.connections.delete(connection);
      return;
    }
    const message = { type, at: this.clock().toISOString(), data } as ServerMessage;
    connection.socket.send(JSON.stringify(message));
  }

  private publish(events: EngineEvent[]): void {
    if (events.length === 0 || this.connections.size === 0) return;
    for (const event of events) {
      for (const c of this.connections) {
        const mine = 'workerId' in event && event.workerId === c.actor.userId;
        if (event.type === 'reservation.created' && mine) {
          const reservation = this.routing.engine.reservation(event.reservationId);
          this.send(c, 'routing.offer', {
            reservationId: event.reservationId,
            taskId: event.taskId,
            timeoutAt: new Date(reservation?.timeoutAt ?? event.at).toISOString(),
          });
        } else if (event.type.startsWith('reservation.') && event.type !== 'reservation.created' && mine && 'reservationId' in event) {
          this.send(c, 'routing.offer.ended', {
            reservationId: event.reservationId,
            taskId: event.taskId,
            status: event.type.slice('reservation.'.length) as ServerEvents['routing.offer.ended']['status'],
          });
        } else if (event.type === 'worker.activity' && (mine || c.supervisor)) {
          this.send(c, 'routing.agent', { workerId: event.workerId, activity: event.activity, reason: event.reason ?? null });
        } else if (event.type.startsWith('task.') && 'taskId' in event && (mine || c.supervisor)) {
          const task = this.routing.engine.task(event.taskId);
          this.send(c, 'routing.task', {
            taskId: event.taskId,
            status: event.type.slice('task.'.length),
            queueId: task?.queueId ?? null,
            workerId: task?.workerId ?? null,
            reason: event.type === 'task.canceled' ? event.reason : null,
          });
        }
      }
    }
    this.scheduleStats();
  }

  private scheduleStats(): void {
    this.statsDirty = true;
    if (this.statsTimer) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = undefined;
      if (!this.statsDirty) return;
      this.statsDirty = false;
      this.sendStats([...this.connections].filter((c) => c.supervisor));
    }, 2_000);
    this.statsTimer.unref();
  }

  private sendStats(connections: Connection[]): void {
    if (connections.length === 0) return;
    const queues = queueStatistics(this.routing.engine, { from: this.clock().getTime() - 86_400_000 });
    for (const c of connections) this.send(c, 'queues.stats', { queues, overall: overallStatistics(queues) });
  }
}
