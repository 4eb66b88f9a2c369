import { ZQueue } from '../../contracts/reference.js';
import {
  ZActivitySet,
  ZAgentList,
  ZAgentState,
  ZCallbackRequest,
  ZCancelTask,
  ZCreateTask,
  ZQueueParams,
  ZQueueStatsResponse,
  ZReservation,
  ZReservationParams,
  ZSaveQueue,
  ZSetActivity,
  ZStatsQuery,
  ZTask,
  ZTaskList,
  ZTaskListQuery,
  ZTaskParams,
  ZTransferTask,
  ZWorkerParams,
  ZWorkerSettings,
  ZWorkerSettingsSaved,
} from '../../contracts/routing.js';
import { type Actor, authorize, type UserActor } from '../../domain/access/access-control.js';
import { AppError } from '../../domain/errors/app-error.js';
import type { TaskView } from '../../domain/routing/engine.js';
import { overallStatistics, queueStatistics } from '../../domain/routing/statistics.js';
import { recordAudit } from '../../services/audit.service.js';
import { agentNames, saveQueue, saveWorkerSettings } from '../../services/routing-admin.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentQueue } from '../presenters/reference.presenter.js';
import { presentReservation, presentTask } from '../presenters/routing.presenter.js';
import { defineRoute } from '../route.js';

