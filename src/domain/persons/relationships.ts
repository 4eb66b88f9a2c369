import { RELATIONSHIP_TYPE_VALUES } from '../../contracts/relationships.js';

/**
 * Who a child is with (issue #22 item 1): relationships on a case, the
 * links matching suggests, and the household at each address over time. Pure:
 * the relationship service gathers the facts and stores the answers. A
 * suggestion is only a suggestion — a case worker confirms or rejects it.
 */

export const RELATIONSHIP_TYPES = RELATIONSHIP_TYPE_VALUES;
export type RelationshipType = (typeof RELATIONSHIP_TYPES)[number];
export const RELATIONSHIP_SOURCES = ['report', 'orr', 'partner', 'case_worker', 'suggestion'] as const;
export type RelationshipSource = (typeof RELATIONSHIP_SOURCES)[number];
export type SuggestionReason = 'same_address' | 'same_phone' | 'named_as_sponsor';

/** An address as households are told apart: street line and ZIP, folded (case, accents, spacing, punctuation). */
export function addressKey(a: { line1: string | null; zip: string | null }): string | null {
  if (!a.line1 || !a.zip) return null;
  const line = a.line1.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[.,#]/g, ' ').replace(/\s+/g, ' ').trim();
  return `${line}|${a.zip.slice(0, 5)}`;
}

export const phoneKey = (phone: string): string | null => {
  const digits = phone.replace(/\D/g, '').slice(-10);
  return digits.length >= 7 ? digits : null;
};

export type Observation = {
  personId: string;
  line1: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  observedAt: Date;
};

export type CandidateFacts = {
  personId: string;
  phones: readonly string[];
  observations: readonly Observation[];
  /** References of the case's reports that named this person as sponsor. */
  namedAsSponsorIn: readonly string[];
};

export type Suggestion = { personId: string; reason: SuggestionReason; evidence: Record<string, unknown> };

/**
 * Links worth a case worker's look: someone observed at an address the child was observed at, someone with the
 * child's phone number, someone an intake named as the child's sponsor. People already linked are not suggested.
 */
export function suggestLinks(
  child: { personId: string; phones: readonly string[]; observations: readonly Observation[] },
  candidates: readonly CandidateFacts[],
  alreadyLinked: ReadonlySet<string>,
): Suggestion[] {
  const childAddresses = new Map<string, Observation>();
  for (const o of child.observations) {
    const k = addressKey(o);
    if (k && !childAddresses.has(k)) childAddresses.set(k, o);
  }
  const childPhones = new Set(child.phones.map(phoneKey).filter((p): p is string => p !== null));
  const out: Suggestion[] = [];
  for (const c of candidates) {
    if (c.personId === child.personId || alreadyLinked.has(c.personId)) continue;
    if (c.namedAsSponsorIn.length > 0)
      out.push({ personId: c.personId, reason: 'named_as_sponsor', evidence: { reports: [...c.namedAsSponsorIn] } });
    const shared = c.observations.find((o) => {
      const k = addressKey(o);
      return k !== null && childAddresses.has(k);
    });
    if (shared)
      out.push({
        personId: c.personId,
        reason: 'same_address',
        evidence: { address: [shared.line1, shared.city, shared.state, shared.zip].filter(Boolean).join(', ') },
      });
    const phone = c.phones.find((p) => {
      const k = phoneKey(p);
      return k !== null && childPhones.has(k);
    });
    if (phone) out.push({ personId: c.personId, reason: 'same_phone', evidence: { phoneLast4: phone.replace(/\D/g, '').slice(-4) } });
  }
  return out;
}

export type Household = {
  address: string;
  members: { personId: string; firstObservedAt: Date; lastObservedAt: Date; observations: number }[];
};

/** Who was observed at each address, and from when to when: the household at each address over time. */
export function households(observations: readonly Observation[]): Household[] {
  const byAddress = new Map<string, { address: string; members: Map<string, Household['members'][number]> }>();
  for (const o of observations) {
    const k = addressKey(o);
    if (!k) continue;
    const entry = byAddress.get(k) ?? {
      address: [o.line1, o.city, o.state, o.zip].filter(Boolean).join(', '),
      members: new Map(),
    };
    byAddress.set(k, entry);
    const m = entry.members.get(o.personId);
    if (!m)
      entry.members.set(o.personId, { personId: o.personId, firstObservedAt: o.observedAt, lastObservedAt: o.observedAt, observations: 1 });
    else {
      if (o.observedAt < m.firstObservedAt) m.firstObservedAt = o.observedAt;
      if (o.observedAt > m.lastObservedAt) m.lastObservedAt = o.observedAt;
      m.observations += 1;
    }
  }
  return [...byAddress.values()]
    .map((h) => ({
      address: h.address,
      members: [...h.members.values()].sort((a, b) => a.firstObservedAt.getTime() - b.firstObservedAt.getTime()),
    }))
    .sort(
      (a, b) =>
        Math.max(...b.members.map((m) => m.lastObservedAt.getTime())) - Math.max(...a.members.map((m) => m.lastObservedAt.getTime())),
    );
}
