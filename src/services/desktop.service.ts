import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type IntakeForms, ZIntakeForms } from '../contracts/intake-forms.js';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { normalizePhone } from '../domain/persons/person-rules.js';
import type { Db } from '../storage/database.js';
import { referenceDir } from '../storage/paths.js';
import * as desktop from '../storage/repositories/desktop.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import type { CallbackService } from './callback.service.js';
import type { RoutingService } from './routing.service.js';
import { voicemailWorked } from './voicemail.service.js';

/**
 * What the agent desktop needs beyond routing: the scripted intake forms per
 * queue (reference/intake-forms.json — data, not screens), drafts saved to the
 * server as the agent types, the disposition of each contact, and the history
 * of a caller's number for the screen-pop.
 */

type ActorCtx = RequestContext & { actor: Actor };

let shipped: IntakeForms | undefined;
let inUse: IntakeForms | undefined;
/**
 * The intake forms and dispositions in use: the newest version saved from the admin console (intake-forms.service),
 * else the file. `shipped`: the file itself (read once; a broken file stops the server at start-up with its path).
 */
export function intakeForms(options: { shipped?: boolean } = {}): IntakeForms {
  if (!shipped) {
    const file = path.join(referenceDir(), 'intake-forms.json');
    const parsed = ZIntakeForms.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    shipped = parsed.data;
  }
  return options.shipped ? shipped : (inUse ?? shipped);
}

/** Puts a version of the intake forms in use on this node (intake-forms.service, after its checks). */
export function useIntakeForms(forms: IntakeForms): void {
  inUse = forms;
}

const staffId = (ctx: ActorCtx) => staffOnly(ctx.actor, 'Staff only.').userId;

export type Draft = { key: string; form: string; data: Record<string, unknown>; version: number; updatedAt: string };

/** Saves a draft; the version the client last saw guards against a second tab overwriting newer work (409). */
export async function saveDraft(
  db: Db,
  ctx: ActorCtx,
  key: string,
  input: { form: string; data: Record<string, unknown>; version: number | null },
): Promise<Draft> {
  const userId = staffId(ctx);
  if (!intakeForms().forms.some((f) => f.id === input.form)) {
    throw new AppError('validation_failed', `There is no intake form "${input.form}".`, {
      issues: [{ path: 'body.form', code: 'unknown_form', message: 'not a configured form' }],
    });
  }
  return db.transaction().execute(async (trx) => {
    const current = await desktop.findDraftVersionForUpdate(trx, userId, key);
    if (current && input.version !== null && current.version !== input.version) {
      throw new AppError('conflict', `This draft was saved elsewhere since (version ${current.version}); reload it before saving.`);
    }
    const version = (current?.version ?? 0) + 1;
    await desktop.upsertDraft(trx, { userId, key, form: input.form, data: input.data, version, at: ctx.now });
    await appendAudit(trx, ctx, {
      action: 'intake.draft_save',
      outcome: 'allowed',
      resourceType: 'intake_draft',
      resourceId: key,
      details: { form: input.form, version },
    });
    return { key, form: input.form, data: input.data, version, updatedAt: ctx.now.toISOString() };
  });
}

export async function readDraft(db: Db, ctx: ActorCtx, key: string): Promise<Draft> {
  const userId = staffId(ctx);
  return db.transaction().execute(async (trx) => {
    const row = await desktop.findDraft(trx, userId, key);
    await appendAudit(trx, ctx, {
      action: 'intake.draft_read',
      outcome: row ? 'allowed' : 'error',
      resourceType: 'intake_draft',
      resourceId: key,
    });
    if (!row) return Promise.reject(new AppError('not_found', 'There is no draft under this key.'));
    return {
      key,
      form: row.form,
      data: row.data as Record<string, unknown>,
      version: row.version,
      updatedAt: row.updated_at.toISOString(),
    };
  });
}

export async function deleteDraft(db: Db, ctx: ActorCtx, key: string): Promise<void> {
  const userId = staffId(ctx);
  await db.transaction().execute(async (trx) => {
    await desktop.deleteDraft(trx, userId, key);
    await appendAudit(trx, ctx, { action: 'intake.draft_delete', outcome: 'allowed', resourceType: 'intake_draft', resourceId: key });
  });
}

