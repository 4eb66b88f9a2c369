import { type Selectable, sql } from 'kysely';
import type { Trx } from '../database.js';
import type {
  CallbackAttemptOutcome,
  CallbackAttemptsTable,
  CallbackStatus,
  CallbacksTable,
  RecordingsTable,
  VoicemailsTable,
} from '../schema.js';

/**
 * The promises kept to callers: `callbacks` (one per promise, with its tries in `callback_attempts`) and
 * `voicemails`. Every statement that reads or writes them; what they mean is the callback and voicemail services'.
 */

export type CallbackRow = Selectable<CallbacksTable>;
export type CallbackAttemptRow = Selectable<CallbackAttemptsTable>;
export type VoicemailRow = Selectable<VoicemailsTable>;

/**
 * A callback for the number a call came from, with the call's line, unit, language and IVR variables; undefined
 * when the call has no number to call (withheld).
 */
export async function insertCallbackFromCall(
  trx: Trx,
  input: {
    callId: string;
    taskId: string | null;
    origin: CallbacksTable['origin'];
    status: CallbackStatus;
    maxAttempts: number;
    nextAttemptAt: Date | null;
    priority: number;
    now: Date;
  },
): Promise<CallbackRow | undefined> {
  return trx
    .insertInto('callbacks')
    .columns([
      'call_id',
      'number',
      'line',
      'unit',
      'language',
      'attributes',
      'origin',
      'status',
      'task_id',
      'max_attempts',
      'next_attempt_at',
      'priority',
      'created_at',
      'updated_at',
    ])
    .expression((eb) =>
      eb
        .selectFrom('calls')
        .select([
          'id',
          'caller_number',
          'line',
          'unit',
          sql<string>`coalesce(language, 'en')`.as('language'),
          'attributes',
          sql.lit(input.origin).as('origin'),
          sql.lit(input.status).as('status'),
          sql<string | null>`${input.taskId}::text`.as('task_id'),
          sql<number>`${input.maxAttempts}::int`.as('max_attempts'),
          sql<Date | null>`${input.nextAttemptAt}::timestamptz`.as('next_attempt_at'),
          sql<number>`${input.priority}::int`.as('priority'),
          sql<Date>`${input.now}::timestamptz`.as('created_at'),
          sql<Date>`${input.now}::timestamptz`.as('updated_at'),
        ])
        .where('id', '=', input.callId)
        .where('caller_number', 'is not', null),
    )
    .returningAll()
    .executeTakeFirst();
}

/**
 * Takes the callback whose try is this task, for this node to dial; undefined if it is not queued (another node took
 * it). `adapter`: the callbacks of that adapter's calls only (Twilio's are dialed through Twilio; SIP's, and those
 * of no call, through the edge).
 */
export async function claimCallbackForDialing(
  trx: Trx,
  taskId: string,
  node: string,
  now: Date,
  adapter: 'sip' | 'twilio',
): Promise<CallbackRow | undefined> {
  const twilioCalls = trx.selectFrom('calls').select('id').where('adapter', '=', 'twilio');
  return trx
    .updateTable('callbacks')
    .set({ status: 'dialing', dialing_node: node, dialing_since: now, dialing_state: null, updated_at: now })
    .where('task_id', '=', taskId)
    .where('status', '=', 'queued')
    .where((eb) =>
      adapter === 'twilio' ? eb('call_id', 'in', twilioCalls) : eb.or([eb('call_id', 'is', null), eb('call_id', 'not in', twilioCalls)]),
    )
    .returningAll()
    .executeTakeFirst();
}

/** The state of a try dialed through the cloud adapter, changed key by key in one statement; null when not dialing it. */
export async function patchDialingState(
  trx: Trx,
  id: string,
  taskId: string,
  patch: Record<string, unknown>,
): Promise<Record<string, unknown> | null> {
  const row = await trx
    .updateTable('callbacks')
    .set({ dialing_state: sql<string>`coalesce(dialing_state, '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb` })
    .where('id', '=', id)
    .where('task_id', '=', taskId)
    .where('status', '=', 'dialing')
    .returning('dialing_state')
    .executeTakeFirst();
  return row?.dialing_state ?? null;
}

/**
 * Takes a step of a try dialed through the cloud adapter, once: true for the first caller only (two webhooks about
 * the same news — the agent answered, the try ended — do the step once). `reported`: how the try ended.
 */
