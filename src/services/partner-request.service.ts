import { type Selectable, sql, type Transaction } from 'kysely';
import type { Actor, PermissionTable } from '../domain/access/access-control.js';
import { staffOnly } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import { resolveAor } from '../domain/geo/area-of-responsibility.js';
import type { Geocoder } from '../domain/geo/geocoder.js';
import {
  OPEN_AT_AGENCY,
  PARTNER_REQUEST_LIFECYCLE,
  VISIBLE_TO_AGENCY,
  visibleToAgency,
} from '../domain/partner/partner-request-workflow.js';
import { agreementInForce, agreementOf } from '../domain/partner/submission-rules.js';
import { ageOn } from '../domain/persons/age.js';
import { WORK_PRIORITY } from '../domain/routing/work-priority.js';
import { auditPurpose, checkPurpose, type PurposeCode } from '../domain/safeguards/purpose.js';
import { evaluateReferral, type GateResult } from '../domain/safeguards/referral-gate.js';
import { URGENT_REVIEW_HOURS, urgentWelfareLane, WELFARE_ONLY } from '../domain/safeguards/urgent-welfare-lane.js';
import { QUESTION_IDS, type ScreeningQuestion } from '../domain/safeguards/welfare-screening.js';
import { step } from '../domain/workflow/lifecycle.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, insertObservation, nextReference, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import type { Database, PartnerRequestOutcome, PartnerRequestStatus, PartnerRequestsTable } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import type { PartnerActor } from './partner-submission.service.js';
import { loadAorTable } from './reference-data.service.js';
import { blockedError, gateInputFor } from './referral.service.js';
import { decided, refuseReview, reviewerRefusal, reviewHeld } from './review.service.js';
import { type RoutingService, WORK_ITEM_SWEEP_MS } from './routing.service.js';

/**
 * Requests from the center to partner agencies — a welfare check at an
 * address, help locating someone, a question. By default they go to the
 * agencies whose jurisdiction (county) covers the subject's last known
 * location. Each passes the same safeguard gate as a referral (a child or a
 * protected person: held for a legal reviewer who is not the author), is
 * audited with its stated purpose, and discloses only a snapshot of what the
 * agency needs (`disclosed`): name, age, languages, the address, the
 * question — never the case file, identifiers or reporters. The agency
 * answers through the API or the portal; the answer becomes a report on the
 * case (and a location, if given) and a work item for the ACD. Unanswered
 * requests past their deadline are escalated.
 */

type Trx = Transaction<Database>;
type StaffCtx = RequestContext & { actor: Actor };
type PartnerCtx = RequestContext & { actor: PartnerActor };
export type PartnerRequestRow = Selectable<PartnerRequestsTable>;
export type PartnerRequestDeps = { db: Db; routing: RoutingService; permissions: PermissionTable; geocoder: Geocoder };

