import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Trx } from '../database.js';
import type { PersonRelationshipsTable, RelationshipSuggestionsTable, SponsorDisclosureApprovalsTable } from '../schema.js';

/** Relationships, suggested links and sponsor-disclosure approvals (migration 0038). No rules here: services decide. */

export type RelationshipRow = Selectable<PersonRelationshipsTable>;
export type SuggestionRow = Selectable<RelationshipSuggestionsTable>;
export type SponsorApprovalRow = Selectable<SponsorDisclosureApprovalsTable>;

export const insertRelationship = (db: Trx, values: Insertable<PersonRelationshipsTable>) =>
  db.insertInto('person_relationships').values(values).returningAll().executeTakeFirstOrThrow();

export const updateRelationship = (db: Trx, id: string, changes: Updateable<PersonRelationshipsTable>) =>
  db.updateTable('person_relationships').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export const findRelationship = (db: Trx, id: string) =>
  db.selectFrom('person_relationships').selectAll().where('id', '=', id).executeTakeFirst();

export const relationshipsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('person_relationships as r')
    .innerJoin('persons as p', 'p.id', 'r.person_id')
    .selectAll('r')
    .select(['p.given_names', 'p.family_name_1', 'p.family_name_2', 'p.dob', 'p.dob_basis'])
    .where('r.case_id', '=', caseId)
    .orderBy('r.created_at')
    .execute();

/** Persons named as sponsor on this case: a subject in that role, a report's subject in that role, a sponsor link. */
export async function sponsorIdsOfCase(db: Trx, caseId: string): Promise<string[]> {
  const [subjects, reported, linked] = await Promise.all([
    db.selectFrom('case_subjects').select('person_id').where('case_id', '=', caseId).where('role', '=', 'sponsor').execute(),
    db
      .selectFrom('report_subjects as rs')
      .innerJoin('case_reports as cr', 'cr.report_id', 'rs.report_id')
      .select('rs.person_id')
      .where('cr.case_id', '=', caseId)
      .where('rs.role', '=', 'sponsor')
      .execute(),
    db.selectFrom('person_relationships').select('person_id').where('case_id', '=', caseId).where('type', '=', 'sponsor').execute(),
  ]);
  return [...new Set([...subjects, ...reported, ...linked].map((r) => r.person_id))];
}

/** Which of these person records are anyone's sponsor, on any case: in a subject role, a report, or a link. */
export async function sponsorsAmong(db: Trx, personIds: readonly string[]): Promise<string[]> {
  if (personIds.length === 0) return [];
  const [subjects, reported, linked] = await Promise.all([
    db.selectFrom('case_subjects').select('person_id').where('person_id', 'in', personIds).where('role', '=', 'sponsor').execute(),
    db.selectFrom('report_subjects').select('person_id').where('person_id', 'in', personIds).where('role', '=', 'sponsor').execute(),
    db.selectFrom('person_relationships').select('person_id').where('person_id', 'in', personIds).where('type', '=', 'sponsor').execute(),
  ]);
  return [...new Set([...subjects, ...reported, ...linked].map((r) => r.person_id))];
}

/** The case's reports that name a person as sponsor, by person. */
export const sponsorMentionsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('report_subjects as rs')
    .innerJoin('case_reports as cr', 'cr.report_id', 'rs.report_id')
    .innerJoin('reports as r', 'r.id', 'rs.report_id')
    .select(['rs.person_id', 'r.reference'])
    .where('cr.case_id', '=', caseId)
    .where('rs.role', '=', 'sponsor')
    .execute();

export const personsBrief = (db: Trx, ids: readonly string[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom('persons')
        .select(['id', 'given_names', 'family_name_1', 'family_name_2', 'phones', 'dob', 'dob_basis', 'merged_into'])
        .where('id', 'in', ids)
        .execute();

export const aliasesOf = (db: Trx, ids: readonly string[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom('person_names')
        .select(['person_id', 'given_names', 'family_name_1', 'family_name_2'])
        .where('person_id', 'in', ids)
        .execute();

export const observationsOf = (db: Trx, ids: readonly string[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom('location_observations')
        .select(['person_id', 'line1', 'city', 'state', 'zip', 'observed_at'])
        .where('person_id', 'in', ids)
        .orderBy('observed_at', 'desc')
        .limit(500)
        .execute();

/** Persons observed in these ZIP codes (the service keeps those at the same street address). */
export const observationsInZips = (db: Trx, zips: readonly string[]) =>
  zips.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom('location_observations as l')
        .innerJoin('persons as p', 'p.id', 'l.person_id')
        .select(['l.person_id', 'l.line1', 'l.city', 'l.state', 'l.zip', 'l.observed_at'])
        .where('l.zip', 'in', zips)
        .where('p.merged_into', 'is', null)
        .limit(500)
        .execute();

/** Persons (not merged away) who share a phone number with these. */
export const personsWithPhones = (db: Trx, phones: readonly string[]) =>
  phones.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom('persons')
        .select(['id', 'phones'])
        .where('merged_into', 'is', null)
        .where((eb) => eb('phones', '&&', eb.val([...phones])))
        .limit(100)
        .execute();

export const insertSuggestions = (db: Trx, rows: Insertable<RelationshipSuggestionsTable>[]) =>
  rows.length === 0
    ? Promise.resolve()
    : db
        .insertInto('relationship_suggestions')
        .values(rows)
        .onConflict((oc) => oc.columns(['case_id', 'child_person_id', 'person_id', 'reason']).doNothing())
        .execute()
        .then(() => undefined);

export const suggestionsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('relationship_suggestions as s')
    .innerJoin('persons as p', 'p.id', 's.person_id')
    .selectAll('s')
    .select(['p.given_names', 'p.family_name_1', 'p.family_name_2'])
    .where('s.case_id', '=', caseId)
    .orderBy('s.created_at')
    .orderBy('s.reason')
    .execute();

export const findSuggestion = (db: Trx, id: string, lock: boolean) => {
  const q = db.selectFrom('relationship_suggestions').selectAll().where('id', '=', id);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
};

export const updateSuggestion = (db: Trx, id: string, changes: Updateable<RelationshipSuggestionsTable>) =>
  db.updateTable('relationship_suggestions').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export const insertSponsorApproval = (db: Trx, values: Insertable<SponsorDisclosureApprovalsTable>) =>
  db.insertInto('sponsor_disclosure_approvals').values(values).returningAll().executeTakeFirstOrThrow();

export const sponsorApprovalsFor = (
  db: Trx,
  disclosure: { referralId: string } | { partnerRequestId: string } | { welfareReferralId: string },
) =>
  db
    .selectFrom('sponsor_disclosure_approvals')
    .selectAll()
    .where(
      'referralId' in disclosure ? 'referral_id' : 'partnerRequestId' in disclosure ? 'partner_request_id' : 'welfare_referral_id',
      '=',
      'referralId' in disclosure
        ? disclosure.referralId
        : 'partnerRequestId' in disclosure
          ? disclosure.partnerRequestId
          : disclosure.welfareReferralId,
    )
    .execute();
