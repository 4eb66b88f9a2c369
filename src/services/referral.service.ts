import type { Selectable, Transaction } from 'kysely';
import { type Actor, authorize, type PermissionTable, staffOnly } from '../domain/access/access-control.js';
import { type CalendarDay, centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import {
  nextStatus,
  REFERRAL_LIFECYCLE,
  type ReferralAction,
  type ReferralStatusName,
  VISIBLE_TO_OFFICE,
} from '../domain/referrals/referral-workflow.js';
import { evaluateReferral, type GateInput, type GateResult } from '../domain/safeguards/referral-gate.js';
import { redactDeep, redactSponsors } from '../domain/safeguards/sponsor-shield.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, caseSubjectIds, nextReference, survivorOf } from '../storage/repositories/case.repository.js';
import * as referrals from '../storage/repositories/referral.repository.js';
import type { Database, ReferralsTable } from '../storage/schema.js';
import { ageVerdictsOf } from './age.service.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import { protectionsInForce } from './protection.service.js';
import { decided, reviewHeld } from './review.service.js';
import { shieldFor, withheldSubjects } from './sponsor-shield.service.js';

/**
 * Referrals from a case to an ERO field office. The office is the area of
 * responsibility of the latest verified location of the case's subjects (else
 * the latest location, else the case's own), or one named by hand with a
 * reason. Every referral passes through `submitReferral`, the single call that
 * asks the safeguard gate (src/domain/safeguards/referral-gate.ts) and stores
 * its answer. Field officers see and act only on referrals sent to their
 * office: any other referral does not exist for them (404, audited as denied).
 */

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };
export type ReferralRow = Selectable<ReferralsTable>;
export type ReferralDeps = { db: Db; permissions: PermissionTable };
export type ReferralWithCase = { referral: ReferralRow; caseNumber: string; timeline?: Selectable<Database['referral_events']>[] };

const actorIdOf = (ctx: ActorCtx): string => staffOnly(ctx.actor, 'Only staff work referrals.').userId;
const isFieldOfficer = (actor: Actor) => actor.kind === 'user' && actor.role === 'field_officer';

async function addReferralEvent(
  trx: Trx,
  e: {
    referralId: string;
    at: Date;
    actorId: string | null;
    kind: string;
    from?: string | null;
    to?: string | null;
    details?: Record<string, unknown>;
  },
) {
  await referrals.insertReferralEvent(trx, {
    referral_id: e.referralId,
    at: e.at,
    actor_id: e.actorId,
    kind: e.kind,
    from_status: e.from ?? null,
    to_status: e.to ?? null,
    details: JSON.stringify(e.details ?? {}),
  });
}

/** Where a referral from this case goes, and why. */
async function resolveOffice(trx: Trx, caseRow: { id: string; aor_office_code: string | null }) {
  const best = await referrals.bestLocationWithAor(trx, caseRow.id);
  if (best)
    return {
      office: best.aor_office_code,
      basis: best.verified ? ('verified_location' as const) : ('latest_location' as const),
      locationId: best.id,
    };
  if (caseRow.aor_office_code) return { office: caseRow.aor_office_code, basis: 'case_aor' as const, locationId: null };
  return undefined;
}

