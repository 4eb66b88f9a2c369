import {
  ZFlowDiff,
  ZFlowDiffQuery,
  ZFlowSaved,
  ZFlowVersion,
  ZFlowVersions,
  ZLineFlows,
  ZLineParams,
  ZLineVersionParams,
  ZRollbackFlow,
  ZSaveFlow,
} from '../../contracts/ivr.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/** The IVR flows from the admin console: versions, a diff, a rollback — each change in effect at once, audited. */
export function ivrRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/ivr/flows',
      summary: 'Each line’s IVR flow and the version it answers with',
      tags: ['ivr'],
      access: { permission: 'ivr:manage' },
      response: ZLineFlows,
      handler: async ({ request }) => ({ flows: await ctx.ivrFlows.list(actorContext(ctx, request)) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/ivr/flows/:line/versions',
      summary: 'A line’s flow versions, the newest first, down to version 0 (as shipped)',
      tags: ['ivr'],
      access: { permission: 'ivr:manage' },
      params: ZLineParams,
      response: ZFlowVersions,
      errors: [404],
      handler: async ({ params, request }) => ({ versions: await ctx.ivrFlows.versions(actorContext(ctx, request), params.line) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/ivr/flows/:line/versions/:version',
      summary: 'One version of a line’s flow',
      tags: ['ivr'],
      access: { permission: 'ivr:manage' },
      params: ZLineVersionParams,
      response: ZFlowVersion,
      errors: [404],
      handler: async ({ params, request }) => ({
        version: params.version,
        flow: (await ctx.ivrFlows.version(actorContext(ctx, request), params.line, params.version)) as Record<string, unknown>,
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/ivr/flows/:line/versions',
      summary:
        'Save a new version of a line’s flow (menus, hours, holidays), checked as the shipped flows are; the line answers with it at once',
      tags: ['ivr'],
      access: { permission: 'ivr:manage' },
      params: ZLineParams,
      body: ZSaveFlow,
      response: ZFlowSaved,
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) => ({
        version: await ctx.ivrFlows.save(actorContext(ctx, request), params.line, body.flow, body.note),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/ivr/flows/:line/rollback',
      summary: 'Roll a line’s flow back: an earlier version (0: as shipped) is copied forward as the newest',
      tags: ['ivr'],
      access: { permission: 'ivr:manage' },
      params: ZLineParams,
      body: ZRollbackFlow,
      response: ZFlowSaved,
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) => ({
        version: await ctx.ivrFlows.rollback(actorContext(ctx, request), params.line, body.toVersion, body.note),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/ivr/flows/:line/diff',
      summary: 'A unified diff of two versions of a line’s flow',
      tags: ['ivr'],
      access: { permission: 'ivr:manage' },
      params: ZLineParams,
      query: ZFlowDiffQuery,
      response: ZFlowDiff,
      errors: [404],
      handler: async ({ params, query, request }) => ({
        diff: await ctx.ivrFlows.diff(actorContext(ctx, request), params.line, query.from, query.to),
      }),
    }),
  ];
}
