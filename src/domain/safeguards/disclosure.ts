import { CONSENT_SCOPE_VALUES, RECIPIENT_KIND_VALUES } from '../../contracts/relationships.js';
import type { CalendarDay } from '../calendar/calendar-day.js';

/**
 * Consent and disclosure (issue #22 item 2): the one decision of whether a
 * child's information may go to a recipient outside the center, modelled on
 * Primero's `consent_for_services` and `disclosure_other_orgs`. Every
 * disclosure of a child's information asks `checkDisclosure` — requests to
 * partner agencies today, hand-offs of welfare referrals (item 4) tomorrow.
 *
 * - Service providers (legal aid, shelter, medical…) need the child's or a
 *   guardian's consent to share with services (`services`), in force that day
 *   and covering the recipient.
 * - Other organisations (ORR, CPS, NCMEC, any other) need consent to disclose
 *   to other organisations (`other_orgs`).
 * - A partner police agency is governed by the safeguard gate and legal
 *   review, not by consent — but a refusal (or withdrawal) the child or
 *   guardian gave for other organisations is honoured: the request is refused.
 * - A field office (an enforcement referral) is the gate's alone.
 * - A child in danger (a positive screening's danger indicator) overrides a
 *   missing or refused consent for a welfare disclosure; the basis is recorded.
 * A refusal in force wins over a grant in force (the safer reading).
 */

export const CONSENT_SCOPES = CONSENT_SCOPE_VALUES;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

export const RECIPIENT_KINDS = RECIPIENT_KIND_VALUES;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];

/** Which consent covers a kind of recipient; none: not a consent-based disclosure. */
export function scopeOf(kind: RecipientKind): ConsentScope | null {
  switch (kind) {
    case 'service_provider':
    case 'legal_aid':
    case 'shelter':
    case 'medical':
      return 'services';
    case 'orr':
    case 'cps':
    case 'ncmec':
    case 'organisation':
    case 'partner_agency':
      return 'other_orgs';
    case 'field_office':
      return null;
  }
}

export type ConsentFact = {
  id: string;
  scope: ConsentScope;
  /** null: every recipient of the scope. */
  recipientKind: string | null;
  /** null: every recipient of the kind. */
  recipientName: string | null;
  decision: 'granted' | 'refused';
  givenOn: CalendarDay;
  withdrawnOn: CalendarDay | null;
};

export type Recipient = { kind: RecipientKind; name?: string | undefined };

export type DisclosureQuestion = {
  recipient: Recipient;
  /** The child's consents on the case. */
  consents: readonly ConsentFact[];
  today: CalendarDay;
  /** A welfare disclosure about a child in danger (positive screening with a danger indicator). */
  childInDanger: boolean;
};

export type DisclosureBasis = 'consent' | 'child_in_danger' | 'safeguard_gate';
export type DisclosureRefusalCode = 'consent_required' | 'consent_refused' | 'consent_withdrawn';
export type DisclosureAnswer =
  | { allowed: true; basis: DisclosureBasis; consentId?: string }
  | { allowed: false; code: DisclosureRefusalCode; message: string; consentId?: string };

const covers = (c: ConsentFact, scope: ConsentScope, r: Recipient) =>
  c.scope === scope &&
  (c.recipientKind === null || c.recipientKind === r.kind) &&
  (c.recipientName === null || (r.name !== undefined && c.recipientName.trim().toLowerCase() === r.name.trim().toLowerCase()));

// Calendar days are ISO YYYY-MM-DD strings: they order as text.
const given = (c: ConsentFact, today: CalendarDay) => c.givenOn <= today;
const withdrawn = (c: ConsentFact, today: CalendarDay) => c.withdrawnOn !== null && c.withdrawnOn <= today;

export function checkDisclosure(q: DisclosureQuestion): DisclosureAnswer {
  const scope = scopeOf(q.recipient.kind);
  if (scope === null) return { allowed: true, basis: 'safeguard_gate' };
  const covering = q.consents.filter((c) => covers(c, scope, q.recipient) && given(c, q.today));
  const inForce = covering.filter((c) => !withdrawn(c, q.today));
  const refused = inForce.find((c) => c.decision === 'refused');
  const granted = inForce.find((c) => c.decision === 'granted');
  const wasWithdrawn = covering.find((c) => withdrawn(c, q.today) && c.decision === 'granted');
  const words = scope === 'services' ? 'sharing with service providers' : 'disclosure to other organisations';
  if (refused) {
    if (q.childInDanger) return { allowed: true, basis: 'child_in_danger' };
    return { allowed: false, code: 'consent_refused', consentId: refused.id, message: `the child or guardian refused ${words}` };
  }
  if (granted) return { allowed: true, basis: 'consent', consentId: granted.id };
  // Police partners act under the gate and legal review; only a refusal stops them.
  if (q.recipient.kind === 'partner_agency') return { allowed: true, basis: 'safeguard_gate' };
  if (q.childInDanger) return { allowed: true, basis: 'child_in_danger' };
  if (wasWithdrawn)
    return { allowed: false, code: 'consent_withdrawn', consentId: wasWithdrawn.id, message: `consent to ${words} was withdrawn` };
  return { allowed: false, code: 'consent_required', message: `no consent of the child or guardian to ${words} covers this recipient` };
}
