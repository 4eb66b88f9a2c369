import { randomBytes, webcrypto } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Transaction } from 'kysely';
import { CLIENT_SCOPES, type ClientActor, type ClientScope, isClientScope } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import type { ClientRow } from '../storage/repositories/identity.repository.js';
import * as identity from '../storage/repositories/identity.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext, recordAudit } from './audit.service.js';
import type { IdentityDeps } from './identity-context.js';
import { digest, sameDigest } from './keys.js';

type Trx = Transaction<Database>;

/**
 * Partner systems authenticate with the OAuth 2.0 client-credentials grant
 * (RFC 6749 §4.4): a client id and secret, bound to one agency's ORI and a set
 * of scopes, exchanged for a short-lived signed JWT. Secrets are stored as
 * SHA-256 digests (they are 256-bit random, so a slow hash adds nothing) and
 * shown once. Tokens carry the secret generation they were issued under
 * (claim `gen`), checked against the client's row on every use: rotation
 * moves to the next generation, so every token issued under the old secret
 * stops working at once; revocation stops the client and all its tokens.
 */

export const TOKEN_LIFETIME_S = 15 * 60;
const ISSUER = 'switchboard';
const AUDIENCE = 'switchboard-partner-api';

/** The client row as stored (presenters leave out the secret digest). */
export type { ClientRow };

export type NewClient = { client: ClientRow; clientSecret: string };

const newClientId = (): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `pc_${[...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join('')}`;
};
const newSecret = (): string => `pcs_${randomBytes(32).toString('base64url')}`;

export function parseScopes(scopes: readonly string[]): ClientScope[] {
  const unknown = scopes.filter((s) => !isClientScope(s));
  if (unknown.length > 0) {
    throw new AppError(
      'validation_failed',
      `Unknown scope: ${unknown.join(', ')}. Known scopes: ${Object.keys(CLIENT_SCOPES).join(', ')}.`,
    );
  }
  return scopes.filter(isClientScope);
}

export async function addClient(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { agencyOri: string; name: string; scopes: string[] },
): Promise<NewClient> {
  return deps.db.transaction().execute((trx) => addClientIn(trx, ctx, input));
}

/** Adds a client inside the caller's transaction (an admin approving a partner officer's request does both at once). */
export async function addClientIn(
  trx: Trx,
  ctx: RequestContext,
  input: { agencyOri: string; name: string; scopes: string[] },
): Promise<NewClient> {
  const scopes = parseScopes(input.scopes.length > 0 ? input.scopes : Object.keys(CLIENT_SCOPES));
  const secret = newSecret();
  const agency = await identity.findAgency(trx, input.agencyOri);
  if (!agency) throw new AppError('not_found', `No agency has the ORI ${input.agencyOri}.`);
  if (agency.agreement_status !== 'active') {
    throw new AppError(
      'conflict',
      `The 287(g) agreement of ${input.agencyOri} is ${agency.agreement_status}; clients are issued only to agencies with an active agreement.`,
    );
  }
  const client = await identity.insertClient(trx, {
    client_id: newClientId(),
    name: input.name,
    agency_ori: agency.ori,
    scopes,
    secret_hash: digest(secret),
  });
  await appendAudit(trx, ctx, {
    action: 'client.add',
    outcome: 'allowed',
    resourceType: 'partner_client',
    resourceId: client.client_id,
    details: { agencyOri: agency.ori, scopes },
  });
  return { client, clientSecret: secret };
}

async function requireClient(deps: IdentityDeps, clientId: string): Promise<ClientRow> {
  const client = await identity.findClient(deps.db, clientId);
  if (!client) throw new AppError('not_found', `There is no client ${clientId}.`);
  return client;
}

/** A new secret; the old one and every token issued under it stop working now. */
export async function rotateClientSecret(deps: IdentityDeps, ctx: RequestContext, clientId: string): Promise<NewClient> {
  const client = await requireClient(deps, clientId);
  if (client.revoked_at) throw new AppError('conflict', `The client ${clientId} is revoked.`);
  const secret = newSecret();
  return deps.db.transaction().execute(async (trx) => {
    const rotated = await identity.rotateClientSecret(trx, clientId, digest(secret), ctx.now);
    if (!rotated) throw new AppError('conflict', `The client ${clientId} is revoked.`);
    await appendAudit(trx, ctx, {
      action: 'client.rotate',
      outcome: 'allowed',
      resourceType: 'partner_client',
      resourceId: clientId,
      details: { generation: rotated.secret_generation, tokensRevoked: true },
    });
    return { client: rotated, clientSecret: secret };
  });
}

