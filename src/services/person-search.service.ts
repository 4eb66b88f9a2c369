import type { Transaction } from 'kysely';
import type { Actor } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { blockingKeys, searchFields } from '../domain/matching/blocking.js';
import { fold, nameTokens } from '../domain/matching/names.js';
import { type Evidence, type MatchablePerson, type MatchScore, normalizeANumber, scoreMatch } from '../domain/matching/score.js';
import { normalizePhone } from '../domain/persons/person-rules.js';
import { checkPurpose, type PurposeCode, type StatedPurpose } from '../domain/safeguards/purpose.js';
import type { Db } from '../storage/database.js';
import { uacUnitPersons } from '../storage/repositories/age.repository.js';
import { survivorOf } from '../storage/repositories/case.repository.js';
import { findPerson, type PersonRow } from '../storage/repositories/person.repository.js';
import * as search from '../storage/repositories/person-search.repository.js';
import type { Database } from '../storage/schema.js';
import { ageVerdictsOf } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { askPurpose, purposeAudit } from './purpose-of-use.service.js';

type Trx = Transaction<Database>;
type Stated = { purposeCode?: PurposeCode | undefined; purpose?: string | undefined };

/**
 * Finding people: by A-number exactly, otherwise by name — candidates from the
 * trigram index on the folded name and the blocking keys, ranked by the
 * explained match score against what was typed. Every search is audited with
 * what was searched for and how many people it showed.
 */

/**
 * A hit: the person, why they matched, and whether they are (or may be) a
 * child. `restricted`: a child's (or a person of unknown age's) identity
 * without a stated purpose — the hit says only that there is one.
 */
export type PersonHit = { person: PersonRow; score: MatchScore; minor: boolean | 'unknown'; restricted: boolean };

export const toMatchable = (row: PersonRow): MatchablePerson => ({
  givenNames: row.given_names,
  familyName1: row.family_name_1,
  familyName2: row.family_name_2,
  dob: row.dob,
  dobBasis: row.dob_basis,
  sex: row.sex,
  aNumber: row.a_number,
});

/** "María Hernández López" → given "María", family "Hernández" and "López"; one word is taken as a family name. */
function queryPerson(q: string, dob: string | undefined): MatchablePerson {
  const words = q.trim().split(/\s+/);
  const [first, ...rest] = words;
  const base =
    words.length === 1
      ? { givenNames: '', familyName1: first ?? '' }
      : { givenNames: first ?? '', familyName1: rest[0] ?? '', familyName2: rest.slice(1).join(' ') || null };
  return { ...base, ...(dob ? { dob, dobBasis: 'exact' as const } : {}) };
}

export type PersonSearch = {
  /** Purpose of use: without one, hits that are children (or of unknown age) are listed without their identity. */
  purposeCode?: PurposeCode | undefined;
  purpose?: string | undefined;
  q?: string | undefined;
  dob?: string | undefined;
  phone?: string | undefined;
  address?: string | undefined;
  aor?: string | undefined;
  page?: number | undefined;
  limit: number;
};

const IDENTIFIER_LABEL: Record<string, string> = {
  fbi_number: 'FBI number',
  state_id: 'state ID',
  orr_case_number: 'ORR case number',
  passport: 'passport number',
};

