import { type Insertable, sql } from 'kysely';
import type { Db } from '../database.js';
import type { AgenciesTable } from '../schema.js';

/** The agency registry: partner agencies and their 287(g) agreements. */

export type AgencyFilter = {
  ori?: string | undefined;
  state?: string | undefined;
  status?: 'active' | 'suspended' | 'terminated' | 'pending' | undefined;
  q?: string | undefined;
};

/** Which of these ORIs are registered already. */
export async function registeredOris(db: Db, oris: string[]): Promise<Set<string>> {
  if (oris.length === 0) return new Set();
  const rows = await db.selectFrom('agencies').select('ori').where('ori', 'in', oris).execute();
  return new Set(rows.map((r) => r.ori));
}

/** Adds the agency, or replaces every field of the one with its ORI. */
export async function upsertAgency(db: Db, values: Insertable<AgenciesTable>): Promise<void> {
  await db
    .insertInto('agencies')
    .values(values)
    .onConflict((oc) => oc.column('ori').doUpdateSet({ ...values, ori: undefined }))
    .execute();
}

export const findAgencyOri = (db: Db, ori: string) => db.selectFrom('agencies').select('ori').where('ori', '=', ori).executeTakeFirst();

export const findAgencyByOri = (db: Db, ori: string) => db.selectFrom('agencies').selectAll().where('ori', '=', ori).executeTakeFirst();

/** Agencies by state then name; `q` is an exact ORI or a part of the name (LIKE wildcards in it taken literally). */
export function searchAgencies(db: Db, filter: AgencyFilter, limit: number) {
  let q = db.selectFrom('agencies').selectAll();
  if (filter.ori !== undefined) q = q.where('ori', '=', filter.ori);
  if (filter.state) q = q.where('state', '=', filter.state.toUpperCase());
  if (filter.status) q = q.where('agreement_status', '=', filter.status);
  if (filter.q)
    q = q.where(
      sql<boolean>`(ori = ${filter.q.toUpperCase()} OR lower(name) LIKE ${`%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`})`,
    );
  return q.orderBy('state').orderBy('name').limit(limit).execute();
}
