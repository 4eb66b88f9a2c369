import { z } from 'zod';
import { ZIdParams } from '../../contracts/cases.js';
import { ZPartnerClient } from '../../contracts/identity.js';
import { ZClientRequest } from '../../contracts/partner.js';
import {
  agencyClientRequests,
  agencyClients,
  type ClientRequestRow,
  collectClientSecret,
  decideClientRequest,
  pendingClientRequests,
  requestClient,
} from '../../services/client-request.service.js';
import { partnerActor } from '../../services/partner-submission.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentClient } from '../presenters/identity.presenter.js';
import { defineRoute } from '../route.js';

/** API clients in the partner portal: an officer asks, an admin decides, the officer collects the secret once. */

const present = (r: ClientRequestRow): z.infer<typeof ZClientRequest> => ({
  id: r.id,
  agencyOri: r.agency_ori,
  name: r.name,
  scopes: r.scopes,
  justification: r.justification,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  decidedAt: r.decided_at?.toISOString() ?? null,
  decisionNote: r.decision_note,
  clientId: r.client_id,
  secretWaiting: r.secret_enc !== null,
});

export function clientRequestRoutes(ctx: AppContext) {
  const officer = (request: Parameters<typeof actorContext>[1]) => {
    const rc = actorContext(ctx, request);
    return { ...rc, actor: partnerActor(rc.actor) };
  };
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/portal/client-requests',
      summary: 'Ask for an API client for my agency; an admin approves or refuses',
      tags: ['partner'],
      access: { permission: 'client:request' },
      body: z.strictObject({
        name: z.string().trim().min(1).max(100).describe('the system that will use it, e.g. "County RMS"'),
        scopes: z.array(z.string()).min(1).max(5),
        justification: z.string().trim().min(10).max(1_000),
      }),
      response: ZClientRequest,
      successStatus: 201,
      errors: [409],
      handler: async ({ body, request }) => present(await requestClient(ctx.identity, officer(request), body)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/portal/client-requests',
      summary: "My agency's API client requests and its clients",
      tags: ['partner'],
      access: { permission: 'client:request' },
      response: z.object({ requests: z.array(ZClientRequest), clients: z.array(ZPartnerClient) }),
      handler: async ({ request }) => {
        const ori = officer(request).actor.agencyOri;
        return {
          requests: (await agencyClientRequests(ctx.identity, ori)).map(present),
          clients: (await agencyClients(ctx.identity, ori)).map(presentClient),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/portal/client-requests/:id/collect',
      summary: 'Collect the secret of an approved client — once, by the officer who asked',
      tags: ['partner'],
      access: { permission: 'client:request' },
      params: ZIdParams,
      body: z.strictObject({}).optional(),
      response: z.object({ clientId: z.string(), clientSecret: z.string().describe('shown only now') }),
      errors: [404, 409],
      handler: async ({ params, request }) => collectClientSecret(ctx.identity, officer(request), params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/client-requests',
      summary: "Partner officers' API client requests (admins)",
      tags: ['admin'],
      access: { permission: 'client:manage' },
      query: z.strictObject({ status: z.enum(['pending', 'approved', 'refused']).optional() }),
      response: z.object({ requests: z.array(ZClientRequest) }),
      handler: async ({ query }) => ({ requests: (await pendingClientRequests(ctx.identity, query.status)).map(present) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/client-requests/:id/decide',
      summary: 'Approve (the client is made; the officer collects its secret) or refuse a request',
      tags: ['admin'],
      access: { permission: 'client:manage' },
      params: ZIdParams,
      body: z.strictObject({ decision: z.enum(['approve', 'refuse']), note: z.string().trim().max(500).optional() }),
      response: ZClientRequest,
      errors: [404, 409],
      handler: async ({ params, body, request }) =>
        present(await decideClientRequest(ctx.identity, actorContext(ctx, request), params.id, body)),
    }),
  ];
}
