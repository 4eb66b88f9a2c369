import type { Transaction } from 'kysely';
import type { TCareArrangementBody, TRiskBody, TWishBody } from '../contracts/best-interest.js';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday, dayIn, daysBetween } from '../domain/calendar/calendar-day.js';
import { careCourse, checkCaregiver, inTimeOrder } from '../domain/cases/best-interest.js';
import { AppError } from '../domain/errors/app-error.js';
import { ageOn, eighteenthBirthday } from '../domain/persons/age.js';
import { isDangerIndicator, QUESTION_IDS, SCREENING_QUESTIONS, type ScreeningQuestion } from '../domain/safeguards/welfare-screening.js';
import type { Db } from '../storage/database.js';
import * as bi from '../storage/repositories/best-interest.repository.js';
import {
  addCaseEvent,
  type CaseRow,
  caseSubjectsWithPersons,
  caseTimeline,
  personCluster,
  survivorOf,
} from '../storage/repositories/case.repository.js';
import { consentsOfCase } from '../storage/repositories/consent.repository.js';
import { findRelationship, relationshipsOfCase } from '../storage/repositories/relationship.repository.js';
import type { Database } from '../storage/schema.js';
import { ageEvidenceOf, ageVerdictsOf, planningDob } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import { protectionsInForce } from './protection.service.js';
import { askPurpose, purposeAudit, type Stated } from './purpose-of-use.service.js';
import { getSetting } from './safeguard-settings.service.js';
import { sponsorsOfCase } from './sponsor-shield.service.js';

/**
 * The best-interest view of a UAC child's case (issue #22 item 5), modelled on a best-interests assessment in
 * child-protection case management: what the child says they want (wishes, kept as history), who the child lives
 * with over time (care arrangements, the caregiver one of the child's relationships), risk factors recorded by a
 * case worker beside those the system already knows (the welfare screening's danger indicators, protections in
 * force, the age-out day), and one timeline. UAC cases only; need-to-know and purpose of use as the family
 * section (relationship.service.ts); sponsors marked protected exactly as there. Services and hand-offs (items
 * 3–4) are read by the screen from their own endpoints.
 */

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };

const CAREGIVER_TYPES = new Set(['sponsor', 'parent', 'caregiver', 'relative']);
const words = (s: string) => s.replace(/_/g, ' ');
const nameOf = (p: { given_names: string; family_name_1: string; family_name_2: string | null }) =>
  [p.given_names, p.family_name_1, p.family_name_2].filter(Boolean).join(' ');

/** The danger indicators a stored screening answered yes (its answers as the screening service wrote them). */
const dangerAnswered = (answers: Record<string, unknown>): ScreeningQuestion[] =>
  QUESTION_IDS.filter((q) => {
    const a = answers[q];
    return isDangerIndicator(q) && typeof a === 'object' && a !== null && 'answer' in a && a.answer === 'yes';
  });

const notUac = () =>
  new AppError('unprocessable', 'The best-interest view is kept for UAC cases only.', {
    issues: [{ path: 'caseId', code: 'not_a_uac_case', message: 'open the best-interest view of a UAC case' }],
  });

/** The child of the case: the subject in the role of child, else one whom any date of birth makes a minor. */
async function childOf(trx: Trx, ctx: ActorCtx, caseId: string) {
  const subjects = await caseSubjectsWithPersons(trx, caseId);
  const verdicts = await ageVerdictsOf(
    trx,
    subjects.map((s) => s.person_id),
    centerToday(ctx),
  );
  const subject = subjects.find((s) => s.role === 'child') ?? subjects.find((s) => verdicts.get(s.person_id)?.minor === true) ?? undefined;
  if (!subject)
    throw new AppError('unprocessable', 'This case has no child.', {
      issues: [{ path: 'caseId', code: 'no_child_on_case', message: 'the case names no child' }],
    });
  return { personId: await survivorOf(trx, subject.person_id), name: nameOf(subject) };
}

function notAfterToday(ctx: ActorCtx, day: string, path: string): Refused | undefined {
  if (day > centerToday(ctx))
    return {
      refused: new AppError('validation_failed', 'That day is still to come.', {
        issues: [{ path, code: 'in_future', message: 'a day on or before today' }],
      }),
    };
  return undefined;
}

