import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ZIdParams } from '../../contracts/cases.js';
import { ZOk } from '../../contracts/common.js';
import { ZTaskParams } from '../../contracts/routing.js';
import { mayReadUnit } from '../../domain/cases/case-workflow.js';
import { AppError } from '../../domain/errors/app-error.js';
import { auditCallHelp, callOfTaskInHand, colleaguePhone } from '../../services/live-call.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/**
 * Live calls (every node's, and Twilio's): supervisors see the connected calls of units they may read and listen (monitor), coach
 * the agent unheard by the caller (whisper) or join (barge) from their own phone — their routing attribute
 * `sipUser`; agents add or drop the interpreter on a call in their hands. Every act is audited, refusals too.
 */

const ZLiveCall = z.object({
  recordId: z.string(),
  unit: z.enum(['general', 'uac']),
  line: z.string(),
  taskId: z.string().nullable(),
  connectedAt: z.string().nullable(),
  language: z.string(),
  interpreter: z.boolean(),
  parties: z.array(z.string()),
  mode: z.enum(['monitor', 'whisper', 'barge']).nullable(),
  consult: z.enum(['consulting', 'conferenced', 'transferred']).nullable(),
});
const ZConsult = z.union([
  z.strictObject({ username: z.string().trim().min(1).max(100).describe('a colleague: their phone rings') }),
  z.strictObject({
    number: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +16155550123')
      .describe('a number, through the carrier trunk (allow-listed)'),
  }),
]);
const ZSupervise = z.strictObject({ mode: z.enum(['monitor', 'whisper', 'barge']) });
const ZInterpreter = z.strictObject({
  language: z
    .string()
    .trim()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'a language code such as mam, quc or pt-BR')
    .describe('passed to the interpreter service in X-Interpreter-Language'),
});

