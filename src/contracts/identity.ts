import { z } from 'zod';
import { ROLES } from './vocabulary.js';

export const ZSignInRequest = z.strictObject({
  username: z.string().trim().min(1, 'is required').max(64),
  password: z.string().min(1, 'is required').max(256),
});

export const ZChallenge = z.object({
  next: z.enum(['totp', 'enroll']).describe('totp: give the code from your authenticator app; enroll: set one up first'),
  challengeToken: z.string(),
  expiresAt: z.string(),
  enrollment: z
    .object({
      otpauthUri: z.string(),
      qrSvg: z.string().describe('the otpauth URI as a QR code (SVG) for an authenticator app'),
      secret: z.string().describe('the same secret, for typing in by hand'),
    })
    .optional(),
});

export const ZSecondFactorRequest = z
  .strictObject({
    challengeToken: z.string().min(1).max(128),
    code: z
      .string()
      .regex(/^\d{6}$/, 'must be the 6 digits from your authenticator app')
      .optional(),
    recoveryCode: z.string().min(8).max(32).optional(),
  })
  .refine((v) => (v.code === undefined) !== (v.recoveryCode === undefined), {
    message: 'give either code or recoveryCode',
    path: ['code'],
  });

export const ZBothFactorsSignInRequest = z
  .strictObject({
    username: z.string().trim().min(1, 'is required').max(64),
    password: z.string().min(1, 'is required').max(256),
    code: z
      .string()
      .regex(/^\d{6}$/, 'must be the 6 digits from your authenticator app')
      .optional(),
    recoveryCode: z.string().min(8).max(32).optional(),
  })
  .refine((v) => (v.code === undefined) !== (v.recoveryCode === undefined), {
    message: 'give either code or recoveryCode',
    path: ['code'],
  });

export const ZEnrollmentPasswordRequest = z.strictObject({
  enrollmentToken: z.string().min(1).max(128),
  password: z.string().min(1, 'is required').max(256),
});

export const ZEnrollmentConfirmRequest = z.strictObject({
  challengeToken: z.string().min(1).max(128),
  code: z.string().regex(/^\d{6}$/, 'must be the 6 digits from your authenticator app'),
});

export const ZUnlockRequest = z.strictObject({
  password: z.string().min(1, 'is required').max(256),
  code: z.string().regex(/^\d{6}$/, 'must be the 6 digits from your authenticator app'),
});

export const ZSessionUser = z.object({ id: z.string(), username: z.string(), displayName: z.string(), role: z.string() });

export const ZSession = z.object({
  user: ZSessionUser,
  csrfToken: z.string().describe('send as the x-csrf-token header with every change'),
  expiresAt: z.string(),
  idleLockMinutes: z.number().int(),
  recoveryCodes: z.array(z.string()).optional().describe('one-time codes for when the authenticator is lost; shown only once'),
});

export const ZSignOutRequest = z.strictObject({ everywhere: z.boolean().default(false) }).default({ everywhere: false });

/** GET /api/v1/auth/oidc: whether the sign-in page offers single sign-on, and with what words. */
export const ZSsoInfo = z.object({
  enabled: z.boolean(),
  providerName: z.string().nullable().describe('"Sign in with <providerName>"'),
  startUrl: z.string().nullable().describe('where the sign-in button goes (a full-page navigation)'),
});
export type SsoInfo = z.infer<typeof ZSsoInfo>;

/** PUT /api/v1/admin/users/:username/break-glass: may this account sign in with password and TOTP while SSO is on. */
export const ZBreakGlassRequest = z.strictObject({ breakGlass: z.boolean() });

/** POST /api/v1/auth/sign-out: how many sessions ended. */
export const ZSignOutResult = z.object({ revokedSessions: z.number().int() });
export type SignOutResult = z.infer<typeof ZSignOutResult>;