/** A write refused: returned out of the transaction (so its denied audit commits), then thrown. */
type Refused = { refused: AppError };
type Written<T> = { row: T; details: Record<string, unknown> };

/**
 * One write of the view: a UAC case, its child, the row, an event on the case's timeline, the audit — one
 * transaction. A refusal (not a UAC case, a day to come, a caregiver who does not fit…) writes nothing but a denied
 * audit entry naming its rule, committed as case-plan.service.ts commits its refusals, then is thrown.
 */
async function record<T extends { id: string }>(
  db: Db,
  ctx: ActorCtx,
  caseId: string,
  action: string,
  event: string,
  write: (trx: Trx, child: string, userId: string) => Promise<Written<T> | Refused>,
): Promise<T> {
  const userId = staffOnly(ctx.actor, 'Only staff record a best-interest assessment.').userId;
  const done = await withCase(
    db,
    ctx,
    caseId,
    action,
    async (trx, caseRow: CaseRow): Promise<{ value: T } | Refused> => {
      const denied = async (refused: AppError): Promise<Refused> => {
        const rule = refused.details?.issues?.[0]?.code ?? refused.code;
        await appendAudit(trx, ctx, {
          action,
          outcome: 'denied',
          resourceType: 'case',
          resourceId: caseId,
          details: { rule, reason: rule },
        });
        return { refused };
      };
      if (caseRow.unit !== 'uac') return denied(notUac());
      const child = await childOf(trx, ctx, caseId);
      const written = await write(trx, child.personId, userId);
      if ('refused' in written) return denied(written.refused);
      const { row, details } = written;
      await addCaseEvent(trx, { caseId, at: ctx.now, actorId: userId, kind: event, details: { id: row.id, ...details } });
      await appendAudit(trx, ctx, {
        action,
        outcome: 'allowed',
        resourceType: 'case',
        resourceId: caseId,
        details: { id: row.id, ...details },
      });
      return { value: row };
    },
    true,
  );
  if ('refused' in done) throw done.refused;
  return done.value;
}

/** What the child says they want, on a day, in their own words or through an interpreter; never overwritten. */
export async function recordWish(db: Db, ctx: ActorCtx, caseId: string, input: TWishBody) {
  return record(db, ctx, caseId, 'best_interest.wish.record', 'child_wish_recorded', async (trx, child, userId) => {
    const future = notAfterToday(ctx, input.expressedOn, 'body.expressedOn');
    if (future) return future;
    if (input.voice === 'through_interpreter' && !input.interpreter)
      return {
        refused: new AppError('validation_failed', 'Say which language and interpreter.', {
          issues: [{ path: 'body.interpreter', code: 'required', message: 'the language and interpreter' }],
        }),
      };
    const row = await bi.insertWish(trx, {
      case_id: caseId,
      person_id: child,
      topic: input.topic,
      wish: input.wish,
      expressed_on: input.expressedOn,
      voice: input.voice,
      interpreter: input.voice === 'through_interpreter' ? (input.interpreter ?? null) : null,
      recorded_by: userId,
      recorded_at: ctx.now,
    });
    return { row, details: { topic: row.topic, voice: row.voice } };
  });
}

/** A care arrangement from a day: its kind and, where there is one, the caregiver (one of the child's relationships). */
export async function recordCareArrangement(db: Db, ctx: ActorCtx, caseId: string, input: TCareArrangementBody) {
  return record(db, ctx, caseId, 'best_interest.care.record', 'care_arrangement_recorded', async (trx, child, userId) => {
    const future = notAfterToday(ctx, input.from, 'body.from');
    if (future) return future;
    let caregiverType: Parameters<typeof checkCaregiver>[1] = null;
    if (input.caregiverRelationshipId) {
      const rel = await findRelationship(trx, input.caregiverRelationshipId);
      if (!rel || rel.case_id !== caseId || (await survivorOf(trx, rel.child_person_id)) !== child)
        return {
          refused: new AppError('validation_failed', "The caregiver is one of the child's relationships on this case.", {
            issues: [
              {
                path: 'body.caregiverRelationshipId',
                code: 'not_a_relationship_of_child',
                message: "name one of the child's relationships",
              },
            ],
          }),
        };
      caregiverType = rel.type;
    }
    const issue = checkCaregiver(input.type, caregiverType);
    if (issue)
      return {
        refused: new AppError('validation_failed', `The caregiver does not fit the arrangement: ${issue.message}.`, {
          issues: [{ path: 'body.caregiverRelationshipId', code: issue.code, message: issue.message }],
        }),
      };
    const row = await bi.insertCareArrangement(trx, {
      case_id: caseId,
      person_id: child,
      type: input.type,
      caregiver_relationship_id: input.caregiverRelationshipId ?? null,
      from_day: input.from,
      until_day: input.until ?? null,
      notes: input.notes ?? null,
      recorded_by: userId,
      recorded_at: ctx.now,
    });
    return { row, details: { type: row.type, from: row.from_day } };
  });
}

