import { sql } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { ageOn } from '../domain/persons/age.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent } from '../storage/repositories/case.repository.js';
import type { CustodyDecisionsTable } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { protectionsInForce } from './protection.service.js';
import { getSetting } from './safeguard-settings.service.js';

/**
 * The UAC unit's board and its age-out watch: open UAC cases with their
 * screening outcome, protections and welfare referrals due; children on open
 * UAC cases who turn 18 within the window (default 30 days) and whether the
 * placement or custody decision their birthday needs is on file.
 */

type ActorCtx = RequestContext & { actor: Actor };

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** The date a person born on `dob` turns 18 (29 February birthdays count on 1 March in non-leap years). */
export function eighteenthBirthday(dob: string): string {
  const [y, m, d] = dob.split('-').map(Number);
  const date = new Date(Date.UTC((y ?? 0) + 18, (m ?? 1) - 1, d ?? 1));
  return isoDay(date);
}

export type AgeOut = {
  personId: string;
  name: string;
  dob: string;
  dobBasis: string;
  turns18On: string;
  daysLeft: number;
  caseIds: string[];
  decision: { decision: string; decidedAt: string } | null;
};

export async function ageOuts(db: Db, ctx: ActorCtx, days?: number): Promise<{ windowDays: number; persons: AgeOut[] }> {
  const windowDays = days ?? (await getSetting(db, 'age_out_window_days'));
  const today = isoDay(ctx.now);
  const rows = await db
    .selectFrom('case_subjects as cs')
    .innerJoin('cases as c', 'c.id', 'cs.case_id')
    .innerJoin('persons as p', 'p.id', 'cs.person_id')
    .select(['p.id', 'p.given_names', 'p.family_name_1', 'p.dob', 'p.dob_basis', 'c.id as case_id'])
    .where('c.unit', '=', 'uac')
    .where('c.status', '!=', 'closed')
    .where('p.dob', 'is not', null)
    .where('p.dob_basis', '!=', 'unknown')
    // Born between 18 years before today and 18 years before the end of the window.
    .where(sql<boolean>`p.dob > (${today}::date - interval '18 years')::date - 1`)
    .where(sql<boolean>`p.dob <= (${today}::date + ${windowDays}::int - interval '18 years')::date`)
    .execute();
  const byPerson = new Map<string, AgeOut>();
  for (const r of rows) {
    if (!r.dob) continue;
    const turns = eighteenthBirthday(r.dob);
    if (ageOn(r.dob, ctx.now) >= 18) continue;
    const existing = byPerson.get(r.id);
    if (existing) {
      existing.caseIds.push(r.case_id);
      continue;
    }
    byPerson.set(r.id, {
      personId: r.id,
      name: `${r.given_names} ${r.family_name_1}`,
      dob: r.dob,
      dobBasis: r.dob_basis,
      turns18On: turns,
      daysLeft: Math.round((Date.parse(turns) - Date.parse(today)) / 86_400_000),
      caseIds: [r.case_id],
      decision: null,
    });
  }
  const ids = [...byPerson.keys()];
  if (ids.length > 0) {
    const decisions = await db.selectFrom('custody_decisions').selectAll().where('person_id', 'in', ids).orderBy('decided_at').execute();
    for (const d of decisions) {
      const p = byPerson.get(d.person_id);
      if (p) p.decision = { decision: d.decision, decidedAt: d.decided_at.toISOString() };
    }
  }
  const persons = [...byPerson.values()].sort((a, b) => a.daysLeft - b.daysLeft);
  await db.transaction().execute((trx) =>
    appendAudit(trx, ctx, {
      action: 'uac.age_outs',
      outcome: 'allowed',
      resourceType: 'person',
      details: { windowDays, results: persons.length },
    }),
  );
  return { windowDays, persons };
}

