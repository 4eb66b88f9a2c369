import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../database.js';
import type { PartnerClientRequestsTable } from '../schema.js';

/** API clients partner officers ask for, and the admins' decisions. */

export type ClientRequestRow = Selectable<PartnerClientRequestsTable>;

export const pendingRequestIdsOfAgency = (db: Db, agencyOri: string) =>
  db.selectFrom('partner_client_requests').select('id').where('agency_ori', '=', agencyOri).where('status', '=', 'pending').execute();

export const insertClientRequest = (db: Db, request: Insertable<PartnerClientRequestsTable>): Promise<ClientRequestRow> =>
  db.insertInto('partner_client_requests').values(request).returningAll().executeTakeFirstOrThrow();

/** The agency's latest 100 requests, newest first. */
export const clientRequestsOfAgency = (db: Db, agencyOri: string) =>
  db
    .selectFrom('partner_client_requests')
    .selectAll()
    .where('agency_ori', '=', agencyOri)
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();

export const clientsOfAgency = (db: Db, agencyOri: string) =>
  db.selectFrom('partner_clients').selectAll().where('agency_ori', '=', agencyOri).orderBy('created_at', 'desc').execute();

/** Up to 200 requests, oldest first, of one status or all. */
export function listClientRequests(db: Db, status: ClientRequestRow['status'] | undefined) {
  let q = db.selectFrom('partner_client_requests').selectAll();
  if (status) q = q.where('status', '=', status);
  return q.orderBy('created_at').limit(200).execute();
}

/** The request, locked until the transaction ends. */
export const findClientRequestForUpdate = (db: Db, id: string) =>
  db.selectFrom('partner_client_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();

export const updateClientRequest = (db: Db, id: string, changes: Updateable<PartnerClientRequestsTable>): Promise<ClientRequestRow> =>
  db.updateTable('partner_client_requests').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export async function markClientSecretCollected(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('partner_client_requests').set({ secret_enc: null, secret_collected_at: now }).where('id', '=', id).execute();
}
