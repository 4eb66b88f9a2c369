import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { addDays, centerToday, daysBetween } from '../domain/calendar/calendar-day.js';
import { AppError } from '../domain/errors/app-error.js';
import { ageOn, eighteenthBirthday } from '../domain/persons/age.js';
import type { Db } from '../storage/database.js';
import { ageDeterminationsOf, clustersOf, dobAssertionsOf } from '../storage/repositories/age.repository.js';
import { addCaseEvent, caseIdsOfPersons } from '../storage/repositories/case.repository.js';
import { personExists } from '../storage/repositories/person.repository.js';
import * as uac from '../storage/repositories/uac.repository.js';
import type { CustodyDecisionsTable } from '../storage/schema.js';
import { planningDob } from './age.service.js';
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

export type AgeOut = {
  personId: string;
  name: string;
  /** The date of birth the watch plans by: an age determination's, else the youngest anyone gave. */
  dob: string;
  dobBasis: string;
  turns18On: string;
  daysLeft: number;
  caseIds: string[];
  decision: { decision: string; decidedAt: string } | null;
};

export async function ageOuts(db: Db, ctx: ActorCtx, days?: number): Promise<{ windowDays: number; persons: AgeOut[] }> {
  const windowDays = days ?? (await getSetting(db, 'age_out_window_days'));
  const today = centerToday(ctx);
  const until = addDays(today, windowDays);
  // Children on open UAC cases (each as their surviving record); their age from every date of birth given for them.
  const rows = await uac.subjectsOfOpenUacCases(db);
  const ids = [...new Set(rows.map((r) => r.id))];
  const clusters = await clustersOf(db, ids);
  const all = [...new Set([...clusters.values()].flat())];
  const [assertions, determinations] = await Promise.all([dobAssertionsOf(db, all), ageDeterminationsOf(db, all)]);
  const byPerson = new Map<string, AgeOut>();
  for (const r of rows) {
    const existing = byPerson.get(r.id);
    if (existing) {
      existing.caseIds.push(r.case_id);
      continue;
    }
    const members = new Set(clusters.get(r.id) ?? [r.id]);
    const evidence = {
      assertions: assertions.filter((a) => members.has(a.person_id)),
      determinations: determinations.filter((d) => members.has(d.person_id)),
    };
    const dob = planningDob(evidence);
    if (!dob) continue;
    const turns = eighteenthBirthday(dob);
    // Still under 18 today, and 18 within the window.
    if (ageOn(dob, today) >= 18 || turns > until) continue;
    const latest = evidence.determinations.at(-1);
    byPerson.set(r.id, {
      personId: r.id,
      name: `${r.given_names} ${r.family_name_1}`,
      dob,
      dobBasis:
        latest?.dob === dob
          ? `determined (${latest.basis.replace('_', ' ')})`
          : (evidence.assertions.find((a) => a.dob === dob)?.dob_basis ?? 'unknown'),
      turns18On: turns,
      daysLeft: daysBetween(today, turns),
      caseIds: [r.case_id],
      decision: null,
    });
  }
  const listed = [...byPerson.keys()];
  for (const d of await uac.custodyDecisionsOf(db, listed)) {
    const p = byPerson.get(d.person_id);
    if (p) p.decision = { decision: d.decision, decidedAt: d.decided_at.toISOString() };
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
    if (!(await personExists(trx, personId))) throw new AppError('not_found', 'There is no such person.');
    const id = await uac.insertCustodyDecision(trx, {
      person_id: personId,
      case_id: input.caseId ?? null,
      decision: input.decision,
      notes: input.notes,
      decided_by: actorId,
      decided_at: ctx.now,
    });
    for (const caseId of await caseIdsOfPersons(trx, [personId])) {
      await addCaseEvent(trx, {
        caseId,
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
    return { id };
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
  const cases = await uac.openUacCases(db, 500);
  // Subjects and their protections for all cases at once: the class-wide orders are read once, not per case.
  const links = await uac.subjectLinksOf(
    db,
    cases.map((c) => c.id),
  );
  const protectionsByPerson = await protectionsInForce(db, [...new Set(links.map((l) => l.person_id))], centerToday(ctx));
  const result: BoardCase[] = [];
  for (const c of cases) {
    const screening = await uac.latestScreeningOutcome(db, c.id);
    const welfare = await uac.openWelfareReferralsOf(db, c.id);
    const subjects = links.filter((l) => l.case_id === c.id);
    const location = await uac.latestPlaceOf(
      db,
      subjects.map((s) => s.person_id),
    );
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