export async function takeTryStep(trx: Trx, id: string, taskId: string, step: 'reported' | 'agentAnswered'): Promise<boolean> {
  const r = await trx
    .updateTable('callbacks')
    .set({ dialing_state: sql<string>`coalesce(dialing_state, '{}'::jsonb) || jsonb_build_object(${step}::text, true)` })
    .where('id', '=', id)
    .where('task_id', '=', taskId)
    .where('status', '=', 'dialing')
    .where(sql<boolean>`coalesce((dialing_state ->> ${step}::text)::boolean, false) = false`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function findCallback(trx: Trx, id: string): Promise<CallbackRow | undefined> {
  return trx.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findCallbackByTask(trx: Trx, taskId: string): Promise<CallbackRow | undefined> {
  return trx.selectFrom('callbacks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
}

/** The callback row, locked for the rest of the transaction. */
export async function lockCallback(trx: Trx, id: string): Promise<CallbackRow | undefined> {
  return trx.selectFrom('callbacks').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateCallback(
  trx: Trx,
  id: string,
  values: Partial<{
    status: CallbackStatus;
    task_id: string | null;
    attempts: number;
    max_attempts: number;
    next_attempt_at: Date | null;
    priority: number;
    dialing_node: string | null;
    dialing_since: Date | null;
    dialing_state: string | null;
    last_outcome: CallbackAttemptOutcome | null;
    closed_by: string | null;
    closed_reason: string | null;
    time_zone: string | null;
    updated_at: Date;
  }>,
): Promise<void> {
  await trx.updateTable('callbacks').set(values).where('id', '=', id).execute();
}

export async function insertCallbackAttempt(
  trx: Trx,
  attempt: {
    callback_id: string;
    task_id: string;
    worker_id: string | null;
    call_id: string | null;
    outcome: CallbackAttemptOutcome;
    sip_status: number | null;
    counted: boolean;
    started_at: Date;
    ended_at: Date;
  },
): Promise<string> {
  const row = await trx.insertInto('callback_attempts').values(attempt).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function latestAttempt(trx: Trx, callbackId: string): Promise<CallbackAttemptRow | undefined> {
  return trx
    .selectFrom('callback_attempts')
    .selectAll()
    .where('callback_id', '=', callbackId)
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

export async function setAttemptOutcome(trx: Trx, id: string, outcome: CallbackAttemptOutcome): Promise<void> {
  await trx.updateTable('callback_attempts').set({ outcome }).where('id', '=', id).execute();
}

export async function attemptsOf(trx: Trx, callbackIds: readonly string[]): Promise<CallbackAttemptRow[]> {
  if (callbackIds.length === 0) return [];
  return trx
    .selectFrom('callback_attempts')
    .selectAll()
    .where('callback_id', 'in', callbackIds)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
}

/** Callbacks whose time has come (scheduled, due), oldest first. */
export async function dueCallbackIds(trx: Trx, now: Date, limit: number): Promise<string[]> {
  const rows = await trx
    .selectFrom('callbacks')
    .select('id')
    .where('status', '=', 'scheduled')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** The callback one of whose tries was this task. */
export async function findCallbackByAttemptTask(trx: Trx, taskId: string): Promise<CallbackRow | undefined> {
  return trx
    .selectFrom('callbacks')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('task_id', '=', taskId),
        eb('id', 'in', eb.selectFrom('callback_attempts').select('callback_id').where('callback_attempts.task_id', '=', taskId)),
      ]),
    )
    .executeTakeFirst();
}

/**
 * Callbacks whose try was left dialing by a node that died mid-try: its call-control beat is older than
 * `deadAfterMs` (on the database's clock, as for calls) and it claimed the try before `claimedBefore`; or, whatever
 * the beats say, dialing since before `before` (longer than any try lasts).
 */
export async function stuckDialing(
  trx: Trx,
  o: { before: Date; claimedBefore: Date; deadAfterMs: number },
  limit: number,
): Promise<CallbackRow[]> {
  return trx
    .selectFrom('callbacks')
    .selectAll()
    .where('status', '=', 'dialing')
    .where((eb) =>
      eb.or([
        eb('dialing_since', '<', o.before),
        eb.and([
          eb('dialing_since', '<', o.claimedBefore),
          eb.not(
            eb.exists(
              eb
                .selectFrom('call_control_nodes as n')
                .select('n.node')
                .whereRef('n.node', '=', 'callbacks.dialing_node')
                .where('n.seen_at', '>', sql<Date>`now() - make_interval(secs => ${o.deadAfterMs / 1000})`),
            ),
          ),
        ]),
      ]),
    )
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function listCallbacks(trx: Trx, statuses: readonly CallbackStatus[], limit: number): Promise<CallbackRow[]> {
  return trx
    .selectFrom('callbacks')
    .selectAll()
    .where('status', 'in', statuses)
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** The call record a task belongs to (an inbound call's task, or the try of a callback). */
export async function callOfTask(trx: Trx, taskId: string): Promise<{ id: string; caller_number: string | null } | undefined> {
  return trx
    .selectFrom('calls')
    .select(['id', 'caller_number'])
    .where((eb) => eb.or([eb('task_id', '=', taskId), eb('callback_task_id', '=', taskId)]))
    .orderBy('arrived_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertVoicemail(
  trx: Trx,
  v: {
    call_id: string;
    line: string;
    unit: 'general' | 'uac';
    language: string;
    sha256: string;
    size_bytes: number;
    duration_ms: number;
    task_id: string;
    created_at: Date;
  },
): Promise<VoicemailRow> {
  return trx
    .insertInto('voicemails')
    .values({ ...v, status: 'new' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findVoicemail(trx: Trx, id: string): Promise<VoicemailRow | undefined> {
  return trx.selectFrom('voicemails').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findVoicemailByTask(trx: Trx, taskId: string): Promise<VoicemailRow | undefined> {
  return trx.selectFrom('voicemails').selectAll().where('task_id', '=', taskId).executeTakeFirst();
}

export async function markVoicemailWorked(trx: Trx, id: string, by: string, at: Date, caseId: string | null): Promise<void> {
  await trx
    .updateTable('voicemails')
    .set({ status: 'worked', worked_by: by, worked_at: at, ...(caseId ? { case_id: caseId } : {}) })
    .where('id', '=', id)
    .execute();
}

export type RecordingRow = Selectable<RecordingsTable>;

export async function insertRecording(
  trx: Trx,
  r: {
    call_id: string;
    unit: 'general' | 'uac';
    sha256: string;
    size_bytes: number;
    duration_ms: number;
    streams: number;
    created_at: Date;
  },
): Promise<string> {
  const row = await trx
    .insertInto('recordings')
    .values(r)
    .onConflict((oc) => oc.column('call_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (row) return row.id;
  const known = await trx.selectFrom('recordings').select('id').where('call_id', '=', r.call_id).executeTakeFirstOrThrow();
  return known.id;
}

export async function findRecordingOfCall(trx: Trx, callId: string): Promise<RecordingRow | undefined> {
  return trx.selectFrom('recordings').selectAll().where('call_id', '=', callId).executeTakeFirst();
}

/**
 * The cases a callback is about: those with a report taken on the call that asked for it, or on one of its tries (an
 * intake keeps its task's id as `call_id`), oldest first.
 */
export async function casesOfCallback(
  trx: Trx,
  callback: CallbackRow,
): Promise<Array<{ id: string; case_number: string; summary: string; status: string; unit: string; type: string }>> {
  const call = callback.call_id
    ? await trx.selectFrom('calls').select(['task_id', 'callback_task_id']).where('id', '=', callback.call_id).executeTakeFirst()
    : undefined;
  const tries = await trx.selectFrom('callback_attempts').select('task_id').where('callback_id', '=', callback.id).execute();
  const taskIds = [call?.task_id, call?.callback_task_id, callback.task_id, ...tries.map((t) => t.task_id)].filter(
    (id): id is string => typeof id === 'string',
  );
  if (taskIds.length === 0) return [];
  return trx
    .selectFrom('cases as c')
    .select(['c.id', 'c.case_number', 'c.summary', 'c.status', 'c.unit', 'c.type', 'c.created_at'])
    .where('c.id', 'in', (eb) =>
      eb
        .selectFrom('case_reports as cr')
        .innerJoin('reports as r', 'r.id', 'cr.report_id')
        .select('cr.case_id')
        .where('r.call_id', 'in', taskIds),
    )
    .orderBy('c.created_at')
    .limit(10)
    .execute();
}