export function liveCallRoutes(ctx: AppContext) {
  /** The call behind a task in the agent's hands, and the desk that acts on it. */
  const inHand = async (request: FastifyRequest, taskId: string) => {
    const rc = actorContext(ctx, request);
    const recordId = await callOfTaskInHand(ctx.db, ctx.routing, rc, taskId);
    return { rc, recordId, desk: await ctx.liveCalls.desk(recordId) };
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/calls/live',
      summary: 'The calls connected to an agent (every node’s, and Twilio’s), of units the viewer may read (no numbers)',
      tags: ['telephony'],
      access: { permission: 'call:supervise' },
      response: z.object({ calls: z.array(ZLiveCall) }),
      handler: async ({ request }) => {
        const rc = actorContext(ctx, request);
        return { calls: (await ctx.liveCalls.list()).filter((c) => mayReadUnit(rc.actor, c.unit)) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/calls/:id/supervise',
      summary: 'Listen to (monitor), whisper on or join (barge) a connected call from your own phone; again to change mode',
      tags: ['telephony'],
      access: { permission: 'call:supervise' },
      params: ZIdParams,
      body: ZSupervise,
      response: ZLiveCall,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) => {
        const rc = actorContext(ctx, request);
        const call = await ctx.liveCalls.find(params.id);
        if (!call || !mayReadUnit(rc.actor, call.unit)) {
          await auditCallHelp(ctx.db, rc, {
            action: 'call.supervise',
            recordId: params.id,
            outcome: 'denied',
            details: { mode: body.mode, rule: call ? 'need_to_know' : 'not_connected' },
          });
          throw new AppError('not_found', 'There is no such connected call.');
        }
        const phone = rc.actor.kind === 'user' ? ctx.routing.engine.worker(rc.actor.userId)?.attributes.sipUser : undefined;
        if (typeof phone !== 'string' || phone === '')
          throw new AppError(
            'unprocessable',
            'Your account has no phone to listen on: ask an admin to bind one (routing attribute sipUser).',
          );
        try {
          const result = await (await ctx.liveCalls.desk(params.id)).supervise(params.id, phone, body.mode);
          await auditCallHelp(ctx.db, rc, {
            action: 'call.supervise',
            recordId: params.id,
            outcome: 'allowed',
            details: { mode: body.mode, unit: call.unit },
          });
          return result;
        } catch (error) {
          await auditCallHelp(ctx.db, rc, {
            action: 'call.supervise',
            recordId: params.id,
            outcome: 'denied',
            details: { mode: body.mode, rule: 'not_joined', reason: error instanceof Error ? error.message : String(error) },
          });
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/calls/:id/supervise',
      summary: 'Leave a call you were listening to or on (your phone hangs up)',
      tags: ['telephony'],
      access: { permission: 'call:supervise' },
      params: ZIdParams,
      response: ZOk,
      handler: async ({ params, request }) => {
        await (await ctx.liveCalls.desk(params.id)).leave(params.id);
        await auditCallHelp(ctx.db, actorContext(ctx, request), { action: 'call.supervise_end', recordId: params.id, outcome: 'allowed' });
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/routing/tasks/:id/interpreter',
      summary: 'Call the interpreter service onto the call in your hands (three-way), in a language',
      tags: ['telephony'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      body: ZInterpreter,
      response: ZOk,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) => {
        const { rc, recordId, desk } = await inHand(request, params.id);
        const joined = await desk.interpreter(recordId, body.language);
        await auditCallHelp(ctx.db, rc, {
          action: 'call.interpreter_add',
          recordId,
          outcome: joined ? 'allowed' : 'denied',
          details: { language: body.language, ...(joined ? {} : { rule: 'not_answered' }) },
        });
        if (!joined) throw new AppError('unprocessable', 'The interpreter service did not answer.');
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routing/tasks/:id/parties',
      summary: 'Who is on the call in your hands (caller, agent, interpreter, supervisor)',
      tags: ['telephony'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      response: z.object({ parties: z.array(z.string()) }),
      errors: [404],
      handler: async ({ params, request }) => {
        const recordId = await callOfTaskInHand(ctx.db, ctx.routing, actorContext(ctx, request), params.id);
        return { parties: (await ctx.liveCalls.find(recordId))?.parties ?? [] };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/routing/tasks/:id/interpreter',
      summary: 'Drop the interpreter from the call in your hands',
      tags: ['telephony'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      response: ZOk,
      errors: [404],
      handler: async ({ params, request }) => {
        const { rc, recordId, desk } = await inHand(request, params.id);
        await desk.dropInterpreter(recordId);
        await auditCallHelp(ctx.db, rc, { action: 'call.interpreter_drop', recordId, outcome: 'allowed' });
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/routing/tasks/:id/consult',
      summary: 'Consult a colleague (username) or a number while the caller holds; then conference, transfer or cancel',
      tags: ['telephony'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      body: ZConsult,
      response: ZOk,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) => {
        const { rc, recordId, desk } = await inHand(request, params.id);
        const target = 'number' in body ? { number: body.number } : { phone: await colleaguePhone(ctx.db, ctx.routing, body.username) };
        const answered = await desk.consult(recordId, target);
        await auditCallHelp(ctx.db, rc, {
          action: 'call.consult',
          recordId,
          outcome: answered ? 'allowed' : 'denied',
          details: {
            target: 'number' in body ? 'number' : 'colleague',
            ...('username' in body ? { username: body.username } : {}),
            ...(answered ? {} : { rule: 'not_answered' }),
          },
        });
        if (!answered) throw new AppError('unprocessable', 'No answer: the caller is back with you.');
        return { ok: true as const };
      },
    }),
    ...(['conference', 'transfer'] as const).map((step) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/routing/tasks/:id/consult/${step}`,
        summary:
          step === 'conference'
            ? 'The consultation becomes a three-way call (the caller back from hold)'
            : 'Warm transfer: you leave; the caller and the party you consulted go on (your task goes to wrap-up)',
        tags: ['telephony'],
        access: { permission: 'routing:work' },
        params: ZTaskParams,
        response: ZOk,
        errors: [404, 409],
        handler: async ({ params, request }) => {
          const { rc, recordId, desk } = await inHand(request, params.id);
          if (step === 'conference') await desk.consultConference(recordId);
          else await desk.consultTransfer(recordId);
          await auditCallHelp(ctx.db, rc, { action: `call.consult_${step}`, recordId, outcome: 'allowed' });
          return { ok: true as const };
        },
      }),
    ),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/routing/tasks/:id/consult',
      summary: 'End the consultation: the consulted party hangs up, the caller comes back to you',
      tags: ['telephony'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      response: ZOk,
      errors: [404, 409],
      handler: async ({ params, request }) => {
        const { rc, recordId, desk } = await inHand(request, params.id);
        await desk.consultCancel(recordId);
        await auditCallHelp(ctx.db, rc, { action: 'call.consult_cancel', recordId, outcome: 'allowed' });
        return { ok: true as const };
      },
    }),
  ];
}
