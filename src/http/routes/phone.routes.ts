import { ZEmptyBody, ZOk } from '../../contracts/common.js';
import {
  ZIssuedPhonePassword,
  ZIssuePhoneRequest,
  ZPhoneBindingList,
  ZSoftphoneCredential,
  ZUsernameParams,
} from '../../contracts/identity.js';
import * as phones from '../../services/phone.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/**
 * Agents' phones (issue #21, item 2): an admin binds an account's phone and issues its password (shown once in the
 * answer, rotated by issuing again, ended by unbinding); the signed-in agent's desktop gets its softphone credential.
 * Every act is audited in its service, without the secret.
 */

const presentBinding = (b: phones.PhoneBinding) => ({
  username: b.username,
  sipUser: b.sipUser,
  phoneIssuedAt: b.phoneIssuedAt?.toISOString() ?? null,
  softphoneIssuedAt: b.softphoneIssuedAt?.toISOString() ?? null,
});

export function phoneRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/phones',
      summary: "Accounts' phones: the SIP user each is bound to, and when its credentials were issued (never the credentials)",
      tags: ['admin'],
      access: { permission: 'phone:manage' },
      response: ZPhoneBindingList,
      handler: async () => ({ phones: (await phones.listPhoneBindings(ctx.phones)).map(presentBinding) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/users/:username/phone',
      summary:
        "Bind the account's phone and issue its password — shown only in this answer; issuing again rotates it (the old one stops working)",
      description:
        'The SIP user is the username unless another is given when the phone is first bound. Call control rings the bound phone: no routing attribute to type.',
      tags: ['admin'],
      access: { permission: 'phone:manage' },
      params: ZUsernameParams,
      body: ZIssuePhoneRequest,
      response: ZIssuedPhonePassword,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        const issued = await phones.issuePhonePassword(ctx.phones, actorContext(ctx, request), params.username, body);
        return { phone: presentBinding(issued.binding), authUser: issued.authUser, password: issued.password, realm: issued.realm };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/admin/users/:username/phone',
      summary: "Unbind the account's phone: its desk phone and softphone credentials stop working, and it is no longer rung",
      tags: ['admin'],
      access: { permission: 'phone:manage' },
      params: ZUsernameParams,
      response: ZOk,
      errors: [404],
      handler: async ({ params, request }) => {
        await phones.unbindPhone(ctx.phones, actorContext(ctx, request), params.username);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/softphone/credentials',
      summary:
        "The signed-in agent's softphone credential for the desktop (SIP over WebSocket), fresh each time; the one before stops working",
      tags: ['desktop'],
      access: { permission: 'routing:work' },
      body: ZEmptyBody,
      response: ZSoftphoneCredential,
      errors: [409],
      handler: async ({ request, reply }) => {
        void reply.header('cache-control', 'no-store');
        return phones.issueSoftphoneCredential(ctx.phones, actorContext(ctx, request));
      },
    }),
  ];
}
