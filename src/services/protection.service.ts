import type { Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import type { CalendarDay } from '../domain/calendar/calendar-day.js';
import { AppError } from '../domain/errors/app-error.js';
import {
  type ActiveProtection,
  activeProtections,
  type ProtectionKind,
  type ProtectionRecord,
  type ProtectionRule,
  type RuleCondition,
} from '../domain/safeguards/protections.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, caseIdsOfPersons, personCluster } from '../storage/repositories/case.repository.js';
import { findPerson, personExists } from '../storage/repositories/person.repository.js';
import * as protections from '../storage/repositories/protection.repository.js';
import type { Database, EoirStatus, LegalProtectionsTable, ProtectionRulesTable } from '../storage/schema.js';
import { ageVerdictsOf } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * Recording legal protections and class-wide court orders, and answering the
 * gate's question: which protections are in force for this person today?
 * Protections of every record merged into a person count for that person.
 */

type Trx = Transaction<Database> | Db;
type ActorCtx = RequestContext & { actor: Actor };
export type ProtectionRow = Selectable<LegalProtectionsTable>;
export type RuleRow = Selectable<ProtectionRulesTable>;

const staffId = (ctx: ActorCtx) => staffOnly(ctx.actor, 'Only staff record protections.').userId;

const toRecord = (r: ProtectionRow): ProtectionRecord => ({
  id: r.id,
  kind: r.kind,
  reference: r.reference,
  source: r.source,
  startsOn: r.starts_on,
  endsOn: r.ends_on,
  revoked: r.revoked_at !== null,
});

/** The condition language of class-wide orders, validated before it is stored. */
export const ZRuleCondition = z.strictObject({
  all: z
    .array(
      z.union([
        z.strictObject({
          attribute: z.literal('nationality'),
          op: z.enum(['in', 'notIn']),
          values: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1),
        }),
        z.strictObject({ attribute: z.literal('unaccompanied'), op: z.literal('is'), value: z.boolean() }),
        z.strictObject({
          attribute: z.literal('eoirStatus'),
          op: z.enum(['in', 'notIn']),
          values: z.array(z.enum(['unknown', 'none', 'pending', 'final_order', 'relief_granted', 'terminated'])).min(1),
        }),
        z.strictObject({ attribute: z.literal('minor'), op: z.literal('is'), value: z.boolean() }),
      ]),
    )
    .min(1, 'a rule needs at least one condition'),
});

const toRule = (r: RuleRow): ProtectionRule => ({
  id: r.id,
  name: r.name,
  reference: r.reference,
  condition: r.condition as RuleCondition,
  effectiveFrom: r.effective_from,
  effectiveUntil: r.effective_until,
  revoked: r.revoked_at !== null,
});

/** The class-wide orders not revoked (whether each is in effect on a day is decided with the person). */
export const loadRules = async (trx: Trx): Promise<ProtectionRule[]> => (await protections.rulesNotRevoked(trx)).map(toRule);

/** A person's protections in force on a day: their recorded ones (rows of their whole cluster) and every class-wide order that matches them. */
export function inForceFor(
  person: Selectable<Database['persons']>,
  minor: boolean | 'unknown',
  rows: readonly ProtectionRow[],
  rules: readonly ProtectionRule[],
  today: CalendarDay,
): ActiveProtection[] {
  return activeProtections(
    rows.map(toRecord),
    rules,
    { nationalities: person.nationalities, unaccompanied: person.unaccompanied, eoirStatus: person.eoir_status, minor },
    today,
  );
}

/** Protections in force on a day of the center's calendar for each of these persons (each with the records merged into it). */
export async function protectionsInForce(
  trx: Trx,
  personIds: readonly string[],
  today: CalendarDay,
): Promise<Map<string, ActiveProtection[]>> {
  const result = new Map<string, ActiveProtection[]>();
  if (personIds.length === 0) return result;
  const rules = await loadRules(trx);
  // An order about minors protects a person anyone said is a child, as the gate's own age rule does.
  const verdicts = await ageVerdictsOf(trx, personIds, today);
  for (const personId of personIds) {
    const cluster = await personCluster(trx, personId);
    const person = await findPerson(trx, personId);
    if (!person) continue;
    const minor = verdicts.get(personId)?.minor ?? 'unknown';
    result.set(personId, inForceFor(person, minor, await listProtections(trx, cluster), rules, today));
  }
  return result;
}

export type ProtectionInput = {
  kind: ProtectionKind;
  source: string;
  reference: string;
  startsOn: string;
  endsOn?: string | undefined;
  nextHearingOn?: string | undefined;
  verified: boolean;
};

const casesOf = (trx: Trx, personId: string) => caseIdsOfPersons(trx, [personId]);

