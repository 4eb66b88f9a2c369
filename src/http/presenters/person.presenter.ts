import type { z } from 'zod';
import type { ZAgency, ZLocationObservation, ZPerson, ZPersonHit } from '../../contracts/persons.js';
import { type Actor, authorize, type PermissionTable } from '../../domain/access/access-control.js';
import { ageOn } from '../../domain/persons/age.js';
import { toAssertion } from '../../services/age.service.js';
import type { AgencyRow } from '../../services/agency.service.js';
import type { LocationRow, PersonRow, PersonView } from '../../services/person.service.js';
import type { PersonHit } from '../../services/person-search.service.js';

/** Languages the center staffs directly; any other (K'iche', Mam, Q'anjob'al, …) needs an interpreter. */
const STAFFED_LANGUAGES = new Set(['en', 'es', 'english', 'spanish', 'inglés', 'ingles', 'español', 'espanol']);
export const needsInterpreter = (languages: readonly string[]): boolean =>
  languages.some((l) => !STAFFED_LANGUAGES.has(l.trim().toLowerCase()));

/** The fields every presentation of a person shares; identifiers only for viewers with person:identifiers. */
function personSummary(person: PersonRow, minor: boolean | 'unknown', showIdentifiers: boolean) {
  return {
    id: person.id,
    givenNames: person.given_names,
    familyName1: person.family_name_1,
    familyName2: person.family_name_2,
    dob: person.dob,
    dobBasis: person.dob_basis,
    isMinor: minor,
    ...(showIdentifiers ? { identifiers: { aNumber: person.a_number } } : {}),
  };
}

export const presentLocation = (l: LocationRow): z.infer<typeof ZLocationObservation> => ({
  id: l.id,
  personId: l.person_id,
  line1: l.line1,
  city: l.city,
  county: l.county,
  state: l.state,
  zip: l.zip,
  latitude: l.latitude,
  longitude: l.longitude,
  precision: l.precision,
  aorOfficeCode: l.aor_office_code,
  source: l.source,
  reportId: l.report_id,
  confidence: l.confidence,
  observedAt: l.observed_at.toISOString(),
  reportedAt: l.reported_at.toISOString(),
  verified: l.verified_by && l.verified_at ? { by: l.verified_by, at: l.verified_at.toISOString(), note: l.verification_note } : null,
});

/** The viewer decides what leaves: identifiers only for those with person:identifiers. The UI never hides fields for us. */
export function presentPerson(view: PersonView, viewer: Actor, permissions: PermissionTable): z.infer<typeof ZPerson> {
  const { person, locations, minor } = view;
  const showIdentifiers = authorize(permissions, viewer, 'person:identifiers').allowed;
  const { identifiers: _none, ...summary } = personSummary(person, minor, false);
  return {
    ...summary,
    ...(showIdentifiers
      ? {
          identifiers: {
            aNumber: person.a_number ?? view.mergedRecords.find((r) => r.a_number)?.a_number ?? null,
            others: view.identifiers.map((i) => ({ kind: i.kind, value: i.value, issuer: i.issuer })),
          },
        }
      : {}),
    ageBecause: view.age.verdict.because,
    dobAssertions: view.age.assertions.map((a) => ({
      dob: a.dob,
      basis: a.dob_basis,
      source: toAssertion(a).source,
      reportId: a.report_id,
      recordedAt: a.recorded_at.toISOString(),
      ageToday: a.dob && a.dob_basis !== 'unknown' ? ageOn(a.dob, view.age.today) : null,
    })),
    ageDeterminations: view.age.determinations.map((d) => ({
      id: d.id,
      dob: d.dob,
      basis: d.basis,
      evidence: d.evidence,
      determinedBy: d.determined_by_name,
      determinedAt: d.determined_at.toISOString(),
    })),
    sex: person.sex,
    nationalities: person.nationalities,
    languages: person.languages,
    phones: person.phones,
    mergedInto: person.merged_into,
    otherNames: [
      ...view.mergedRecords.map((r) => ({
        givenNames: r.given_names,
        familyName1: r.family_name_1,
        familyName2: r.family_name_2,
        kind: 'merged_record' as const,
      })),
      ...view.names.map((n) => ({ givenNames: n.given_names, familyName1: n.family_name_1, familyName2: n.family_name_2, kind: n.kind })),
    ],
    merges: view.merges.map((m) => ({
      id: m.id,
      survivorId: m.survivor_id,
      mergedId: m.merged_id,
      reason: m.reason,
      mergedAt: m.merged_at.toISOString(),
      mergedBy: m.merged_by,
      undoneAt: m.undone_at?.toISOString() ?? null,
      undoReason: m.undo_reason,
    })),
    ...(view.cases ? { cases: view.cases } : {}),
    locations: locations.map(presentLocation),
    interpreterNeeded: needsInterpreter(person.languages),
    eoirStatus: person.eoir_status,
    unaccompanied: person.unaccompanied,
    protections: view.protections.map((p) => ({
      id: p.id,
      kind: p.kind,
      source: p.source,
      reference: p.reference,
      startsOn: p.starts_on,
      endsOn: p.ends_on,
      nextHearingOn: p.next_hearing_on,
      verified: p.verified_at !== null,
      revokedAt: p.revoked_at?.toISOString() ?? null,
    })),
    protectionsInForce: view.inForce.map((p) => ({ kind: p.kind, label: p.label, reference: p.reference })),
  };
}

export const presentAgency = (row: AgencyRow): z.infer<typeof ZAgency> => ({
  ori: row.ori,
  name: row.name,
  type: row.type,
  state: row.state,
  county: row.county,
  agreement: { model: row.agreement_model, status: row.agreement_status, effective: row.agreement_effective, end: row.agreement_end },
});

/** A search hit or duplicate candidate: the person (identifiers by viewer) and the explained match. */
export function presentHit(hit: PersonHit, viewer: Actor, permissions: PermissionTable): z.infer<typeof ZPersonHit> {
  const showIdentifiers = authorize(permissions, viewer, 'person:identifiers').allowed;
  if (hit.restricted) {
    // A child's identity (or that of a person of unknown age) without a stated purpose: only that there is one.
    return {
      id: hit.person.id,
      isMinor: hit.minor,
      restricted: true,
      givenNames: null,
      familyName1: null,
      familyName2: null,
      dob: null,
      dobBasis: null,
      match: {
        weight: hit.score.weight,
        verdict: hit.score.verdict,
        evidence: [
          { feature: 'restricted', weight: 0, explanation: 'a child or a person of unknown age: state a purpose of use to see who' },
        ],
      },
    };
  }
  return {
    ...personSummary(hit.person, hit.minor, showIdentifiers),
    restricted: false,
    // Evidence texts can quote identifiers: viewers without person:identifiers get the A-number evidence without the number.
    match: {
      weight: hit.score.weight,
      verdict: hit.score.verdict,
      evidence: hit.score.evidence.map((e) =>
        showIdentifiers || e.feature !== 'a_number_equal' ? e : { ...e, explanation: 'A-number equal' },
      ),
    },
  };
}
