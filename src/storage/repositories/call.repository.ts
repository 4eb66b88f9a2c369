import type { Selectable } from 'kysely';
import type { Trx } from '../database.js';
import type { CallEndReason, CallsTable } from '../schema.js';

/**
 * The `calls` table (the call record): every statement that reads or writes it for the telephony adapters. The
 * milestones and their meaning are the call-record service's (src/services/call-record.service.ts).
 */

export type CallRow = Selectable<CallsTable>;

export type NewCallRow = {
  adapter: CallsTable['adapter'];
  external_id: string;
  node: string;
  line: string;
  unit: 'general' | 'uac';
  caller_number: string | null;
  arrived_at: Date;
};

/** The columns a milestone sets (the JSON columns as JSON text). */
export type CallMilestone = Partial<{
  ivr_done_at: Date;
  ivr_path: string;
  language: string;
  reason: string | null;
  interpreter: boolean;
  attributes: string;
  unit: 'general' | 'uac';
  queued_at: Date;
  task_id: string;
  queue_id: string | null;
  offered_at: Date;
  answered_at: Date;
  agent_worker_id: string | null;
  callback_task_id: string;
  recording_ref: string | null;
  adapter_state: string | null;
}>;

/** A new record; null when the adapter already recorded this call (a retried INVITE on another node). */
export async function insertCallUnlessKnown(db: Trx, call: NewCallRow): Promise<string | null> {
  const row = await db
    .insertInto('calls')
    .values(call)
    .onConflict((oc) => oc.columns(['adapter', 'external_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** A new record; fails if the adapter already recorded this call. */
export async function insertCall(db: Trx, call: NewCallRow): Promise<string> {
  const row = await db.insertInto('calls').values(call).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function updateCall(db: Trx, id: string, values: CallMilestone): Promise<void> {
  await db.updateTable('calls').set(values).where('id', '=', id).execute();
}

/** Ends a record once: a record already ended is left as it is. */
export async function endCall(db: Trx, id: string, end: { at: Date; reason: CallEndReason; ivrPath?: string }): Promise<void> {
  await db
    .updateTable('calls')
    .set({ ended_at: end.at, end_reason: end.reason, ...(end.ivrPath !== undefined ? { ivr_path: end.ivrPath } : {}) })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .execute();
}

/** Ends, as failed, every record of a node that never ended (the node restarted); answers their tasks. */
export async function failOpenCallsOfNode(db: Trx, node: string, at: Date): Promise<Array<{ task_id: string | null }>> {
  return db
    .updateTable('calls')
    .set({ ended_at: at, end_reason: 'failed' })
    .where('node', '=', node)
    .where('ended_at', 'is', null)
    .returning(['task_id'])
    .execute();
}

export async function findCallByExternalId(db: Trx, adapter: CallsTable['adapter'], externalId: string): Promise<CallRow | undefined> {
  return db.selectFrom('calls').selectAll().where('adapter', '=', adapter).where('external_id', '=', externalId).executeTakeFirst();
}

/** The record of an adapter's call that waits on a routing task and has not ended. */
export async function findOpenCallByTask(db: Trx, adapter: CallsTable['adapter'], taskId: string): Promise<CallRow | undefined> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('adapter', '=', adapter)
    .where('task_id', '=', taskId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
}

/** Every agency's ORI and 287(g) agreement (the partner line recognises an agency by its ORI typed on a keypad). */
export async function listAgencyAgreements(
  db: Trx,
): Promise<
  Array<{ ori: string; agreement_status: string; agreement_model: string; agreement_effective: string; agreement_end: string | null }>
> {
  return db.selectFrom('agencies').select(['ori', 'agreement_status', 'agreement_model', 'agreement_effective', 'agreement_end']).execute();
}

/* Reading call records back, for the call history (the call-record service writes them). */

export type CallListFilter = {
  /** Leave out the calls of the UAC unit (need-to-know). */
  excludeUnit?: 'general' | 'uac' | undefined;
  line?: string | undefined;
  endReason?: string | undefined;
};

/** Call records, newest first. */
export function listCalls(db: Trx, filter: CallListFilter, limit: number): Promise<CallRow[]> {
  let q = db.selectFrom('calls').selectAll();
  if (filter.excludeUnit !== undefined) q = q.where('unit', '!=', filter.excludeUnit);
  if (filter.line) q = q.where('line', '=', filter.line);
  if (filter.endReason) q = q.where('end_reason', '=', filter.endReason as CallEndReason);
  return q.orderBy('arrived_at', 'desc').limit(limit).execute();
}

export const findCall = (db: Trx, id: string): Promise<CallRow | undefined> =>
  db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