/** A risk factor a case worker noted, with its level and day. */
export async function recordRisk(db: Db, ctx: ActorCtx, caseId: string, input: TRiskBody) {
  return record(db, ctx, caseId, 'best_interest.risk.record', 'risk_factor_recorded', async (trx, child, userId) => {
    const future = notAfterToday(ctx, input.notedOn, 'body.notedOn');
    if (future) return future;
    const row = await bi.insertRisk(trx, {
      case_id: caseId,
      person_id: child,
      kind: input.kind,
      level: input.level,
      noted_on: input.notedOn,
      notes: input.notes ?? null,
      recorded_by: userId,
      recorded_at: ctx.now,
    });
    return { row, details: { kind: row.kind, level: row.level } };
  });
}

export type DerivedRisk = {
  source: 'welfare_screening' | 'protection' | 'age_out';
  kind: string;
  label: string;
  on: CalendarDay;
  reference: string | null;
};

export type TimelineEntry = {
  at: Date;
  order: number;
  source: 'case_event' | 'screening' | 'welfare_referral' | 'consent' | 'care_arrangement';
  kind: string;
  summary: string;
};

/** Case events shown from their own records instead (with more to say). */
const SHOWN_FROM_RECORDS = new Set(['welfare_screened', 'consent_recorded', 'care_arrangement_recorded']);

/** The age-out day and age, from the date of birth the age-out watch plans by. */
async function ageOf(trx: Trx, personId: string, today: CalendarDay) {
  const evidence = await ageEvidenceOf(trx, await personCluster(trx, personId), today);
  const dob = planningDob(evidence);
  if (!dob) return { dob: null, age: null, turns18On: null, daysToAgeOut: null };
  const turns18On = eighteenthBirthday(dob);
  return { dob, age: ageOn(dob, today), turns18On, daysToAgeOut: daysBetween(today, turns18On) };
}

/**
 * The whole view of one UAC case, as one document. It reveals who the child is with, so it asks for a purpose of
 * use (kept in the audit, refusals too) like the family section.
 */
export type BestInterest = Awaited<ReturnType<typeof readBestInterest>>;