export const REQUEST_KINDS = ['welfare_check', 'locate', 'information'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
/** Hours to answer, unless the requester sets another (1–168). A welfare check is urgent. */
export const DEFAULT_DUE_HOURS: Readonly<Record<RequestKind, number>> = { welfare_check: 4, locate: 48, information: 72 };
export { VISIBLE_TO_AGENCY } from '../domain/partner/partner-request-workflow.js';

/** What the agency is shown: enough to act on, nothing more. */
export type Disclosed = {
  kind: RequestKind;
  question: string;
  subject: { name: string; sex: string; age: number | null; ageBasis: string; languages: string[] };
  location: {
    line1: string | null;
    city: string | null;
    county: string | null;
    state: string | null;
    zip: string | null;
    observedAt: string;
  } | null;
  contact: string;
  /** Every welfare check: what the agency may use it for. */
  useCondition?: string;
  /** The urgent lane: sent at once about a child in danger; why, as the center stated it. */
  urgent?: boolean;
  purpose?: { code: string; text: string };
};

async function addEvent(
  trx: Trx,
  e: {
    requestId: string;
    at: Date;
    actor: Actor | null;
    kind: string;
    from?: string | null;
    to?: string | null;
    details?: Record<string, unknown>;
  },
) {
  await trx
    .insertInto('partner_request_events')
    .values({
      request_id: e.requestId,
      at: e.at,
      actor_id: e.actor?.kind === 'user' ? e.actor.userId : null,
      actor_client: e.actor?.kind === 'client' ? e.actor.clientId : null,
      kind: e.kind,
      from_status: e.from ?? null,
      to_status: e.to ?? null,
      details: JSON.stringify(e.details ?? {}),
    })
    .execute();
}

async function queueWebhook(
  trx: Trx,
  request: PartnerRequestRow,
  event: 'request.created' | 'request.overdue' | 'request.withdrawn',
  now: Date,
) {
  const hook = await trx.selectFrom('agency_webhooks').select('agency_ori').where('agency_ori', '=', request.agency_ori).executeTakeFirst();
  if (!hook) return;
  await trx
    .insertInto('webhook_deliveries')
    .values({
      agency_ori: request.agency_ori,
      submission_id: null,
      request_id: request.id,
      event,
      body: JSON.stringify({ event, ...presentForAgency(request), at: now.toISOString() }),
      status: 'pending',
      next_attempt_at: now,
      created_at: now,
    })
    .execute();
}

/** The subject's latest location, across the records merged into them. */
async function latestLocation(trx: Trx, personId: string) {
  return trx
    .selectFrom('location_observations')
    .selectAll()
    .where('person_id', 'in', await personCluster(trx, personId))
    .orderBy('observed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Agencies with an agreement in force whose county is where the subject was last seen. */
async function agenciesCovering(trx: Trx, location: { state: string | null; county: string | null } | undefined, today: CalendarDay) {
  if (!location?.state || !location.county) return [];
  const rows = await trx
    .selectFrom('agencies')
    .selectAll()
    .where('state', '=', location.state)
    .where(sql<boolean>`lower(county) = lower(${location.county})`)
    .orderBy('ori')
    .execute();
  return rows.filter((a) => agreementInForce(agreementOf(a), today).ok);
}

/**
 * The safeguard gate's answer for a request, the same gate as a referral's: a welfare check is judged as a welfare
 * referral, a locate or a question as location information, always as a disclosure to a partner agency.
 */
async function requestGate(
  trx: Trx,
  r: Pick<PartnerRequestRow, 'case_id' | 'kind' | 'created_by'>,
  caseType: string,
  today: CalendarDay,
): Promise<GateResult> {
  const purpose = r.kind === 'welfare_check' ? 'welfare' : 'location_information';
  const input = await gateInputFor(trx, { case_id: r.case_id, purpose, created_by: r.created_by }, caseType, today);
  return evaluateReferral({ ...input, recipient: 'partner_agency' });
}

async function subjectOf(trx: Trx, caseId: string, personId: string | undefined) {
  const subjects = await trx.selectFrom('case_subjects').select('person_id').where('case_id', '=', caseId).execute();
  const survivors = [...new Set(await Promise.all(subjects.map((s) => survivorOf(trx, s.person_id))))];
  if (personId) {
    const wanted = await survivorOf(trx, personId);
    if (!survivors.includes(wanted))
      throw new AppError('validation_failed', 'That person is not a subject of this case.', {
        issues: [{ path: 'body.personId', code: 'not_a_subject', message: 'name a subject of this case' }],
      });
    return wanted;
  }
  if (survivors.length !== 1)
    throw new AppError('validation_failed', 'Say which subject the request is about.', {
      issues: [
        {
          path: 'body.personId',
          code: survivors.length === 0 ? 'no_subjects' : 'required',
          message: survivors.length === 0 ? 'the case has no subject' : 'the case has several subjects',
        },
      ],
    });
  return survivors[0] as string;
}

/** Who would get a request about this case's subject by default, and what they would be told. */
export async function requestCandidates(db: Db, ctx: StaffCtx, caseId: string, personId: string | undefined) {
  return withCase(db, ctx, caseId, 'partner_request.candidates', async (trx) => {
    const subject = await subjectOf(trx, caseId, personId);
    const location = await latestLocation(trx, subject);
    const agencies = await agenciesCovering(trx, location, centerToday(ctx));
    return {
      personId: subject,
      location: location
        ? { line1: location.line1, city: location.city, county: location.county, state: location.state, zip: location.zip }
        : null,
      agencies: agencies.map((a) => ({ ori: a.ori, name: a.name, type: a.type, county: a.county })),
    };
  });
}

function disclosure(
  kind: RequestKind,
  question: string,
  person: {
    given_names: string;
    family_name_1: string;
    family_name_2: string | null;
    sex: string;
    dob: string | null;
    dob_basis: string;
    languages: string[];
  },
  location:
    | { line1: string | null; city: string | null; county: string | null; state: string | null; zip: string | null; observed_at: Date }
    | undefined,
  unit: string,
  today: CalendarDay,
): Disclosed {
  return {
    kind,
    question,
    subject: {
      name: [person.given_names, person.family_name_1, person.family_name_2].filter(Boolean).join(' '),
      sex: person.sex,
      age: person.dob && person.dob_basis !== 'unknown' ? ageOn(person.dob, today) : null,
      ageBasis: person.dob ? person.dob_basis : 'unknown',
      languages: person.languages,
    },
    location: location
      ? {
          line1: location.line1,
          city: location.city,
          county: location.county,
          state: location.state,
          zip: location.zip,
          observedAt: location.observed_at.toISOString(),
        }
      : null,
    contact: unit === 'uac' ? 'Switchboard UAC unit (24/7)' : 'Switchboard operations desk (24/7)',
    ...(kind === 'welfare_check' ? { useCondition: WELFARE_ONLY } : {}),
  };
}

/** Indicators answered yes in the subject's latest completed welfare screening on this case (any of their records). */
async function screeningIndicators(trx: Trx, caseId: string, personId: string): Promise<ScreeningQuestion[]> {
  const latest = await trx
    .selectFrom('welfare_screenings')
    .select('answers')
    .where('case_id', '=', caseId)
    .where('person_id', 'in', await personCluster(trx, personId))
    .orderBy('completed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const answers = (latest?.answers ?? {}) as Partial<Record<ScreeningQuestion, { answer: 'yes' | 'no' }>>;
  return QUESTION_IDS.filter((q) => answers[q]?.answer === 'yes');
}

export type CreateRequestInput = {
  kind: RequestKind;
  question: string;
  personId?: string | undefined;
  agencyOris?: string[] | undefined;
  chosenReason?: string | undefined;
  dueInHours?: number | undefined;
  purposeCode?: PurposeCode | undefined;
  purpose?: string | undefined;
};

/**
 * Asks one or more agencies for help about a case's subject. One request per
 * agency, each through the gate: blocked → nothing is stored (422, audited as
 * denied); held → pending legal review, nothing reaches the agency; clear →
 * sent (portal and signed webhook).
 */
export async function createPartnerRequests(deps: PartnerRequestDeps, ctx: StaffCtx, caseId: string, input: CreateRequestInput) {
  const author = staffOnly(ctx.actor, 'Only staff ask partner agencies for help.');
  const stated = checkPurpose(input.purposeCode, input.purpose);
  if ('issues' in stated)
    throw new AppError('validation_failed', 'Say why this disclosure is needed: a purpose code and a few words.', {
      issues: stated.issues.map((i) => ({ ...i, path: i.path.replace(/^query\./, 'body.') })),
    });
  const hours = input.dueInHours ?? DEFAULT_DUE_HOURS[input.kind];
  const outcome = await withCase(
    deps.db,
    ctx,
    caseId,
    'partner_request.create',
    async (trx, caseRow) => {
      if (caseRow.status === 'closed') throw new AppError('conflict', 'A closed case cannot ask for help; reopen it first.');
      const subject = await subjectOf(trx, caseId, input.personId);
      const person = await trx.selectFrom('persons').selectAll().where('id', '=', subject).executeTakeFirstOrThrow();
      const location = await latestLocation(trx, subject);
      if (input.kind !== 'information' && !location)
        throw new AppError('unprocessable', 'A welfare check or a locate needs an address: the subject has no location yet.', {
          issues: [{ path: 'body.kind', code: 'no_location', message: 'add a location observation first' }],
        });
      const covering = await agenciesCovering(trx, location, centerToday(ctx));
      const chosen: { ori: string; basis: 'jurisdiction' | 'chosen' }[] = [];
      if (input.agencyOris && input.agencyOris.length > 0) {
        const issues: FieldIssue[] = [];
        for (const [i, raw] of [...new Set(input.agencyOris.map((o) => o.toUpperCase()))].entries()) {
          const agency = await trx.selectFrom('agencies').selectAll().where('ori', '=', raw).executeTakeFirst();
          const inForce = agency && agreementInForce(agreementOf(agency), centerToday(ctx));
          if (!agency) issues.push({ path: `body.agencyOris.${i}`, code: 'unknown_agency', message: `${raw} is not a registered agency` });
          else if (inForce && !inForce.ok) issues.push({ path: `body.agencyOris.${i}`, code: inForce.code, message: inForce.message });
          else chosen.push({ ori: raw, basis: covering.some((c) => c.ori === raw) ? 'jurisdiction' : 'chosen' });
        }
        if (chosen.some((c) => c.basis === 'chosen') && !input.chosenReason)
          issues.push({
            path: 'body.chosenReason',
            code: 'required',
            message: "say why an agency outside the subject's last known location is asked",
          });
        if (issues.length > 0) throw new AppError('unprocessable', 'The request cannot go to those agencies.', { issues });
      } else {
        if (covering.length === 0)
          throw new AppError(
            'unprocessable',
            "No partner agency covers the subject's last known location: name the agency, with a reason.",
            {
              issues: [{ path: 'body.agencyOris', code: 'no_agency_for_location', message: 'name the agency and a chosenReason' }],
            },
          );
        chosen.push(...covering.map((c) => ({ ori: c.ori, basis: 'jurisdiction' as const })));
      }
      const gate = await requestGate(trx, { case_id: caseId, kind: input.kind, created_by: author.userId }, caseRow.type, centerToday(ctx));
      if (gate.decision === 'block') return { kind: 'blocked' as const, gate };
      // A welfare check about a child in danger goes out at once; a legal reviewer reviews it afterwards.
      const lane =
        gate.decision === 'hold_for_review'
          ? urgentWelfareLane(gate, {
              kind: input.kind,
              personId: subject,
              screeningIndicators: await screeningIndicators(trx, caseId, subject),
            })
          : ({ urgent: false } as const);
      const disclosed: Disclosed = {
        ...disclosure(input.kind, input.question, person, location, caseRow.unit, centerToday(ctx)),
        ...(lane.urgent ? { urgent: true, purpose: { code: stated.purpose.code, text: stated.purpose.text } } : {}),
      };
      const status: PartnerRequestStatus = gate.decision === 'send' || lane.urgent ? 'sent' : 'pending_review';
      const decision = lane.urgent ? 'urgent_welfare_lane' : gate.decision;
      const created: PartnerRequestRow[] = [];
      for (const c of chosen) {
        const row = await trx
          .insertInto('partner_requests')
          .values({
            reference: await nextReference(trx, 'Q', ctx),
            case_id: caseId,
            person_id: subject,
            agency_ori: c.ori,
            agency_basis: c.basis,
            chosen_reason: c.basis === 'chosen' ? (input.chosenReason ?? null) : null,
            kind: input.kind,
            question: input.question,
            location_id: location?.id ?? null,
            disclosed: JSON.stringify(disclosed),
            purpose_code: stated.purpose.code,
            purpose_text: stated.purpose.text,
            status,
            gate: JSON.stringify({
              ...gate,
              evaluatedAt: ctx.now.toISOString(),
              ...(lane.urgent ? { urgentLane: { indicators: lane.indicators, message: lane.message } } : {}),
            }),
            due_at: new Date(ctx.now.getTime() + hours * 3_600_000),
            created_by: author.userId,
            created_at: ctx.now,
            updated_at: ctx.now,
            sent_at: status === 'sent' ? ctx.now : null,
            ...(lane.urgent
              ? {
                  urgent_lane: true,
                  post_review_due_at: new Date(ctx.now.getTime() + URGENT_REVIEW_HOURS * 3_600_000),
                  post_review_task_id: deps.routing.newTaskId(),
                }
              : {}),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        created.push(row);
        await addEvent(trx, {
          requestId: row.id,
          at: ctx.now,
          actor: ctx.actor,
          kind: 'created',
          to: status,
          details: {
            decision,
            rules: gate.reasons.map((r) => r.rule),
            agency: c.ori,
            ...(lane.urgent ? { indicators: lane.indicators } : {}),
          },
        });
        await addCaseEvent(trx, {
          caseId,
          at: ctx.now,
          actorId: author.userId,
          kind: lane.urgent ? 'partner_request_sent_urgent' : status === 'sent' ? 'partner_request_sent' : 'partner_request_held',
          details: { requestId: row.id, reference: row.reference, agency: c.ori, kind: input.kind },
        });
        await appendAudit(trx, ctx, {
          action: 'partner_request.create',
          outcome: 'allowed',
          resourceType: 'partner_request',
          resourceId: row.id,
          purpose: auditPurpose(stated.purpose),
          details: {
            caseId,
            agency: c.ori,
            decision,
            purpose: auditPurpose(stated.purpose),
            ...(lane.urgent ? { urgentLane: true, indicators: lane.indicators, reviewDueAt: row.post_review_due_at?.toISOString() } : {}),
          },
        });
        if (status === 'sent') await queueWebhook(trx, row, 'request.created', ctx.now);
      }
      return { kind: 'created' as const, created, gate, caseRow };
    },
    true,
  );
  if (outcome.kind === 'blocked') {
    await deps.db.transaction().execute((trx) =>
      appendAudit(trx, ctx, {
        action: 'partner_request.create',
        outcome: 'denied',
        resourceType: 'case',
        resourceId: caseId,
        details: { reason: 'gate_blocked', rules: outcome.gate.reasons.map((r) => r.rule), purpose: auditPurpose(stated.purpose) },
      }),
    );
    throw blockedError(outcome.gate, 'request');
  }
  // The legal reviewers' work items for urgent-lane requests (named in the transaction; the sweep remakes lost ones).
  for (const r of outcome.created) if (r.urgent_lane) await ensureWorkItem(deps.routing, ctx, postReviewFor(r, outcome.caseRow));
  return { requests: outcome.created, gate: outcome.gate };
}

/** Loads a request for center staff who may read its case; anyone else is told it does not exist (audited). */
async function loadForStaff(trx: Trx, ctx: StaffCtx, id: string, action: string) {
  const row = await trx
    .selectFrom('partner_requests as q')
    .innerJoin('cases as c', 'c.id', 'q.case_id')
    .selectAll('q')
    .select(['c.unit as case_unit', 'c.type as case_type', 'c.case_number'])
    .where('q.id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  const allowed = row !== undefined && ctx.actor.kind === 'user' && mayReadUnit(ctx.actor, row.case_unit);
  if (!allowed) {
    await appendAudit(trx, ctx, { action, outcome: row ? 'denied' : 'error', resourceType: 'partner_request', resourceId: id });
    return undefined;
  }
  return row;
}

/**
 * A legal reviewer — not the author — approves (it is sent, the deadline counting from now) or denies a held
 * request, through the one review routine (services/review.service.ts) referrals use too: on approval the
 * agency's agreement must still be in force and the gate is asked again; every refusal is audited.
 */
export async function reviewPartnerRequest(
  deps: PartnerRequestDeps,
  ctx: StaffCtx,
  id: string,
  input: { decision: 'approve' | 'deny'; justification: string },
): Promise<PartnerRequestRow> {
  const reviewer = staffOnly(ctx.actor, 'Only staff review.');
  const subject = { action: 'partner_request.review', resourceType: 'partner_request', resourceId: id, noun: 'request' };
  const reviewed = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForStaff(trx, ctx, id, 'partner_request.review');
    if (!row) return undefined;
    let gate: GateResult | undefined;
    return reviewHeld(trx, ctx, { ...subject, status: row.status, authorId: row.created_by }, input, {
      recheck: async () => {
        // Days may have passed since the request was made: the agency's agreement must still be in force.
        const agency = await trx.selectFrom('agencies').selectAll().where('ori', '=', row.agency_ori).executeTakeFirstOrThrow();
        const inForce = agreementInForce(agreementOf(agency), centerToday(ctx));
        if (!inForce.ok) {
          return {
            rule: 'agreement_not_in_force',
            error: new AppError(
              'conflict',
              `The request cannot be sent: ${inForce.message}. Deny it, or withdraw it and ask another agency.`,
            ),
          };
        }
        gate = await requestGate(trx, row, row.case_type, centerToday(ctx));
        if (gate.decision !== 'block') return undefined;
        return { rule: 'gate_blocked', error: blockedError(gate, 'request'), details: { rules: gate.reasons.map((r) => r.rule) } };
      },
      apply: async (decision) => {
        const to = PARTNER_REQUEST_LIFECYCLE.transitions[decision].to;
        const window = row.due_at.getTime() - row.created_at.getTime();
        const updated = await trx
          .updateTable('partner_requests')
          .set({
            status: to,
            updated_at: ctx.now,
            ...(to === 'sent'
              ? {
                  sent_at: ctx.now,
                  due_at: new Date(ctx.now.getTime() + window),
                  gate: JSON.stringify({ ...gate, evaluatedAt: ctx.now.toISOString() }),
                }
              : {}),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await addEvent(trx, {
          requestId: id,
          at: ctx.now,
          actor: ctx.actor,
          kind: decision === 'approve' ? 'review_approved' : 'review_denied',
          from: row.status,
          to,
          details: { justification: input.justification },
        });
        await addCaseEvent(trx, {
          caseId: row.case_id,
          at: ctx.now,
          actorId: reviewer.userId,
          kind: to === 'sent' ? 'partner_request_sent' : 'partner_request_denied',
          details: { requestId: id, reference: row.reference, agency: row.agency_ori },
        });
        if (to === 'sent') await queueWebhook(trx, updated, 'request.created', ctx.now);
        return updated;
      },
    });
  });
  if (!reviewed) throw new AppError('not_found', 'There is no such request.');
  return decided(reviewed);
}

/**
 * A legal reviewer — not the author — reviews afterwards a welfare check that
 * went out at once about a child in danger: proper, or not (in writing). One
 * found improper that the agency has not answered is withdrawn, and the
 * agency told. The review's work item is done with it.
 */
export async function postReviewPartnerRequest(
  deps: PartnerRequestDeps,
  ctx: StaffCtx,
  id: string,
  input: { finding: 'proper' | 'improper'; justification: string },
): Promise<PartnerRequestRow> {
  const reviewer = staffOnly(ctx.actor, 'Only staff review.');
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForStaff(trx, ctx, id, 'partner_request.post_review');
    if (!row) return undefined;
    const subject = {
      action: 'partner_request.post_review',
      resourceType: 'partner_request',
      resourceId: id,
      noun: 'request',
      status: row.status,
      authorId: row.created_by,
    };
    const refuse = async (rule: string, error: AppError) => ({
      kind: 'refused' as const,
      error: (await refuseReview(trx, ctx, subject, { rule, error })).error,
    });
    if (!row.urgent_lane)
      return refuse(
        'not_urgent_lane',
        new AppError('conflict', 'Only a welfare check sent at once (the urgent lane) is reviewed afterwards.'),
      );
    if (row.post_reviewed_at) return refuse('already_reviewed', new AppError('conflict', 'This request has been reviewed already.'));
    // The same reviewer checks as every review: not the author, and a justification written.
    const own = reviewerRefusal(reviewer.userId, row.created_by, input.justification);
    if (own) return refuse(own.rule, own.error);
    const withdraw = input.finding === 'improper' && OPEN_AT_AGENCY.includes(row.status);
    const updated = await trx
      .updateTable('partner_requests')
      .set({
        post_review_finding: input.finding,
        post_review_justification: input.justification,
        post_reviewed_by: reviewer.userId,
        post_reviewed_at: ctx.now,
        updated_at: ctx.now,
        ...(withdraw ? { status: 'withdrawn' as const } : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await addEvent(trx, {
      requestId: id,
      at: ctx.now,
      actor: ctx.actor,
      kind: 'post_reviewed',
      ...(withdraw ? { from: row.status, to: 'withdrawn' } : {}),
      details: {
        finding: input.finding,
        justification: input.justification,
        late: row.post_review_due_at !== null && ctx.now > row.post_review_due_at,
      },
    });
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: reviewer.userId,
      kind: 'partner_request_post_reviewed',
      details: { requestId: id, reference: row.reference, finding: input.finding, withdrawn: withdraw },
    });
    await appendAudit(trx, ctx, {
      action: 'partner_request.post_review',
      outcome: 'allowed',
      resourceType: 'partner_request',
      resourceId: id,
      details: { finding: input.finding, withdrawn: withdraw },
    });
    if (withdraw) await queueWebhook(trx, updated, 'request.withdrawn', ctx.now);
    return { kind: 'reviewed' as const, updated };
  });
  if (!result) throw new AppError('not_found', 'There is no such request.');
  if (result.kind === 'refused') throw result.error;
  // The review is done: its work items leave the queue if no one has them in hand.
  for (const taskId of [result.updated.post_review_task_id, result.updated.post_review_escalation_task_id]) {
    const task = taskId ? deps.routing.engine.task(taskId) : undefined;
    if (taskId && task && task.status === 'pending')
      await deps.routing.execute({ type: 'cancel', taskId, reason: 'resolved' }, ctx).catch(() => undefined);
  }
  return result.updated;
}

/** The center withdraws a request it no longer needs; the agency is told. */
export async function withdrawPartnerRequest(deps: PartnerRequestDeps, ctx: StaffCtx, id: string, reason: string) {
  const actor = staffOnly(ctx.actor, 'Only staff withdraw requests.');
  const updated = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForStaff(trx, ctx, id, 'partner_request.withdraw');
    if (!row) return undefined;
    const withdrawal = step(PARTNER_REQUEST_LIFECYCLE, 'withdraw', row.status);
    if (!withdrawal.ok) throw new AppError('conflict', withdrawal.message);
    const next = await trx
      .updateTable('partner_requests')
      .set({ status: 'withdrawn', updated_at: ctx.now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await addEvent(trx, {
      requestId: id,
      at: ctx.now,
      actor: ctx.actor,
      kind: 'withdrawn',
      from: row.status,
      to: 'withdrawn',
      details: { reason },
    });
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: actor.userId,
      kind: 'partner_request_withdrawn',
      details: { requestId: id },
    });
    await appendAudit(trx, ctx, {
      action: 'partner_request.withdraw',
      outcome: 'allowed',
      resourceType: 'partner_request',
      resourceId: id,
    });
    if (row.status !== 'pending_review') await queueWebhook(trx, next, 'request.withdrawn', ctx.now);
    return next;
  });
  if (!updated) throw new AppError('not_found', 'There is no such request.');
  return updated;
}

/** A case's requests (staff who may read the case), with their timelines. */
export async function caseRequests(db: Db, ctx: StaffCtx, caseId: string) {
  return withCase(db, ctx, caseId, 'partner_request.list', async (trx) => {
    const rows = await trx.selectFrom('partner_requests').selectAll().where('case_id', '=', caseId).orderBy('created_at', 'desc').execute();
    const events =
      rows.length === 0
        ? []
        : await trx
            .selectFrom('partner_request_events')
            .selectAll()
            .where(
              'request_id',
              'in',
              rows.map((r) => r.id),
            )
            .orderBy('id')
            .execute();
    return rows.map((r) => ({ request: r, timeline: events.filter((e) => e.request_id === r.id) }));
  });
}

/**
 * What waits for a legal reviewer, oldest first: requests held for review, and
 * welfare checks sent at once that await their review afterwards (due within
 * 24 hours). UAC cases only for those who may read them.
 */
export async function reviewQueue(db: Db, ctx: StaffCtx) {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('partner_requests as q')
      .innerJoin('cases as c', 'c.id', 'q.case_id')
      .selectAll('q')
      .select('c.case_number')
      .where((eb) =>
        eb.or([eb('q.status', '=', 'pending_review'), eb.and([eb('q.urgent_lane', '=', true), eb('q.post_reviewed_at', 'is', null)])]),
      );
    if (!mayReadUnit(ctx.actor, 'uac')) q = q.where('c.unit', '!=', 'uac');
    const rows = await q.orderBy('q.created_at').limit(200).execute();
    await appendAudit(trx, ctx, {
      action: 'partner_request.review_queue',
      outcome: 'allowed',
      resourceType: 'partner_request',
      details: { results: rows.length },
    });
    return rows;
  });
}

// ——— The agency's side ———

export function presentForAgency(r: PartnerRequestRow) {
  return {
    id: r.id,
    reference: r.reference,
    agencyOri: r.agency_ori,
    status: r.status,
    dueAt: r.due_at.toISOString(),
    overdue: r.escalated_at !== null,
    sentAt: r.sent_at?.toISOString() ?? null,
    request: r.disclosed as Disclosed,
    answer: r.answer_outcome
      ? { outcome: r.answer_outcome, notes: r.answer_notes, answeredAt: r.answered_at?.toISOString() ?? null }
      : null,
  };
}

async function loadForAgency(trx: Trx, ctx: PartnerCtx, id: string, action: string) {
  const row = await trx.selectFrom('partner_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  const mine = row !== undefined && row.agency_ori === ctx.actor.agencyOri && visibleToAgency(row);
  await appendAudit(trx, ctx, {
    action,
    outcome: mine ? 'allowed' : row ? 'denied' : 'error',
    resourceType: 'partner_request',
    resourceId: id,
  });
  return mine ? row : undefined;
}

export async function agencyRequests(db: Db, ctx: PartnerCtx, status: PartnerRequestStatus | undefined, limit: number) {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('partner_requests')
      .selectAll()
      .where('agency_ori', '=', ctx.actor.agencyOri)
      .where('sent_at', 'is not', null)
      .where('status', 'in', [...VISIBLE_TO_AGENCY]);
    if (status) q = q.where('status', '=', status);
    // Open ones first, by deadline; then the rest, newest first.
    const rows = await q
      .orderBy(sql`CASE WHEN status IN ('sent', 'acknowledged') THEN 0 ELSE 1 END`)
      .orderBy(sql`CASE WHEN status IN ('sent', 'acknowledged') THEN due_at END`)
      .orderBy('sent_at', 'desc')
      .limit(limit)
      .execute();
    await appendAudit(trx, ctx, {
      action: 'partner_request.list',
      outcome: 'allowed',
      resourceType: 'partner_request',
      details: { results: rows.length },
    });
    return rows;
  });
}

export async function agencyRequest(db: Db, ctx: PartnerCtx, id: string) {
  const row = await db.transaction().execute((trx) => loadForAgency(trx, ctx, id, 'partner_request.read'));
  if (!row) throw new AppError('not_found', 'There is no such request for your agency.');
  return row;
}

export async function acknowledgeRequest(db: Db, ctx: PartnerCtx, id: string) {
  const row = await db.transaction().execute(async (trx) => {
    const found = await loadForAgency(trx, ctx, id, 'partner_request.acknowledge');
    if (!found) return undefined;
    if (found.status === 'acknowledged') return found;
    const acknowledgement = step(PARTNER_REQUEST_LIFECYCLE, 'acknowledge', found.status);
    if (!acknowledgement.ok) throw new AppError('conflict', acknowledgement.message);
    const next = await trx
      .updateTable('partner_requests')
      .set({ status: 'acknowledged', updated_at: ctx.now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await addEvent(trx, { requestId: id, at: ctx.now, actor: ctx.actor, kind: 'acknowledged', from: 'sent', to: 'acknowledged' });
    return next;
  });
  if (!row) throw new AppError('not_found', 'There is no such request for your agency.');
  return row;
}

export type AnswerInput = {
  outcome: PartnerRequestOutcome;
  notes: string;
  officer?: { name?: string | undefined; badge?: string | undefined } | undefined;
  location?:
    | {
        line1?: string | undefined;
        city?: string | undefined;
        county?: string | undefined;
        state?: string | undefined;
        zip?: string | undefined;
      }
    | undefined;
  observedAt?: string | undefined;
};

/** Outcomes that need someone at the center soon. */
const URGENT_OUTCOMES: readonly PartnerRequestOutcome[] = ['welfare_concern', 'not_located', 'unable'];

/**
 * The agency's answer, in one transaction: the request is answered, the answer
 * is a report on the case (graded B2, from the agency), a location it gives
 * is a new observation with that report as its source, and the case timeline
 * says so. Then a work item goes to the case's unit through the ACD.
 */
export async function answerRequest(deps: PartnerRequestDeps, ctx: PartnerCtx, id: string, input: AnswerInput) {
  const observedAt = input.observedAt ? new Date(input.observedAt) : ctx.now;
  const issues: FieldIssue[] = [];
  if (observedAt.getTime() > ctx.now.getTime() + 5 * 60_000)
    issues.push({ path: 'body.observedAt', code: 'in_future', message: 'cannot be in the future' });
  const geocode = input.location ? await deps.geocoder.geocode(input.location, 'body.location') : undefined;
  if (geocode && !geocode.ok) issues.push(...geocode.issues);
  if (issues.length > 0)
    throw new AppError('validation_failed', `The answer was not accepted: ${issues.length} field(s) invalid.`, { issues });
  const taskId = deps.routing.newTaskId();
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await loadForAgency(trx, ctx, id, 'partner_request.answer');
    if (!row) return undefined;
    const answer = step(PARTNER_REQUEST_LIFECYCLE, 'answer', row.status);
    if (!answer.ok) throw new AppError('conflict', answer.message);
    const caseRow = await trx
      .selectFrom('cases')
      .select(['id', 'case_number', 'unit', 'type'])
      .where('id', '=', row.case_id)
      .executeTakeFirstOrThrow();
    const person = await survivorOf(trx, row.person_id);
    const reference = await nextReference(trx, 'R', ctx);
    const report = await trx
      .insertInto('reports')
      .values({
        reference,
        source: 'partner_officer',
        reporter_name: input.officer?.name ?? null,
        reporter_agency_ori: row.agency_ori,
        reporter_badge: input.officer?.badge ?? null,
        narrative: `Answer to ${row.reference} (${row.kind.replace('_', ' ')}): ${input.outcome.replace('_', ' ')}. ${input.notes}`,
        language: 'en',
        source_reliability: 'B',
        information_credibility: 2,
        received_at: ctx.now,
        created_by: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('report_subjects')
      .values({ report_id: report.id, person_id: person, role: 'subject' })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await trx.insertInto('case_reports').values({ case_id: row.case_id, report_id: report.id }).execute();
    let locationId: string | null = null;
    if (geocode?.ok) {
      const geo = geocode.geocode;
      const aor = resolveAor(await loadAorTable(trx), geo.state, geo.county);
      locationId = await insertObservation(trx, {
        personId: person,
        geo,
        aorOfficeCode: aor?.officeCode ?? null,
        source: `partner_officer report ${reference} (answer to ${row.reference})`,
        reportId: report.id,
        confidence: 'high',
        observedAt,
        reportedAt: ctx.now,
      });
    }
    const next = await trx
      .updateTable('partner_requests')
      .set({
        status: 'answered',
        answer_outcome: input.outcome,
        answer_notes: input.notes,
        answer_location_id: locationId,
        answer_report_id: report.id,
        answer_task_id: taskId,
        answered_at: ctx.now,
        answered_by_client: ctx.actor.kind === 'client' ? ctx.actor.clientId : null,
        answered_by_user: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
        updated_at: ctx.now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await addEvent(trx, {
      requestId: id,
      at: ctx.now,
      actor: ctx.actor,
      kind: 'answered',
      from: row.status,
      to: 'answered',
      details: { outcome: input.outcome, reportId: report.id, locationId },
    });
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: null,
      kind: 'partner_request_answered',
      details: { requestId: id, reference: row.reference, agency: row.agency_ori, outcome: input.outcome, reportId: report.id, locationId },
    });
    return { next, caseRow, reportReference: reference };
  });
  if (!result) throw new AppError('not_found', 'There is no such request for your agency.');
  await ensureWorkItem(deps.routing, ctx, workItemFor(result.next, result.caseRow));
  return { request: result.next, reportReference: result.reportReference };
}

type CaseRef = { id: string; unit: string; case_number: string };
type WorkItem = { id: string; priority: number; attributes: Record<string, string | boolean> };

/** The work item an agency's answer puts in front of the case's unit. */
function workItemFor(r: PartnerRequestRow, c: CaseRef): WorkItem {
  const urgent = (r.answer_outcome !== null && URGENT_OUTCOMES.includes(r.answer_outcome)) || c.unit === 'uac';
  return {
    id: r.answer_task_id as string,
    priority: urgent ? WORK_PRIORITY.partnerRequestUrgentAnswer : WORK_PRIORITY.partnerRequestAnswer,
    attributes: {
      kind: 'work_item',
      unit: c.unit,
      caseId: c.id,
      caseNumber: c.case_number,
      partnerRequest: r.id,
      partner: r.agency_ori,
      outcome: r.answer_outcome ?? 'other',
    },
  };
}

/** The work item an unanswered, overdue request puts in front of the case's unit: follow up by phone. */
function escalationFor(r: PartnerRequestRow, c: CaseRef): WorkItem {
  return {
    id: r.escalation_task_id as string,
    priority: c.unit === 'uac' ? WORK_PRIORITY.partnerRequestOverdueUac : WORK_PRIORITY.partnerRequestOverdue,
    attributes: {
      kind: 'work_item',
      unit: c.unit,
      caseId: c.id,
      caseNumber: c.case_number,
      partnerRequest: r.id,
      partner: r.agency_ori,
      escalation: 'partner_request_overdue',
    },
  };
}

/** A legal reviewer's review, afterwards, of a welfare check sent at once (escalated: a second item, higher). */
function postReviewFor(r: PartnerRequestRow, c: CaseRef, escalated = false): WorkItem {
  return {
    id: (escalated ? r.post_review_escalation_task_id : r.post_review_task_id) as string,
    priority: escalated ? WORK_PRIORITY.welfareEscalation : WORK_PRIORITY.urgentWelfareCheckReview,
    attributes: {
      kind: 'work_item',
      unit: 'legal',
      caseId: c.id,
      caseNumber: c.case_number,
      partnerRequest: r.id,
      postReview: true,
      ...(escalated ? { escalation: 'post_review_overdue' } : {}),
    },
  };
}

/** Creates the work item unless the engine has it already (the id was stored with the request in its transaction). */
async function ensureWorkItem(routing: RoutingService, ctx: RequestContext, item: WorkItem): Promise<void> {
  await routing.ensureTask({ id: item.id, channel: 'work_item', priority: item.priority, attributes: item.attributes }, ctx);
}

/**
 * Requests past their deadline with no answer: escalated once — the timeline
 * says so, the agency gets a reminder webhook, and the case's unit a
 * high-priority work item to follow up by phone.
 */
export async function sweepPartnerRequests(deps: { db: Db; routing: RoutingService; timeZone: string }, now: Date): Promise<number> {
  const overdue = await deps.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('partner_requests as q')
      .innerJoin('cases as c', 'c.id', 'q.case_id')
      .selectAll('q')
      .select(['c.unit', 'c.case_number'])
      .where('q.status', 'in', [...OPEN_AT_AGENCY])
      .where('q.escalated_at', 'is', null)
      .where('q.due_at', '<', now)
      .orderBy('q.due_at')
      .limit(100)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const r of rows) {
      const updated = await trx
        .updateTable('partner_requests')
        .set({ escalated_at: now, escalation_task_id: deps.routing.newTaskId(), updated_at: now })
        .where('id', '=', r.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await addEvent(trx, { requestId: r.id, at: now, actor: null, kind: 'escalated', details: { dueAt: r.due_at.toISOString() } });
      await addCaseEvent(trx, {
        caseId: r.case_id,
        at: now,
        actorId: null,
        kind: 'partner_request_overdue',
        details: { requestId: r.id, reference: r.reference, agency: r.agency_ori },
      });
      await queueWebhook(trx, updated, 'request.overdue', now);
    }
    if (rows.length > 0)
      await appendAudit(
        trx,
        { actor: null, system: 'partner.requests', sourceIp: null, requestId: null, now, timeZone: deps.timeZone },
        { action: 'partner_request.escalate', outcome: 'allowed', resourceType: 'partner_request', details: { count: rows.length } },
      );
    return rows;
  });
  const ctx = { actor: null, system: 'partner.requests', sourceIp: null, requestId: null, now, timeZone: deps.timeZone };
  // Welfare checks sent at once whose review afterwards is late: escalated once, with a second, higher work item.
  await deps.db.transaction().execute(async (trx) => {
    const late = await trx
      .selectFrom('partner_requests')
      .select(['id', 'case_id', 'reference', 'post_review_due_at'])
      .where('urgent_lane', '=', true)
      .where('post_reviewed_at', 'is', null)
      .where('post_review_escalated_at', 'is', null)
      .where('post_review_due_at', '<', now)
      .limit(100)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const r of late) {
      await trx
        .updateTable('partner_requests')
        .set({ post_review_escalated_at: now, post_review_escalation_task_id: deps.routing.newTaskId() })
        .where('id', '=', r.id)
        .execute();
      await addEvent(trx, {
        requestId: r.id,
        at: now,
        actor: null,
        kind: 'post_review_overdue',
        details: { dueAt: r.post_review_due_at?.toISOString() },
      });
      await addCaseEvent(trx, {
        caseId: r.case_id,
        at: now,
        actorId: null,
        kind: 'partner_request_post_review_overdue',
        details: { requestId: r.id, reference: r.reference },
      });
      await appendAudit(trx, ctx, {
        action: 'partner_request.post_review_escalate',
        outcome: 'allowed',
        resourceType: 'partner_request',
        resourceId: r.id,
      });
    }
  });
  // Every work item an answer or an escalation named, made if it is not there (a crash between the commit and the ACD).
  const named = await deps.db
    .selectFrom('partner_requests as q')
    .innerJoin('cases as c', 'c.id', 'q.case_id')
    .selectAll('q')
    .select(['c.id as case_row_id', 'c.unit', 'c.case_number'])
    .where((eb) =>
      eb.or([
        eb.and([
          eb.or([eb('q.answer_task_id', 'is not', null), eb('q.escalation_task_id', 'is not', null)]),
          // A day back: the engine keeps ended tasks for two, so a done work item is never made again.
          eb('q.updated_at', '>', new Date(now.getTime() - WORK_ITEM_SWEEP_MS)),
        ]),
        // A review afterwards that is not done yet: its work items must exist, however old.
        eb.and([eb('q.urgent_lane', '=', true), eb('q.post_reviewed_at', 'is', null)]),
      ]),
    )
    .execute();
  for (const r of named) {
    const caseRow = { id: r.case_row_id, unit: r.unit, case_number: r.case_number };
    if (r.answer_task_id && !deps.routing.engine.task(r.answer_task_id)) await ensureWorkItem(deps.routing, ctx, workItemFor(r, caseRow));
    if (r.escalation_task_id && !deps.routing.engine.task(r.escalation_task_id))
      await ensureWorkItem(deps.routing, ctx, escalationFor(r, caseRow));
    if (r.urgent_lane && !r.post_reviewed_at) {
      if (r.post_review_task_id) await ensureWorkItem(deps.routing, ctx, postReviewFor(r, caseRow));
      if (r.post_review_escalation_task_id) await ensureWorkItem(deps.routing, ctx, postReviewFor(r, caseRow, true));
    }
  }
  return overdue.length;
}
