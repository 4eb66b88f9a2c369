import type { TConsent, TFamily, TRelationship } from '../../contracts/relationships.js';
import type { ConsentRow } from '../../services/consent.service.js';
import type { RelationshipRow, readFamily, SuggestionRow } from '../../services/relationship.service.js';
import type { SponsorApprovalRow } from '../../services/sponsor-shield.service.js';

/** What leaves the server of relationships, suggestions, households, sponsor approvals and consents. */

type Named = { given_names: string; family_name_1: string; family_name_2: string | null };
const nameOf = (p: Partial<Named>) => [p.given_names, p.family_name_1, p.family_name_2].filter(Boolean).join(' ');

export function presentRelationship(r: RelationshipRow & Partial<Named>, sponsors?: ReadonlySet<string>): TRelationship {
  return {
    id: r.id,
    childPersonId: r.child_person_id,
    personId: r.person_id,
    name: nameOf(r),
    type: r.type,
    since: r.since,
    until: r.until,
    source: r.source,
    reportId: r.report_id,
    sourceNote: r.source_note,
    verification: r.verification,
    verifiedAt: r.verified_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    protectedSponsor: r.type === 'sponsor' || (sponsors?.has(r.person_id) ?? false),
  };
}

export const presentSuggestion = (s: SuggestionRow & Partial<Named>) => ({
  id: s.id,
  childPersonId: s.child_person_id,
  personId: s.person_id,
  name: nameOf(s),
  reason: s.reason,
  evidence: (s.evidence ?? {}) as Record<string, unknown>,
  status: s.status,
  decidedAt: s.decided_at?.toISOString() ?? null,
  relationshipId: s.relationship_id,
});

export function presentFamily(f: Awaited<ReturnType<typeof readFamily>>): TFamily {
  return {
    children: f.children,
    relationships: f.relationships.map((r) => presentRelationship(r, f.sponsors)),
    suggestions: f.suggestions.map(presentSuggestion),
    households: f.households.map((h) => ({
      address: h.address,
      members: h.members.map((m) => ({
        personId: m.personId,
        name: m.name,
        firstObservedAt: m.firstObservedAt.toISOString(),
        lastObservedAt: m.lastObservedAt.toISOString(),
        observations: m.observations,
      })),
    })),
  };
}

export const presentSponsorApproval = (a: SponsorApprovalRow) => ({
  id: a.id,
  sponsorPersonId: a.sponsor_person_id,
  referralId: a.referral_id,
  partnerRequestId: a.partner_request_id,
  approvedAt: a.approved_at.toISOString(),
});

export const presentConsent = (c: ConsentRow, inForce: boolean): TConsent => ({
  id: c.id,
  personId: c.person_id,
  scope: c.scope,
  recipientKind: c.recipient_kind,
  recipientName: c.recipient_name,
  decision: c.decision,
  givenBy: c.given_by,
  guardianName: c.guardian_name,
  givenOn: c.given_on,
  basis: c.basis,
  recordedAt: c.recorded_at.toISOString(),
  withdrawnOn: c.withdrawn_on,
  withdrawalReason: c.withdrawal_reason,
  inForce,
});