export async function searchPersons(
  db: Db,
  ctx: RequestContext & { actor: Actor },
  input: PersonSearch,
  canSeeIdentifiers = true,
): Promise<PersonHit[]> {
  const aNumber = input.q && canSeeIdentifiers ? normalizeANumber(input.q) : undefined;
  const folded = input.q ? fold(input.q) : '';
  const identifier = input.q?.toUpperCase().replace(/[\s-]/g, '');
  // Finding someone by an identifier confirms who holds it: only for viewers who may see identifiers.
  const looksLikeIdentifier = canSeeIdentifiers && identifier !== undefined && /^[A-Z0-9]{4,20}$/.test(identifier) && /\d/.test(identifier);
  if (input.q && !aNumber && !looksLikeIdentifier && nameTokens(folded).length === 0)
    throw new AppError('validation_failed', 'Search for a name or an identifier.', {
      issues: [{ path: 'query.q', code: 'empty', message: 'needs a name or an identifier' }],
    });
  const phone = input.phone ? normalizePhone(input.phone) : undefined;
  if (input.phone && !phone) {
    throw new AppError('validation_failed', 'The search was not run: 1 field is invalid.', {
      issues: [{ path: 'query.phone', code: 'invalid_phone', message: 'not a phone number' }],
    });
  }
  return db.transaction().execute(async (trx) => {
    const filters: search.PersonFilters = { phone, address: input.address, aor: input.aor };
    let rows: PersonRow[] = [];
    let query: MatchablePerson = { givenNames: '', familyName1: '' };
    let identifierEvidence: Map<string, Evidence> | undefined;
    if (!input.q) {
      // Filters only: everyone who matches, by name, a page at a time.
      rows = await search.personsByFilters(trx, filters, { limit: input.limit, offset: ((input.page ?? 1) - 1) * input.limit });
    } else if (aNumber) {
      rows = await search.personsByANumber(trx, filters, aNumber, input.limit);
      query = { givenNames: '', familyName1: '', aNumber };
    }
    if (input.q && !aNumber && looksLikeIdentifier) {
      const found = await search.personsByIdentifier(trx, filters, identifier ?? '', input.limit);
      identifierEvidence = new Map(
        found.map((r) => [
          r.id,
          { feature: 'identifier_equal', weight: 20, explanation: `${IDENTIFIER_LABEL[r.identifier_kind] ?? r.identifier_kind} equal` },
        ]),
      );
      rows = found;
    }
    if (input.q && !aNumber && rows.length === 0 && nameTokens(folded).length > 0) {
      query = queryPerson(input.q, input.dob);
      // Blocking keys first (exact keys on a GIN index: few rows); trigram similarity only when they find too little.
      const keys = blockingKeys(query);
      if (keys.length === 0) rows = [];
      else if (search.hasFilters(filters)) {
        // Narrowed by phone, address or area: the filters select few people; rank within them.
        rows = await search.personsByKeysFiltered(trx, filters, keys, folded);
      } else {
        // A common name fills its blocks: for each key, the 200 closest spellings straight from the GiST index
        // (nearest-neighbour order), then the 200 closest overall; only those persons are read.
        const ranked = await search.nearestByKeys(trx, keys, folded);
        const found = await search.personsByIds(trx, filters, ranked);
        const order = new Map(ranked.map((id, i) => [id, i]));
        rows = found.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      }
      // Trigram similarity over everyone is the costly path (common trigrams have long posting lists): only when the
      // blocks found too few people and none of them convincingly.
      const convincing = rows.some((r) => scoreMatch(query, toMatchable(r)).verdict === 'likely');
      if (rows.length < input.limit && !convincing) {
        const seen = new Set(rows.map((r) => r.id));
        const similar = await search.personsBySimilarName(trx, filters, folded);
        rows = [...rows, ...similar.filter((r) => !seen.has(r.id))];
      }
    }
    // A merged record is found for its survivor: score the record that matched, show the person it now lives in.
    const survivors = new Map<string, PersonRow>();
    const mergedIds = [...new Set(rows.filter((r) => r.merged_into).map((r) => r.id))];
    for (const id of mergedIds) {
      const survivorId = await survivorOf(trx, id);
      const survivor = await findPerson(trx, survivorId);
      if (survivor) survivors.set(id, survivor);
    }
    const filterOnly: MatchScore = {
      weight: 0,
      verdict: 'possible',
      evidence: [{ feature: 'filters', weight: 0, explanation: 'matches the filters' }],
    };
    const best = new Map<string, PersonHit>();
    for (const row of rows) {
      const person = survivors.get(row.id) ?? row;
      const byIdentifier = identifierEvidence?.get(row.id);
      const score: MatchScore = !input.q
        ? filterOnly
        : byIdentifier
          ? { weight: byIdentifier.weight, verdict: 'likely', evidence: [byIdentifier] }
          : scoreMatch(query, toMatchable(row));
      const known = best.get(person.id);
      if (!known || known.score.weight < score.weight) best.set(person.id, { person, score, minor: 'unknown', restricted: true });
    }
    // A UAC child is the UAC unit's need-to-know: outside it, the search does not find them at all.
    if (!mayReadUnit(ctx.actor, 'uac')) for (const id of await uacUnitPersons(trx, [...best.keys()])) best.delete(id);
    const ranked = input.q ? [...best.values()].sort((a, b) => b.score.weight - a.score.weight).slice(0, input.limit) : [...best.values()];
    const { hits, purpose } = await withAges(trx, ctx, ranked, input);
    await appendAudit(trx, ctx, {
      action: 'person.search',
      outcome: 'allowed',
      resourceType: 'person',
      purpose: purposeAudit(purpose).purpose,
      details: {
        ...purposeAudit(purpose).details,
        minorHits: hits.filter((h) => h.minor !== false).length,
        restrictedHits: hits.filter((h) => h.restricted).length,
        query: {
          ...(aNumber ? { aNumber } : identifierEvidence ? { identifier } : input.q ? { name: folded } : {}),
          ...(input.dob ? { dob: input.dob } : {}),
          ...(phone ? { phone } : {}),
          ...(input.address ? { address: input.address } : {}),
          ...(input.aor ? { aor: input.aor } : {}),
        },
        results: hits.length,
      },
    });
    return hits;
  });
}

