import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { checkSettingValue, isSettingKey, mayApprove, SAFEGUARD_SETTINGS, type SettingKey } from '../domain/safeguards/settings.js';
import type { Db } from '../storage/database.js';
import * as settings from '../storage/repositories/safeguard-settings.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { refuseDependentApprover } from './two-person.service.js';

/**
 * Safeguard settings: read with their defaults; changed only by two
 * independent people (admin and legal reviewer, neither having created or
 * reset the other's account within the cooling-off period), both audited.
 */

type ActorCtx = RequestContext & { actor: Actor };

export async function getSetting(db: Db, key: SettingKey): Promise<number> {
  const row = await settings.findSettingValue(db, key);
  return typeof row?.value === 'number' ? row.value : SAFEGUARD_SETTINGS[key].default;
}

export async function listSettings(db: Db) {
  const rows = await settings.listSettingRows(db);
  const changes = await settings.recentSettingChanges(db);
  return {
    settings: Object.entries(SAFEGUARD_SETTINGS).map(([key, s]) => {
      const row = rows.find((r) => r.key === key);
      return {
        key,
        value: typeof row?.value === 'number' ? row.value : s.default,
        default: s.default,
        min: s.min,
        max: s.max,
        meaning: s.meaning,
      };
    }),
    changes: changes.map((c) => ({
      id: c.id,
      key: c.key,
      value: c.value as number,
      reason: c.reason,
      proposedBy: c.proposed_by,
      proposedRole: c.proposed_role,
      proposedAt: c.proposed_at.toISOString(),
      decision: c.decision,
      decidedBy: c.decided_by,
      decidedAt: c.decided_at?.toISOString() ?? null,
    })),
  };
}

const staff = (ctx: ActorCtx) => staffOnly(ctx.actor, 'Only staff change safeguard settings.');

export async function proposeChange(db: Db, ctx: ActorCtx, input: { key: string; value: number; reason: string }): Promise<string> {
  const actor = staff(ctx);
  if (!isSettingKey(input.key)) {
    throw new AppError('validation_failed', `There is no safeguard setting "${input.key}".`, {
      issues: [{ path: 'body.key', code: 'unknown_setting', message: `one of ${Object.keys(SAFEGUARD_SETTINGS).join(', ')}` }],
    });
  }
  const problem = checkSettingValue(input.key, input.value);
  if (problem)
    throw new AppError('validation_failed', problem, { issues: [{ path: 'body.value', code: 'out_of_bounds', message: problem }] });
  return db.transaction().execute(async (trx) => {
    const changeId = await settings.insertSettingChange(trx, {
      key: input.key,
      value: input.value,
      reason: input.reason,
      proposedBy: actor.userId,
      proposedRole: actor.role,
      at: ctx.now,
    });
    await appendAudit(trx, ctx, {
      action: 'safeguards.propose',
      outcome: 'allowed',
      resourceType: 'safeguard_setting',
      resourceId: input.key,
      details: { changeId, value: input.value, reason: input.reason },
    });
    return changeId;
  });
}

export async function decideChange(db: Db, ctx: ActorCtx, changeId: string, decision: 'approved' | 'rejected'): Promise<void> {
  const actor = staff(ctx);
  const refusal = await db.transaction().execute(async (trx) => {
    const change = await settings.findSettingChangeForUpdate(trx, changeId);
    if (!change) throw new AppError('not_found', 'There is no such proposed change.');
    if (change.decision) throw new AppError('conflict', `This change was already ${change.decision}.`);
    const problem = mayApprove(
      { proposedBy: change.proposed_by, proposedRole: change.proposed_role },
      { userId: actor.userId, role: actor.role },
    );
    if (problem) {
      await appendAudit(trx, ctx, {
        action: 'safeguards.decide',
        outcome: 'denied',
        resourceType: 'safeguard_setting',
        resourceId: change.key,
        details: { changeId, reason: problem },
      });
      return new AppError('forbidden', problem);
    }
    if (decision === 'approved') {
      const dependent = await refuseDependentApprover(trx, ctx, {
        proposerId: change.proposed_by,
        approverId: actor.userId,
        action: 'safeguards.decide',
        resourceType: 'safeguard_setting',
        resourceId: change.key,
      });
      if (dependent) return dependent;
    }
    await settings.recordSettingDecision(trx, changeId, { decision, by: actor.userId, at: ctx.now });
    if (decision === 'approved') await settings.putSetting(trx, change.key, change.value, ctx.now);
    await appendAudit(trx, ctx, {
      action: 'safeguards.decide',
      outcome: 'allowed',
      resourceType: 'safeguard_setting',
      resourceId: change.key,
      details: { changeId, decision, value: change.value },
    });
    return undefined;
  });
  if (refusal) throw refusal;
}
