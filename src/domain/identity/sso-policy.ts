import { isRole, type Role } from '../access/access-control.js';

/**
 * Single sign-on rules: what an identity provider's claims may give a person
 * in Switchboard. The provider says who someone is and which groups they are
 * in; only the configured mapping turns a group into a role, so no claim can
 * grant more than the mapping allows. Exactly one role must come out (a person
 * in two mapped groups is refused, not given the larger role); a field
 * officer's field office and a partner officer's agency come from their own
 * claims, and nothing else carries a scope. Each role may require an assurance
 * (`acr`) — phishing-resistant MFA, as a PIV card gives — and a sign-in
 * without it is refused before any session exists.
 */

export type SsoMapping = {
  /** The claim holding groups or roles (a string or an array of strings), e.g. `groups`. */
  roleClaim: string;
  /** Claim value → Switchboard role. */
  roles: ReadonlyMap<string, Role>;
  fieldOfficeClaim: string;
  agencyClaim: string;
  unitClaim: string;
  usernameClaim: string;
  displayNameClaim: string;
  /** Acceptable `acr` values per role; `*` applies to roles not named. No entry: any assurance. */
  assurance: ReadonlyMap<Role | '*', readonly string[]>;
};

export type SsoAccess = {
  role: Role;
  fieldOfficeCode: string | null;
  agencyOri: string | null;
  unit: string | null;
};

export type SsoRefusalCode = 'sso_no_access' | 'sso_assurance_insufficient';

export type SsoDecision =
  | { ok: true; access: SsoAccess; username: string | null; displayName: string | null }
  | { ok: false; code: SsoRefusalCode; reason: string; message: string; details: Record<string, unknown> };

const FIELD_OFFICE = /^[A-Z]{3}$/;
const ORI = /^[A-Z]{2}[A-Z0-9]{7}$/;
const UNIT = /^[a-z0-9_-]{1,40}$/;
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

const refuse = (code: SsoRefusalCode, reason: string, message: string, details: Record<string, unknown> = {}): SsoDecision => ({
  ok: false,
  code,
  reason,
  message,
  details,
});

const values = (claim: unknown): string[] =>
  typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim.filter((v): v is string => typeof v === 'string') : [];

const single = (claim: unknown): string | null => (typeof claim === 'string' && claim.trim() !== '' ? claim.trim() : null);

/** The acr values a role accepts (its own entry, else `*`); empty: any. */
export function acceptableAcr(mapping: Pick<SsoMapping, 'assurance'>, role: Role): readonly string[] {
  return mapping.assurance.get(role) ?? mapping.assurance.get('*') ?? [];
}

/** Decides what the claims of one verified ID token give, or why they give nothing. */
export function decideSsoAccess(claims: Readonly<Record<string, unknown>>, mapping: SsoMapping): SsoDecision {
  const groups = values(claims[mapping.roleClaim]);
  const roles = [...new Set(groups.flatMap((g) => (mapping.roles.has(g) ? [mapping.roles.get(g) as Role] : [])))].sort();
  const [role] = roles;
  if (!role)
    return refuse(
      'sso_no_access',
      'no_mapped_role',
      'Your identity provider account is not in a group that has access to Switchboard. Ask your administrator to add you to the right group.',
    );
  if (roles.length > 1)
    return refuse(
      'sso_no_access',
      'several_roles',
      `Your identity provider account is in groups for several Switchboard roles (${roles.join(', ')}); a person has one role. Ask your administrator to keep you in one.`,
      { roles },
    );

  const acr = single(claims.acr);
  const acceptable = acceptableAcr(mapping, role);
  if (acceptable.length > 0 && (acr === null || !acceptable.includes(acr)))
    return refuse(
      'sso_assurance_insufficient',
      'acr',
      `The ${role.replace(/_/g, ' ')} role needs a stronger sign-in (phishing-resistant, such as your PIV card) than this one. Sign in again with your PIV card or security key.`,
      { role, acr, required: acceptable },
    );

  const office = single(claims[mapping.fieldOfficeClaim])?.toUpperCase() ?? null;
  const agency = single(claims[mapping.agencyClaim])?.toUpperCase() ?? null;
  const unit = single(claims[mapping.unitClaim])?.toLowerCase() ?? null;
  if (role === 'field_officer' && (office === null || !FIELD_OFFICE.test(office)))
    return refuse(
      'sso_no_access',
      'no_field_office',
      'A field officer belongs to a field office, and your identity provider did not name one. Ask your administrator.',
      { role },
    );
  if (role === 'partner_officer' && (agency === null || !ORI.test(agency)))
    return refuse(
      'sso_no_access',
      'no_agency',
      'A partner officer belongs to an agency, and your identity provider did not name its ORI. Ask your administrator.',
      { role },
    );

  const username = single(claims[mapping.usernameClaim])?.toLowerCase() ?? null;
  return {
    ok: true,
    access: {
      role,
      // Scopes only where the role has them: a claim cannot attach an agency or office to anyone else.
      fieldOfficeCode: role === 'field_officer' ? office : null,
      agencyOri: role === 'partner_officer' ? agency : null,
      unit: unit !== null && UNIT.test(unit) ? unit : null,
    },
    username: username !== null && USERNAME.test(username) ? username : null,
    displayName: single(claims[mapping.displayNameClaim])?.slice(0, 200) ?? null,
  };
}

/** `group=role,group=role`: throws on an unknown role, so a typo stops start-up instead of locking people out. */
export function parseRoleMap(text: string): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf('=');
    const group = entry.slice(0, at).trim();
    const role = entry.slice(at + 1).trim();
    if (at <= 0 || !group) throw new Error(`"${entry}" is not group=role`);
    if (!isRole(role)) throw new Error(`"${role}" is not a Switchboard role`);
    if (map.has(group)) throw new Error(`the group "${group}" is mapped twice`);
    map.set(group, role);
  }
  if (map.size === 0) throw new Error('maps no group to a role');
  return map;
}

/** `role=acr|acr,*=acr`: the acceptable `acr` values per role (`*` for the rest). */
export function parseAssurance(text: string): Map<Role | '*', string[]> {
  const map = new Map<Role | '*', string[]>();
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf('=');
    const role = entry.slice(0, at).trim();
    const acrs = entry
      .slice(at + 1)
      .split('|')
      .map((a) => a.trim())
      .filter(Boolean);
    if (at <= 0 || acrs.length === 0) throw new Error(`"${entry}" is not role=acr|acr`);
    if (role !== '*' && !isRole(role)) throw new Error(`"${role}" is not a Switchboard role`);
    if (map.has(role as Role | '*')) throw new Error(`the role "${role}" is named twice`);
    map.set(role as Role | '*', acrs);
  }
  return map;
}
