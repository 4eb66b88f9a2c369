import { sql } from 'kysely';
import type { Db } from '../database.js';

/** A round trip to the database (readiness). */
/** Answers whether the server takes writes: a standby (or a primary Patroni demoted) answers read-only. */
export async function pingDatabase(db: Db): Promise<{ writable: boolean }> {
  const result = await sql<{ read_only: string }>`SELECT current_setting('transaction_read_only') AS read_only`.execute(db);
  return { writable: result.rows[0]?.read_only === 'off' };
}

export async function getMeta(db: Db, key: string): Promise<unknown> {
  const row = await db.selectFrom('app_meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function setMeta(db: Db, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('app_meta')
    .values({ key, value: json })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: new Date() }))
    .execute();
}