export async function readBestInterest(db: Db, ctx: ActorCtx, caseId: string, stated: Stated) {
  const outcome = await withCase(db, ctx, caseId, 'best_interest.read', async (trx, caseRow) => {
    if (caseRow.unit !== 'uac') {
      await appendAudit(trx, ctx, {
        action: 'best_interest.read',
        outcome: 'error',
        resourceType: 'case',
        resourceId: caseId,
        details: { reason: 'not_a_uac_case' },
      });
      return { error: notUac() };
    }
    const asked = await askPurpose(
      trx,
      ctx,
      { action: 'best_interest.read', resourceType: 'case', resourceId: caseId, aboutChild: true, what: "This child's best-interest view" },
      stated,
    );
    if ('error' in asked) return { error: asked.error };
    const today = centerToday(ctx);
    const child = await childOf(trx, ctx, caseId);
    const age = await ageOf(trx, child.personId, today);

    const [wishes, arrangements, risks, relationships, sponsorList, screenings, welfareReferrals, consents, events] = await Promise.all([
      bi.wishesOfCase(trx, caseId),
      bi.careArrangementsOfCase(trx, caseId),
      bi.risksOfCase(trx, caseId),
      relationshipsOfCase(trx, caseId),
      sponsorsOfCase(trx, caseId),
      bi.screeningsOfCase(trx, caseId),
      bi.welfareReferralsOfCase(trx, caseId),
      consentsOfCase(trx, caseId),
      caseTimeline(trx, caseId),
    ]);
    const sponsors = new Set(sponsorList.map((s) => s.personId));
    const isProtected = (r: { type: string; person_id: string }) => r.type === 'sponsor' || sponsors.has(r.person_id);

    const ofChild = relationships.filter((r) => r.child_person_id === child.personId);
    // Caregivers: the child's sponsors, parents, caregivers and relatives, sponsors marked as the family section does.
    const related = ofChild.map((r) => ({ ...r, protectedSponsor: isProtected(r), current: r.until === null || r.until >= today }));
    const caregivers = related.filter((r) => CAREGIVER_TYPES.has(r.type));
    const course = careCourse(
      arrangements.map((a) => ({ ...a, from: a.from_day, until: a.until_day, recordedAt: a.recorded_at })),
      today,
    );

    // What the system already knows: the latest screening's danger indicators, protections in force, the age-out day.
    const derived: DerivedRisk[] = [];
    const latest = screenings.at(-1);
    if (latest) {
      for (const q of dangerAnswered(latest.answers))
        derived.push({
          source: 'welfare_screening',
          kind: q,
          label: SCREENING_QUESTIONS[q].text,
          on: dayIn(latest.completed_at, ctx.timeZone),
          reference: null,
        });
    }
    for (const p of (await protectionsInForce(trx, [child.personId], today)).get(child.personId) ?? [])
      derived.push({ source: 'protection', kind: p.kind, label: p.label, on: today, reference: p.reference });
    const window = await getSetting(trx, 'age_out_window_days');
    if (age.turns18On && age.daysToAgeOut !== null && age.daysToAgeOut >= 0 && age.daysToAgeOut <= window)
      derived.push({
        source: 'age_out',
        kind: 'age_out',
        label: `Turns 18 in ${age.daysToAgeOut} days: a placement or custody decision is needed`,
        on: age.turns18On,
        reference: null,
      });

    // One timeline: the case's events, screenings, welfare referrals, consents and care changes, oldest first.
    const items: TimelineEntry[] = [];
    const push = (e: Omit<TimelineEntry, 'order'>) => items.push({ ...e, order: items.length });
    for (const e of events)
      if (!SHOWN_FROM_RECORDS.has(e.kind)) push({ at: e.at, source: 'case_event', kind: e.kind, summary: words(e.kind) });
    for (const s of screenings) {
      const danger = dangerAnswered(s.answers);
      push({
        at: s.completed_at,
        source: 'screening',
        kind: 'welfare_screened',
        summary: `Welfare screening ${s.outcome}${danger.length ? ` — danger indicators: ${danger.map(words).join(', ')}` : ''}`,
      });
    }
    for (const w of welfareReferrals)
      push({
        at: w.created_at,
        source: 'welfare_referral',
        kind: 'welfare_referral_raised',
        summary: `Welfare referral to ${w.agency.toUpperCase()} raised (${w.reasons.map(words).join(', ')}) — ${w.status === 'done' ? 'done' : 'open'}${w.escalated_at ? ', escalated' : ''}`,
      });
    for (const c of consents)
      push({
        at: c.recorded_at,
        source: 'consent',
        kind: 'consent_recorded',
        summary: `Consent ${c.decision}: sharing with ${words(c.scope)}${c.recipient_kind ? ` (${words(c.recipient_kind)})` : ''}, given by the ${c.given_by} on ${c.given_on}`,
      });
    for (const a of course.spans)
      push({
        at: a.recorded_at,
        source: 'care_arrangement',
        kind: 'care_arrangement_recorded',
        summary: `Care arrangement: ${words(a.type)} from ${a.from}${a.until_day ? ` until ${a.until_day}` : ''}`,
      });

    const { purpose, details } = purposeAudit(asked.purpose);
    await appendAudit(trx, ctx, {
      action: 'best_interest.read',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      purpose,
      details: { wishes: wishes.length, careArrangements: arrangements.length, risks: risks.length, ...details },
    });
    return {
      value: {
        caseId,
        caseNumber: caseRow.case_number,
        child: { ...child, ...age },
        wishes,
        caregivers,
        related: new Map(related.map((r) => [r.id, r])),
        course,
        risks,
        derived,
        timeline: inTimeOrder(items),
      },
    };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