export const ZUser = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.string(),
  unit: z.string().nullable(),
  agencyOri: z.string().nullable(),
  fieldOfficeCode: z.string().nullable(),
  status: z.enum(['invited', 'active', 'disabled']),
  mfaEnrolled: z.boolean(),
  breakGlass: z.boolean().describe('may sign in with password and TOTP while single sign-on is on'),
  singleSignOn: z.boolean().describe('bound to an identity at the single sign-on provider'),
  createdAt: z.string(),
});

export const ZAddUserRequest = z.strictObject({
  displayName: z.string().trim().min(2).max(120),
  role: z.enum(ROLES),
  username: z.string().trim().toLowerCase().optional(),
  unit: z.string().trim().max(40).optional(),
  agencyOri: z
    .string()
    .regex(/^[A-Z]{2}[A-Z0-9]{7}$/, 'must be a 9-character ORI')
    .optional(),
  fieldOfficeCode: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
});

/** PATCH /api/v1/admin/users/:username: what the account may see and do (its sessions end). */
export const ZChangeAccessRequest = z
  .strictObject({
    role: z.enum(ROLES).optional(),
    unit: z.string().trim().min(1).max(40).nullable().optional(),
    agencyOri: z
      .string()
      .regex(/^[A-Z]{2}[A-Z0-9]{7}$/, 'must be a 9-character ORI')
      .nullable()
      .optional(),
    fieldOfficeCode: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .nullable()
      .optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'name at least one of role, unit, agencyOri, fieldOfficeCode');

/** The link itself is never in the answer: it goes out of band to the person (the enrollment outbox). */
/** GET /api/v1/admin/users. */
export const ZUserList = z.object({ users: z.array(ZUser) });
export type UserList = z.infer<typeof ZUserList>;

export const ZInvitedUser = z.object({
  user: ZUser,
  enrollment: z.object({
    delivery: z.string().describe('where the one-time link went: "outbox" (the enrollment outbox, for delivery to the person)'),
    expiresAt: z.string(),
  }),
});

export const ZUsernameParams = z.strictObject({ username: z.string().min(3).max(64) });

export const ZPartnerClient = z.object({
  clientId: z.string(),
  name: z.string(),
  agencyOri: z.string(),
  scopes: z.array(z.string()),
  status: z.enum(['active', 'revoked']),
  createdAt: z.string(),
  rotatedAt: z.string().nullable(),
});

/** GET /api/v1/admin/partner-clients. */
export const ZPartnerClientList = z.object({ clients: z.array(ZPartnerClient) });
export type PartnerClientList = z.infer<typeof ZPartnerClientList>;

export const ZAddClientRequest = z.strictObject({
  agencyOri: z.string().regex(/^[A-Z]{2}[A-Z0-9]{7}$/, 'must be a 9-character ORI'),
  name: z.string().trim().min(2).max(120),
  scopes: z.array(z.string()).max(20).default([]),
});

export const ZClientWithSecret = z.object({ client: ZPartnerClient, clientSecret: z.string().describe('shown only now') });
export const ZClientParams = z.strictObject({ clientId: z.string().regex(/^pc_[a-z0-9]{20}$/) });

export const ZTokenRequest = z.object({
  grant_type: z.string(),
  client_id: z.string().max(64).optional(),
  client_secret: z.string().max(128).optional(),
  scope: z.string().max(500).optional(),
});

export const ZTokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});

/** RFC 6749 §5.2 error body: OAuth clients parse this shape, not ours. */
export const ZOAuthError = z.object({ error: z.string(), error_description: z.string() });
export type OAuthErrorBody = z.infer<typeof ZOAuthError>;

/** POST /api/partner/v1/oauth/token: a token, or an RFC 6749 error. */
export const ZTokenAnswer = z.union([ZTokenResponse, ZOAuthError]);
export type TokenAnswer = z.infer<typeof ZTokenAnswer>;

