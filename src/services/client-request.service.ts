import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import {
  type ClientRequestRow,
  clientRequestsOfAgency,
  clientsOfAgency,
  findClientRequestForUpdate,
  insertClientRequest,
  listClientRequests,
  markClientSecretCollected,
  pendingRequestIdsOfAgency,
  updateClientRequest,
} from '../storage/repositories/client-request.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { IdentityDeps } from './identity-context.js';
import { decrypt, encrypt } from './keys.js';
import { addClientIn, parseScopes } from './partner-client.service.js';
import type { PartnerActor } from './partner-submission.service.js';
import { refuseDependentApprover } from './two-person.service.js';

/**
 * API clients a partner officer asks for, in the portal, for their own agency.
 * An admin approves (the client is made, in the same transaction) or refuses,
 * with a note; the approving admin is independent of the officer (neither
 * created or reset the other's account within the cooling-off period). The new secret is kept encrypted until the officer who asked
 * collects it — once; then only its digest remains, as for any client.
 */

type OfficerCtx = RequestContext & { actor: PartnerActor };

export type { ClientRequestRow };

const officerOf = (ctx: OfficerCtx) => staffOnly(ctx.actor, 'API clients are requested by a signed-in partner officer.');

export async function requestClient(
  deps: IdentityDeps,
  ctx: OfficerCtx,
  input: { name: string; scopes: string[]; justification: string },
): Promise<ClientRequestRow> {
  const officer = officerOf(ctx);
  const scopes = parseScopes(input.scopes);
  return deps.db.transaction().execute(async (trx) => {
    const open = await pendingRequestIdsOfAgency(trx, ctx.actor.agencyOri);
    if (open.length >= 5) throw new AppError('conflict', 'Your agency already has 5 requests waiting for an admin; wait for a decision.');
    const row = await insertClientRequest(trx, {
      agency_ori: ctx.actor.agencyOri,
      requested_by: officer.userId,
      name: input.name,
      scopes,
      justification: input.justification,
      status: 'pending',
      created_at: ctx.now,
    });
    await appendAudit(trx, ctx, {
      action: 'client_request.create',
      outcome: 'allowed',
      resourceType: 'client_request',
      resourceId: row.id,
      details: { scopes },
    });
    return row;
  });
}

export const agencyClientRequests = (deps: IdentityDeps, ori: string) => clientRequestsOfAgency(deps.db, ori);

export const agencyClients = (deps: IdentityDeps, ori: string) => clientsOfAgency(deps.db, ori);

export function pendingClientRequests(deps: IdentityDeps, status: ClientRequestRow['status'] | undefined) {
  return listClientRequests(deps.db, status);
}

/** An admin decides. Approval makes the client now; its secret waits, encrypted, for the officer who asked. */
export async function decideClientRequest(
  deps: IdentityDeps,
  ctx: RequestContext & { actor: Actor },
  id: string,
  input: { decision: 'approve' | 'refuse'; note?: string | undefined },
): Promise<ClientRequestRow> {
  const admin = staffOnly(ctx.actor, 'Only admins decide.');
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await findClientRequestForUpdate(trx, id);
    if (!row) throw new AppError('not_found', 'There is no such request.');
    if (row.status !== 'pending') throw new AppError('conflict', `This request was already ${row.status}.`);
    if (input.decision === 'approve') {
      // Returned, not thrown, so that the audited refusal commits.
      const refused = await refuseDependentApprover(trx, ctx, {
        proposerId: row.requested_by,
        approverId: admin.userId,
        action: 'client_request.decide',
        resourceType: 'client_request',
        resourceId: id,
      });
      if (refused) return { refused };
    }
    let clientId: string | null = null;
    let secretEnc: string | null = null;
    if (input.decision === 'approve') {
      const made = await addClientIn(trx, ctx, { agencyOri: row.agency_ori, name: row.name, scopes: row.scopes });
      clientId = made.client.client_id;
      secretEnc = encrypt(deps.keys, made.clientSecret);
    }
    const updated = await updateClientRequest(trx, id, {
      status: input.decision === 'approve' ? 'approved' : 'refused',
      decided_by: admin.userId,
      decided_at: ctx.now,
      decision_note: input.note ?? null,
      client_id: clientId,
      secret_enc: secretEnc,
    });
    await appendAudit(trx, ctx, {
      action: 'client_request.decide',
      outcome: 'allowed',
      resourceType: 'client_request',
      resourceId: id,
      details: { decision: input.decision, clientId },
    });
    return { updated };
  });
  if ('refused' in result) throw result.refused;
  return result.updated;
}

/** The officer who asked collects the new secret, once. */
export async function collectClientSecret(
  deps: IdentityDeps,
  ctx: OfficerCtx,
  id: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const officer = officerOf(ctx);
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await findClientRequestForUpdate(trx, id);
    const mine = row !== undefined && row.agency_ori === ctx.actor.agencyOri && row.requested_by === officer.userId;
    await appendAudit(trx, ctx, {
      action: 'client_request.collect',
      outcome: mine ? 'allowed' : row ? 'denied' : 'error',
      resourceType: 'client_request',
      resourceId: id,
    });
    // Refusals are returned, not thrown, so that the audit of the attempt commits.
    if (!row || !mine) return { refused: new AppError('not_found', 'There is no such request of yours.') };
    if (row.status !== 'approved' || !row.client_id)
      return { refused: new AppError('conflict', `This request is ${row.status}; there is no secret to collect.`) };
    if (!row.secret_enc)
      return { refused: new AppError('conflict', 'The secret was already collected. Ask an admin to rotate it if it is lost.') };
    await markClientSecretCollected(trx, id, ctx.now);
    return { clientId: row.client_id, clientSecret: decrypt(deps.keys, row.secret_enc) };
  });
  if ('refused' in result) throw result.refused;
  return result;
}
