import { type Selectable, sql } from 'kysely';
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
  direction?: 'inbound' | 'outbound';
  task_id?: string;
  agent_worker_id?: string;
  language?: string;
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
    .set({
      ended_at: end.at,
      end_reason: end.reason,
      ...(end.ivrPath !== undefined ? { ivr_path: end.ivrPath } : {}),
      // A SIP call's dialogs and media (what an adopter would need) are of no use once it has ended.
      adapter_state: sql<string | null>`CASE WHEN adapter = 'sip' THEN NULL ELSE adapter_state END`,
      // A call that ends on hold: the hold ends with it.
      hold_seconds: sql<number>`hold_seconds + ${heldSince(end.at)}`,
      hold_started_at: null,
    })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .execute();
}

/** Seconds from the hold in progress (none: 0) to `at`, never negative. */
const heldSince = (at: Date) =>
  sql<number>`CASE WHEN hold_started_at IS NULL THEN 0 ELSE greatest(0, date_part('epoch', ${at}::timestamptz - hold_started_at)) END`;

/**
 * The caller was put on hold (true) or taken off it (false) at `at`. A hold counts once however often it is asked
 * for; taking a caller off hold who is not on it changes nothing; an ended call is left as it is.
 */
export async function markHold(db: Trx, id: string, on: boolean, at: Date): Promise<void> {
  const update = db.updateTable('calls').where('id', '=', id).where('ended_at', 'is', null);
  if (on) await update.set({ holds: sql<number>`holds + 1`, hold_started_at: at }).where('hold_started_at', 'is', null).execute();
  else
    await update
      .set({ hold_seconds: sql<number>`hold_seconds + ${heldSince(at)}`, hold_started_at: null })
      .where('hold_started_at', 'is not', null)
      .execute();
}

/**
 * Ends, as failed, every record of a node that never ended (the node restarted), except the SIP calls it can carry
 * on (their dialogs and media were saved: the node adopts them again); answers their tasks.
 */
export async function failOpenCallsOfNode(db: Trx, node: string, at: Date): Promise<Array<{ task_id: string | null }>> {
  return db
    .updateTable('calls')
    .set({ ended_at: at, end_reason: 'failed' })
    .where('node', '=', node)
    .where('ended_at', 'is', null)
    .where((eb) => eb.or([eb('adapter', '<>', 'sip'), eb('adapter_state', 'is', null)]))
    .returning(['task_id'])
    .execute();
}

/** A call-control node's heartbeat, on the database's clock (the one every node shares). */
export async function beatCallControlNode(db: Trx, node: string): Promise<void> {
  await db
    .insertInto('call_control_nodes')
    .values({ node, seen_at: sql<Date>`now()` })
    .onConflict((oc) => oc.column('node').doUpdateSet({ seen_at: sql<Date>`now()` }))
    .execute();
}

/** A node leaving on purpose (shutdown): its calls have ended, and it is not waited for. */
export async function forgetCallControlNode(db: Trx, node: string): Promise<void> {
  await db.deleteFrom('call_control_nodes').where('node', '=', node).execute();
}

/** The holder saves a SIP call's state; false when the call is no longer this node's (adopted elsewhere) or has ended. */
export async function saveSipCallState(db: Trx, id: string, node: string, state: string): Promise<boolean> {
  const r = await db
    .updateTable('calls')
    .set({ adapter_state: state })
    .where('id', '=', id)
    .where('node', '=', node)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Moves to `node` the open SIP calls whose holder is dead — its heartbeat older than `staleMs`, or none at all —
 * and returns them: one statement, rows taken with SKIP LOCKED, so two survivors never adopt the same call.
 */
export async function adoptOrphanedSipCalls(db: Trx, node: string, staleMs: number, limit: number): Promise<CallRow[]> {
  return db
    .updateTable('calls')
    .set({ node })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('calls as c')
        .select('c.id')
        .where('c.adapter', '=', 'sip')
        .where('c.ended_at', 'is', null)
        .where('c.adapter_state', 'is not', null)
        .where('c.node', '<>', node)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('call_control_nodes as n')
                .select('n.node')
                .whereRef('n.node', '=', 'c.node')
                .where('n.seen_at', '>', sql<Date>`now() - make_interval(secs => ${staleMs / 1000})`),
            ),
          ),
        )
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

/**
 * Moves to `node` one open SIP call, found by either leg's SIP Call-ID (the caller's is the record's external id,
 * the agent's is in its state), whoever holds it: an in-dialog request for it reached this node, so the edge found
 * its holder silent. Null when no open call has that Call-ID.
 */