export const ZAuditEvent = z.object({
  seq: z.number().int().nullable().describe('null while the event waits in the inbox to be sealed (moments)'),
  sealed: z.boolean(),
  occurredAt: z.string(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  actorUsername: z.string().nullable().describe('the acting user’s username (null for systems, clients and the anonymous)'),
  actorAgencyOri: z.string().nullable(),
  action: z.string(),
  resourceType: z.string().nullable(),
  resourceId: z.string().nullable(),
  purpose: z.string().nullable(),
  outcome: z.enum(['allowed', 'denied', 'error']),
  sourceIp: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  hash: z.string().nullable(),
});

/**
 * A time range for the auditor's reads: instants (`from`, `to`, with their offset) or days on the center's calendar
 * (`fromDay`, `toDay`, both included) — not both for the same end.
 */
export const ZAuditRange = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().describe('from this instant (included)'),
  to: z.iso.datetime({ offset: true }).optional().describe('to this instant (excluded)'),
  fromDay: z.iso.date().optional().describe("from the start of this day on the center's calendar (CENTER_TIME_ZONE)"),
  toDay: z.iso.date().optional().describe("to the end of this day on the center's calendar"),
});

/** What a search of the log can name (the search, the export). */
export const ZAuditFilter = ZAuditRange.extend({
  actorId: z.string().max(64).optional(),
  username: z.string().max(64).optional().describe('the acting user, by username'),
  resourceType: z.string().max(40).optional(),
  resourceId: z.string().max(64).optional(),
  action: z.string().max(80).optional(),
  outcome: z.enum(['allowed', 'denied', 'error']).optional().describe('denied: every refusal, each naming its resource and rule'),
  purpose: z.string().min(2).max(100).optional().describe('words in the stated purpose of use (case-insensitive)'),
});