/**
 * Each hit's age from every date of birth given on any of its records; a
 * child's hit (or one of unknown age) is restricted unless a purpose is stated.
 */
async function withAges(
  trx: Trx,
  ctx: RequestContext,
  hits: PersonHit[],
  stated: Stated,
): Promise<{ hits: PersonHit[]; purpose: StatedPurpose | undefined }> {
  const verdicts = await ageVerdictsOf(
    trx,
    hits.map((h) => h.person.id),
    centerToday(ctx),
  );
  const checked = checkPurpose(stated.purposeCode, stated.purpose);
  // A purpose given but not acceptable is refused, not quietly ignored.
  if ((stated.purposeCode || stated.purpose) && 'issues' in checked)
    throw new AppError('validation_failed', 'The purpose of use was not accepted.', { issues: checked.issues });
  const purpose = 'purpose' in checked ? checked.purpose : undefined;
  const aged = hits.map((h) => {
    const minor = verdicts.get(h.person.id)?.minor ?? 'unknown';
    return { ...h, minor, restricted: minor !== false && !purpose };
  });
  return { hits: aged, purpose: aged.some((h) => h.minor !== false) ? purpose : undefined };
}

/**
 * Possible duplicates of a person, with the evidence for each. A list about a
 * child, or that would show one, needs a stated purpose; a UAC child (the
 * person or a candidate) is the UAC unit's need-to-know.
 */
export async function duplicateCandidates(
  db: Db,
  ctx: RequestContext & { actor: Actor },
  personId: string,
  query: { limit: number; purposeCode?: PurposeCode | undefined; purpose?: string | undefined },
): Promise<PersonHit[]> {
  const limit = query.limit;
  const outcome = await db.transaction().execute(async (trx) => {
    const person = await findPerson(trx, personId);
    if (!person) return { error: new AppError('not_found', 'There is no such person.') };
    const outsideUnit = !mayReadUnit(ctx.actor, 'uac');
    if (outsideUnit && (await uacUnitPersons(trx, [personId])).has(personId)) {
      await appendAudit(trx, ctx, {
        action: 'person.duplicates',
        outcome: 'denied',
        resourceType: 'person',
        resourceId: personId,
        details: { rule: 'uac_need_to_know', reason: 'need_to_know', minorRecord: true },
      });
      return { error: new AppError('not_found', 'There is no such person.') };
    }
    const self = toMatchable(person);
    const { match_keys } = searchFields(self);
    const rows =
      match_keys.length === 0
        ? []
        : // Records already merged (into anyone) are not offered again; unmerge first.
          await search.unmergedSharingKeys(trx, personId, match_keys);
    let candidates: PersonHit[] = rows
      .map((row) => ({ person: row, score: scoreMatch(self, toMatchable(row)), minor: 'unknown' as const, restricted: true }))
      .filter((h) => h.score.verdict !== 'unlikely')
      .sort((a, b) => b.score.weight - a.score.weight);
    if (outsideUnit) {
      const uac = await uacUnitPersons(
        trx,
        candidates.map((h) => h.person.id),
      );
      candidates = candidates.filter((h) => !uac.has(h.person.id));
    }
    candidates = candidates.slice(0, limit);
    const verdicts = await ageVerdictsOf(trx, [personId, ...candidates.map((h) => h.person.id)], centerToday(ctx));
    const aboutChild = [...verdicts.values()].some((v) => v.minor !== false);
    const asked = await askPurpose(
      trx,
      ctx,
      { action: 'person.duplicates', resourceType: 'person', resourceId: personId, aboutChild, what: 'This list of possible duplicates' },
      { code: query.purposeCode, text: query.purpose },
    );
    if ('error' in asked) return { error: asked.error };
    const hits = candidates.map((h) => ({ ...h, minor: verdicts.get(h.person.id)?.minor ?? 'unknown', restricted: false }));
    await appendAudit(trx, ctx, {
      action: 'person.duplicates',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: personId,
      purpose: purposeAudit(asked.purpose).purpose,
      details: { results: hits.length, ...purposeAudit(asked.purpose).details },
    });
    return { hits };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.hits;
}
