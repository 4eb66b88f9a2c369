import type { Trx } from '../database.js';

/** The safeguard settings in force and the two-person changes to them (the rules live in domain/safeguards/settings.ts). */

export const findSettingValue = (db: Trx, key: string) =>
  db.selectFrom('safeguard_settings').select('value').where('key', '=', key).executeTakeFirst();

export const listSettingRows = (db: Trx) => db.selectFrom('safeguard_settings').selectAll().execute();

/** The 50 newest proposed changes, decided or not. */
export const recentSettingChanges = (db: Trx) =>
  db.selectFrom('safeguard_setting_changes').selectAll().orderBy('proposed_at', 'desc').limit(50).execute();

export async function insertSettingChange(
  db: Trx,
  change: { key: string; value: number; reason: string; proposedBy: string; proposedRole: string; at: Date },
): Promise<string> {
  const row = await db
    .insertInto('safeguard_setting_changes')
    .values({
      key: change.key,
      value: JSON.stringify(change.value),
      reason: change.reason,
      proposed_by: change.proposedBy,
      proposed_role: change.proposedRole,
      proposed_at: change.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A proposed change, locked until its decision commits. */
export const findSettingChangeForUpdate = (db: Trx, id: string) =>
  db.selectFrom('safeguard_setting_changes').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();

export async function recordSettingDecision(
  db: Trx,
  id: string,
  decision: { decision: 'approved' | 'rejected'; by: string; at: Date },
): Promise<void> {
  await db
    .updateTable('safeguard_setting_changes')
    .set({ decision: decision.decision, decided_by: decision.by, decided_at: decision.at })
    .where('id', '=', id)
    .execute();
}

export async function putSetting(db: Trx, key: string, value: unknown, at: Date): Promise<void> {
  await db
    .insertInto('safeguard_settings')
    .values({ key, value: JSON.stringify(value), updated_at: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: at }))
    .execute();
}
