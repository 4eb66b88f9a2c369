import type { CalendarDay } from '../calendar/calendar-day.js';

/**
 * Legal protections: the facts about a person that make an enforcement
 * referral wait for a legal reviewer — a pending immigration-court case, SIJS,
 * asylum, a T or U visa, ORR custody, a pending TVPRA screening, a court
 * order. Each is recorded on the person with its source, reference and dates;
 * class-wide court orders are entered once as a rule over person attributes
 * and protect every person who matches, now and later. A protection counts
 * while it is in force: begun, not ended, not revoked.
 */

export const PROTECTION_KINDS = [
  'court_case_pending',
  'sijs_pending',
  'sijs_approved',
  'asylum_pending',
  't_visa_pending',
  't_visa_approved',
  'u_visa_pending',
  'u_visa_approved',
  'orr_custody',
  'tvpra_screening_pending',
  'court_order',
] as const;
export type ProtectionKind = (typeof PROTECTION_KINDS)[number];

export const PROTECTION_LABEL: Readonly<Record<ProtectionKind, string>> = {
  court_case_pending: 'pending immigration court case',
  sijs_pending: 'Special Immigrant Juvenile Status pending',
  sijs_approved: 'Special Immigrant Juvenile Status approved',
  asylum_pending: 'asylum application pending',
  t_visa_pending: 'T visa pending',
  t_visa_approved: 'T visa approved',
  u_visa_pending: 'U visa pending',
  u_visa_approved: 'U visa approved',
  orr_custody: 'in ORR custody',
  tvpra_screening_pending: 'TVPRA screening pending',
  court_order: 'court order',
};

export type ProtectionRecord = {
  id: string;
  kind: ProtectionKind;
  reference: string;
  source: string;
  startsOn: string;
  endsOn: string | null;
  revoked: boolean;
};

/** In force on a day of the center's calendar: begun, not revoked, and through the whole of its end day. */
export const inForce = (p: Pick<ProtectionRecord, 'startsOn' | 'endsOn' | 'revoked'>, today: CalendarDay): boolean =>
  !p.revoked && p.startsOn <= today && (p.endsOn === null || p.endsOn >= today);

/** The attributes a protection rule may test. */
export type RuleAttributes = {
  nationalities: readonly string[];
  unaccompanied: boolean;
  eoirStatus: string;
  minor: boolean | 'unknown';
};

export const RULE_ATTRIBUTES = ['nationality', 'unaccompanied', 'eoirStatus', 'minor'] as const;
export type RuleAttribute = (typeof RULE_ATTRIBUTES)[number];

export type RulePredicate =
  | { attribute: 'nationality'; op: 'in' | 'notIn'; values: string[] }
  | { attribute: 'unaccompanied'; op: 'is'; value: boolean }
  | { attribute: 'eoirStatus'; op: 'in' | 'notIn'; values: string[] }
  | { attribute: 'minor'; op: 'is'; value: boolean };

/** Every predicate must hold. */
export type RuleCondition = { all: RulePredicate[] };

export type ProtectionRule = {
  id: string;
  name: string;
  reference: string;
  condition: RuleCondition;
  effectiveFrom: string;
  effectiveUntil: string | null;
  revoked: boolean;
};

function holds(p: RulePredicate, a: RuleAttributes): boolean {
  switch (p.attribute) {
    case 'nationality': {
      const any = a.nationalities.some((n) => p.values.includes(n));
      return p.op === 'in' ? any : !any;
    }
    case 'unaccompanied':
      return a.unaccompanied === p.value;
    case 'eoirStatus': {
      const inside = p.values.includes(a.eoirStatus);
      return p.op === 'in' ? inside : !inside;
    }
    case 'minor':
      // Unknown age counts as a minor for protection: the rule protects rather than exposes when in doubt.
      return (a.minor !== false) === p.value;
  }
}

export const describePredicate = (p: RulePredicate): string =>
  'values' in p ? `${p.attribute} ${p.op === 'in' ? 'is one of' : 'is none of'} ${p.values.join(', ')}` : `${p.attribute} is ${p.value}`;

/** Whether a class-wide rule protects this person on this day of the center's calendar. */
export function ruleApplies(rule: ProtectionRule, a: RuleAttributes, today: CalendarDay): boolean {
  if (rule.revoked || rule.effectiveFrom > today || (rule.effectiveUntil !== null && rule.effectiveUntil < today)) return false;
  return rule.condition.all.every((p) => holds(p, a));
}

/** A protection as the gate sees it: what it is and where it comes from. */
export type ActiveProtection = {
  kind: ProtectionKind | 'class_order';
  label: string;
  reference: string;
  protectionId?: string;
  ruleId?: string;
};

export function activeProtections(
  records: readonly ProtectionRecord[],
  rules: readonly ProtectionRule[],
  a: RuleAttributes,
  today: CalendarDay,
): ActiveProtection[] {
  return [
    ...records
      .filter((r) => inForce(r, today))
      .map((r) => ({ kind: r.kind, label: PROTECTION_LABEL[r.kind], reference: r.reference, protectionId: r.id })),
    ...rules
      .filter((r) => ruleApplies(r, a, today))
      .map((r) => ({ kind: 'class_order' as const, label: `class-wide order: ${r.name}`, reference: r.reference, ruleId: r.id })),
  ];
}
