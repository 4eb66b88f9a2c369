import type { Selectable } from 'kysely';
import type { Db } from '../database.js';
import type { CallEndReason, CallsTable } from '../schema.js';

/** Reading call records back (the call-record service writes them). */

export type CallRow = Selectable<CallsTable>;

export type CallListFilter = {
  /** Leave out the calls of the UAC unit (need-to-know). */
  excludeUnit?: 'general' | 'uac' | undefined;
  line?: string | undefined;
  endReason?: string | undefined;
};

/** Call records, newest first. */
export function listCalls(db: Db, filter: CallListFilter, limit: number): Promise<CallRow[]> {
  let q = db.selectFrom('calls').selectAll();
  if (filter.excludeUnit !== undefined) q = q.where('unit', '!=', filter.excludeUnit);
  if (filter.line) q = q.where('line', '=', filter.line);
  if (filter.endReason) q = q.where('end_reason', '=', filter.endReason as CallEndReason);
  return q.orderBy('arrived_at', 'desc').limit(limit).execute();
}

export const findCall = (db: Db, id: string): Promise<CallRow | undefined> =>
  db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
