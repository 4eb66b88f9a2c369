import { createHash } from 'node:crypto';
import { dayIn } from '../domain/calendar/calendar-day.js';
import type { Vars } from '../domain/ivr/machine.js';
import { agreementInForce, agreementOf } from '../domain/partner/submission-rules.js';
import { type Db, isDatabaseUnavailable, type Trx } from '../storage/database.js';
import {
  adoptOrphanedSipCalls,
  adoptSipCallByDialog,
  beatCallControlNode,
  type CallRow,
  callsHeldBy,
  connectedCallsOf,
  dropRingingLeg,
  endCall,
  failOpenCallsOfNode,
  findCallByExternalId,
  findCallById,
  findOpenCallByTask,
  forgetCallControlNode,
  insertCall,
  insertCallUnlessKnown,
  listAgencyAgreements,
  markHold,
  mergeCallAdapterState,
  type NewCallRow,
  openSipCallsOfNode,
  patchCallConference,
  saveSipCallState,
  setRingingLegSid,
  updateCall,
} from '../storage/repositories/call.repository.js';
import { insertRecording, insertVoicemail } from '../storage/repositories/callback.repository.js';
import type { CallEndReason, CallsTable } from '../storage/schema.js';
import { storeBlob } from './attachment.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { CallbackService } from './callback.service.js';
import type { RoutingService } from './routing.service.js';

export type { CallRow } from '../storage/repositories/call.repository.js';
export type { CallEndReason } from '../storage/schema.js';

/**
 * The call record (the `calls` table), for every adapter (SIP, simulator, Twilio): one method per milestone —
 * arrived, IVR done, queued, offered, answered, recording, callback, ended — each one statement, or one transaction
 * with the routing command it belongs with (queued with the task's creation, a callback with the callback task,
 * the answer of a Twilio call with the accept), so the record never says what the routing log does not, nor
 * the reverse. Telephony writes the record only through here.
 */

export type ArrivingCall = {
  adapter: CallsTable['adapter'];
  externalId: string;
  node: string;
  line: string;
  unit: 'general' | 'uac';
  caller: string | null;
  arrivedAt: Date;
};

const row = (call: ArrivingCall): NewCallRow => ({
  adapter: call.adapter,
  external_id: call.externalId,
  node: call.node,
  line: call.line,
  unit: call.unit,
  caller_number: call.caller,
  arrived_at: call.arrivedAt,
});

/**
 * How long a call's writes wait out the database being away — a failover (the primary lost, the standby promoted:
 * ≈ 8 s in the drill), a restart — before the call gives up on them. A caller on the line is not dropped for it.
 */
const RIDE_OUT_MS = 30_000;

