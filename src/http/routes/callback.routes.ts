import { ZCallback, ZCallbackClose, ZCallbackInHand, ZCallbackList, ZCallbackListQuery, ZVoicemail } from '../../contracts/callbacks.js';
import { ZCaseReadQuery, ZIdParams } from '../../contracts/cases.js';
import { ZTextResponse } from '../../contracts/common.js';
import { ZTaskParams } from '../../contracts/routing.js';
import { playRecording, playVoicemail, voicemailOfTask } from '../../services/voicemail.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/** Callbacks the center owes (supervisors) and voicemails to work (agents): the promises kept to callers. */
export function callbackRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/callbacks',
      summary: 'Callbacks by status (default: the supervisors’ list, tries used up), numbers masked, with their tries',
      tags: ['telephony'],
      access: { permission: 'callback:manage' },
      query: ZCallbackListQuery,
      response: ZCallbackList,
      handler: async ({ query, request }) => ({
        callbacks: await ctx.callbacks.list(actorContext(ctx, request), query.status, query.limit),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/callbacks/:id/retry',
      summary: 'Grant a callback whose tries ran out one more try, at the next calling time',
      tags: ['telephony'],
      access: { permission: 'callback:manage' },
      params: ZIdParams,
      response: ZCallback,
      errors: [404, 409],
      handler: async ({ params, request }) => ctx.callbacks.retry(actorContext(ctx, request), params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/callbacks/:id/close',
      summary: 'Close a callback that will not be made, saying why',
      tags: ['telephony'],
      access: { permission: 'callback:manage' },
      params: ZIdParams,
      body: ZCallbackClose,
      response: ZCallback,
      errors: [404, 409],
      handler: async ({ params, body, request }) => ctx.callbacks.close(actorContext(ctx, request), params.id, body.reason),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routing/tasks/:id/callback',
      summary: 'The callback a try in your hands is for (number masked) and the cases it is about, to have on screen',
      tags: ['telephony'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      response: ZCallbackInHand,
      errors: [404],
      handler: async ({ params, request }) => ctx.callbacks.ofTaskInHand(actorContext(ctx, request), params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routing/tasks/:id/voicemail',
      summary: 'The voicemail a task is about (length, line, language; not the audio)',
      tags: ['telephony'],
      access: { permission: 'voicemail:play' },
      params: ZTaskParams,
      response: ZVoicemail,
      errors: [404],
      handler: async ({ params, request }) => voicemailOfTask(ctx.db, actorContext(ctx, request), params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/voicemails/:id/audio',
      summary: "A voicemail's audio (WAV), audited with its purpose: the task in hand, or purposeCode and purpose",
      tags: ['telephony'],
      access: { permission: 'voicemail:play' },
      params: ZIdParams,
      query: ZCaseReadQuery,
      response: ZTextResponse,
      contentType: 'audio/wav',
      errors: [400, 404],
      handler: async ({ params, query, request, reply }) => {
        const { content } = await playVoicemail(
          { db: ctx.db, routing: ctx.routing, dir: ctx.attachments.dir },
          actorContext(ctx, request),
          params.id,
          { code: query.purposeCode, text: query.purpose },
        );
        reply.type('audio/wav');
        reply.header('content-disposition', `inline; filename="voicemail-${params.id}.wav"`);
        return content as unknown as string;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/calls/:id/recording',
      summary: "A call's recording (WAV, both parties mixed), audited with the purpose stated: purposeCode and purpose",
      tags: ['telephony'],
      access: { permission: 'recording:play' },
      params: ZIdParams,
      query: ZCaseReadQuery,
      response: ZTextResponse,
      contentType: 'audio/wav',
      errors: [400, 404],
      handler: async ({ params, query, request, reply }) => {
        const { content } = await playRecording(ctx.db, ctx.attachments.dir, actorContext(ctx, request), params.id, {
          code: query.purposeCode,
          text: query.purpose,
        });
        reply.type('audio/wav');
        reply.header('content-disposition', `inline; filename="recording-${params.id}.wav"`);
        return content as unknown as string;
      },
    }),
  ];
}
