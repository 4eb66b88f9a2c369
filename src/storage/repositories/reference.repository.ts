import type { Insertable } from 'kysely';
import type { Db } from '../database.js';
import type { AgenciesTable, AorCountiesTable, FieldOfficesTable, QueuesTable } from '../schema.js';

export type FieldOfficeRow = FieldOfficesTable;
export type QueueRow = Omit<QueuesTable, 'created_at' | 'ordering' | 'service_level_seconds' | 'service_level_target_percent'> & {
  ordering: 'fifo' | 'lifo';
  service_level_seconds: number;
  service_level_target_percent: number;
};
export type AgencyInsert = Insertable<AgenciesTable>;

/** Inserts what is missing and leaves existing rows alone: admins may have edited them. */
export async function insertFieldOfficesIfMissing(
  db: Db,
  offices: FieldOfficeRow[],
  states: { state: string; office_code: string }[],
  counties: AorCountiesTable[],
): Promise<number> {
  let inserted = 0;
  if (offices.length > 0) {
    const result = await db
      .insertInto('field_offices')
      .values(offices)
      .onConflict((oc) => oc.column('code').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  if (states.length > 0) {
    const result = await db
      .insertInto('aor_states')
      .values(states)
      .onConflict((oc) => oc.column('state').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  if (counties.length > 0) {
    const result = await db
      .insertInto('aor_counties')
      .values(counties)
      .onConflict((oc) => oc.columns(['state', 'county_key']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

export async function insertQueuesIfMissing(db: Db, queues: QueueRow[]): Promise<number> {
  if (queues.length === 0) return 0;
  const result = await db
    .insertInto('queues')
    .values(queues)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

export async function insertAgencies(db: Db, agencies: AgencyInsert[]): Promise<number> {
  if (agencies.length === 0) return 0;
  const result = await db
    .insertInto('agencies')
    .values(agencies)
    .onConflict((oc) => oc.column('ori').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

export async function listFieldOffices(db: Db): Promise<FieldOfficeRow[]> {
  return db.selectFrom('field_offices').selectAll().orderBy('code').execute();
}

export async function listAorStates(db: Db): Promise<{ state: string; office_code: string }[]> {
  return db.selectFrom('aor_states').select(['state', 'office_code']).orderBy('state').execute();
}

export async function listAorCounties(db: Db): Promise<AorCountiesTable[]> {
  return db.selectFrom('aor_counties').selectAll().orderBy('state').orderBy('county_key').execute();
}

export async function listQueues(db: Db): Promise<QueueRow[]> {
  return db
    .selectFrom('queues')
    .select([
      'id',
      'name',
      'description',
      'channel',
      'target_expression',
      'ordering',
      'service_level_seconds',
      'service_level_target_percent',
      'max_wait_seconds',
    ])
    .orderBy('id')
    .execute();
}
