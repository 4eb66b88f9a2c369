import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { SsoSettings } from '../../src/config/config.js';
import { parseAssurance, parseRoleMap } from '../../src/domain/identity/sso-policy.js';

/**
 * A real OpenID Connect provider (npm `oidc-provider`) on loopback, standing in for the agency's identity provider:
 * one confidential client (Switchboard, code flow with PKCE), and synthetic accounts with the claims a directory would
 * give (groups, field office, unit) and the assurance (`acr`) their login had — a PIV login gives `phr`, a password
 * login `aal1`. Its login page is a one-field form: the name of the account to sign in as.
 */

export const PIV = 'phr';
export const PASSWORD_ONLY = 'http://idmanagement.gov/ns/assurance/aal/1';

export type TestAccount = { sub: string; acr: string; claims: Record<string, unknown> };

export type TestIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, TestAccount>;
  /** What the provider's login page does when someone signs in: by default, succeed as the named account. */
  refuseNext: (error: string) => void;
  close: () => Promise<void>;
};

const CLIENT_ID = 'switchboard-test';
const CLIENT_SECRET = 'a-synthetic-client-secret-for-loopback-tests-only';
const SCOPES = 'openid profile switchboard';

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.from(chunk as Uint8Array));
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const page = (uid: string) => `<!doctype html><html lang="en"><head><title>Test agency sign-in</title></head><body><main>
<h1>Test agency sign-in</h1>
<form method="post" action="/interaction/${uid}"><label>Account <input name="account" autocomplete="off"></label>
<button type="submit">Sign in at the agency</button></form></main></body></html>`;

export async function startTestIdp(redirectUri: string, accounts: TestAccount[]): Promise<TestIdp> {
  const byName = new Map(accounts.map((a) => [a.sub, a]));
  let refusal: string | null = null;
  let provider: Provider | undefined;
  const server: Server = createServer((req, res) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Its own signing key, made for this run (the library's built-in development keys are for quick starts).
    jwks: {
      keys: [
        {
          ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
          kid: 'test-idp',
          use: 'sig',
          alg: 'RS256',
        },
      ],
    },
    pkce: { required: () => true },
    acrValues: [PIV, PASSWORD_ONLY],
    claims: {
      acr: null,
      auth_time: null,
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      switchboard: ['groups', 'field_office', 'unit', 'agency_ori'],
    },
    scopes: ['openid', 'profile', 'switchboard'],
    // The claims go in the ID token itself, as agency IdPs are set up for Switchboard (it reads no userinfo).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['loopback-test-cookie-key'] },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: KoaContextWithOIDC, id: string) => {
      const account = byName.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
    },
    // Switchboard is the agency's own application: no consent screen.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (!accountId || !clientId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope(SCOPES);
      await grant.save();
      return grant;
    },
  });
  idp.use(async (ctx, next) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
    if (!match) return next();
    const details = await idp.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = page(details.uid);
      return;
    }
    const form = await formOf(ctx.req);
    const account = byName.get(form.get('account') ?? '');
    const result =
      refusal !== null
        ? { error: refusal, error_description: 'refused by the test' }
        : account
          ? { login: { accountId: account.sub, acr: account.acr, amr: [account.acr === PIV ? 'hwk' : 'pwd'] } }
          : { error: 'access_denied', error_description: 'no such account' };
    refusal = null;
    const to = await idp.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  });
  provider = idp;
  return {
    issuer,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    accounts: byName,
    refuseNext: (error) => {
      refusal = error;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Switchboard's settings for the test provider: groups map to roles, and every role but the call taker's needs a PIV login. */
export function ssoSettingsFor(idp: TestIdp, redirectUri: string, assurance = `call_taker=${PIV}|${PASSWORD_ONLY},*=${PIV}`): SsoSettings {
  return {
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    redirectUri,
    scopes: SCOPES,
    providerName: 'Test Agency ID',
    // Asked for, as Login.gov requires: the provider then puts the acr it achieved in the ID token.
    acrValues: `${PIV} ${PASSWORD_ONLY}`,
    mapping: {
      roleClaim: 'groups',
      roles: parseRoleMap(
        'sb-call-takers=call_taker,sb-supervisors=supervisor,sb-field-officers=field_officer,sb-auditors=auditor,sb-admins=admin,sb-uac=uac_specialist,sb-legal=legal_reviewer,sb-analysts=analyst',
      ),
      fieldOfficeClaim: 'field_office',
      agencyClaim: 'agency_ori',
      unitClaim: 'unit',
      usernameClaim: 'preferred_username',
      displayNameClaim: 'name',
      assurance: parseAssurance(assurance),
    },
  };
}

/** A browser's walk through the provider with fetch: cookies kept per name, redirects followed by hand. */
export async function signInAtIdp(startLocation: string, account: string): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const follow = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: cookie() } });
    remember(res);
    return res;
  };
  let res = await follow(startLocation);
  let location = res.headers.get('location');
  const origin = new URL(startLocation).origin;
  // To the login page, then the form, then back through the provider until it sends the browser to the redirect URI.
  for (let hop = 0; hop < 10 && location; hop++) {
    const url = new URL(location, origin);
    if (url.origin !== origin) return url.href;
    if (url.pathname.startsWith('/interaction/')) {
      await follow(url.href);
      res = await follow(url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ account }).toString(),
      });
    } else res = await follow(url.href);
    location = res.headers.get('location');
  }
  throw new Error(`the provider did not send the browser back (last status ${res.status})`);
}