export async function recordCustodyDecision(
  db: Db,
  ctx: ActorCtx,
  personId: string,
  input: { decision: CustodyDecisionsTable['decision']; notes: string; caseId?: string | undefined },
): Promise<{ id: string }> {
  const actorId = staffOnly(ctx.actor, 'Only staff record custody decisions.').userId;
  return db.transaction().execute(async (trx) => {
    const person = await trx.selectFrom('persons').select('id').where('id', '=', personId).executeTakeFirst();
    if (!person) throw new AppError('not_found', 'There is no such person.');
    const row = await trx
      .insertInto('custody_decisions')
      .values({
        person_id: personId,
        case_id: input.caseId ?? null,
        decision: input.decision,
        notes: input.notes,
        decided_by: actorId,
        decided_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cases = await trx.selectFrom('case_subjects').select('case_id').where('person_id', '=', personId).execute();
    for (const c of cases) {
      await addCaseEvent(trx, {
        caseId: c.case_id,
        at: ctx.now,
        actorId,
        kind: 'custody_decision',
        details: { personId, decision: input.decision },
      });
    }
    await appendAudit(trx, ctx, {
      action: 'custody.decide',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: personId,
      details: { decision: input.decision },
    });
    return { id: row.id };
  });
}

export type BoardCase = {
  id: string;
  caseNumber: string;
  type: string;
  status: string;
  priority: string;
  screening: 'none' | 'positive' | 'negative';
  activeProtections: number;
  welfareReferralsOpen: number;
  welfareReferralsOverdue: number;
  nextWelfareDue: string | null;
  latestLocation: { state: string | null; county: string | null; latitude: number | null; longitude: number | null } | null;
};

/** Open UAC cases with what the unit needs to see at a glance; counts by status and by screening outcome. */
export async function uacBoard(
  db: Db,
  ctx: ActorCtx,
): Promise<{ cases: BoardCase[]; byStatus: Record<string, number>; byScreening: Record<string, number>; ageOutsDue: number }> {
  const cases = await db
    .selectFrom('cases')
    .selectAll()
    .where('unit', '=', 'uac')
    .where('status', '!=', 'closed')
    .orderBy('priority')
    .orderBy('created_at')
    .limit(500)
    .execute();
  // Subjects and their protections for all cases at once: the class-wide orders are read once, not per case.
  const links =
    cases.length === 0
      ? []
      : await db
          .selectFrom('case_subjects')
          .select(['case_id', 'person_id'])
          .where(
            'case_id',
            'in',
            cases.map((c) => c.id),
          )
          .execute();
  const protectionsByPerson = await protectionsInForce(db, [...new Set(links.map((l) => l.person_id))], ctx.now);
  const result: BoardCase[] = [];
  for (const c of cases) {
    const screening = await db
      .selectFrom('welfare_screenings')
      .select('outcome')
      .where('case_id', '=', c.id)
      .orderBy('completed_at', 'desc')
      .executeTakeFirst();
    const welfare = await db
      .selectFrom('welfare_referrals')
      .select(['due_at', 'status'])
      .where('case_id', '=', c.id)
      .where('status', '=', 'open')
      .orderBy('due_at')
      .execute();
    const subjects = links.filter((l) => l.case_id === c.id);
    const location =
      subjects.length === 0
        ? undefined
        : await db
            .selectFrom('location_observations')
            .select(['state', 'county', 'latitude', 'longitude'])
            .where(
              'person_id',
              'in',
              subjects.map((s) => s.person_id),
            )
            .orderBy('observed_at', 'desc')
            .executeTakeFirst();
    result.push({
      id: c.id,
      caseNumber: c.case_number,
      type: c.type,
      status: c.status,
      priority: c.priority,
      screening: screening?.outcome ?? 'none',
      activeProtections: subjects.reduce((n, s) => n + (protectionsByPerson.get(s.person_id)?.length ?? 0), 0),
      welfareReferralsOpen: welfare.length,
      welfareReferralsOverdue: welfare.filter((w) => w.due_at.getTime() < ctx.now.getTime()).length,
      nextWelfareDue: welfare[0]?.due_at.toISOString() ?? null,
      latestLocation: location ?? null,
    });
  }
  const count = (key: (c: BoardCase) => string) =>
    result.reduce<Record<string, number>>((acc, c) => {
      acc[key(c)] = (acc[key(c)] ?? 0) + 1;
      return acc;
    }, {});
  const ages = await ageOuts(db, ctx);
  await db
    .transaction()
    .execute((trx) =>
      appendAudit(trx, ctx, { action: 'uac.board', outcome: 'allowed', resourceType: 'case', details: { cases: result.length } }),
    );
  return {
    cases: result,
    byStatus: count((c) => c.status),
    byScreening: count((c) => c.screening),
    ageOutsDue: ages.persons.filter((p) => !p.decision).length,
  };
}
