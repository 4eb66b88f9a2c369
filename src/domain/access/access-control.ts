import { ROLES, type Role } from '../../contracts/vocabulary.js';
import { AppError } from '../errors/app-error.js';

/**
 * Who may do what. Roles map to permissions in a table that lives in the
 * database (migration 0002, loaded at start-up); need-to-know scopes — an
 * agency's own records, a field office's own referrals — are rules here on
 * top of it. Every route and service asks `authorize`; there are no ad-hoc
 * role checks anywhere else.
 */

export { ROLES, type Role };
export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

export const PERMISSIONS = [
  'reference:read',
  'queue:read',
  'person:read',
  'person:identifiers',
  'reporter:identity',
  'agency:read',
  'user:read',
  'user:manage',
  'client:manage',
  'audit:read',
  'routing:work',
  'routing:supervise',
  'task:create',
  'report:create',
  'case:read',
  'case:write',
  'person:merge',
  'referral:create',
  'referral:read',
  'referral:act',
  'referral:review',
  'protection:write',
  'person:age_determination',
  'partner_request:post_review',
  'protection:rules',
  'welfare:screen',
  'uac:board',
  'custody:decide',
  'audit:oversight',
  'case:hold',
  'submission:create',
  'submission:read',
  'webhook:manage',
  'agency:manage',
  'safeguards:configure',
  'session:own',
  'partner_request:create',
  'partner_request:respond',
  'client:request',
  'call:read',
  'callback:manage',
  'voicemail:play',
  'recording:play',
  'call:supervise',
  'config:manage',
  'report:read',
  'staffing:plan',
  'relationship:write',
  'sponsor:approve_disclosure',
  'consent:write',
  'phone:manage',
  'plan:write',
  'plan:approve',
  'handoff:configure',
  'handoff:send',
  'handoff:answer',
] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

/** Scopes a partner machine client may hold; each grants the permissions listed. */
export const CLIENT_SCOPES = {
  'agency:read': ['agency:read'],
  'submissions:write': ['submission:create', 'submission:read'],
  'submissions:read': ['submission:read'],
  'requests:respond': ['partner_request:respond'],
} as const satisfies Record<string, readonly Permission[]>;
export type ClientScope = keyof typeof CLIENT_SCOPES;
export const isClientScope = (value: string): value is ClientScope => value in CLIENT_SCOPES;

export type UserActor = {
  kind: 'user';
  userId: string;
  username: string;
  role: Role;
  agencyOri: string | null;
  fieldOfficeCode: string | null;
  sessionId: string | null;
};

export type ClientActor = {
  kind: 'client';
  clientId: string;
  agencyOri: string;
  scopes: readonly ClientScope[];
};

/** A receiving organisation of hand-offs (issue #22 item 4), by its API credential: it reads and answers its own hand-offs only. */
export type OrganisationActor = {
  kind: 'organisation';
  organisationId: string;
  name: string;
};

/** What a receiving organisation may do: answer the hand-offs addressed to it, nothing else. */
export const ORGANISATION_PERMISSIONS: readonly Permission[] = ['handoff:answer'];

export type Actor = UserActor | ClientActor | OrganisationActor;

/** What is being touched, for need-to-know scopes. */
export type Resource =
  | { type: 'agency'; ori: string }
  | { type: 'referral'; fieldOfficeCode: string }
  | { type: 'submission'; agencyOri: string }
  | { type: 'none' };

export type PermissionTable = ReadonlyMap<Role, ReadonlySet<Permission>>;

export function buildPermissionTable(rows: readonly { role: string; permission: string }[]): PermissionTable {
  const table = new Map<Role, Set<Permission>>(ROLES.map((role) => [role, new Set<Permission>(['session:own'])]));
  for (const row of rows) {
    if (isRole(row.role) && isPermission(row.permission)) table.get(row.role)?.add(row.permission);
  }
  return table;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const deny = (reason: string): Decision => ({ allowed: false, reason });

function holds(table: PermissionTable, actor: Actor, permission: Permission): boolean {
  if (actor.kind === 'organisation') return ORGANISATION_PERMISSIONS.includes(permission);
  if (actor.kind === 'client') return actor.scopes.some((scope) => (CLIENT_SCOPES[scope] as readonly Permission[]).includes(permission));
  return table.get(actor.role)?.has(permission) ?? false;
}

/** Partner officers and partner systems act only for their own agency. */
const actsForAgency = (actor: Actor): string | null =>
  actor.kind === 'organisation'
    ? null
    : actor.kind === 'client'
      ? actor.agencyOri
      : actor.role === 'partner_officer'
        ? actor.agencyOri
        : null;

export function authorize(table: PermissionTable, actor: Actor, permission: Permission, resource: Resource = { type: 'none' }): Decision {
  if (!holds(table, actor, permission)) {
    return deny(
      actor.kind === 'user'
        ? `the ${actor.role} role does not have ${permission}`
        : `the ${actor.kind === 'client' ? "client's scopes do" : "organisation's credential does"} not grant ${permission}`,
    );
  }
  const agency = actsForAgency(actor);
  switch (resource.type) {
    case 'agency':
      if (agency !== null && agency !== resource.ori) return deny('partners see only their own agency');
      return { allowed: true };
    case 'submission':
      if (agency !== null && agency !== resource.agencyOri) return deny("partners see only their own agency's submissions");
      return { allowed: true };
    case 'referral':
      if (actor.kind === 'user' && actor.role === 'field_officer' && actor.fieldOfficeCode !== resource.fieldOfficeCode) {
        return deny('field officers see only referrals sent to their field office');
      }
      if (agency !== null) return deny('partners do not see referrals');
      return { allowed: true };
    case 'none':
      return { allowed: true };
  }
}

/** Actions only a signed-in staff member takes (never a partner system): the staff actor, or a 403 saying why. */
export function staffOnly(actor: Actor, message: string): UserActor {
  if (actor.kind !== 'user') throw new AppError('forbidden', message);
  return actor;
}
