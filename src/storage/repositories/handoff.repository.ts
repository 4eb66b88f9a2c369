import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db, Trx } from '../database.js';
import type { HandoffOrganisationsTable, HandoffStatus, HandoffsTable } from '../schema.js';

/** Receiving organisations, hand-offs and their webhook deliveries (migration 0042). No rules here: services decide. */

export type HandoffOrganisationRow = Selectable<HandoffOrganisationsTable>;
export type HandoffRow = Selectable<HandoffsTable>;

export const listOrganisations = (db: Trx) => db.selectFrom('handoff_organisations').selectAll().orderBy('referral_type').execute();

export const findOrganisation = (db: Trx, id: string) =>
  db.selectFrom('handoff_organisations').selectAll().where('id', '=', id).executeTakeFirst();

export const organisationForType = (db: Trx, referralType: HandoffOrganisationRow['referral_type']) =>
  db.selectFrom('handoff_organisations').selectAll().where('referral_type', '=', referralType).executeTakeFirst();

export const organisationByCredential = (db: Trx, digest: string) =>
  db.selectFrom('handoff_organisations').selectAll().where('credential_digest', '=', digest).executeTakeFirst();

export const insertOrganisation = (db: Trx, values: Insertable<HandoffOrganisationsTable>) =>
  db.insertInto('handoff_organisations').values(values).returningAll().executeTakeFirstOrThrow();

export const updateOrganisation = (db: Trx, id: string, changes: Updateable<HandoffOrganisationsTable>) =>
  db.updateTable('handoff_organisations').set(changes).where('id', '=', id).returningAll().executeTakeFirst();

export const insertHandoff = (db: Trx, values: Insertable<HandoffsTable>) =>
  db.insertInto('handoffs').values(values).returningAll().executeTakeFirstOrThrow();

export const findHandoff = (db: Trx, id: string, lock = false) => {
  const q = db.selectFrom('handoffs').selectAll().where('id', '=', id);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
};

/** A hand-off as its organisation may see it: only one addressed to that organisation and not refused. */
export const findHandoffForOrganisation = (db: Trx, id: string, organisationId: string, lock = false) => {
  const q = db
    .selectFrom('handoffs')
    .selectAll()
    .where('id', '=', id)
    .where('organisation_id', '=', organisationId)
    .where('status', '<>', 'refused');
  return (lock ? q.forUpdate() : q).executeTakeFirst();
};

/** The child a welfare referral is about (its screening's person). */
export const childOfWelfareReferral = async (db: Trx, welfareReferralId: string) =>
  (
    await db
      .selectFrom('welfare_referrals as w')
      .innerJoin('welfare_screenings as s', 's.id', 'w.screening_id')
      .select('s.person_id')
      .where('w.id', '=', welfareReferralId)
      .executeTakeFirst()
  )?.person_id;

/** An organisation's hand-offs in `statuses`, oldest first, with their case reference. */
export const handoffsWaitingOn = (db: Trx, organisationId: string, statuses: readonly HandoffStatus[]) =>
  db
    .selectFrom('handoffs as h')
    .innerJoin('cases as c', 'c.id', 'h.case_id')
    .selectAll('h')
    .select('c.case_number')
    .where('h.organisation_id', '=', organisationId)
    .where('h.status', 'in', [...statuses])
    .orderBy('h.created_at')
    .orderBy('h.id')
    .execute();

export const openHandoffOf = (db: Trx, welfareReferralId: string) =>
  db
    .selectFrom('handoffs')
    .selectAll()
    .where('welfare_referral_id', '=', welfareReferralId)
    .where('status', 'in', ['sending', 'sent', 'acknowledged'])
    .executeTakeFirst();

export const handoffsOfCase = (db: Trx, caseId: string) =>
  db.selectFrom('handoffs').selectAll().where('case_id', '=', caseId).orderBy('created_at').orderBy('id').execute();

