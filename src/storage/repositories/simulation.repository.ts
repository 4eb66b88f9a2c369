import type { Db } from '../database.js';

/** Live simulation requests (`simulate --live`): the command line asks, the server runs them and writes progress. */

type RunStatus = 'requested' | 'running' | 'stop-requested' | 'finished' | 'refused';

export async function insertSimulationRequest(db: Db, requestedBy: string, params: unknown): Promise<string> {
  const row = await db
    .insertInto('simulation_runs')
    .values({ requested_by: requestedBy, params: JSON.stringify(params), status: 'requested' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export const findSimulationRun = (db: Db, id: string) =>
  db.selectFrom('simulation_runs').selectAll().where('id', '=', id).executeTakeFirst();

/** The oldest request no server has picked up yet. */
export const nextRequestedSimulation = (db: Db) =>
  db.selectFrom('simulation_runs').selectAll().where('status', '=', 'requested').orderBy('requested_at').limit(1).executeTakeFirst();

export async function setSimulationStatus(db: Db, id: string, change: { status: RunStatus; reason?: string }, now: Date): Promise<void> {
  await db
    .updateTable('simulation_runs')
    .set({ status: change.status, ...(change.reason !== undefined ? { reason: change.reason } : {}), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function setSimulationProgress(db: Db, id: string, progress: unknown, finished: boolean, now: Date): Promise<void> {
  await db
    .updateTable('simulation_runs')
    .set({ progress: JSON.stringify(progress), ...(finished ? { status: 'finished' as const } : {}), updated_at: now })
    .where('id', '=', id)
    .execute();
}
