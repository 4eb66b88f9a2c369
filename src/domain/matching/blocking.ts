import { canonicalSpelling, fold, formalName, nameTokens, phoneticKeys } from './names.js';
import { type MatchablePerson, type MatchScore, scoreMatch } from './score.js';

/**
 * Candidate retrieval by blocking: a record is filed under a few keys —
 * A-number; family-name sound with given-name sound; family-name sound with
 * birth year; given-name sound with birth year — and only records sharing a
 * key are scored. The database does the same with indexes over the same keys;
 * this in-memory index serves tests and the matching benchmark.
 */
export function blockingKeys(p: MatchablePerson): string[] {
  const keys = new Set<string>();
  if (p.aNumber) keys.add(`a:${p.aNumber}`);
  const year = p.dob && p.dobBasis !== 'unknown' ? p.dob.slice(0, 4) : undefined;
  const family = [...nameTokens(p.familyName1), ...nameTokens(p.familyName2 ?? '')].map((t) => phoneticKeys(canonicalSpelling(t))[0]);
  const given = nameTokens(p.givenNames).map((t) => phoneticKeys(canonicalSpelling(formalName(t)))[0]);
  for (const f of family) {
    for (const g of given) keys.add(`fg:${f}:${g}`);
    if (year) keys.add(`fy:${f}:${year}`);
  }
  if (year) for (const g of given) keys.add(`gy:${g}:${year}`);
  return [...keys];
}

export type Candidate<T> = { record: T; score: MatchScore };

export class CandidateIndex<T extends MatchablePerson & { id: number | string }> {
  private readonly blocks = new Map<string, T[]>();

  add(record: T): void {
    for (const key of blockingKeys(record)) {
      let block = this.blocks.get(key);
      if (!block) {
        block = [];
        this.blocks.set(key, block);
      }
      block.push(record);
    }
  }

  /** The best-scoring records that share a blocking key with `query`, best first. */
  candidates(query: MatchablePerson & { id?: number | string }, limit = 10): Candidate<T>[] {
    const seen = new Set<number | string>();
    const scored: Candidate<T>[] = [];
    for (const key of blockingKeys(query)) {
      for (const record of this.blocks.get(key) ?? []) {
        if (record.id === query.id || seen.has(record.id)) continue;
        seen.add(record.id);
        scored.push({ record, score: scoreMatch(query, record) });
      }
    }
    scored.sort((a, b) => b.score.weight - a.score.weight);
    return scored.slice(0, limit);
  }
}

/** The keys a person is filed under: their name and every other name they are known by (aliases, merged records), with their date of birth. */
export function personKeys(p: MatchablePerson, otherNames: readonly MatchablePerson[]): string[] {
  return [...new Set([p, ...otherNames].flatMap((n) => blockingKeys({ ...n, dob: p.dob ?? null, dobBasis: p.dobBasis ?? 'unknown' })))];
}

/** What the database stores for a person's search and candidate retrieval (persons.search_name, persons.match_keys). */
export function searchFields(p: MatchablePerson): { search_name: string; match_keys: string[] } {
  return { search_name: fold(`${p.givenNames} ${p.familyName1} ${p.familyName2 ?? ''}`), match_keys: blockingKeys(p) };
}
