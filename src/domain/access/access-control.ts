/**
 * Who may do what. Roles map to permissions in one table, and every route and
 * service asks `authorize` — there are no ad-hoc role checks elsewhere. The
 * Identity issue extends the table and adds need-to-know scopes (agency, field
 * office, unit) on top of these permissions.
 */

export const ROLES = [
  'call_taker',
  'uac_specialist',
  'analyst',
  'supervisor',
  'legal_reviewer',
  'field_officer',
  'partner_officer',
  'auditor',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['reference:read', 'queue:read'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export type Actor = {
  kind: 'user';
  userId: string;
  role: Role;
  agencyOri: string | null;
  fieldOfficeCode: string | null;
};

/** role → permissions. Auditors read the audit trail, not operational data; partners use only the partner API. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  call_taker: ['reference:read', 'queue:read'],
  uac_specialist: ['reference:read', 'queue:read'],
  analyst: ['reference:read', 'queue:read'],
  supervisor: ['reference:read', 'queue:read'],
  legal_reviewer: ['reference:read'],
  field_officer: ['reference:read'],
  partner_officer: [],
  auditor: [],
  admin: ['reference:read', 'queue:read'],
};

export type Decision = { allowed: true } | { allowed: false; reason: string };

export function authorize(actor: Actor, permission: Permission): Decision {
  if (ROLE_PERMISSIONS[actor.role].includes(permission)) return { allowed: true };
  return { allowed: false, reason: `the ${actor.role} role does not have ${permission}` };
}
