import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import * as identity from '../storage/repositories/identity.repository.js';
import * as phones from '../storage/repositories/phone.repository.js';
import { findRoutingWorker } from '../storage/repositories/routing.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { decrypt, encrypt, type Keys } from './keys.js';
import type { RoutingService } from './routing.service.js';
import { saveWorkerSettings } from './routing-admin.service.js';

/**
 * Agents' phones at the SIP edge (issue #21, item 2). An admin binds an account to a SIP user (by default its
 * username) from the admin console: the routing attribute `sipUser` that call control rings is set from the binding,
 * never typed. Two digest credentials may register as that SIP user:
 *
 * - the desk phone's (authentication user = the SIP user), issued or rotated by an admin and shown once;
 * - the agent desktop's softphone's (authentication user `<sip user>~web`), issued afresh to the signed-in agent's
 *   browser each time it starts its softphone — never in the bundle, never shown to anyone else.
 *
 * Kamailio checks a digest response against HA1 = MD5(user:realm:password) (RFC 2617), so that is what is kept, not
 * the password — encrypted with the server's key, as TOTP seeds are, because the edge needs the HA1 itself; it is
 * handed to the edge's memory (an htable, through its control socket) and to nothing else. A change waits until the
 * edge of this node has it (another node's edge has it by its next sync). Every act is audited
 * without the secret.
 */

/** What the edge checks a phone's digest against: authentication user → HA1. */
export type EdgeCredential = { authUser: string; ha1: string };

/** The softphone's authentication user: a SIP user never contains '~', so it cannot be another account's. */
export const softphoneAuthUser = (sipUser: string): string => `${sipUser}~web`;

export const digestHa1 = (user: string, realm: string, password: string): string =>
  createHash('md5').update(`${user}:${realm}:${password}`).digest('hex');

const SIP_USER = /^[a-z0-9][a-z0-9._-]{2,63}$/;
/** 128 bits, typeable from a label on a desk phone: base64url, no padding. */
const newPhonePassword = (): string => randomBytes(16).toString('base64url');

/**
 * The credentials the edge is to hold, for the node that runs it; listeners hear of a change made in this process
 * (another node's change arrives with the next sync).
 */
export class PhoneDirectory {
  private readonly listeners = new Set<() => Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly keys: Keys,
  ) {}

  async entries(): Promise<EdgeCredential[]> {
    const out: EdgeCredential[] = [];
    for (const row of await phones.listPhoneBindings(this.db)) {
      if (row.phone_ha1_enc) out.push({ authUser: row.sip_user, ha1: decrypt(this.keys, row.phone_ha1_enc) });
      if (row.softphone_ha1_enc) out.push({ authUser: softphoneAuthUser(row.sip_user), ha1: decrypt(this.keys, row.softphone_ha1_enc) });
    }
    return out;
  }

  /** `listener` brings the edge up to date; a change waits for it, so a credential works once it is returned. */
  subscribe(listener: () => Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async changed(): Promise<void> {
    await Promise.allSettled([...this.listeners].map((l) => l()));
  }
}

export type PhoneDeps = {
  db: Db;
  keys: Keys;
  routing: RoutingService;
  directory: PhoneDirectory;
  /** The digest realm the edge challenges with (SIP_AUTH_REALM). */
  realm: string;
  /** Where browsers reach the edge's SIP-over-WebSocket transport; null: no softphone here. */
  softphone: { wsUrl: string; edgeDomain: string } | null;
};

export type PhoneBinding = {
  userId: string;
  username: string;
  sipUser: string;
  phoneIssuedAt: Date | null;
  softphoneIssuedAt: Date | null;
};
export type IssuedPhoneCredential = { binding: PhoneBinding; authUser: string; password: string; realm: string };

async function requireAccount(deps: PhoneDeps, username: string) {
  const user = await identity.findUserByUsername(deps.db, username);
  if (!user) throw new AppError('not_found', `There is no account ${username}.`);
  return user;
}

/** Sets (or removes) the routing attribute call control rings, keeping the agent's other attributes and capacities. */
async function setRoutedPhone(deps: PhoneDeps, ctx: RequestContext, userId: string, sipUser: string | null): Promise<void> {
  const current = await findRoutingWorker(deps.db, userId);
  const attributes: Record<string, unknown> = { ...(current?.attributes ?? {}) };
  if (sipUser) attributes.sipUser = sipUser;
  else delete attributes.sipUser;
  await saveWorkerSettings(deps.db, deps.routing, ctx, userId, {
    attributes,
    voiceCapacity: current?.voice_capacity ?? 1,
    workItemCapacity: current?.work_item_capacity ?? 3,
  });
}

/**
 * Binds the account's phone (a new binding takes the SIP user given, or the username) and issues its desk phone a new
 * password: the one before stops working at once. The password is in this answer only.
 */
