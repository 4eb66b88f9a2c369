import { type RawBuilder, sql } from 'kysely';
import type { Trx } from '../database.js';
import type { PersonRow } from './person.repository.js';

/**
 * Finding person records: by filters (phone, address, area), by A-number, by another identifier, by blocking
 * keys and by trigram similarity of the folded name. What to search for and how to rank is the service's.
 */

/** Phone (normalized), address text and area of responsibility: every given one must hold. */
export type PersonFilters = { phone?: string | undefined; address?: string | undefined; aor?: string | undefined };

/** The filters as one condition on `persons` (undefined when there are none). */
function filterCondition(f: PersonFilters): RawBuilder<boolean> | undefined {
  const parts: RawBuilder<boolean>[] = [];
  if (f.phone) parts.push(sql<boolean>`persons.phones @> ARRAY[${f.phone}]::text[]`);
  if (f.address || f.aor) {
    const like = f.address ? `%${f.address.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
    parts.push(
      sql<boolean>`EXISTS (SELECT 1 FROM location_observations l WHERE l.person_id = persons.id
        ${like ? sql`AND (lower(l.line1) LIKE ${like} OR lower(l.city) LIKE ${like} OR l.zip = ${f.address})` : sql``}
        ${f.aor ? sql`AND l.aor_office_code = ${f.aor}` : sql``})`,
    );
  }
  return parts.length === 0 ? undefined : sql<boolean>`(${sql.join(parts, sql` AND `)})`;
}

export const hasFilters = (f: PersonFilters): boolean => filterCondition(f) !== undefined;

function persons(db: Trx, f: PersonFilters) {
  const q = db.selectFrom('persons').selectAll('persons');
  const filters = filterCondition(f);
  return filters ? q.where(filters) : q;
}

/** Records that are not merged and match the filters, by name, a page at a time. */
export const personsByFilters = (db: Trx, f: PersonFilters, page: { limit: number; offset: number }): Promise<PersonRow[]> =>
  persons(db, f)
    .where('merged_into', 'is', null)
    .orderBy('family_name_1')
    .orderBy('given_names')
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();

export const personsByANumber = (db: Trx, f: PersonFilters, aNumber: string, limit: number): Promise<PersonRow[]> =>
  persons(db, f).where('a_number', '=', aNumber).limit(limit).execute();

/** Records holding an identifier of this value, with the identifier's kind. */
export const personsByIdentifier = (db: Trx, f: PersonFilters, value: string, limit: number) =>
  persons(db, f)
    .innerJoin('person_identifiers as pi', 'pi.person_id', 'persons.id')
    .select(['pi.kind as identifier_kind'])
    .where('pi.value', '=', value)
    .limit(limit)
    .execute();

/** Within the filtered records, those under any of the keys, closest spelling first (at most 200). */
export function personsByKeysFiltered(db: Trx, f: PersonFilters, keys: readonly string[], folded: string): Promise<PersonRow[]> {
  const closest = db
    .selectFrom('person_keys')
    .select(['person_id', sql<number>`min(search_name <-> ${folded})`.as('distance')])
    .where(sql<boolean>`key = ANY(${keys}::text[])`)
    .groupBy('person_id');
  return persons(db, f).innerJoin(closest.as('c'), 'c.person_id', 'persons.id').orderBy('c.distance').limit(200).execute();
}

/**
 * For each key, the 200 closest spellings straight from the GiST index (nearest-neighbour order), then the 200
 * closest overall: person ids, closest first.
 */
export async function nearestByKeys(db: Trx, keys: readonly string[], folded: string): Promise<string[]> {
  const perKey = keys.map(
    (key) =>
      sql`(SELECT person_id, search_name <-> ${folded} AS d FROM person_keys WHERE key = ${key} ORDER BY search_name <-> ${folded} LIMIT 200)`,
  );
  const { rows } = await sql<{ person_id: string; distance: number }>`
    SELECT person_id, min(d) AS distance FROM (${sql.join(perKey, sql` UNION ALL `)}) nearest
    GROUP BY person_id ORDER BY distance LIMIT 200`.execute(db);
  return rows.map((r) => r.person_id);
}

/** The filtered records among these ids (in no particular order). */
export const personsByIds = (db: Trx, f: PersonFilters, ids: readonly string[]): Promise<PersonRow[]> =>
  ids.length === 0 ? Promise.resolve([]) : persons(db, f).where('persons.id', 'in', ids).execute();

/**
 * Filtered records whose folded name is similar (trigram similarity at least 0.45, set for the rest of the
 * transaction), closest first, at most 100. The costly path: common trigrams have long posting lists.
 */
export async function personsBySimilarName(db: Trx, f: PersonFilters, folded: string): Promise<PersonRow[]> {
  await sql`SET LOCAL pg_trgm.similarity_threshold = 0.45`.execute(db);
  return persons(db, f).where(sql<boolean>`search_name % ${folded}`).orderBy(sql`search_name <-> ${folded}`).limit(100).execute();
}

/** Records not merged into anyone, other than `personId`, sharing a match key with it (at most 500). */
export const unmergedSharingKeys = (db: Trx, personId: string, keys: readonly string[]): Promise<PersonRow[]> =>
  db
    .selectFrom('persons')
    .selectAll()
    .where('id', '!=', personId)
    .where('merged_into', 'is', null)
    .where(sql<boolean>`match_keys && ${keys}::text[]`)
    .limit(500)
    .execute();
