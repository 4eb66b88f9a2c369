import { ZOk } from '../../contracts/common.js';
import {
  ZContactHistory,
  ZContactHistoryQuery,
  ZDispositionBody,
  ZDispositionResult,
  ZDraft,
  ZDraftBody,
  ZDraftParams,
} from '../../contracts/desktop.js';
import { ZIntakeForms } from '../../contracts/intake-forms.js';
import { ZTaskParams } from '../../contracts/routing.js';
import { contactHistory, deleteDraft, intakeForms, readDraft, recordDisposition, saveDraft } from '../../services/desktop.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

export function desktopRoutes(ctx: AppContext) {
  // Read now: a broken forms file stops the server at start-up, naming the field.
  intakeForms();
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/intake/forms',
      summary: 'The scripted intake forms per queue and the wrap-up dispositions (configuration, not screens)',
      tags: ['desktop'],
      access: { permission: 'report:create' },
      response: ZIntakeForms,
      handler: async () => intakeForms(),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/intake/drafts/:key',
      summary: 'My saved intake draft under this key (the task id)',
      tags: ['desktop'],
      access: { permission: 'report:create' },
      params: ZDraftParams,
      response: ZDraft,
      errors: [404],
      handler: async ({ params, request }) => readDraft(ctx.db, actorContext(ctx, request), params.key),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/intake/drafts/:key',
      summary: 'Save my intake draft as I type; send the version you last saw (null for a new draft), a stale one gets 409',
      tags: ['desktop'],
      access: { permission: 'report:create' },
      params: ZDraftParams,
      body: ZDraftBody,
      bodyLimit: 262_144,
      response: ZDraft,
      errors: [409],
      handler: async ({ params, body, request }) => saveDraft(ctx.db, actorContext(ctx, request), params.key, body),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/intake/drafts/:key',
      summary: 'Discard my draft (after the intake is saved)',
      tags: ['desktop'],
      access: { permission: 'report:create' },
      params: ZDraftParams,
      response: ZOk,
      handler: async ({ params, request }) => {
        await deleteDraft(ctx.db, actorContext(ctx, request), params.key);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/routing/tasks/:id/disposition',
      summary: 'The disposition of a contact I have in hand, with notes and the case or report it led to',
      tags: ['desktop'],
      access: { permission: 'routing:work' },
      params: ZTaskParams,
      body: ZDispositionBody,
      response: ZDispositionResult,
      errors: [404, 422],
      handler: async ({ params, body, request }) => {
        const done = await recordDisposition(
          { db: ctx.db, routing: ctx.routing, callbacks: ctx.callbacks },
          actorContext(ctx, request),
          params.id,
          body,
        );
        return { ok: true as const, ...done };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/contacts/history',
      summary: "Earlier contacts from a caller's number: count, dates, dispositions, and cases the viewer may know of",
      description: 'A number ties a caller to what they reported: only for those with need-to-know of reporters (reporter:identity).',
      tags: ['desktop'],
      access: { permission: 'reporter:identity' },
      query: ZContactHistoryQuery,
      response: ZContactHistory,
      errors: [400],
      handler: async ({ query, request }) => contactHistory(ctx.db, actorContext(ctx, request), query.number),
    }),
  ];
}
