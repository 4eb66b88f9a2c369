import { ZIdParams } from '../../contracts/cases.js';
import {
  ZAgencyClientRequests,
  ZClientRequestBody,
  ZClientRequestDecisionBody,
  ZClientRequestList,
  ZClientRequestListQuery,
  ZCollectedClientSecret,
} from '../../contracts/client-requests.js';
import { ZEmptyBody } from '../../contracts/common.js';
import { ZClientRequest } from '../../contracts/partner.js';
import type { ClientRequest } from '../../contracts/views.js';
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

const present = (r: ClientRequestRow): ClientRequest => ({
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
      body: ZClientRequestBody,
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
      response: ZAgencyClientRequests,
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
      body: ZEmptyBody,
      response: ZCollectedClientSecret,
      errors: [404, 409],
      handler: async ({ params, request }) => collectClientSecret(ctx.identity, officer(request), params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/client-requests',
      summary: "Partner officers' API client requests (admins)",
      tags: ['admin'],
      access: { permission: 'client:manage' },
      query: ZClientRequestListQuery,
      response: ZClientRequestList,
      handler: async ({ query }) => ({ requests: (await pendingClientRequests(ctx.identity, query.status)).map(present) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/client-requests/:id/decide',
      summary: 'Approve (the client is made; the officer collects its secret) or refuse a request',
      tags: ['admin'],
      access: { permission: 'client:manage' },
      params: ZIdParams,
      body: ZClientRequestDecisionBody,
      response: ZClientRequest,
      errors: [404, 409],
      handler: async ({ params, body, request }) =>
        present(await decideClientRequest(ctx.identity, actorContext(ctx, request), params.id, body)),
    }),
  ];
}