export async function createReferral(
  deps: ReferralDeps,
  ctx: ActorCtx,
  caseId: string,
  input: {
    purpose: ReferralRow['purpose'];
    fieldOfficeCode?: string | undefined;
    overrideReason?: string | undefined;
    notes?: string | undefined;
  },
): Promise<ReferralWithCase> {
  const actorId = actorIdOf(ctx);
  return withCase(
    deps.db,
    ctx,
    caseId,
    'referral.create',
    async (trx, caseRow) => {
      if (caseRow.status === 'closed') throw new AppError('conflict', 'A closed case cannot be referred; reopen it first.');
      let office: string;
      let basis: ReferralRow['office_basis'];
      let locationId: string | null = null;
      if (input.fieldOfficeCode) {
        const code = input.fieldOfficeCode.toUpperCase();
        if (!(await referrals.fieldOfficeCodeExists(trx, code))) {
          throw new AppError('unprocessable', `There is no field office "${input.fieldOfficeCode}".`, {
            issues: [{ path: 'body.fieldOfficeCode', code: 'unknown_field_office', message: 'no such field office' }],
          });
        }
        if (!input.overrideReason) {
          throw new AppError('validation_failed', 'Naming the field office by hand needs a reason.', {
            issues: [
              { path: 'body.overrideReason', code: 'required', message: 'say why this office rather than the area of responsibility' },
            ],
          });
        }
        office = code;
        basis = 'override';
      } else {
        const resolved = await resolveOffice(trx, caseRow);
        if (!resolved) {
          throw new AppError(
            'unprocessable',
            'No location on this case gives an area of responsibility: name the field office, with a reason.',
            {
              issues: [
                { path: 'body.fieldOfficeCode', code: 'no_area_of_responsibility', message: 'name the field office and an overrideReason' },
              ],
            },
          );
        }
        ({ office, basis, locationId } = resolved);
      }
      const reference = await nextReference(trx, 'F', ctx);
      const referral = await referrals.insertReferral(trx, {
        reference,
        case_id: caseId,
        purpose: input.purpose,
        field_office_code: office,
        office_basis: basis,
        office_override_reason: basis === 'override' ? (input.overrideReason ?? null) : null,
        basis_location_id: locationId,
        status: 'draft',
        notes: input.notes ?? null,
        gate: null,
        created_by: actorId,
        created_at: ctx.now,
        updated_at: ctx.now,
      });
      await addReferralEvent(trx, {
        referralId: referral.id,
        at: ctx.now,
        actorId,
        kind: 'created',
        to: 'draft',
        details: { office, basis },
      });
      await addCaseEvent(trx, {
        caseId,
        at: ctx.now,
        actorId,
        kind: 'referral_drafted',
        details: { referralId: referral.id, reference, office },
      });
      await appendAudit(trx, ctx, {
        action: 'referral.create',
        outcome: 'allowed',
        resourceType: 'referral',
        resourceId: referral.id,
        details: { caseId, office, basis, purpose: input.purpose },
      });
      return { referral, caseNumber: caseRow.case_number };
    },
    true,
  );
}

/**
 * Loads a referral the viewer may see. Field officers: only referrals sent to
 * their office (never drafts or held ones). Center staff: only referrals of
 * cases they may read. Anyone else is told it does not exist — audited.
 */
async function loadReferralFor(trx: Trx, deps: ReferralDeps, ctx: ActorCtx, id: string, action: string, lock = false) {
  const row = await referrals.findReferralWithCase(trx, id, lock);
  let denied: string | undefined;
  if (row) {
    const decision = authorize(deps.permissions, ctx.actor, 'referral:read', { type: 'referral', fieldOfficeCode: row.field_office_code });
    if (!decision.allowed) denied = decision.reason;
    else if (isFieldOfficer(ctx.actor) && !VISIBLE_TO_OFFICE.includes(row.status)) denied = 'not sent to the field office';
    else if (!isFieldOfficer(ctx.actor) && !mayReadUnit(ctx.actor, row.case_unit)) denied = 'need_to_know_unit';
  }
  if (!row || denied) {
    await appendAudit(trx, ctx, {
      action,
      outcome: row ? 'denied' : 'error',
      resourceType: 'referral',
      resourceId: id,
      details: { reason: denied ?? 'not_found' },
    });
    return undefined;
  }
  return row;
}

async function inTransaction<T>(db: Db, work: (trx: Trx) => Promise<T | undefined>): Promise<T> {
  const result = await db.transaction().execute(async (trx) => ({ value: await work(trx) }));
  if (result.value === undefined) throw new AppError('not_found', 'There is no such referral.');
  return result.value;
}

export async function readReferral(deps: ReferralDeps, ctx: ActorCtx, id: string): Promise<ReferralWithCase> {
  return inTransaction(deps.db, async (trx) => {
    const row = await loadReferralFor(trx, deps, ctx, id, 'referral.read');
    if (!row) return undefined;
    const timeline = await referrals.referralEvents(trx, id);
    await appendAudit(trx, ctx, { action: 'referral.read', outcome: 'allowed', resourceType: 'referral', resourceId: id });
    return shieldedForOffice(trx, ctx, { referral: row, caseNumber: row.case_number, timeline });
  });
}