export const ZAuditQuery = ZAuditFilter.extend({
  afterSeq: z.coerce.number().int().min(0).optional(),
  beforeSeq: z.coerce.number().int().min(1).optional().describe('with order=desc: the next (older) page starts below this sequence number'),
  order: z.enum(['asc', 'desc']).default('asc').describe('desc: unsealed events first, then the newest sealed ones (the console)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** GET /api/v1/audit/events. */
export const ZAuditEventList = z.object({ events: z.array(ZAuditEvent) });
export type AuditEventList = z.infer<typeof ZAuditEventList>;

/** A sealed batch's head as signed (Ed25519 over its first and last sequence numbers, chain hash and Merkle root). */
export const ZAuditHead = z.object({
  batch: z.number().int(),
  firstSeq: z.number().int(),
  lastSeq: z.number().int(),
  headHash: z.string(),
  merkleRoot: z.string(),
  keyId: z.string(),
  signature: z.string(),
});

export const ZAuditVerify = z.object({
  intact: z.boolean(),
  count: z.number().int(),
  brokenAt: z.number().int().optional(),
  reason: z.string().optional(),
  signedBatches: z.number().int(),
  latestHead: ZAuditHead.nullable(),
  pending: z.object({ count: z.number().int(), oldestAgeMs: z.number().nullable(), maxMergeDelayMs: z.number().int() }),
});

/** GET /api/v1/audit/minor-reads. */
export const ZMinorReadsReport = z.object({
  reads: z.array(
    z.object({
      at: z.string(),
      actorId: z.string().nullable(),
      username: z.string().nullable(),
      role: z.string().nullable(),
      action: z.string(),
      resourceType: z.string().nullable(),
      resourceId: z.string().nullable(),
      outcome: z.string(),
      purposeCode: z.string().nullable(),
      purposeText: z.string().nullable().describe('the words the reader gave, for a reviewer to judge'),
      rule: z.string().nullable().describe('for a refusal: the rule that refused it'),
    }),
  ),
  byUser: z.array(z.object({ actorId: z.string().nullable(), username: z.string().nullable(), reads: z.number(), refused: z.number() })),
});

/** GET /api/v1/audit/refusals. */
export const ZRefusalsReport = z.object({
  refusals: z.array(
    z.object({
      seq: z.number().int().nullable(),
      at: z.string(),
      actorType: z.string(),
      actorId: z.string().nullable(),
      username: z.string().nullable(),
      role: z.string().nullable(),
      action: z.string(),
      resourceType: z.string().nullable(),
      resourceId: z.string().nullable(),
      sourceIp: z.string().nullable(),
      rule: z.string().describe('the rule that refused it (its rule, else its reason, else the permission lacked)'),
    }),
  ),
  total: z.number().int().describe('refusals in the range (the list holds the newest of them, up to limit)'),
  byRule: z.array(z.object({ rule: z.string(), count: z.number().int() })),
  byActor: z.array(
    z.object({ actorType: z.string(), actorId: z.string().nullable(), username: z.string().nullable(), count: z.number().int() }),
  ),
});

/** GET /api/v1/audit/export: a search's events, each with the proof that it is in a signed batch. */
export const ZAuditExport = z.object({
  format: z.literal('switchboard.audit-export.v1'),
  exportedAt: z.string(),
  exportedBy: z.string().nullable(),
  filter: z.record(z.string(), z.union([z.string(), z.number()])),
  key: z.object({ keyId: z.string(), algorithm: z.literal('Ed25519'), publicKeyPem: z.string() }),
  latestHead: ZAuditHead.nullable().describe('the newest signed head when exported: compare with the heads published outside'),
  heads: z.array(ZAuditHead),
  events: z.array(
    z.object({
      event: ZAuditEvent.omit({ sealed: true, actorUsername: true }).extend({
        seq: z.number().int(),
        prevHash: z.string(),
        hash: z.string(),
      }),
      batch: z.number().int(),
      index: z.number().int(),
      size: z.number().int(),
      path: z.array(z.string()),
    }),
  ),
  unprovable: z
    .number()
    .int()
    .describe('matching events not in the file: not sealed yet (moments old) or sealed before batches were signed'),
  truncated: z.boolean().describe('more events matched than one export carries: narrow the range'),
});

/** GET /api/v1/audit/key: what an outside auditor checks heads and proofs with. */
export const ZAuditKey = z.object({ keyId: z.string(), publicKeyPem: z.string(), algorithm: z.literal('Ed25519') });

/** GET /api/v1/audit/events/:seq/proof: RFC 6962 inclusion of one sealed event in its signed batch. */
export const ZAuditProof = z.object({
  event: ZAuditEvent.omit({ sealed: true, actorUsername: true }).extend({ seq: z.number().int(), prevHash: z.string(), hash: z.string() }),
  index: z.number().int(),
  size: z.number().int(),
  path: z.array(z.string()),
  head: ZAuditHead,
});

/** An account's phone at the SIP edge (issue #21): its SIP user and when each credential was last issued. */
export const ZPhoneBinding = z.object({
  username: z.string(),
  sipUser: z.string(),
  phoneIssuedAt: z.string().nullable().describe('the desk phone password, last issued'),
  softphoneIssuedAt: z.string().nullable().describe("the agent desktop's softphone credential, last issued"),
});
export type PhoneBinding = z.infer<typeof ZPhoneBinding>;
export const ZPhoneBindingList = z.object({ phones: z.array(ZPhoneBinding) });
export type PhoneBindingList = z.infer<typeof ZPhoneBindingList>;
/** POST /api/v1/admin/users/:username/phone: bind (SIP user: the username unless given) and issue a desk phone password. */
export const ZIssuePhoneRequest = z.strictObject({
  sipUser: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'must be 3–64 characters: lower-case letters, digits, dot, dash, underscore')
    .optional(),
});
export const ZIssuedPhonePassword = z.object({
  phone: ZPhoneBinding,
  authUser: z.string().describe('the digest user name to configure on the phone'),
  password: z.string().describe('shown only now'),
  realm: z.string(),
});
export type IssuedPhonePassword = z.infer<typeof ZIssuedPhonePassword>;
/** POST /api/v1/softphone/credentials: the signed-in agent's softphone credential, fresh each time. */
export const ZSoftphoneCredential = z.object({
  sipUser: z.string(),
  authUser: z.string(),
  password: z.string().describe('for this browser only; the one before stops working'),
  realm: z.string(),
  wsUrl: z.string().describe("the SIP edge's WebSocket transport"),
  domain: z.string().describe("the SIP domain of the agent's address of record"),
});
export type SoftphoneCredential = z.infer<typeof ZSoftphoneCredential>;