export async function addProtection(db: Db, ctx: ActorCtx, personId: string, input: ProtectionInput): Promise<ProtectionRow> {
  const actorId = staffId(ctx);
  if (input.endsOn && input.endsOn < input.startsOn) {
    throw new AppError('validation_failed', 'A protection cannot end before it starts.', {
      issues: [{ path: 'body.endsOn', code: 'before_start', message: 'must be on or after startsOn' }],
    });
  }
  return db.transaction().execute(async (trx) => {
    if (!(await personExists(trx, personId))) throw new AppError('not_found', 'There is no such person.');
    const row = await protections.insertProtection(trx, {
      person_id: personId,
      kind: input.kind,
      source: input.source,
      reference: input.reference,
      starts_on: input.startsOn,
      ends_on: input.endsOn ?? null,
      next_hearing_on: input.nextHearingOn ?? null,
      verified_by: input.verified ? actorId : null,
      verified_at: input.verified ? ctx.now : null,
      created_by: actorId,
      created_at: ctx.now,
    });
    for (const caseId of await casesOf(trx, personId)) {
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId,
        kind: 'protection_added',
        details: { personId, protectionId: row.id, kind: input.kind },
      });
    }
    await appendAudit(trx, ctx, {
      action: 'protection.add',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: personId,
      details: { protectionId: row.id, kind: input.kind },
    });
    return row;
  });
}

export async function revokeProtection(db: Db, ctx: ActorCtx, protectionId: string, reason: string): Promise<ProtectionRow> {
  const actorId = staffId(ctx);
  return db.transaction().execute(async (trx) => {
    const row = await protections.revokeProtectionRow(trx, protectionId, actorId, ctx.now, reason);
    if (!row) throw new AppError('not_found', 'There is no such protection in force.');
    for (const caseId of await casesOf(trx, row.person_id)) {
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId,
        kind: 'protection_revoked',
        details: { personId: row.person_id, protectionId, reason },
      });
    }
    await appendAudit(trx, ctx, {
      action: 'protection.revoke',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: row.person_id,
      details: { protectionId },
    });
    return row;
  });
}

export const listProtections = (db: Trx, personIds: readonly string[]) => protections.protectionsOf(db, personIds);

export async function addRule(
  db: Db,
  ctx: ActorCtx,
  input: { name: string; reference: string; condition: RuleCondition; effectiveFrom: string; effectiveUntil?: string | undefined },
): Promise<RuleRow> {
  const actorId = staffId(ctx);
  return db.transaction().execute(async (trx) => {
    const row = await protections.insertRule(trx, {
      name: input.name,
      reference: input.reference,
      condition: JSON.stringify(input.condition),
      effective_from: input.effectiveFrom,
      effective_until: input.effectiveUntil ?? null,
      created_by: actorId,
      created_at: ctx.now,
    });
    await appendAudit(trx, ctx, {
      action: 'protection_rule.add',
      outcome: 'allowed',
      resourceType: 'protection_rule',
      resourceId: row.id,
      details: { reference: input.reference, condition: input.condition },
    });
    return row;
  });
}

export async function revokeRule(db: Db, ctx: ActorCtx, ruleId: string, reason: string): Promise<RuleRow> {
  const actorId = staffId(ctx);
  return db.transaction().execute(async (trx) => {
    const row = await protections.revokeRuleRow(trx, ruleId, actorId, ctx.now, reason);
    if (!row) throw new AppError('not_found', 'There is no such rule in force.');
    await appendAudit(trx, ctx, {
      action: 'protection_rule.revoke',
      outcome: 'allowed',
      resourceType: 'protection_rule',
      resourceId: ruleId,
      details: { reason },
    });
    return row;
  });
}

export const listRules = (db: Db) => protections.listRuleRows(db);

/** The UAC details of a person: EOIR status and whether they came unaccompanied (both feed class-wide orders). */
export async function setUacDetails(
  db: Db,
  ctx: ActorCtx,
  personId: string,
  input: { eoirStatus?: EoirStatus | undefined; unaccompanied?: boolean | undefined },
): Promise<void> {
  staffId(ctx);
  await db.transaction().execute(async (trx) => {
    const updated = await protections.setPersonUacDetails(
      trx,
      personId,
      {
        ...(input.eoirStatus ? { eoir_status: input.eoirStatus } : {}),
        ...(input.unaccompanied !== undefined ? { unaccompanied: input.unaccompanied } : {}),
      },
      ctx.now,
    );
    if (!updated) throw new AppError('not_found', 'There is no such person.');
    await appendAudit(trx, ctx, {
      action: 'person.uac_details',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: personId,
      details: input,
    });
  });
}