export async function listReferrals(
  deps: ReferralDeps,
  ctx: ActorCtx,
  query: { status?: ReferralStatusName | undefined; office?: string | undefined; page: number; pageSize: number },
): Promise<{ referrals: ReferralWithCase[]; total: number }> {
  return deps.db.transaction().execute(async (trx) => {
    // A field officer's inbox: their office, sent onwards. The office filter cannot widen it.
    const inbox =
      ctx.actor.kind === 'user' && ctx.actor.role === 'field_officer'
        ? { office: ctx.actor.fieldOfficeCode ?? '', statuses: VISIBLE_TO_OFFICE }
        : undefined;
    const { rows, total } = await referrals.listReferralRows(
      trx,
      { ...(inbox ? { inbox } : {}), excludeUac: !mayReadUnit(ctx.actor, 'uac'), status: query.status, office: query.office },
      { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
    );
    await appendAudit(trx, ctx, {
      action: 'referral.list',
      outcome: 'allowed',
      resourceType: 'referral',
      details: { status: query.status ?? null, office: query.office ?? null, results: rows.length },
    });
    const shown: ReferralWithCase[] = [];
    for (const r of rows) shown.push(await shieldedForOffice(trx, ctx, { referral: r, caseNumber: r.case_number }));
    return { referrals: shown, total };
  });
}

/** What the gate needs to know about a case: its subjects' ages, its reports' grading, whether a location is verified. */
export async function gateInputFor(
  trx: Trx,
  referral: Pick<ReferralRow, 'case_id' | 'purpose' | 'created_by'>,
  caseType: string,
  today: CalendarDay,
  withheldSponsors: GateInput['withheldSponsors'] = [],
): Promise<GateInput> {
  // Each subject as the person they are now: the record a merged one lives in, with every record merged into it —
  // a child by anyone's word on any of their records is a possible child, and protections recorded on any of them count.
  const linked = await caseSubjectIds(trx, referral.case_id);
  const survivors = [...new Set(await Promise.all(linked.map((id) => survivorOf(trx, id))))];
  const people = await referrals.personsByIds(trx, survivors);
  const verdicts = await ageVerdictsOf(
    trx,
    people.map((p) => p.id),
    today,
  );
  const subjects = people.map((p) => ({ ...p, verdict: verdicts.get(p.id) }));
  const reports = await referrals.caseReportGrades(trx, referral.case_id);
  // A verification by the referral's own author does not corroborate it.
  const corroborating = await referrals.verifiedLocationsNotBy(trx, referral.case_id, referral.created_by);
  const protections = await protectionsInForce(
    trx,
    subjects.map((s) => s.id),
    today,
  );
  const screened = await referrals.caseHasWelfareScreening(trx, referral.case_id);
  return {
    purpose: referral.purpose,
    caseType,
    subjects: subjects.map((s) => ({
      personId: s.id,
      name: `${s.given_names} ${s.family_name_1}`,
      minor: s.verdict?.minor ?? 'unknown',
      ageBecause: s.verdict?.because ?? 'no date of birth is known',
      protections: protections.get(s.id) ?? [],
    })),
    reports: reports.map((r) => ({
      reportId: r.id,
      reference: r.reference,
      sourceReliability: r.source_reliability,
      informationCredibility: r.information_credibility,
    })),
    hasVerifiedLocation: corroborating > 0,
    welfareScreeningComplete: screened,
    withheldSponsors,
  };
}

/** The gate's input for a referral: its case's facts and the sponsor subjects no legal reviewer approved naming in it. */
async function referralGateInput(trx: Trx, row: ReferralRow & { case_type: string }, today: CalendarDay): Promise<GateInput> {
  const withheld = await withheldSubjects(trx, row.case_id, await shieldFor(trx, row.case_id, { referralId: row.id }));
  return gateInputFor(
    trx,
    row,
    row.case_type,
    today,
    withheld.map((personId) => ({ personId, how: 'subject' as const })),
  );
}

/**
 * What a field office is shown of a referral: every mention of a sponsor no legal reviewer approved naming in it
 * taken out of its words (notes, the override reason, the gate's reasons, the timeline's justifications).
 */
async function shieldedForOffice(trx: Trx, ctx: ActorCtx, r: ReferralWithCase): Promise<ReferralWithCase> {
  if (!isFieldOfficer(ctx.actor)) return r;
  const shielded = await shieldFor(trx, r.referral.case_id, { referralId: r.referral.id });
  if (shielded.length === 0) return r;
  const row = r.referral;
  return {
    ...r,
    referral: {
      ...row,
      notes: row.notes === null ? null : redactSponsors(row.notes, shielded),
      office_override_reason: row.office_override_reason === null ? null : redactSponsors(row.office_override_reason, shielded),
      outcome_notes: row.outcome_notes === null ? null : redactSponsors(row.outcome_notes, shielded),
      gate: redactDeep(row.gate, shielded),
    },
    ...(r.timeline ? { timeline: r.timeline.map((e) => ({ ...e, details: redactDeep(e.details, shielded) })) } : {}),
  };
}

async function markSent(trx: Trx, ctx: ActorCtx, referral: ReferralRow, actorId: string, caseStatus: string) {
  if (caseStatus !== 'referred' && caseStatus !== 'closed') {
    await referrals.setCaseStatus(trx, referral.case_id, 'referred', ctx.now, true);
    await addCaseEvent(trx, {
      caseId: referral.case_id,
      at: ctx.now,
      actorId,
      kind: 'status_changed',
      details: { from: caseStatus, to: 'referred', referralId: referral.id },
    });
  }
  await addCaseEvent(trx, {
    caseId: referral.case_id,
    at: ctx.now,
    actorId,
    kind: 'referral_sent',
    details: { referralId: referral.id, office: referral.field_office_code },
  });
}

/** The single path by which a referral leaves the center: the safeguard gate decides, and its answer is stored with the referral. */
export async function submitReferral(deps: ReferralDeps, ctx: ActorCtx, id: string): Promise<ReferralWithCase> {
  const actorId = actorIdOf(ctx);
  const result = await deps.db.transaction().execute(async (trx) => {
    const row = await loadReferralFor(trx, deps, ctx, id, 'referral.submit', true);
    if (!row) return { missing: true as const };
    if (row.status !== 'draft')
      throw new AppError('conflict', `Only a draft can be submitted; this referral is ${row.status.replace('_', ' ')}.`);
    const gate: GateResult = evaluateReferral(await referralGateInput(trx, row, centerToday(ctx)));
    const stored = { ...gate, evaluatedAt: ctx.now.toISOString() };
    const to: ReferralStatusName = gate.decision === 'send' ? 'sent' : gate.decision === 'hold_for_review' ? 'pending_review' : 'draft';
    const updated = await referrals.updateReferral(trx, id, {
      gate: JSON.stringify(stored),
      status: to,
      updated_at: ctx.now,
      ...(to === 'sent' ? { sent_at: ctx.now } : {}),
    });
    await addReferralEvent(trx, {
      referralId: id,
      at: ctx.now,
      actorId,
      kind: gate.decision === 'block' ? 'gate_blocked' : 'submitted',
      from: row.status,
      to,
      details: { decision: gate.decision, rules: gate.reasons.map((r) => r.rule) },
    });
    if (to === 'sent') await markSent(trx, ctx, updated, actorId, row.case_status);
    if (to === 'pending_review') {
      await addCaseEvent(trx, {
        caseId: row.case_id,
        at: ctx.now,
        actorId,
        kind: 'referral_held',
        details: { referralId: id, rules: gate.reasons.map((r) => r.rule) },
      });
    }
    await appendAudit(trx, ctx, {
      action: 'referral.submit',
      outcome: gate.decision === 'block' ? 'denied' : 'allowed',
      resourceType: 'referral',
      resourceId: id,
      details: { decision: gate.decision, rules: gate.reasons.map((r) => r.rule) },
    });
    return { referral: updated, caseNumber: row.case_number, gate };
  });
  if ('missing' in result) throw new AppError('not_found', 'There is no such referral.');
  if (result.gate.decision === 'block') throw blockedError(result.gate);
  return { referral: result.referral, caseNumber: result.caseNumber };
}

/**
 * A legal reviewer — not the referral's author — approves (it is sent) or denies a held referral, in writing,
 * through the one review routine (services/review.service.ts) requests to partners use too.
 */
export async function reviewReferral(
  deps: ReferralDeps,
  ctx: ActorCtx,
  id: string,
  input: { decision: 'approve' | 'deny'; justification: string },
): Promise<ReferralWithCase> {
  const actorId = actorIdOf(ctx);
  const subject = { action: 'referral.review', resourceType: 'referral', resourceId: id, noun: 'referral' };
  const reviewed = await inTransaction(deps.db, async (trx) => {
    const row = await loadReferralFor(trx, deps, ctx, id, 'referral.review', true);
    if (!row) return undefined;
    // The gate asks again at send time: what held the referral may have changed since, and a block (a missing
    // screening, missing corroboration) stops even an approval. The answer the approval was given against is stored.
    let gate: (GateResult & { evaluatedAt: string }) | undefined;
    return reviewHeld(trx, ctx, { ...subject, status: row.status, authorId: row.created_by }, input, {
      recheck: async () => {
        const again = evaluateReferral(await referralGateInput(trx, row, centerToday(ctx)));
        gate = { ...again, evaluatedAt: ctx.now.toISOString() };
        if (again.decision === 'block')
          return { rule: 'gate_blocked', error: blockedError(again), details: { rules: again.reasons.map((r) => r.rule) } };
        return sponsorRefusal(again);
      },
      apply: async (decision) => {
        const step = REFERRAL_LIFECYCLE.transitions[decision];
        const updated = await referrals.updateReferral(trx, id, {
          status: step.to,
          updated_at: ctx.now,
          ...(step.to === 'sent' ? { sent_at: ctx.now } : {}),
          ...(gate ? { gate: JSON.stringify(gate) } : {}),
        });
        await addReferralEvent(trx, {
          referralId: id,
          at: ctx.now,
          actorId,
          kind: decision === 'approve' ? 'review_approved' : 'review_denied',
          from: row.status,
          to: step.to,
          details: { justification: input.justification },
        });
        if (step.to === 'sent') await markSent(trx, ctx, updated, actorId, row.case_status);
        else await addCaseEvent(trx, { caseId: row.case_id, at: ctx.now, actorId, kind: 'referral_denied', details: { referralId: id } });
        return { referral: updated, caseNumber: row.case_number };
      },
    });
  });
  return decided(reviewed);
}

/**
 * An approval of a referral or request that would still name a sponsor no legal reviewer approved naming in it is
 * refused: approving the disclosure is not approving the sponsor (POST …/sponsor-approvals first).
 */
export function sponsorRefusal(gate: GateResult) {
  const withheld = gate.reasons.filter((r) => r.rule === 'sponsor_protected');
  if (withheld.length === 0) return undefined;
  return {
    rule: 'sponsor_approval_required',
    error: new AppError('disclosure_refused', 'It names a protected sponsor: approve naming that sponsor first, in writing.', {
      issues: withheld.map((r) => ({ path: 'gate.sponsor_protected', code: 'sponsor_approval_required', message: r.message })),
    }),
    details: { sponsors: withheld.map((r) => r.personId) },
  };
}

/** The gate's refusal as the caller sees it: each blocking rule, with what is missing. Requests to partners use it too. */
export function blockedError(gate: GateResult, what: 'referral' | 'request' = 'referral'): AppError {
  return new AppError('referral_blocked', `The ${what} cannot be sent: the safeguards refuse it until what is missing is there.`, {
    issues: gate.reasons
      .filter((r) => r.effect === 'block')
      .map((r) => ({ path: `gate.${r.rule}`, code: r.rule, message: r.missing ? `${r.message} — missing: ${r.missing}` : r.message })),
  });
}

/** Field-office actions (acknowledge, outcome, close) and the center's withdrawal. */
export async function actOnReferral(
  deps: ReferralDeps,
  ctx: ActorCtx,
  id: string,
  action: ReferralAction,
  input: { outcome?: 'located' | 'not_located' | 'other'; notes?: string; reason?: string },
): Promise<ReferralWithCase> {
  const actorId = actorIdOf(ctx);
  return inTransaction(deps.db, async (trx) => {
    const row = await loadReferralFor(trx, deps, ctx, id, `referral.${action}`, true);
    if (!row) return undefined;
    const step = nextStatus(action, row.status);
    if (!step.ok) throw new AppError('conflict', step.message);
    const updated = await referrals.updateReferral(trx, id, {
      status: step.to,
      updated_at: ctx.now,
      ...(action === 'outcome' ? { outcome: input.outcome ?? 'other', outcome_notes: input.notes ?? null } : {}),
    });
    const details =
      action === 'outcome' ? { outcome: input.outcome, notes: input.notes } : action === 'withdraw' ? { reason: input.reason } : {};
    await addReferralEvent(trx, { referralId: id, at: ctx.now, actorId, kind: action, from: row.status, to: step.to, details });
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId,
      kind: `referral_${action}`,
      details: { referralId: id, ...(action === 'outcome' ? { outcome: input.outcome } : {}) },
    });
    // Not located: the case goes back to work.
    if (action === 'outcome' && input.outcome === 'not_located' && row.case_status === 'referred') {
      await referrals.setCaseStatus(trx, row.case_id, 'active', ctx.now, false);
      await addCaseEvent(trx, {
        caseId: row.case_id,
        at: ctx.now,
        actorId,
        kind: 'status_changed',
        details: { from: 'referred', to: 'active', referralId: id },
      });
    }
    await appendAudit(trx, ctx, {
      action: `referral.${action}`,
      outcome: 'allowed',
      resourceType: 'referral',
      resourceId: id,
      details: action === 'outcome' ? { outcome: input.outcome } : {},
    });
    return shieldedForOffice(trx, ctx, { referral: updated, caseNumber: row.case_number });
  });
}

export { loadReferralFor };
