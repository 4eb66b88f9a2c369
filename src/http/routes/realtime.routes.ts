import { ZRealtimeUpgrade } from '../../contracts/realtime.js';
import { authorize } from '../../domain/access/access-control.js';
import { AppError } from '../../domain/errors/app-error.js';
import type { AppContext } from '../context.js';
import { defineRoute } from '../route.js';

export function realtimeRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/realtime',
      summary: 'WebSocket: routing events for me (offers, tasks, activity); for supervisors every event and queue statistics',
      description:
        'Upgrade with the staff session cookie. Messages are JSON {type, at, data} with types hello, routing.offer, routing.offer.ended, routing.task, routing.agent, queues.stats (src/realtime/events.ts). A plain HTTP request gets 426.',
      tags: ['realtime'],
      access: { permission: 'session:own' },
      response: ZRealtimeUpgrade,
      errors: [426],
      handler: async () => {
        throw new AppError('upgrade_required', 'This address speaks WebSocket: connect with an Upgrade request.');
      },
      websocket: (socket, request) => {
        const actor = request.actor;
        // Browsers send Origin on every WebSocket: a page from another site must not ride the session cookie.
        const origin = request.headers.origin;
        if (
          origin !== undefined &&
          origin !== `http://${request.headers.host}` &&
          origin !== `https://${request.headers.host}` &&
          origin !== ctx.identity.publicUrl
        ) {
          socket.close(1008, 'origin not allowed');
          return;
        }
        if (actor?.kind !== 'user') {
          socket.close(1008, 'staff sessions only');
          return;
        }
        ctx.realtime.add(socket, actor, authorize(ctx.identity.permissions, actor, 'routing:supervise').allowed);
      },
    }),
  ];
}