/** Hand-offs someone must still act on: in flight, or failed/declined/refused and not followed by another (its welfare referral still open). */
export const handoffsNeedingAction = (db: Trx) =>
  db
    .selectFrom('handoffs as h')
    .innerJoin('cases as c', 'c.id', 'h.case_id')
    .innerJoin('welfare_referrals as w', 'w.id', 'h.welfare_referral_id')
    .selectAll('h')
    .select(['c.case_number', 'c.unit', 'w.agency as referral_type'])
    .where('w.status', '=', 'open')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('handoffs as later')
            .select('later.id')
            .whereRef('later.welfare_referral_id', '=', 'h.welfare_referral_id')
            .whereRef('later.id', '<>', 'h.id')
            .where((w) =>
              w.or([
                w('later.created_at', '>', w.ref('h.created_at')),
                // Sent the same instant as a refusal (the virtual clock of tests): the one in flight supersedes it.
                w.and([w('later.created_at', '=', w.ref('h.created_at')), w('later.status', 'in', ['sending', 'sent', 'acknowledged'])]),
              ]),
            ),
        ),
      ),
    )
    .where('h.status', '<>', 'closed')
    .orderBy('h.created_at')
    .execute();

export const handoffsIn = (db: Trx, statuses: readonly HandoffStatus[]) =>
  db
    .selectFrom('handoffs')
    .selectAll()
    .where('status', 'in', [...statuses])
    .execute();

/** Moves a hand-off from one of `from`; the row, or undefined when it was not in one of them (someone was first). */
export const moveHandoff = (db: Trx, id: string, from: readonly HandoffStatus[], changes: Updateable<HandoffsTable>) =>
  db
    .updateTable('handoffs')
    .set(changes)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();

/** Marks an overdue hand-off escalated once; false when it already was or is no longer in `open`. */
export async function markHandoffEscalated(
  db: Trx,
  id: string,
  open: readonly HandoffStatus[],
  now: Date,
  taskId: string,
): Promise<boolean> {
  const row = await db
    .updateTable('handoffs')
    .set({ escalated_at: now, escalation_task_id: taskId })
    .where('id', '=', id)
    .where('escalated_at', 'is', null)
    .where('status', 'in', [...open])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertHandoffDelivery(
  db: Trx,
  values: { handoffId: string; organisationId: string; event: string; body: unknown; now: Date },
): Promise<string> {
  const row = await db
    .insertInto('webhook_deliveries')
    .values({
      agency_ori: null,
      handoff_id: values.handoffId,
      organisation_id: values.organisationId,
      submission_id: null,
      event: values.event,
      body: JSON.stringify(values.body),
      status: 'pending',
      next_attempt_at: values.now,
      created_at: values.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The hand-off deliveries that have settled (delivered or dead) while their hand-off still says `sending`. */
export const settledSendingDeliveries = (db: Db) =>
  db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('handoffs as h', 'h.id', 'd.handoff_id')
    .select(['h.id as handoff_id', 'h.case_id', 'd.status', 'd.delivered_at', 'd.last_error'])
    .where('h.status', '=', 'sending')
    .where('d.event', '=', 'handoff.sent')
    .where('d.status', 'in', ['delivered', 'dead'])
    .execute();

/** A welfare referral with its case's unit, who screened the child, and whether a hand-off of it is in flight. */
export const welfareReferralForApproval = (db: Trx, id: string) =>
  db
    .selectFrom('welfare_referrals as w')
    .innerJoin('cases as c', 'c.id', 'w.case_id')
    .innerJoin('welfare_screenings as s', 's.id', 'w.screening_id')
    .select(['w.id', 'w.case_id', 'w.status', 'c.unit as case_unit', 's.completed_by'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('handoffs as h')
            .select('h.id')
            .whereRef('h.welfare_referral_id', '=', 'w.id')
            .where('h.status', 'in', ['sending', 'sent', 'acknowledged', 'closed']),
        )
        .as('in_flight'),
    )
    .where('w.id', '=', id)
    .forUpdate('w')
    .executeTakeFirst();

/** The welfare referral to hand off, locked, with the screened child. */
export const welfareReferralToSend = (db: Trx, id: string) =>
  db
    .selectFrom('welfare_referrals as w')
    .innerJoin('welfare_screenings as s', 's.id', 'w.screening_id')
    .selectAll('w')
    .select(['s.person_id as child_id'])
    .where('w.id', '=', id)
    .forUpdate('w')
    .executeTakeFirst();

/** A case's welfare referrals, each with the organisation configured for its type (if any). */
export const welfareReferralsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('welfare_referrals as w')
    .leftJoin('handoff_organisations as o', 'o.referral_type', 'w.agency')
    .select(['w.id', 'w.agency', 'w.reasons', 'w.status', 'w.due_at', 'o.name as recipient_name', 'o.kind as recipient_kind'])
    .where('w.case_id', '=', caseId)
    .orderBy('w.created_at')
    .orderBy('w.agency')
    .execute();
