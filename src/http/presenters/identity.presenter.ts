import type { z } from 'zod';
import type { ZAuditEvent, ZAuditHead, ZPartnerClient, ZUser } from '../../contracts/identity.js';
import type { AuditHead, ListedAuditEvent } from '../../domain/audit/audit-chain.js';
import type { ClientRow } from '../../services/partner-client.service.js';
import type { UserRow } from '../../services/user-admin.service.js';

/** What leaves the server about an account: never its password hash, TOTP seed or enrollment token. */
export const presentUser = (row: UserRow): z.infer<typeof ZUser> => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  role: row.role,
  unit: row.unit,
  agencyOri: row.agency_ori,
  fieldOfficeCode: row.field_office_code,
  status: row.disabled_at ? 'disabled' : row.password_hash || row.sso_subject ? 'active' : 'invited',
  mfaEnrolled: row.totp_enrolled_at !== null,
  breakGlass: row.break_glass,
  singleSignOn: row.sso_subject !== null,
  createdAt: row.created_at.toISOString(),
});

/** Never the secret's digest. */
export const presentClient = (row: ClientRow): z.infer<typeof ZPartnerClient> => ({
  clientId: row.client_id,
  name: row.name,
  agencyOri: row.agency_ori,
  scopes: row.scopes,
  status: row.revoked_at ? 'revoked' : 'active',
  createdAt: row.created_at.toISOString(),
  rotatedAt: row.rotated_at?.toISOString() ?? null,
});

export const presentAuditEvent = (event: ListedAuditEvent): z.infer<typeof ZAuditEvent> => ({
  seq: event.seq,
  sealed: event.seq !== null,
  occurredAt: event.occurredAt.toISOString(),
  actorType: event.actorType,
  actorId: event.actorId,
  actorUsername: event.actorUsername ?? null,
  actorAgencyOri: event.actorAgencyOri,
  action: event.action,
  resourceType: event.resourceType,
  resourceId: event.resourceId,
  purpose: event.purpose,
  outcome: event.outcome,
  sourceIp: event.sourceIp,
  requestId: event.requestId,
  details: event.details,
  hash: event.hash,
});

/** A signed batch head as published (no database bookkeeping: holder, epoch, time). */
export const presentHead = (head: AuditHead & { batch: number; keyId: string; signature: string }): z.infer<typeof ZAuditHead> => ({
  batch: head.batch,
  firstSeq: head.firstSeq,
  lastSeq: head.lastSeq,
  headHash: head.headHash,
  merkleRoot: head.merkleRoot,
  keyId: head.keyId,
  signature: head.signature,
});