/** Runs a write, again while the database is unreachable or read-only (backing off to 2 s), for up to RIDE_OUT_MS. */
async function rideOut<T>(write: () => Promise<T>): Promise<T> {
  const started = performance.now();
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || performance.now() - started + delay > RIDE_OUT_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export class CallRecordService {
  constructor(
    private readonly db: Db,
    private readonly routing: RoutingService,
    private readonly options: {
      /** Callbacks kept: a callback task's promise is recorded with it (absent: the task alone). */
      callbacks?: CallbackService | undefined;
      /** Where voicemails' audio is stored by content (the attachments' store). */
      blobDir?: string | undefined;
    } = {},
  ) {}

  private get callbacks(): CallbackService | undefined {
    return this.options.callbacks;
  }

  /** A routing command (with the record's part in its transaction), waiting out a database failover. */
  private execute(...args: Parameters<RoutingService['execute']>): ReturnType<RoutingService['execute']> {
    return rideOut(() => this.routing.execute(...args));
  }

  /** The call's record; null when this call is already recorded (a retried INVITE on another node after a failover). */
  arrivedOnce(call: ArrivingCall): Promise<string | null> {
    return rideOut(() => insertCallUnlessKnown(this.db, row(call)));
  }

  /** The call's record; fails when it is already recorded. */
  arrived(call: ArrivingCall): Promise<string> {
    return insertCall(this.db, row(call));
  }

  findByExternalId(adapter: CallsTable['adapter'], externalId: string): Promise<CallRow | undefined> {
    return findCallByExternalId(this.db, adapter, externalId);
  }

  findOpenByTask(adapter: CallsTable['adapter'], taskId: string): Promise<CallRow | undefined> {
    return findOpenCallByTask(this.db, adapter, taskId);
  }

  /** What the IVR gathered: language, reason, whether an interpreter is needed, and whose call it is (a child's is the UAC unit's). */
  async ivrDone(id: string, vars: Vars, path: string[], now: Date): Promise<void> {
    await rideOut(() =>
      updateCall(this.db, id, {
        ivr_done_at: now,
        ivr_path: JSON.stringify(path),
        language: typeof vars.language === 'string' ? vars.language : 'en',
        reason: typeof vars.reason === 'string' ? vars.reason : null,
        interpreter: vars.interpreter === true,
        attributes: JSON.stringify(vars),
        ...(vars.topic === 'uac' ? { unit: 'uac' as const } : {}),
      }),
    );
  }

  /**
   * The caller joins the queue: a voice task for the ACD carrying what the IVR gathered (never the caller's number —
   * the task points at the record), and the record notes the task and its queue, in the task's transaction. The task
   * id is chosen by the caller of this, so that it can recognise the ACD's events about it from the moment the task
   * exists.
   */
  async queued(
    ctx: RequestContext,
    call: {
      taskId: string;
      recordId: string | null;
      line: string;
      language: string;
      vars: Vars;
      priority: number;
      /** A SIP call's state for adoption, as queued: saved with the task, by its holder. */
      sipState?: { node: string; state: unknown };
    },
  ): Promise<void> {
    const attributes: Vars = {
      kind: 'call',
      line: call.line,
      language: call.language,
      ...call.vars,
      ...(call.recordId ? { callRecord: call.recordId } : {}),
    };
    const recordId = call.recordId;
    await this.execute(
      { type: 'createTask', task: { id: call.taskId, channel: 'voice', priority: call.priority, attributes } },
      ctx,
      recordId
        ? async (trx) => {
            await updateCall(trx, recordId, {
              queued_at: ctx.now,
              task_id: call.taskId,
              queue_id: this.routing.engine.task(call.taskId)?.queueId ?? null,
            });
            if (call.sipState) await saveSipCallState(trx, recordId, call.sipState.node, JSON.stringify(call.sipState.state));
          }
        : undefined,
    );
  }

  /** The ACD offered the call to an agent. */
  async offered(id: string, workerId: string, now: Date): Promise<void> {
    await rideOut(() => updateCall(this.db, id, { offered_at: now, agent_worker_id: workerId }));
  }

  /** An agent took the call (the reservation was accepted elsewhere: the agent's phone, the desktop). */
  async answered(id: string, workerId: string | null, now: Date): Promise<void> {
    await rideOut(() => updateCall(this.db, id, { answered_at: now, agent_worker_id: workerId }));
  }

  /** The agent's phone answered: the reservation is accepted and the record answered, in one transaction. */
  async acceptAndAnswer(ctx: RequestContext, id: string, reservationId: string): Promise<void> {
    await this.execute({ type: 'accept', reservationId }, ctx, (trx) => updateCall(trx, id, { answered_at: ctx.now }));
  }

  /** The caller was put on hold (a consultation), or came back from it: counted on the record for the reports. */
  async hold(id: string, on: boolean, now: Date): Promise<void> {
    await rideOut(() => markHold(this.db, id, on, now));
  }

  async recording(id: string, ref: string | null): Promise<void> {
    await rideOut(() => updateCall(this.db, id, { recording_ref: ref }));
  }

  /**
   * A call we place (a callback's try): its record, outbound, naming the number dialed (personal data: the record's,
   * never a log's), the try's task and the agent on it.
   */
  dialed(call: {
    externalId: string;
    node: string;
    line: string;
    unit: 'general' | 'uac';
    number: string;
    language: string;
    taskId: string;
    workerId: string;
    at: Date;
    adapter?: 'sip' | 'twilio';
  }): Promise<string> {
    return rideOut(() =>
      insertCall(this.db, {
        adapter: call.adapter ?? 'sip',
        direction: 'outbound',
        external_id: call.externalId,
        node: call.node,
        line: call.line,
        unit: call.unit,
        caller_number: call.number,
        language: call.language,
        task_id: call.taskId,
        agent_worker_id: call.workerId,
        arrived_at: call.at,
      }),
    );
  }

  /**
   * A voicemail left: its audio's row and a task in the queue the call would have gone to (the IVR's variables, the
   * line and language), in one transaction with the routing command; the record says voicemail.
   */
  async voicemailLeft(
    ctx: RequestContext,
    v: { recordId: string; taskId: string; vars: Vars; line: string; language: string; wav: Buffer; durationMs: number },
  ): Promise<void> {
    const dir = this.options.blobDir;
    if (!dir) throw new Error('voicemail: no audio store configured (blobDir)');
    const sha256 = createHash('sha256').update(v.wav).digest('hex');
    // On disk and synced before its row commits: a voicemail row never points at nothing.
    await storeBlob(dir, sha256, v.wav);
    const attributes: Vars = {
      ...v.vars,
      kind: 'call',
      voicemail: true,
      line: v.line,
      language: v.language,
      callRecord: v.recordId,
    };
    await this.execute({ type: 'createTask', task: { id: v.taskId, channel: 'voice', attributes } }, ctx, async (trx) => {
      const call = await findCallById(trx, v.recordId);
      const row = await insertVoicemail(trx, {
        call_id: v.recordId,
        line: v.line,
        unit: call?.unit ?? 'general',
        language: v.language,
        sha256,
        size_bytes: v.wav.length,
        duration_ms: v.durationMs,
        task_id: v.taskId,
        created_at: ctx.now,
      });
      await updateCall(trx, v.recordId, { recording_ref: `voicemail:${row.id}` });
      await appendAudit(trx, ctx, {
        action: 'voicemail.left',
        outcome: 'allowed',
        resourceType: 'voicemail',
        resourceId: row.id,
        details: { callId: v.recordId, taskId: v.taskId, durationMs: v.durationMs, sha256 },
      });
    });
  }

  /** A recorded conversation, mixed after the call: stored by content and noted, audited (never its content). */
  async recordingArchived(
    ctx: RequestContext,
    recordId: string,
    audio: { wav: Buffer; durationMs: number; streams: number },
  ): Promise<void> {
    const dir = this.options.blobDir;
    if (!dir) throw new Error('recording: no audio store configured (blobDir)');
    const sha256 = createHash('sha256').update(audio.wav).digest('hex');
    await storeBlob(dir, sha256, audio.wav);
    await rideOut(() =>
      this.db.transaction().execute(async (trx) => {
        const call = await findCallById(trx, recordId);
        const id = await insertRecording(trx, {
          call_id: recordId,
          unit: call?.unit ?? 'general',
          sha256,
          size_bytes: audio.wav.length,
          duration_ms: audio.durationMs,
          streams: audio.streams,
          created_at: ctx.now,
        });
        await appendAudit(trx, ctx, {
          action: 'recording.archived',
          outcome: 'allowed',
          resourceType: 'recording',
          resourceId: id,
          details: { callId: recordId, durationMs: audio.durationMs, streams: audio.streams, sha256 },
        });
      }),
    );
  }

  /** The caller asked to be called back: the task keeps its place as a callback task, noted on the record, in one transaction. */
  async callbackRequested(
    ctx: RequestContext,
    call: { recordId: string | null; taskId: string; callbackTaskId: string; attributes: Vars },
  ): Promise<void> {
    const recordId = call.recordId;
    await this.execute(
      { type: 'callback', taskId: call.taskId, callbackTaskId: call.callbackTaskId, attributes: call.attributes },
      ctx,
      recordId
        ? async (trx) => {
            await updateCall(trx, recordId, { callback_task_id: call.callbackTaskId });
            await this.callbacks?.fromCall(trx, ctx, { callId: recordId, taskId: call.callbackTaskId, origin: 'ivr' });
          }
        : undefined,
    );
  }

  /** After an overflow: a new callback task for the same number, noted on the record, in one transaction. */
  async overflowCallback(ctx: RequestContext, call: { recordId: string | null; callbackTaskId: string; attributes: Vars }): Promise<void> {
    const recordId = call.recordId;
    await this.execute(
      { type: 'createTask', task: { id: call.callbackTaskId, channel: 'voice', attributes: call.attributes } },
      ctx,
      recordId
        ? async (trx) => {
            await updateCall(trx, recordId, { callback_task_id: call.callbackTaskId });
            await this.callbacks?.fromCall(trx, ctx, { callId: recordId, taskId: call.callbackTaskId, origin: 'overflow' });
          }
        : undefined,
    );
  }

  /** The caller left while waiting: the task is canceled as abandoned and the record ends, in one transaction. */
  async abandoned(
    ctx: RequestContext,
    call: { taskId: string; recordId: string | null; reason: CallEndReason; path: string[] | undefined },
  ): Promise<void> {
    await this.execute({ type: 'cancel', taskId: call.taskId, reason: 'abandoned' }, ctx, this.endAlongside(ctx, call));
  }

  /** The caller hung up on the agent: the task goes to wrap-up and the record ends as completed, in one transaction. */
  async completed(ctx: RequestContext, call: { taskId: string; recordId: string | null; path: string[] | undefined }): Promise<void> {
    await this.execute({ type: 'complete', taskId: call.taskId }, ctx, this.endAlongside(ctx, { ...call, reason: 'completed' }));
  }

  private endAlongside(
    ctx: RequestContext,
    call: { recordId: string | null; reason: CallEndReason; path: string[] | undefined },
  ): ((trx: Trx) => Promise<void>) | undefined {
    const recordId = call.recordId;
    if (!recordId) return undefined;
    return (trx) =>
      endCall(trx, recordId, { at: ctx.now, reason: call.reason, ...(call.path ? { ivrPath: JSON.stringify(call.path) } : {}) });
  }

  /** The Twilio adapter's state between webhooks (the IVR's state, the task), with the IVR path so far. */
  async saveAdapterState(id: string, state: Record<string, unknown>, path: string[]): Promise<void> {
    await rideOut(() => mergeCallAdapterState(this.db, id, state, JSON.stringify(path)));
  }

  /** The conference of a cloud call (legs, mode, consultation), changed key by key; returns it as stored. */
  patchConference(id: string, patch: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    return rideOut(() => patchCallConference(this.db, id, patch));
  }

  /**
   * A conference leg being created: marked ringing before the request that creates it, then given its call SID —
   * unless its status callback (answered, or ended) came first, which is kept. A refused request takes the mark back.
   */
  async ringLeg(id: string, party: string, create: () => Promise<string | null>): Promise<void> {
    await this.patchConference(id, { [party]: { sid: null, status: 'ringing' } });
    let sid: string | null;
    try {
      sid = await create();
    } catch (error) {
      await rideOut(() => dropRingingLeg(this.db, id, party)).catch(() => undefined);
      throw error;
    }
    await rideOut(() => setRingingLegSid(this.db, id, party, sid));
  }

  findById(id: string): Promise<CallRow | undefined> {
    return findCallById(this.db, id);
  }

  /** An adapter's calls connected to an agent now. */
  connected(adapter: CallsTable['adapter']): Promise<CallRow[]> {
    return connectedCallsOf(this.db, adapter);
  }

  /** Ends a call record once: a later end (a second hang-up, a late webhook) changes nothing. */
  async ended(id: string, reason: CallEndReason, path: string[] | undefined, now: Date): Promise<void> {
    await rideOut(() => endCall(this.db, id, { at: now, reason, ...(path ? { ivrPath: JSON.stringify(path) } : {}) }));
  }

  /**
   * After a crash or restart of a node: its calls that never ended are gone with it. Their records end as failed,
   * and tasks still waiting for an agent are canceled (as abandoned — the caller is no longer there).
   */
  async recoverNode(ctx: RequestContext, node: string): Promise<number> {
    const stale = await failOpenCallsOfNode(this.db, node, ctx.now);
    for (const { task_id } of stale) if (task_id) await this.cancelIfWaiting(ctx, task_id);
    return stale.length;
  }

  /** A gone caller's task, if it still waits for an agent (pending or offered): canceled as abandoned. True if it waited. */
  private async cancelIfWaiting(ctx: RequestContext, taskId: string): Promise<boolean> {
    const status = this.routing.engine.task(taskId)?.status;
    if (status !== 'pending' && status !== 'reserved') return false;
    await this.execute({ type: 'cancel', taskId, reason: 'abandoned' }, ctx).catch(() => undefined);
    return true;
  }

  /** A call-control node's heartbeat: a node not seen for the adoption delay is dead, and its SIP calls are adopted. */
  beat(node: string): Promise<void> {
    return beatCallControlNode(this.db, node);
  }

  /** A node leaving on purpose (shutdown, after ending its calls). */
  leave(node: string): Promise<void> {
    return forgetCallControlNode(this.db, node);
  }

  /** The holder saves what another node would need to carry the SIP call on; false: the call is no longer this node's. */
  saveSipState(id: string, node: string, state: unknown): Promise<boolean> {
    return rideOut(() => saveSipCallState(this.db, id, node, JSON.stringify(state)));
  }

  /** Takes over the open SIP calls of dead nodes (not seen for `staleMs`), at most `limit` at a time. */
  adoptOrphans(node: string, staleMs: number, limit = 50): Promise<CallRow[]> {
    return adoptOrphanedSipCalls(this.db, node, staleMs, limit);
  }

  /** Takes over the open SIP call one of whose legs has that SIP Call-ID (an in-dialog request for it came here). */
  adoptByDialog(node: string, sipCallId: string): Promise<CallRow | undefined> {
    return adoptSipCallByDialog(this.db, node, sipCallId);
  }

  /**
   * A call adopted from a dead node that cannot be carried on (rtpengine no longer has it): its record ends as failed,
   * and its task, if still waiting for an agent, is canceled (the caller is no longer there) or, with an agent, completed.
   */
  async endGone(ctx: RequestContext, call: CallRow): Promise<void> {
    const taskId = call.task_id;
    if (taskId && !(await this.cancelIfWaiting(ctx, taskId)) && this.routing.engine.task(taskId)?.status === 'assigned')
      await this.execute({ type: 'complete', taskId }, ctx).catch(() => undefined);
    await rideOut(() => endCall(this.db, call.id, { at: ctx.now, reason: 'failed' }));
  }

  /** Of these records, those the node still holds (not adopted by another node, not ended). */
  heldOf(node: string, ids: string[]): Promise<string[]> {
    return callsHeldBy(this.db, node, ids);
  }

  /** Whether the node still holds that call (its record names it; a record that has ended is no one's). */
  async holds(id: string, node: string): Promise<boolean> {
    return (await callsHeldBy(this.db, node, [id])).length === 1;
  }

  /** The SIP calls a node holds that can be carried on (a node restarting adopts its own). */
  openSipCallsOf(node: string): Promise<CallRow[]> {
    return openSipCallsOfNode(this.db, node);
  }

  /** The ORIs of agencies whose 287(g) agreement is in force on that day (the same rule as their submissions). */
  async agenciesInForce(now: Date, timeZone: string): Promise<string[]> {
    const today = dayIn(now, timeZone);
    const agencies = await listAgencyAgreements(this.db);
    return agencies.filter((a) => agreementInForce(agreementOf(a), today).ok).map((a) => a.ori);
  }
}
