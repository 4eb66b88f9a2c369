import { sql } from 'kysely';
import type { Actor } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { blockingKeys, searchFields } from '../domain/matching/blocking.js';
import { fold, nameTokens } from '../domain/matching/names.js';
import { type MatchablePerson, type MatchScore, normalizeANumber, scoreMatch } from '../domain/matching/score.js';
import { isMinorOn } from '../domain/persons/age.js';
import type { Db } from '../storage/database.js';
import { survivorOf } from '../storage/repositories/case.repository.js';
import type { PersonRow } from '../storage/repositories/person.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * Finding people: by A-number exactly, otherwise by name — candidates from the
 * trigram index on the folded name and the blocking keys, ranked by the
 * explained match score against what was typed. Every search is audited with
 * what was searched for and how many people it showed.
 */

export type PersonHit = { person: PersonRow; score: MatchScore; minor: boolean | 'unknown' };

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

export async function searchPersons(
  db: Db,
  ctx: RequestContext & { actor: Actor },
  input: { q: string; dob?: string | undefined; limit: number },
): Promise<PersonHit[]> {
  const aNumber = normalizeANumber(input.q);
  const folded = fold(input.q);
  if (!aNumber && nameTokens(folded).length === 0)
    throw new AppError('validation_failed', 'Search for a name or an A-number.', {
      issues: [{ path: 'query.q', code: 'empty', message: 'needs a name or an A-number' }],
    });
  return db.transaction().execute(async (trx) => {
    let rows: PersonRow[];
    let query: MatchablePerson;
    if (aNumber) {
      rows = await trx.selectFrom('persons').selectAll().where('a_number', '=', aNumber).limit(input.limit).execute();
      query = { givenNames: '', familyName1: '', aNumber };
    } else {
      query = queryPerson(input.q, input.dob);
      // Blocking keys first (exact keys on a GIN index: few rows); trigram similarity only when they find too little.
      const keys = blockingKeys(query);
      rows =
        keys.length === 0
          ? []
          : await trx
              .selectFrom('persons')
              .selectAll()
              .where(sql<boolean>`match_keys && ${keys}::text[]`)
              // A common name fills its blocks: keep the closest spellings.
              .orderBy(sql`search_name <-> ${folded}`)
              .limit(200)
              .execute();
      if (rows.length < input.limit) {
        await sql`SET LOCAL pg_trgm.similarity_threshold = 0.45`.execute(trx);
        const seen = new Set(rows.map((r) => r.id));
        const similar = await trx
          .selectFrom('persons')
          .selectAll()
          .where(sql<boolean>`search_name % ${folded}`)
          .orderBy(sql`search_name <-> ${folded}`)
          .limit(100)
          .execute();
        rows = [...rows, ...similar.filter((r) => !seen.has(r.id))];
      }
    }
    // A merged record is found for its survivor: score the record that matched, show the person it now lives in.
    const survivors = new Map<string, PersonRow>();
    const mergedIds = [...new Set(rows.filter((r) => r.merged_into).map((r) => r.id))];
    for (const id of mergedIds) {
      const survivorId = await survivorOf(trx, id);
      const survivor = await trx.selectFrom('persons').selectAll().where('id', '=', survivorId).executeTakeFirst();
      if (survivor) survivors.set(id, survivor);
    }
    const best = new Map<string, PersonHit>();
    for (const row of rows) {
      const person = survivors.get(row.id) ?? row;
      const score = scoreMatch(query, toMatchable(row));
      const known = best.get(person.id);
      if (!known || known.score.weight < score.weight) {
        best.set(person.id, { person, score, minor: isMinorOn({ dob: person.dob, dobBasis: person.dob_basis }, ctx.now) });
      }
    }
    const hits = [...best.values()].sort((a, b) => b.score.weight - a.score.weight).slice(0, input.limit);
    await appendAudit(trx, ctx, {
      action: 'person.search',
      outcome: 'allowed',
      resourceType: 'person',
      details: { query: aNumber ? { aNumber } : { name: folded, ...(input.dob ? { dob: input.dob } : {}) }, results: hits.length },
    });
    return hits;
  });
}

/** Possible duplicates of a person, with the evidence for each. */
export async function duplicateCandidates(
  db: Db,
  ctx: RequestContext & { actor: Actor },
  personId: string,
  limit: number,
): Promise<PersonHit[]> {
  return db.transaction().execute(async (trx) => {
    const person = await trx.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirst();
    if (!person) throw new AppError('not_found', 'There is no such person.');
    const self = toMatchable(person);
    const { match_keys } = searchFields(self);
    const rows =
      match_keys.length === 0
        ? []
        : await trx
            .selectFrom('persons')
            .selectAll()
            .where('id', '!=', personId)
            // Records already merged (into anyone) are not offered again; unmerge first.
            .where('merged_into', 'is', null)
            .where(sql<boolean>`match_keys && ${match_keys}::text[]`)
            .limit(500)
            .execute();
    const hits = rows
      .map((row) => ({
        person: row,
        score: scoreMatch(self, toMatchable(row)),
        minor: isMinorOn({ dob: row.dob, dobBasis: row.dob_basis }, ctx.now),
      }))
      .filter((h) => h.score.verdict !== 'unlikely')
      .sort((a, b) => b.score.weight - a.score.weight)
      .slice(0, limit);
    await appendAudit(trx, ctx, {
      action: 'person.duplicates',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: personId,
      details: { results: hits.length },
    });
    return hits;
  });
}