export async function revokeClient(deps: IdentityDeps, ctx: RequestContext, clientId: string): Promise<ClientRow> {
  const client = await requireClient(deps, clientId);
  return deps.db.transaction().execute(async (trx) => {
    const revokedAt = client.revoked_at ?? ctx.now;
    await identity.updateClient(trx, clientId, { revoked_at: revokedAt });
    await appendAudit(trx, ctx, { action: 'client.revoke', outcome: 'allowed', resourceType: 'partner_client', resourceId: clientId });
    return { ...client, revoked_at: revokedAt };
  });
}

export const listClients = (deps: IdentityDeps) => identity.listClients(deps.db);

export type IssuedToken = { accessToken: string; expiresIn: number; scope: string };

/** RFC 6749 error: `error` is one of the spec's codes, answered as the spec says. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly error: 'invalid_client' | 'invalid_request' | 'invalid_scope' | 'unsupported_grant_type' | 'unauthorized_client',
    readonly description: string,
    readonly status: 400 | 401,
  ) {
    super(description);
  }
}

export async function issueToken(
  deps: IdentityDeps,
  ctx: RequestContext,
  input: { clientId: string; clientSecret: string; scope?: string | undefined },
): Promise<IssuedToken> {
  const client = await identity.findClient(deps.db, input.clientId);
  const denied = async (reason: string, error: OAuthError): Promise<never> => {
    await recordAudit(deps.db, ctx, {
      action: 'client.token',
      outcome: 'denied',
      resourceType: 'partner_client',
      ...(client ? { resourceId: client.client_id } : {}),
      details: { reason },
    });
    throw error;
  };
  const badClient = new OAuthError('invalid_client', 'Client authentication failed.', 401);
  if (!client || !sameDigest(client.secret_hash, digest(input.clientSecret))) return denied('credentials', badClient);
  if (client.revoked_at) return denied('revoked', badClient);
  const agency = await identity.findAgency(deps.db, client.agency_ori);
  if (agency?.agreement_status !== 'active') {
    return denied(
      'agreement_inactive',
      new OAuthError('unauthorized_client', `The 287(g) agreement of ${client.agency_ori} is not active.`, 400),
    );
  }
  const granted = client.scopes.filter(isClientScope);
  const requested = input.scope ? input.scope.split(' ').filter(Boolean) : granted;
  const outside = requested.filter((s) => !granted.includes(s as ClientScope));
  if (outside.length > 0) return denied('scope', new OAuthError('invalid_scope', `Not granted to this client: ${outside.join(' ')}.`, 400));
  const iat = Math.floor(ctx.now.getTime() / 1000);
  const accessToken = await new SignJWT({ ori: client.agency_ori, scope: requested.join(' '), gen: client.secret_generation })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(client.client_id)
    .setIssuedAt(iat)
    .setExpirationTime(iat + TOKEN_LIFETIME_S)
    .setJti(randomBytes(12).toString('base64url'))
    .sign(await hmacKey(deps.keys.tokenSigning));
  await recordAudit(
    deps.db,
    { ...ctx, actor: { kind: 'client', clientId: client.client_id, agencyOri: client.agency_ori, scopes: granted } },
    {
      action: 'client.token',
      outcome: 'allowed',
      resourceType: 'partner_client',
      resourceId: client.client_id,
      details: { scope: requested.join(' '), expiresIn: TOKEN_LIFETIME_S },
    },
  );
  return { accessToken, expiresIn: TOKEN_LIFETIME_S, scope: requested.join(' ') };
}

/**
 * The token-signing key as a WebCrypto key, imported once per key: given raw bytes, jose imports them on every
 * sign and verify, which the partner benchmark's profile showed (#18).
 */
const hmacKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();
function hmacKey(bytes: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = hmacKeys.get(bytes);
  if (!key) {
    key = webcrypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    hmacKeys.set(bytes, key);
  }
  return key;
}

/** A bearer token → the client it speaks for; null when invalid, expired, issued under a rotated secret, or the client was revoked. */
export async function authenticateClientToken(deps: IdentityDeps, token: string, now: Date): Promise<ClientActor | null> {
  try {
    const { payload } = await jwtVerify(token, await hmacKey(deps.keys.tokenSigning), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      currentDate: now,
      clockTolerance: 5,
    });
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.ori !== 'string' ||
      typeof payload.scope !== 'string' ||
      typeof payload.gen !== 'number'
    )
      return null;
    const client = await identity.findClient(deps.db, payload.sub);
    if (!client || client.revoked_at || client.agency_ori !== payload.ori || client.secret_generation !== payload.gen) return null;
    return {
      kind: 'client',
      clientId: client.client_id,
      agencyOri: client.agency_ori,
      scopes: payload.scope.split(' ').filter(isClientScope),
    };
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return null;
    throw error;
  }
}