/** The agent's disposition of a contact in hand (in progress or in wrap-up); saved again, it replaces the earlier one. */
export async function recordDisposition(
  deps: { db: Db; routing: RoutingService; callbacks: CallbackService },
  ctx: ActorCtx,
  taskId: string,
  input: {
    disposition: string;
    notes?: string | undefined;
    caseId?: string | undefined;
    reportId?: string | undefined;
    callbackAt?: string | undefined;
    callbackTimeZone?: string | undefined;
  },
): Promise<{ callbackId?: string }> {
  const userId = staffId(ctx);
  const task = deps.routing.engine.task(taskId);
  // In hand, in wrap-up, or just completed (wrap-up ends by itself after its time; the disposition may come after).
  if (!task || task.workerId !== userId || !['assigned', 'wrapping', 'completed'].includes(task.status)) {
    throw new AppError('not_found', 'You have no such contact in hand.');
  }
  if (!intakeForms().dispositions.some((d) => d.code === input.disposition)) {
    throw new AppError('validation_failed', `"${input.disposition}" is not a disposition code.`, {
      issues: [
        {
          path: 'body.disposition',
          code: 'unknown_disposition',
          message: intakeForms()
            .dispositions.map((d) => d.code)
            .join(', '),
        },
      ],
    });
  }
  if (input.disposition === 'callback_scheduled' && !input.callbackAt)
    throw new AppError('validation_failed', 'Say when to call back.', {
      issues: [{ path: 'body.callbackAt', code: 'required', message: 'the time to call back (ISO 8601, with its offset)' }],
    });
  const from = typeof task.attributes.from === 'string' ? normalizePhone(task.attributes.from) : undefined;
  return deps.db.transaction().execute(async (trx) => {
    let callbackId: string | undefined;
    if (input.disposition === 'callback_scheduled' && input.callbackAt)
      callbackId = await deps.callbacks.schedule(trx, ctx, taskId, new Date(input.callbackAt), input.callbackTimeZone);
    if (input.disposition === 'callback_voicemail' && !(await deps.callbacks.reachedVoicemail(trx, ctx, taskId)))
      throw new AppError('validation_failed', 'This contact is not a callback that reached someone: nothing to try again.', {
        issues: [{ path: 'body.disposition', code: 'not_a_callback', message: 'only for a callback whose call was answered' }],
      });
    // A voicemail in hand is worked once it has a disposition (and, when given, the case it led to).
    if (task.attributes.voicemail === true) await voicemailWorked(trx, ctx, taskId, input.caseId ?? null);
    const values: desktop.DispositionValues = {
      user_id: userId,
      queue_id: task.queueId,
      channel: task.channel,
      caller_number: from ?? null,
      disposition: input.disposition,
      notes: input.notes ?? null,
      case_id: input.caseId ?? null,
      report_id: input.reportId ?? null,
      created_at: ctx.now,
    };
    await desktop.upsertDisposition(trx, taskId, values);
    await appendAudit(trx, ctx, {
      action: 'contact.disposition',
      outcome: 'allowed',
      resourceType: 'task',
      resourceId: taskId,
      details: { disposition: input.disposition, ...(callbackId ? { callbackId } : {}) },
    });
    return callbackId ? { callbackId } : {};
  });
}

/** Earlier contacts from a number: how many, when, how they ended, and the cases they led to that the viewer may know of. */
export async function contactHistory(db: Db, ctx: ActorCtx, number: string) {
  const normal = normalizePhone(number);
  if (!normal) {
    throw new AppError('validation_failed', 'Not a phone number.', {
      issues: [{ path: 'query.number', code: 'invalid_phone', message: 'not a phone number' }],
    });
  }
  return db.transaction().execute(async (trx) => {
    const rows = await desktop.recentContactsFrom(trx, normal);
    const total = await desktop.countContactsFrom(trx, normal);
    await appendAudit(trx, ctx, {
      action: 'contact.history',
      outcome: 'allowed',
      resourceType: 'contact',
      details: { number: normal, results: rows.length },
    });
    return {
      number: normal,
      total,
      contacts: rows.map((r) => ({
        at: r.created_at.toISOString(),
        disposition: r.disposition,
        queueId: r.queue_id,
        case: r.case_id && r.case_number && r.unit && mayReadUnit(ctx.actor, r.unit) ? { id: r.case_id, caseNumber: r.case_number } : null,
      })),
    };
  });
}