export async function adoptSipCallByDialog(db: Trx, node: string, sipCallId: string): Promise<CallRow | undefined> {
  return db
    .updateTable('calls')
    .set({ node })
    .where('adapter', '=', 'sip')
    .where('ended_at', 'is', null)
    .where('adapter_state', 'is not', null)
    .where((eb) => eb.or([eb('external_id', '=', sipCallId), eb(sql`adapter_state #>> '{leg,agent,callId}'`, '=', sipCallId)]))
    .returningAll()
    .executeTakeFirst();
}

/** Of these records, those that name the node and have not ended: the calls it still holds. */
export async function callsHeldBy(db: Trx, node: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('calls')
    .select('id')
    .where('id', 'in', ids)
    .where('node', '=', node)
    .where('ended_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

/** The open SIP calls a node holds with a saved state (a restarted node carries them on). */
export async function openSipCallsOfNode(db: Trx, node: string): Promise<CallRow[]> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('adapter', '=', 'sip')
    .where('node', '=', node)
    .where('ended_at', 'is', null)
    .where('adapter_state', 'is not', null)
    .execute();
}

export async function findCallByExternalId(db: Trx, adapter: CallsTable['adapter'], externalId: string): Promise<CallRow | undefined> {
  return db.selectFrom('calls').selectAll().where('adapter', '=', adapter).where('external_id', '=', externalId).executeTakeFirst();
}

/**
 * A cloud adapter's state between webhooks, merged key by key into what is stored (in one statement): a write of the
 * IVR's state does not undo a conference leg recorded by a webhook that ran meanwhile.
 */
export async function mergeCallAdapterState(db: Trx, id: string, state: Record<string, unknown>, ivrPath: string): Promise<void> {
  await db
    .updateTable('calls')
    .set({
      adapter_state: sql<string>`coalesce(adapter_state, '{}'::jsonb) || ${JSON.stringify(state)}::jsonb`,
      ivr_path: ivrPath,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * The conference of a cloud adapter's call (its legs, the supervisor's mode, the consultation), changed key by key in
 * one statement, so two webhooks about two legs arriving together both count. Returns the conference as stored.
 */
export async function patchCallConference(db: Trx, id: string, patch: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const row = await db
    .updateTable('calls')
    .set({
      adapter_state: sql<string>`jsonb_set(coalesce(adapter_state, '{}'::jsonb), '{conference}', coalesce(adapter_state -> 'conference', '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb, true)`,
    })
    .where('id', '=', id)
    .returning(sql<Record<string, unknown> | null>`adapter_state -> 'conference'`.as('conference'))
    .executeTakeFirst();
  return row?.conference ?? null;
}

/**
 * A conference leg's call SID, learned from the REST answer that created it — only while the leg is still ringing
 * with no SID: a status callback that came first (the leg answered, or already ended) is newer news and is kept.
 */
export async function setRingingLegSid(db: Trx, id: string, party: string, sid: string | null): Promise<boolean> {
  const leg = sql`adapter_state -> 'conference' -> ${party}`;
  const result = await db
    .updateTable('calls')
    .set({ adapter_state: sql<string>`jsonb_set(adapter_state, ${`{conference,${party},sid}`}::text[], to_jsonb(${sid}::text), true)` })
    .where('id', '=', id)
    .where(sql<boolean>`${leg} ->> 'status' = 'ringing' and (${leg} -> 'sid') = 'null'::jsonb`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A conference leg that could not be created: its ringing mark (no SID yet) is taken back, and nothing newer. */
export async function dropRingingLeg(db: Trx, id: string, party: string): Promise<void> {
  const leg = sql`adapter_state -> 'conference' -> ${party}`;
  await db
    .updateTable('calls')
    .set({ adapter_state: sql<string>`jsonb_set(adapter_state, ${`{conference,${party}}`}::text[], 'null'::jsonb, true)` })
    .where('id', '=', id)
    .where(sql<boolean>`${leg} ->> 'status' = 'ringing' and (${leg} -> 'sid') = 'null'::jsonb`)
    .execute();
}

/** An adapter's calls connected to an agent (answered, not ended), the oldest first. */
export function connectedCallsOf(db: Trx, adapter: CallsTable['adapter'], limit = 500): Promise<CallRow[]> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('adapter', '=', adapter)
    .where('answered_at', 'is not', null)
    .where('ended_at', 'is', null)
    .orderBy('answered_at')
    .limit(limit)
    .execute();
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

export async function findCallById(db: Trx, id: string): Promise<CallRow | undefined> {
  return db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
}
