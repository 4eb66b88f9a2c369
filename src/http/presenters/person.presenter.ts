import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { ZAgency, ZPerson, ZPersonHit } from '../../contracts/persons.js';
import { type Actor, authorize, type PermissionTable } from '../../domain/access/access-control.js';
import type { PersonView } from '../../services/person.service.js';
import type { PersonHit } from '../../services/person-search.service.js';
import type { PersonRow } from '../../storage/repositories/person.repository.js';
import type { AgenciesTable } from '../../storage/schema.js';

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

/** The viewer decides what leaves: identifiers only for those with person:identifiers. The UI never hides fields for us. */
export function presentPerson(view: PersonView, viewer: Actor, permissions: PermissionTable): z.infer<typeof ZPerson> {
  const { person, locations, minor } = view;
  return {
    ...personSummary(person, minor, authorize(permissions, viewer, 'person:identifiers').allowed),
    sex: person.sex,
    nationality: person.nationality,
    locations: locations.map((l) => ({
      id: l.id,
      line1: l.line1,
      city: l.city,
      county: l.county,
      state: l.state,
      zip: l.zip,
      precision: l.precision,
      source: l.source,
      confidence: l.confidence,
      observedAt: l.observed_at.toISOString(),
      reportedAt: l.reported_at.toISOString(),
    })),
  };
}

export const presentAgency = (row: Selectable<AgenciesTable>): z.infer<typeof ZAgency> => ({
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
  return {
    ...personSummary(hit.person, hit.minor, showIdentifiers),
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
