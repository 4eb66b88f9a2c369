import { ZTokenAnswer, ZTokenRequest } from '../../contracts/identity.js';
import { ZAgency, ZAgencyParams } from '../../contracts/persons.js';
import { AppError } from '../../domain/errors/app-error.js';
import { sourceKey } from '../../domain/identity/sign-in-policy.js';
import { requireAccess } from '../../services/access.service.js';
import { readAgency } from '../../services/agency.service.js';
import { issueToken, OAuthError } from '../../services/partner-client.service.js';
import { type AppContext, actorContext, requestContext } from '../context.js';
import { presentAgency } from '../presenters/person.presenter.js';
import { defineRoute } from '../route.js';

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header ? /^Basic ([A-Za-z0-9+/=]+)$/.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

export function partnerRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/partner/v1/oauth/token',
      summary: 'OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4)',
      description:
        'application/x-www-form-urlencoded (or JSON) with grant_type=client_credentials; client credentials by HTTP Basic or client_id/client_secret. Tokens live 15 minutes. Errors follow RFC 6749 §5.2. Rate-limited per address and client.',
      tags: ['partner'],
      access: { public: true, reason: 'token endpoint: authenticates the client credentials itself' },
      body: ZTokenRequest,
      response: ZTokenAnswer,
      errors: [401, 429],
      handler: async ({ body, request, reply }) => {
        const basic = basicCredentials(request.headers.authorization);
        const clientId = basic?.id ?? body.client_id ?? '';
        const now = ctx.clock().getTime();
        // Per address, and per client from that address: failures elsewhere never refuse the client's own systems.
        const source = sourceKey(request.ip);
        for (const key of [`ip:${source}`, `client:${clientId}@${source}`]) {
          const verdict = ctx.tokenRateLimit.hit(key, now);
          if (!verdict.allowed) {
            reply.header('retry-after', String(verdict.retryAfterSeconds));
            throw new AppError('rate_limited', `Too many token requests; try again in ${verdict.retryAfterSeconds} s.`);
          }
        }
        const fail = (error: string, description: string, status: number) => {
          reply.status(status);
          if (status === 401) reply.header('www-authenticate', 'Basic realm="switchboard-partner"');
          return { error, error_description: description };
        };
        if (body.grant_type !== 'client_credentials')
          return fail('unsupported_grant_type', 'Only grant_type=client_credentials is supported.', 400);
        const secret = basic?.secret ?? body.client_secret;
        if (!clientId || !secret) return fail('invalid_client', 'Client authentication failed.', 401);
        try {
          const token = await issueToken(ctx.identity, requestContext(ctx, request), { clientId, clientSecret: secret, scope: body.scope });
          return { access_token: token.accessToken, token_type: 'Bearer' as const, expires_in: token.expiresIn, scope: token.scope };
        } catch (error) {
          if (error instanceof OAuthError) return fail(error.error, error.description, error.status);
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/partner/v1/agencies/:ori',
      summary: "Your agency's profile and 287(g) agreement (only your own agency)",
      tags: ['partner'],
      access: { permission: 'agency:read', via: 'client' },
      params: ZAgencyParams,
      response: ZAgency,
      errors: [404],
      handler: async ({ params, request }) => {
        const rc = actorContext(ctx, request);
        await requireAccess(
          { db: ctx.db, permissions: ctx.identity.permissions },
          rc,
          'agency:read',
          { type: 'agency', ori: params.ori },
          {
            action: 'agency.read',
            resourceType: 'agency',
            resourceId: params.ori,
          },
        );
        return presentAgency(await readAgency(ctx.db, rc, params.ori));
      },
    }),
  ];
}
