import { type CallRecord, ZCall, ZCallList, ZCallListQuery } from '../../contracts/calls.js';
import { ZIdParams } from '../../contracts/cases.js';
import { type CallRow, listCallRecords, readCallRecord } from '../../services/call-history.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/** Call records (supervisors, auditors, admins): who called which line, what they pressed, where the call went, how it ended. */

type Row = CallRow;
const iso = (d: Date | null) => d?.toISOString() ?? null;
const present = (r: Row): CallRecord => ({
  id: r.id,
  adapter: r.adapter,
  node: r.node,
  line: r.line,
  callerNumber: r.caller_number,
  language: r.language,
  reason: r.reason,
  interpreter: r.interpreter,
  unit: r.unit,
  ivrPath: r.ivr_path,
  queueId: r.queue_id,
  taskId: r.task_id,
  callbackTaskId: r.callback_task_id,
  agentWorkerId: r.agent_worker_id,
  arrivedAt: r.arrived_at.toISOString(),
  ivrDoneAt: iso(r.ivr_done_at),
  queuedAt: iso(r.queued_at),
  offeredAt: iso(r.offered_at),
  answeredAt: iso(r.answered_at),
  endedAt: iso(r.ended_at),
  endReason: r.end_reason,
  recordingRef: r.recording_ref,
});

export function callRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/calls',
      summary: 'Call records, newest first (numbers included: every read is audited)',
      tags: ['telephony'],
      access: { permission: 'call:read' },
      query: ZCallListQuery,
      response: ZCallList,
      handler: async ({ query, request }) => {
        const rows = await listCallRecords(
          ctx.db,
          actorContext(ctx, request),
          { line: query.line, endReason: query.endReason },
          query.limit,
        );
        return { calls: rows.map(present) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/calls/:id',
      summary: 'One call record',
      tags: ['telephony'],
      access: { permission: 'call:read' },
      params: ZIdParams,
      response: ZCall,
      errors: [404],
      handler: async ({ params, request }) => present(await readCallRecord(ctx.db, actorContext(ctx, request), params.id)),
    }),
  ];
}