export async function issuePhonePassword(
  deps: PhoneDeps,
  ctx: RequestContext,
  username: string,
  requested: { sipUser?: string | undefined } = {},
): Promise<IssuedPhoneCredential> {
  const user = await requireAccount(deps, username);
  if (user.disabled_at) throw new AppError('conflict', `The account ${username} is disabled.`);
  const password = newPhonePassword();
  const result = await deps.db.transaction().execute(async (trx) => {
    const existing = await phones.findPhoneBinding(trx, user.id);
    const sipUser = existing?.sip_user ?? (requested.sipUser ?? user.username).toLowerCase();
    if (requested.sipUser && existing && requested.sipUser.toLowerCase() !== existing.sip_user)
      throw new AppError('conflict', `${username}'s phone is bound as ${existing.sip_user}: unbind it first to change its SIP user.`);
    if (!SIP_USER.test(sipUser))
      throw new AppError('validation_failed', 'The phone was not bound.', {
        issues: [{ path: 'sipUser', code: 'invalid', message: 'must be 3–64 characters: letters, digits, dot, dash, underscore' }],
      });
    if (!existing) {
      const taken = await phones.findPhoneBindingBySipUser(trx, sipUser);
      if (taken) throw new AppError('conflict', `The SIP user ${sipUser} is another account's phone.`);
    }
    const ha1Enc = encrypt(deps.keys, digestHa1(sipUser, deps.realm, password));
    if (existing) await phones.updatePhoneBinding(trx, user.id, { phone_ha1_enc: ha1Enc, phone_issued_at: ctx.now });
    else
      await phones.insertPhoneBinding(trx, {
        user_id: user.id,
        sip_user: sipUser,
        phone_ha1_enc: ha1Enc,
        phone_issued_at: ctx.now,
        softphone_ha1_enc: null,
        softphone_issued_at: null,
        bound_at: ctx.now,
        bound_by: ctx.actor?.kind === 'user' ? ctx.actor.userId : null,
      });
    await appendAudit(trx, ctx, {
      action: existing ? 'phone.rotate_password' : 'phone.bind',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { sipUser, realm: deps.realm },
    });
    return { sipUser, rotated: Boolean(existing), softphoneIssuedAt: existing?.softphone_issued_at ?? null };
  });
  await setRoutedPhone(deps, ctx, user.id, result.sipUser);
  await deps.directory.changed();
  return {
    binding: {
      userId: user.id,
      username: user.username,
      sipUser: result.sipUser,
      phoneIssuedAt: ctx.now,
      softphoneIssuedAt: result.softphoneIssuedAt,
    },
    authUser: result.sipUser,
    password,
    realm: deps.realm,
  };
}

/** Unbinds the account's phone: both its credentials stop working, and call control no longer rings it. */
export async function unbindPhone(deps: PhoneDeps, ctx: RequestContext, username: string): Promise<void> {
  const user = await requireAccount(deps, username);
  await deps.db.transaction().execute(async (trx) => {
    const existing = await phones.findPhoneBinding(trx, user.id);
    if (!existing) throw new AppError('not_found', `${username} has no phone bound.`);
    await phones.deletePhoneBinding(trx, user.id);
    await appendAudit(trx, ctx, {
      action: 'phone.unbind',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: user.id,
      details: { sipUser: existing.sip_user },
    });
  });
  await setRoutedPhone(deps, ctx, user.id, null);
  await deps.directory.changed();
}

export async function listPhoneBindings(deps: PhoneDeps): Promise<PhoneBinding[]> {
  const rows = await phones.listPhoneBindings(deps.db);
  const users = new Map((await identity.listUsers(deps.db)).map((u) => [u.id, u.username]));
  return rows.map((r) => ({
    userId: r.user_id,
    username: users.get(r.user_id) ?? '',
    sipUser: r.sip_user,
    phoneIssuedAt: r.phone_issued_at,
    softphoneIssuedAt: r.softphone_issued_at,
  }));
}

export type SoftphoneCredential = {
  sipUser: string;
  authUser: string;
  password: string;
  realm: string;
  wsUrl: string;
  /** The SIP domain of the agent's address of record (the edge). */
  domain: string;
};

/**
 * The signed-in agent's softphone credential: a fresh password for `<sip user>~web` each time (the one before stops
 * working — one desktop at a time), returned to that agent's session only. Audited without the secret.
 */
export async function issueSoftphoneCredential(deps: PhoneDeps, ctx: RequestContext): Promise<SoftphoneCredential> {
  if (ctx.actor?.kind !== 'user') throw new AppError('forbidden', 'Only a signed-in agent has a softphone.');
  const userId = ctx.actor.userId;
  const softphone = deps.softphone;
  if (!softphone) throw new AppError('conflict', 'This server has no softphone gateway: telephony with a SIP edge is not running here.');
  const password = newPhonePassword();
  const sipUser = await deps.db.transaction().execute(async (trx) => {
    const binding = await phones.findPhoneBinding(trx, userId);
    if (!binding) {
      await appendAudit(trx, ctx, {
        action: 'phone.softphone_credential',
        outcome: 'denied',
        resourceType: 'user',
        resourceId: userId,
        details: { reason: 'no_phone_bound' },
      });
      return null;
    }
    await phones.updatePhoneBinding(trx, userId, {
      softphone_ha1_enc: encrypt(deps.keys, digestHa1(softphoneAuthUser(binding.sip_user), deps.realm, password)),
      softphone_issued_at: ctx.now,
    });
    await appendAudit(trx, ctx, {
      action: 'phone.softphone_credential',
      outcome: 'allowed',
      resourceType: 'user',
      resourceId: userId,
      details: { sipUser: binding.sip_user },
    });
    return binding.sip_user;
  });
  if (!sipUser) throw new AppError('conflict', 'Your account has no phone bound: ask an admin to bind one in the admin console.');
  await deps.directory.changed();
  return {
    sipUser,
    authUser: softphoneAuthUser(sipUser),
    password,
    realm: deps.realm,
    wsUrl: softphone.wsUrl,
    domain: softphone.edgeDomain,
  };
}