export function routingRoutes(ctx: AppContext) {
  const routing = ctx.routing;
  const staff = (actor: Actor): UserActor => {
    if (actor.kind !== 'user') throw new AppError('forbidden', 'Staff only.');
    return actor;
  };
  const taskOr404 = (id: string): TaskView => {
    const task = routing.engine.task(id);
    if (!task) throw new AppError('not_found', `There is no task ${id}.`);
    return task;
  };
  /** Agents act on their own tasks and offers; supervisors on any. Refusals are audited. */
  const ownOrSupervisor = async (request: Parameters<typeof actorContext>[1], workerId: string | null, what: string) => {
    const rc = actorContext(ctx, request);
    const actor = staff(rc.actor);
    if (workerId === actor.userId || authorize(ctx.identity.permissions, actor, 'routing:supervise').allowed) return rc;
    await recordAudit(ctx.db, rc, {
      action: `routing.${what}`,
      outcome: 'denied',
      resourceType: 'routing',
      details: { reason: 'not your task' },
    });
    throw new AppError('forbidden', 'This is not your task.');
  };

  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/queues/stats',
      summary: 'Live statistics of every queue and overall (definitions in docs/METRICS.md)',
      tags: ['routing'],
      access: { permission: 'queue:read' },
      query: ZStatsQuery,
      response: ZQueueStatsResponse,
      handler: async ({ query }) => {
        const since = query.since ? Date.parse(query.since) : ctx.clock().getTime() - 86_400_000;
        await routing.execute({ type: 'tick' }, null);
        const queues = queueStatistics(routing.engine, { from: since });
        return { since: new Date(since).toISOString(), queues, overall: overallStatistics(queues) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routing/tasks',
      summary: 'Tasks waiting (default), in progress, or all that the engine holds',
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      query: ZTaskListQuery,
      response: ZTaskList,
      handler: async ({ query }) => {
        const all = [...routing.engine.allTasks()];
        const pick = all.filter((t) =>
          query.status === 'all'
            ? true
            : query.status === 'waiting'
              ? t.status === 'pending' || t.status === 'reserved'
              : t.status === 'assigned' || t.status === 'wrapping',
        );
        // Waiting tasks in the order they will be offered, queue by queue.
        const presented = pick.map((t) => presentTask(routing.engine, t));
        presented.sort(
          (a, b) => a.queueId.localeCompare(b.queueId) || (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER),
        );
        return { tasks: presented };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/routing/tasks',
      summary: 'Create a work item (a follow-up, a callback to make); the workflow picks its queue',
      tags: ['routing'],
      access: { permission: 'task:create' },
      body: ZCreateTask,
      response: ZTask,
      successStatus: 201,
      handler: async ({ body, request }) => {
        const id = routing.newTaskId();
        await routing.execute(
          {
            type: 'createTask',
            task: { id, attributes: { ...body.attributes, kind: 'work_item' }, channel: 'work_item', priority: body.priority },
          },
          actorContext(ctx, request),
        );
        return presentTask(routing.engine, taskOr404(id));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routing/tasks/:id',
      summary: 'One task, with its place in the queue and estimated wait',
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      params: ZTaskParams,
      response: ZTask,
      errors: [404],
      handler: async ({ params }) => presentTask(routing.engine, taskOr404(params.id)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/routing/tasks/:id/cancel',
      summary: 'Cancel a waiting task (the caller hung up, or a supervisor ends it)',
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      params: ZTaskParams,
      body: ZCancelTask,
      response: ZTask,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        await routing.execute({ type: 'cancel', taskId: params.id, reason: body.reason }, actorContext(ctx, request));
        return presentTask(routing.engine, taskOr404(params.id));
      },
    }),
    ...(
      [
        { path: 'complete', type: 'complete', summary: 'End the conversation or work; the task moves to wrap-up' },
        { path: 'wrap-up-done', type: 'finishWrapUp', summary: 'End wrap-up: the task is completed and the agent free again' },
      ] as const
    ).map(({ path, type, summary }) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/routing/tasks/:id/${path}`,
        summary,
        tags: ['routing'],
        access: { permission: 'routing:work' },
        params: ZTaskParams,
        response: ZTask,
        errors: [404, 409],
        handler: async ({ params, request }) => {
          const rc = await ownOrSupervisor(request, taskOr404(params.id).workerId, type);
          await routing.execute({ type, taskId: params.id }, rc);
          return presentTask(routing.engine, taskOr404(params.id));
        },
      }),
    ),
    defineRoute({
      method: 'POST',
      url: '/api/v1/routing/tasks/:id/callback',
      summary: 'A waiting caller asks to be called back: the callback task keeps their place and arrival time',
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      params: ZTaskParams,
      body: ZCallbackRequest,
      response: ZTask,
      successStatus: 201,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        taskOr404(params.id);
        const callbackTaskId = routing.newTaskId();
        await routing.execute(
          { type: 'callback', taskId: params.id, callbackTaskId, attributes: { callbackNumber: body.callbackNumber } },
          actorContext(ctx, request),
        );
        return presentTask(routing.engine, taskOr404(callbackTaskId));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/routing/tasks/:id/transfer',
      summary: 'Transfer a task to another queue; it keeps its arrival time',
      tags: ['routing'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      body: ZTransferTask,
      response: ZTask,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        const rc = await ownOrSupervisor(request, taskOr404(params.id).workerId, 'transfer');
        const newTaskId = routing.newTaskId();
        await routing.execute({ type: 'transfer', taskId: params.id, queueId: body.queueId, newTaskId }, rc);
        return presentTask(routing.engine, taskOr404(newTaskId));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routing/me',
      summary: 'My agent state: activity, offers ringing for me, tasks in hand',
      tags: ['routing'],
      access: { permission: 'routing:work' },
      response: ZAgentState,
      handler: async ({ request }) => {
        const rc = actorContext(ctx, request);
        const actor = staff(rc.actor);
        await routing.ensureWorker(actor, rc);
        const worker = routing.engine.worker(actor.userId);
        if (!worker) throw new AppError('not_found', 'You are not an agent.');
        return {
          workerId: worker.id,
          activity: worker.activity,
          activitySince: new Date(worker.activitySince).toISOString(),
          available: routing.engine.activityIsAvailable(worker.activity),
          load: worker.load,
          capacity: worker.capacity,
          offers: routing.engine.pendingReservationsOf(worker.id).map((r) => presentReservation(routing.engine, r)),
          tasks: [...routing.engine.allTasks()]
            .filter((t) => t.workerId === worker.id && (t.status === 'assigned' || t.status === 'wrapping'))
            .map((t) => presentTask(routing.engine, t)),
          activities: routing.engine.activityList(),
          wrapUpSeconds: routing.engine.settings.wrapUpMs / 1000,
          serverTime: ctx.clock().toISOString(),
          queues: routing.engine.queueIds(),
        };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/routing/me/activity',
      summary: 'Set my activity (Available, Break, Lunch, Training, Offline…)',
      tags: ['routing'],
      access: { permission: 'routing:work' },
      body: ZSetActivity,
      response: ZActivitySet,
      errors: [400],
      handler: async ({ body, request }) => {
        const rc = actorContext(ctx, request);
        const actor = staff(rc.actor);
        await routing.ensureWorker(actor, rc);
        await routing.execute({ type: 'setActivity', workerId: actor.userId, activity: body.activity }, rc);
        return { activity: body.activity, available: routing.engine.activityIsAvailable(body.activity) };
      },
    }),
    ...(['accept', 'reject'] as const).map((verb) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/routing/reservations/:id/${verb}`,
        summary:
          verb === 'accept' ? 'Accept an offer ringing for me' : 'Reject an offer: it goes to the next agent, not back to me at once',
        tags: ['routing'],
        access: { permission: 'routing:work' },
        params: ZReservationParams,
        response: ZReservation,
        errors: [404, 409],
        handler: async ({ params, request }) => {
          const reservation = routing.engine.reservation(params.id);
          if (!reservation) throw new AppError('not_found', `There is no offer ${params.id}.`);
          const rc = actorContext(ctx, request);
          if (staff(rc.actor).userId !== reservation.workerId) {
            await recordAudit(ctx.db, rc, {
              action: `routing.${verb}`,
              outcome: 'denied',
              resourceType: 'routing',
              details: { reservationId: params.id, reason: 'not your offer' },
            });
            throw new AppError('forbidden', 'This offer is for someone else.');
          }
          await routing.execute({ type: verb, reservationId: params.id }, rc);
          return presentReservation(routing.engine, reservation);
        },
      }),
    ),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/routing/queues/:id',
      summary: 'Add or change a queue; its target expression is checked on save (errors name the position)',
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      params: ZQueueParams,
      body: ZSaveQueue,
      response: ZQueue,
      errors: [409],
      handler: async ({ params, body, request }) => {
        return presentQueue(await saveQueue(ctx.db, routing, actorContext(ctx, request), { id: params.id, ...body }));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routing/agents',
      summary: 'Every agent known to routing: activity with time in state, load and capacity (supervisors)',
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      response: ZAgentList,
      handler: async () => {
        const workers = [...routing.engine.allWorkers()];
        const names = await agentNames(
          ctx.db,
          workers.map((w) => w.id),
        );
        return {
          agents: workers
            .map((w) => ({
              userId: w.id,
              displayName: names.find((n) => n.id === w.id)?.display_name ?? w.id,
              activity: w.activity,
              activitySince: new Date(w.activitySince).toISOString(),
              available: routing.engine.activityIsAvailable(w.activity),
              load: w.load,
            }))
            .sort((a, b) => a.displayName.localeCompare(b.displayName)),
        };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/routing/agents/:userId/activity',
      summary: "Change an agent's activity (supervisors), e.g. put a missed agent back to Available",
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      params: ZWorkerParams,
      body: ZSetActivity,
      response: ZActivitySet,
      errors: [404],
      handler: async ({ params, body, request }) => {
        if (!routing.engine.worker(params.userId)) throw new AppError('not_found', 'That person is not known to routing as an agent.');
        await routing.execute({ type: 'setActivity', workerId: params.userId, activity: body.activity }, actorContext(ctx, request));
        return { activity: body.activity, available: routing.engine.activityIsAvailable(body.activity) };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/routing/workers/:userId',
      summary: "Set an agent's routing attributes (skills, languages, level) and capacity",
      tags: ['routing'],
      access: { permission: 'routing:supervise' },
      params: ZWorkerParams,
      body: ZWorkerSettings,
      response: ZWorkerSettingsSaved,
      errors: [404],
      handler: async ({ params, body, request }) => {
        return saveWorkerSettings(ctx.db, routing, actorContext(ctx, request), params.userId, {
          attributes: body.attributes,
          voiceCapacity: body.voiceCapacity,
          workItemCapacity: body.workItemCapacity,
        });
      },
    }),
  ];
}
