import {
  ZAddClientRequest,
  ZAddUserRequest,
  ZBreakGlassRequest,
  ZChangeAccessRequest,
  ZClientParams,
  ZClientWithSecret,
  ZInvitedUser,
  ZPartnerClient,
  ZPartnerClientList,
  ZUser,
  ZUserList,
  ZUsernameParams,
} from '../../contracts/identity.js';
import * as clients from '../../services/partner-client.service.js';
import * as users from '../../services/user-admin.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentClient, presentUser } from '../presenters/identity.presenter.js';
import { defineRoute } from '../route.js';

const presentInvited = (invited: users.InvitedUser) => ({
  user: presentUser(invited.user),
  enrollment: { delivery: invited.enrollment.channel, expiresAt: invited.enrollment.expiresAt.toISOString() },
});

export function adminRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/users',
      summary: 'Staff accounts',
      tags: ['admin'],
      access: { permission: 'user:read' },
      response: ZUserList,
      handler: async ({ request }) => ({ users: (await users.listUsers(ctx.identity, actorContext(ctx, request))).map(presentUser) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/users',
      summary: 'Add a staff account; its one-time enrollment link (72 hours) goes out of band to the person, never in this answer',
      description:
        'The link is written to the enrollment outbox for the site to deliver to the person: an admin who received it could enroll the account and be both people of a two-person rule.',
      tags: ['admin'],
      access: { permission: 'user:manage' },
      body: ZAddUserRequest,
      response: ZInvitedUser,
      successStatus: 201,
      errors: [404, 409],
      handler: async ({ body, request }) => presentInvited(await users.addUser(ctx.identity, actorContext(ctx, request), body)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/admin/users/:username',
      summary: 'Change what an account may see and do — role, unit, field office, agency; its sessions end; nobody changes their own',
      tags: ['admin'],
      access: { permission: 'user:manage' },
      params: ZUsernameParams,
      body: ZChangeAccessRequest,
      response: ZUser,
      errors: [403, 404],
      handler: async ({ params, body, request }) =>
        presentUser(await users.changeAccess(ctx.identity, actorContext(ctx, request), params.username, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/users/:username/disable',
      summary: 'Disable an account; its sessions end at once',
      tags: ['admin'],
      access: { permission: 'user:manage' },
      params: ZUsernameParams,
      response: ZUser,
      errors: [404],
      handler: async ({ params, request }) =>
        presentUser(await users.disableUser(ctx.identity, actorContext(ctx, request), params.username)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/users/:username/reset-mfa',
      summary: 'Forget the authenticator and recovery codes; the next sign-in enrolls a new one',
      tags: ['admin'],
      access: { permission: 'user:manage' },
      params: ZUsernameParams,
      response: ZUser,
      errors: [404],
      handler: async ({ params, request }) => presentUser(await users.resetMfa(ctx.identity, actorContext(ctx, request), params.username)),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/admin/users/:username/break-glass',
      summary: 'Mark (or unmark) a break-glass account: the only kind that signs in with password and TOTP while single sign-on is on',
      description:
        "For when the identity provider is down: keep a few, guarded, and watched. Audited; nobody marks their own account. Unmarking ends the account's sessions while single sign-on is on.",
      tags: ['admin'],
      access: { permission: 'user:manage' },
      params: ZUsernameParams,
      body: ZBreakGlassRequest,
      response: ZUser,
      errors: [403, 404],
      handler: async ({ params, body, request }) =>
        presentUser(await users.setBreakGlass(ctx.identity, actorContext(ctx, request), params.username, body.breakGlass)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/users/:username/reset-password',
      summary: 'Reset a forgotten password: the old one stops working, sessions end, a one-time link goes out of band to the person',
      description: 'The authenticator stays: the link alone opens no session. The link is never in this answer.',
      tags: ['admin'],
      access: { permission: 'user:manage' },
      params: ZUsernameParams,
      response: ZInvitedUser,
      errors: [404, 409],
      handler: async ({ params, request }) =>
        presentInvited(await users.resetPassword(ctx.identity, actorContext(ctx, request), params.username)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/partner-clients',
      summary: 'Partner machine clients',
      tags: ['admin'],
      access: { permission: 'client:manage' },
      response: ZPartnerClientList,
      handler: async () => ({ clients: (await clients.listClients(ctx.identity)).map(presentClient) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/partner-clients',
      summary: 'Add a partner client bound to an agency; its secret is shown only in this answer',
      tags: ['admin'],
      access: { permission: 'client:manage' },
      body: ZAddClientRequest,
      response: ZClientWithSecret,
      successStatus: 201,
      errors: [404, 409],
      handler: async ({ body, request }) => {
        const created = await clients.addClient(ctx.identity, actorContext(ctx, request), body);
        return { client: presentClient(created.client), clientSecret: created.clientSecret };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/partner-clients/:clientId/rotate',
      summary: "Replace a client's secret; the old one, and every token issued under it, stop working now",
      tags: ['admin'],
      access: { permission: 'client:manage' },
      params: ZClientParams,
      response: ZClientWithSecret,
      errors: [404, 409],
      handler: async ({ params, request }) => {
        const rotated = await clients.rotateClientSecret(ctx.identity, actorContext(ctx, request), params.clientId);
        return { client: presentClient(rotated.client), clientSecret: rotated.clientSecret };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/partner-clients/:clientId/revoke',
      summary: 'Revoke a client: its secret and every token it holds stop working now',
      tags: ['admin'],
      access: { permission: 'client:manage' },
      params: ZClientParams,
      response: ZPartnerClient,
      errors: [404],
      handler: async ({ params, request }) =>
        presentClient(await clients.revokeClient(ctx.identity, actorContext(ctx, request), params.clientId)),
    }),
  ];
}
