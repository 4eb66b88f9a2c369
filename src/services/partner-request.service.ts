import { staffOnly } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday } from '../domain/calendar/calendar-day.js';
import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import { agreementInForce, agreementOf } from '../domain/partner/submission-rules.js';
import { ageOn } from '../domain/persons/age.js';
import { auditPurpose, checkPurpose, type PurposeCode } from '../domain/safeguards/purpose.js';
import { evaluateReferral, type GateInput, type GateResult } from '../domain/safeguards/referral-gate.js';
import { mentionsSponsor } from '../domain/safeguards/sponsor-shield.js';
import { URGENT_REVIEW_HOURS, urgentWelfareLane, WELFARE_ONLY } from '../domain/safeguards/urgent-welfare-lane.js';
import { QUESTION_IDS, type ScreeningQuestion } from '../domain/safeguards/welfare-screening.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, caseSubjectIds, nextReference, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import * as requests from '../storage/repositories/partner-request.repository.js';
import * as submissions from '../storage/repositories/partner-submission.repository.js';
import { findPerson } from '../storage/repositories/person.repository.js';
import type { PartnerRequestStatus } from '../storage/schema.js';
import { appendAudit } from './audit.service.js';
import { withCase } from './case.service.js';
import { checkChildDisclosure } from './consent.service.js';
import {
  addEvent,
  DEFAULT_DUE_HOURS,
  type Disclosed,
  type PartnerRequestDeps,
  type PartnerRequestRow,
  queueWebhook,
  type RequestKind,
  type StaffCtx,
  type Trx,
} from './partner-request-record.service.js';
import { ensureWorkItem, postReviewFor } from './partner-request-work.service.js';
import { blockedError, gateInputFor } from './referral.service.js';
import { shieldFor } from './sponsor-shield.service.js';

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

/** The subject's latest location, across the records merged into them. */
async function latestLocation(trx: Trx, personId: string) {
  return requests.latestLocationOf(trx, await personCluster(trx, personId));
}

/** Agencies with an agreement in force whose county is where the subject was last seen. */
async function agenciesCovering(trx: Trx, location: { state: string | null; county: string | null } | undefined, today: CalendarDay) {
  if (!location?.state || !location.county) return [];
  const rows = await requests.agenciesOfCounty(trx, location.state, location.county);
  return rows.filter((a) => agreementInForce(agreementOf(a), today).ok);
}

/**
 * The safeguard gate's answer for a request, the same gate as a referral's: a welfare check is judged as a welfare
 * referral, a locate or a question as location information, always as a disclosure to a partner agency.
 */
export async function requestGate(
  trx: Trx,
  r: Pick<PartnerRequestRow, 'case_id' | 'kind' | 'created_by' | 'person_id' | 'question'> & { id?: string },
  caseType: string,
  today: CalendarDay,
): Promise<GateResult> {
  const purpose = r.kind === 'welfare_check' ? 'welfare' : 'location_information';
  // What the agency would be told names a sponsor when the subject is one, or when the question names one by name or
  // phone: held until a legal reviewer approves naming that sponsor in this request (none before it exists).
  const shielded = await shieldFor(trx, r.case_id, r.id ? { partnerRequestId: r.id } : null);
  const subject = await survivorOf(trx, r.person_id);
  type Withheld = NonNullable<GateInput['withheldSponsors']>[number];
  const withheld = shielded.flatMap((s): Withheld[] =>
    s.personId === subject
      ? [{ personId: s.personId, how: 'subject' }]
      : mentionsSponsor(r.question, [s])
        ? [{ personId: s.personId, how: 'named_in_text' }]
        : [],
  );
  const input = await gateInputFor(trx, { case_id: r.case_id, purpose, created_by: r.created_by }, caseType, today, withheld);
  return evaluateReferral({ ...input, recipient: 'partner_agency' });
}

/**
 * The consent check (domain/safeguards/disclosure.ts) for a request about a child: a refusal (or withdrawal) of
 * disclosure to other organisations by the child or guardian stops it, unless it is a welfare check about a child
 * in danger. The refusal is audited (its transaction commits) and answered 422 disclosure_refused.
 */
async function consentFor(trx: Trx, ctx: StaffCtx, caseId: string, personId: string, agencyOri: string, childInDanger: boolean) {
  return checkChildDisclosure(trx, ctx, {
    caseId,
    personId,
    recipient: { kind: 'partner_agency', name: agencyOri },
    childInDanger,
    action: 'partner_request.create',
  });
}

async function subjectOf(trx: Trx, caseId: string, personId: string | undefined) {
  const subjects = await caseSubjectIds(trx, caseId);
  const survivors = [...new Set(await Promise.all(subjects.map((id) => survivorOf(trx, id))))];
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
  const latest = await requests.latestScreeningAnswers(trx, caseId, await personCluster(trx, personId));
  const answers = (latest ?? {}) as Partial<Record<ScreeningQuestion, { answer: 'yes' | 'no' }>>;
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
      const person = await findPerson(trx, subject);
      if (!person) throw new AppError('not_found', 'The subject is not on record.');
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
          const agency = await submissions.findAgency(trx, raw);
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
      const gate = await requestGate(
        trx,
        { case_id: caseId, kind: input.kind, created_by: author.userId, person_id: subject, question: input.question },
        caseRow.type,
        centerToday(ctx),
      );
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
      // A child's information: the child's (or guardian's) consent decisions are honoured, for every agency asked.
      if (gate.reasons.some((r) => r.rule === 'minor_subject' && r.personId === subject))
        for (const c of chosen) {
          const consent = await consentFor(trx, ctx, caseId, subject, c.ori, lane.urgent);
          if (!consent.allowed) return { kind: 'refused' as const, error: consent.error };
        }
      const status: PartnerRequestStatus = gate.decision === 'send' || lane.urgent ? 'sent' : 'pending_review';
      const decision = lane.urgent ? 'urgent_welfare_lane' : gate.decision;
      const created: PartnerRequestRow[] = [];
      for (const c of chosen) {
        const row = await requests.insertPartnerRequest(trx, {
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
        });
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
  if (outcome.kind === 'refused') throw outcome.error;
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
