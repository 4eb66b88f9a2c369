import type { Insertable, Selectable } from 'kysely';
import type { Trx } from '../database.js';
import type { CareArrangementsTable, ChildWishesTable, RiskFactorsTable } from '../schema.js';

/**
 * A child's wishes, care arrangements and recorded risk factors (migration 0043) — rows added, never changed —
 * and what the best-interest view reads beside them (screenings, welfare referrals). No rules here: services and
 * domain/cases/best-interest.ts decide.
 */

export type WishRow = Selectable<ChildWishesTable> & { recorded_by_name: string };
export type CareArrangementRow = Selectable<CareArrangementsTable> & { recorded_by_name: string };
export type RiskRow = Selectable<RiskFactorsTable> & { recorded_by_name: string };

export const insertWish = (db: Trx, values: Insertable<ChildWishesTable>) =>
  db.insertInto('child_wishes').values(values).returningAll().executeTakeFirstOrThrow();

export const insertCareArrangement = (db: Trx, values: Insertable<CareArrangementsTable>) =>
  db.insertInto('care_arrangements').values(values).returningAll().executeTakeFirstOrThrow();

export const insertRisk = (db: Trx, values: Insertable<RiskFactorsTable>) =>
  db.insertInto('risk_factors').values(values).returningAll().executeTakeFirstOrThrow();

export const wishesOfCase = (db: Trx, caseId: string): Promise<WishRow[]> =>
  db
    .selectFrom('child_wishes as w')
    .innerJoin('users as u', 'u.id', 'w.recorded_by')
    .selectAll('w')
    .select('u.display_name as recorded_by_name')
    .where('w.case_id', '=', caseId)
    .orderBy('w.expressed_on', 'desc')
    .orderBy('w.recorded_at', 'desc')
    .execute();

export const careArrangementsOfCase = (db: Trx, caseId: string): Promise<CareArrangementRow[]> =>
  db
    .selectFrom('care_arrangements as c')
    .innerJoin('users as u', 'u.id', 'c.recorded_by')
    .selectAll('c')
    .select('u.display_name as recorded_by_name')
    .where('c.case_id', '=', caseId)
    .orderBy('c.from_day')
    .orderBy('c.recorded_at')
    .execute();

export const risksOfCase = (db: Trx, caseId: string): Promise<RiskRow[]> =>
  db
    .selectFrom('risk_factors as r')
    .innerJoin('users as u', 'u.id', 'r.recorded_by')
    .selectAll('r')
    .select('u.display_name as recorded_by_name')
    .where('r.case_id', '=', caseId)
    .orderBy('r.noted_on', 'desc')
    .orderBy('r.recorded_at', 'desc')
    .execute();

export const screeningsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('welfare_screenings')
    .select(['id', 'person_id', 'answers', 'outcome', 'completed_at'])
    .where('case_id', '=', caseId)
    .orderBy('completed_at')
    .execute();

export const welfareReferralsOfCase = (db: Trx, caseId: string) =>
  db
    .selectFrom('welfare_referrals')
    .select(['id', 'agency', 'reasons', 'status', 'due_at', 'escalated_at', 'done_at', 'created_at'])
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .execute();
