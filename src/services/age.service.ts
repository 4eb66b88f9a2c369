import type { Actor } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday, isCalendarDay } from '../domain/calendar/calendar-day.js';
import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import {
  type AgeDetermination,
  type AgeDeterminationBasis,
  type AgeVerdict,
  ageOn,
  ageVerdict,
  type DobAssertion,
} from '../domain/persons/age.js';
import { MAX_AGE_YEARS } from '../domain/persons/person-rules.js';
import type { Db } from '../storage/database.js';
import {
  type AgeDeterminationRow,
  ageDeterminationsOf,
  clustersOf,
  type DobAssertionRow,
  dobAssertionsOf,
  insertAgeDetermination,
} from '../storage/repositories/age.repository.js';
import { addCaseEvent, caseIdsOfPersons, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import { personExists } from '../storage/repositories/person.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * Who counts as a minor, from every date of birth anyone gave for a person
 * (on any of their merged records) and a legal reviewer's age determination —
 * the one place services ask (domain/persons/age.ts decides).
 */

export type AgeEvidence = {
  assertions: DobAssertionRow[];
  determinations: AgeDeterminationRow[];
  verdict: AgeVerdict;
  /** The center's day the verdict is for. */
  today: CalendarDay;
};

const sourceWords = (r: DobAssertionRow): string =>
  r.report_reference ? `report ${r.report_reference}${r.report_source ? ` (${r.report_source.replace(/_/g, ' ')})` : ''}` : 'the record';

export const toAssertion = (r: DobAssertionRow): DobAssertion => ({
  dob: r.dob,
  basis: r.dob_basis,
  recordedAt: r.recorded_at,
  source: sourceWords(r),
});
const toDetermination = (r: AgeDeterminationRow): AgeDetermination => ({ dob: r.dob, basis: r.basis, determinedAt: r.determined_at });

function verdictFrom(assertions: DobAssertionRow[], determinations: AgeDeterminationRow[], today: CalendarDay): AgeVerdict {
  const latest = determinations.at(-1);
  return ageVerdict(assertions.map(toAssertion), latest ? toDetermination(latest) : null, today);
}

/** The evidence about one cluster of records (a person and every record merged into them). */
export async function ageEvidenceOf(db: Db, clusterIds: readonly string[], today: CalendarDay): Promise<AgeEvidence> {
  const [assertions, determinations] = await Promise.all([dobAssertionsOf(db, clusterIds), ageDeterminationsOf(db, clusterIds)]);
  return { assertions, determinations, verdict: verdictFrom(assertions, determinations, today), today };
}

/** Verdicts for many surviving records at once (search hits, a case's subjects), each over its whole cluster. */
export async function ageVerdictsOf(db: Db, personIds: readonly string[], today: CalendarDay): Promise<Map<string, AgeVerdict>> {
  const clusters = await clustersOf(db, personIds);
  const all = [...new Set([...clusters.values()].flat())];
  const [assertions, determinations] = await Promise.all([dobAssertionsOf(db, all), ageDeterminationsOf(db, all)]);
  const verdicts = new Map<string, AgeVerdict>();
  for (const [id, members] of clusters) {
    const inCluster = new Set(members);
    verdicts.set(
      id,
      verdictFrom(
        assertions.filter((a) => inCluster.has(a.person_id)),
        determinations.filter((d) => inCluster.has(d.person_id)),
        today,
      ),
    );
  }
  return verdicts;
}

/**
 * The date of birth the age-out watch plans by: a determination's, else the
 * youngest one anyone gave (the gate treats the person as a minor until that
 * one turns 18).
 */
export function planningDob(evidence: { assertions: DobAssertionRow[]; determinations: AgeDeterminationRow[] }): string | null {
  const latest = evidence.determinations.at(-1);
  const later = latest ? evidence.assertions.filter((a) => a.recorded_at > latest.determined_at) : evidence.assertions;
  const dobs = later.filter((a) => a.dob !== null && a.dob_basis !== 'unknown').map((a) => a.dob as string);
  if (latest) dobs.push(latest.dob);
  return dobs.sort().at(-1) ?? null;
}

export type AgeDeterminationInput = { dob: string; basis: AgeDeterminationBasis; evidence: string };

/**
 * A legal reviewer records a person's date of birth as found from documents,
 * an age assessment or a court: from then on it decides whether they are a
 * minor, until someone claims otherwise again. Recorded on the surviving
 * record, audited, and on the timeline of every case the person is on.
 */
export async function recordAgeDetermination(
  db: Db,
  ctx: RequestContext & { actor: Actor },
  personId: string,
  input: AgeDeterminationInput,
): Promise<AgeEvidence> {
  if (ctx.actor.kind !== 'user') throw new AppError('forbidden', 'Only a legal reviewer records an age determination.');
  const userId = ctx.actor.userId;
  const today = centerToday(ctx);
  const issues: FieldIssue[] = [];
  if (!isCalendarDay(input.dob)) issues.push({ path: 'body.dob', code: 'invalid_date', message: `${input.dob} is not a calendar date` });
  else if (input.dob > today) issues.push({ path: 'body.dob', code: 'dob_in_future', message: `${input.dob} is after today` });
  else if (ageOn(input.dob, today) > MAX_AGE_YEARS)
    issues.push({ path: 'body.dob', code: 'dob_too_old', message: `${input.dob} would make the person older than ${MAX_AGE_YEARS}` });
  if (input.evidence.trim().length < 20)
    issues.push({ path: 'body.evidence', code: 'too_short', message: 'describe the documents or assessment in at least 20 characters' });
  if (issues.length > 0) throw new AppError('validation_failed', 'The age determination was not recorded.', { issues });
  return db.transaction().execute(async (trx) => {
    if (!(await personExists(trx, personId))) throw new AppError('not_found', 'There is no such person.');
    const survivor = await survivorOf(trx, personId);
    const id = await insertAgeDetermination(trx, {
      personId: survivor,
      dob: input.dob,
      basis: input.basis,
      evidence: input.evidence.trim(),
      by: userId,
      at: ctx.now,
    });
    const cluster = await personCluster(trx, survivor);
    const evidence = await ageEvidenceOf(trx, cluster, today);
    for (const caseId of await caseIdsOfPersons(trx, cluster)) {
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId: userId,
        kind: 'age_determined',
        details: { personId: survivor, determinationId: id, basis: input.basis, minor: evidence.verdict.minor },
      });
    }
    await appendAudit(trx, ctx, {
      action: 'person.age_determination',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: survivor,
      details: { determinationId: id, basis: input.basis, minor: evidence.verdict.minor },
    });
    return evidence;
  });
}
