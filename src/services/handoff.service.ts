import { randomBytes, randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { type Actor, type OrganisationActor, staffOnly } from '../domain/access/access-control.js';
import { centerToday } from '../domain/calendar/calendar-day.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { webhookUrlProblem } from '../domain/partner/webhook-signature.js';
import { ageOn } from '../domain/persons/age.js';
import { RECIPIENT_KINDS } from '../domain/safeguards/disclosure.js';
import {
  ackDueAt,
  escalationDue,
  HANDOFF_LIFECYCLE,
  type HandoffStatus,
  handoffEscalationPriority,
  handoffSnapshot,
  OPEN_HANDOFF,
  overdue,
} from '../domain/safeguards/handoff-workflow.js';
import { nameForms, redactDeep } from '../domain/safeguards/sponsor-shield.js';
import { childInDanger, WELFARE_REFERRAL_LIFECYCLE } from '../domain/safeguards/welfare-referral-workflow.js';
import { SCREENING_QUESTIONS, type ScreeningQuestion } from '../domain/safeguards/welfare-screening.js';
import { step } from '../domain/workflow/lifecycle.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, locationsOfPersonsAndMerged, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import * as handoffs from '../storage/repositories/handoff.repository.js';
import { personsBrief } from '../storage/repositories/relationship.repository.js';
import * as welfare from '../storage/repositories/welfare.repository.js';
import type { Database, HandoffOrganisationsTable } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { withCase } from './case.service.js';
import { checkChildDisclosure } from './consent.service.js';
import { digest, encrypt, type Keys, newToken } from './keys.js';
import type { RoutingService } from './routing.service.js';
import { getSetting } from './safeguard-settings.service.js';
import { shieldFor, sponsorsOfCase } from './sponsor-shield.service.js';

/**
 * Hand-offs (issue #22 item 4): a welfare referral sent to the organisation configured for its type, with the
 * minimal snapshot and the disclosure basis that allowed it; the organisation acknowledges and answers through its
 * own API (its credential); the sweep settles webhook deliveries and escalates overdue hand-offs once. Nothing
 * leaves without the disclosure check (consent, or a child in danger), and no sponsor is named in it unless a legal
 * reviewer approved naming that sponsor for this welfare referral (shieldFor, as every other disclosing path).
 */

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };
type OrgCtx = RequestContext & { actor: OrganisationActor };
export type HandoffDeps = { db: Db; keys: Keys; routing: RoutingService; timeZone: string; development: boolean };
export type OrganisationRow = handoffs.HandoffOrganisationRow;
export type HandoffRow = handoffs.HandoffRow;
type ReferralType = HandoffOrganisationsTable['referral_type'];

/* ---------- receiving organisations (admins) ---------- */

export async function listOrganisations(db: Db, ctx: ActorCtx): Promise<OrganisationRow[]> {
  staffOnly(ctx.actor, 'Only staff configure hand-offs.');
  return handoffs.listOrganisations(db);
}

/**
 * Creates or changes the organisation receiving one type of welfare referral. A webhook URL must pass the same
 * address policy as partners' (HTTPS to a public host; loopback only in development); a signing secret is made when
 * the first URL is set or on request, and shown once.
 */
export async function saveOrganisation(
  deps: HandoffDeps,
  ctx: ActorCtx,
  referralType: ReferralType,
  input: { name: string; kind: string; webhookUrl: string | null; rotateWebhookSecret?: boolean | undefined },
): Promise<{ organisation: OrganisationRow; webhookSecret: string | null }> {
  staffOnly(ctx.actor, 'Only staff configure hand-offs.');
  if (input.webhookUrl !== null) {
    const problem = webhookUrlProblem(input.webhookUrl, deps.development);
    if (problem)
      throw new AppError('validation_failed', `The webhook URL is not accepted: ${problem}.`, {
        issues: [{ path: 'body.webhookUrl', code: 'bad_url', message: problem }],
      });
  }
  return deps.db.transaction().execute(async (trx) => {
    const existing = await handoffs.organisationForType(trx, referralType);
    const newSecret = input.webhookUrl !== null && (!existing?.secret_enc || input.rotateWebhookSecret === true);
    const secret = newSecret ? `whsec_${randomBytes(24).toString('base64url')}` : null;
    const secretEnc = input.webhookUrl === null ? null : secret ? encrypt(deps.keys, secret) : (existing?.secret_enc ?? null);
    const values = { name: input.name, kind: input.kind, webhook_url: input.webhookUrl, secret_enc: secretEnc, updated_at: ctx.now };
    const organisation = existing
      ? await handoffs.updateOrganisation(trx, existing.id, values)
      : await handoffs.insertOrganisation(trx, { ...values, referral_type: referralType, created_at: ctx.now });
    if (!organisation) throw new AppError('not_found', 'There is no such organisation.');
    await appendAudit(trx, ctx, {
      action: existing ? 'handoff.organisation_update' : 'handoff.organisation_create',
      outcome: 'allowed',
      resourceType: 'handoff_organisation',
      resourceId: organisation.id,
      details: { referralType, kind: input.kind, webhook: input.webhookUrl !== null, newSecret },
    });
    return { organisation, webhookSecret: secret };
  });
}

/** Issues the organisation's API credential, shown once and stored as a digest; issuing again revokes the old one. */
export async function issueCredential(db: Db, ctx: ActorCtx, organisationId: string): Promise<{ credential: string; issuedAt: Date }> {
  staffOnly(ctx.actor, 'Only staff configure hand-offs.');
  const credential = `sbho_${newToken()}`;
  await db.transaction().execute(async (trx) => {
    const existing = await handoffs.findOrganisation(trx, organisationId);
    if (!existing) throw new AppError('not_found', 'There is no such organisation.');
    await handoffs.updateOrganisation(trx, organisationId, {
      credential_digest: digest(credential),
      credential_issued_at: ctx.now,
      updated_at: ctx.now,
    });
    await appendAudit(trx, ctx, {
      action: 'handoff.credential_issue',
      outcome: 'allowed',
      resourceType: 'handoff_organisation',
      resourceId: organisationId,
      details: { rotated: existing.credential_digest !== null },
    });
  });
  return { credential, issuedAt: ctx.now };
}

/** The organisation a bearer credential belongs to; null for any other value. */
export async function authenticateOrganisation(db: Db, credential: string): Promise<OrganisationActor | null> {
  if (!credential.startsWith('sbho_')) return null;
  const row = await handoffs.organisationByCredential(db, digest(credential));
  return row ? { kind: 'organisation', organisationId: row.id, name: row.name } : null;
}

/* ---------- sending ---------- */

const personName = (p: { given_names: string; family_name_1: string; family_name_2: string | null }) =>
  nameForms({ givenNames: p.given_names, familyName1: p.family_name_1, familyName2: p.family_name_2 })[0] ?? p.given_names;

const isQuestion = (code: string): code is ScreeningQuestion => code in SCREENING_QUESTIONS;
const reasonText = (code: string) => (isQuestion(code) ? SCREENING_QUESTIONS[code].text : code);

async function buildSnapshot(
  trx: Trx,
  ctx: ActorCtx,
  r: { id: string; case_id: string; agency: ReferralType; reasons: string[]; child_id: string },
  f: {
    handoffId: string;
    caseNumber: string;
    danger: boolean;
    basis: 'consent' | 'child_in_danger' | 'safeguard_gate';
    consentId: string | null;
    acknowledgeBy: Date;
  },
) {
  const childId = await survivorOf(trx, r.child_id);
  const [child] = await personsBrief(trx, [childId]);
  const [where] = await locationsOfPersonsAndMerged(trx, await personCluster(trx, childId));
  const shielded = await shieldFor(trx, r.case_id, { welfareReferralId: r.id });
  const shieldedIds = new Set(shielded.map((s) => s.personId));
  const approved = (await sponsorsOfCase(trx, r.case_id)).filter((s) => !shieldedIds.has(s.personId));
  const approvedRows = await personsBrief(
    trx,
    approved.map((s) => s.personId),
  );
  const dob = child?.dob ?? null;
  const raw = handoffSnapshot({
    handoffId: f.handoffId,
    referralType: r.agency,
    caseNumber: f.caseNumber,
    child: {
      name: child ? personName(child) : 'unknown',
      dateOfBirth: dob,
      age: dob ? ageOn(dob, centerToday(ctx)) : null,
    },
    childInDanger: f.danger,
    reasons: r.reasons.map((code) => ({ code, text: reasonText(code) })),
    whereTheChildIs: where ? { line1: where.line1, city: where.city, state: where.state, zip: where.zip } : null,
    approvedSponsors: approvedRows.map((p) => ({ name: personName(p), phones: p.phones })),
    // The unit, never the staff member who sent it: no staff identity leaves for the outside organisation.
    contact: `UAC unit, Switchboard center — case ${f.caseNumber}`,
    basis: f.basis,
    consentId: f.consentId,
    sentAt: ctx.now,
    acknowledgeBy: f.acknowledgeBy,
  });
  // Every sponsor not approved is taken out of every string of it (a name or phone in an address line included).
  return { snapshot: redactDeep(raw, shielded), sponsorsNamed: approved.map((s) => s.personId) };
}

/**
 * Sends a welfare referral to the organisation configured for its type. The disclosure check comes first: a
 * refusal is recorded (a `refused` hand-off the center must act on, the refusal audited) and answered 422
 * `disclosure_refused`; nothing leaves. Allowed: the snapshot is stored as sent, a signed webhook is queued (or the
 * hand-off waits in the organisation's inbox), and it must be acknowledged in time.
 */
export async function sendHandoff(deps: HandoffDeps, ctx: ActorCtx, welfareReferralId: string): Promise<HandoffRow> {
  const userId = staffOnly(ctx.actor, 'Only staff send hand-offs.').userId;
  const found = await welfare.findWelfareReferral(deps.db, welfareReferralId);
  if (!found) throw new AppError('not_found', 'There is no such welfare referral.');
  const hours = {
    danger: await getSetting(deps.db, 'handoff_ack_hours_danger'),
    other: await getSetting(deps.db, 'handoff_ack_hours'),
  };
  const outcome = await withCase(
    deps.db,
    ctx,
    found.case_id,
    'handoff.send',
    async (trx, caseRow) => {
      const r = await handoffs.welfareReferralToSend(trx, welfareReferralId);
      if (r?.status !== 'open') throw new AppError('conflict', 'This welfare referral is already done.');
      if (await handoffs.openHandoffOf(trx, r.id)) throw new AppError('conflict', 'This welfare referral is already handed off.');
      const org = await handoffs.organisationForType(trx, r.agency);
      if (!org)
        throw new AppError('unprocessable', `No receiving organisation is configured for ${r.agency.toUpperCase()} referrals.`, {
          issues: [{ path: 'params.id', code: 'no_recipient', message: 'an admin configures the receiving organisation first' }],
        });
      const danger = childInDanger(r.reasons);
      const kind = RECIPIENT_KINDS.find((k) => k === org.kind);
      if (!kind) throw new Error('a receiving organisation of an unknown recipient kind');
      const recipient = { kind, name: org.name };
      const check = await checkChildDisclosure(trx, ctx, {
        caseId: r.case_id,
        personId: r.child_id,
        recipient,
        childInDanger: danger,
        action: 'handoff.send',
      });
      const base = {
        welfare_referral_id: r.id,
        case_id: r.case_id,
        organisation_id: org.id,
        recipient_kind: org.kind,
        recipient_name: org.name,
        child_in_danger: danger,
        created_by: userId,
        created_at: ctx.now,
      };
      if (!check.allowed) {
        const refused = await handoffs.insertHandoff(trx, { ...base, status: 'refused', basis: null, refusal: check.code, snapshot: null });
        await addCaseEvent(trx, {
          caseId: r.case_id,
          at: ctx.now,
          actorId: userId,
          kind: 'handoff_refused',
          details: { handoffId: refused.id, welfareReferralId: r.id, rule: check.code },
        });
        return { error: check.error };
      }
      const handoffId = randomUUID();
      const due = ackDueAt(ctx.now, danger, hours);
      const consentId = check.consentId ?? null;
      const { snapshot, sponsorsNamed } = await buildSnapshot(trx, ctx, r, {
        handoffId,
        caseNumber: caseRow.case_number,
        danger,
        basis: check.basis,
        consentId,
        acknowledgeBy: due,
      });
      const viaWebhook = org.webhook_url !== null;
      const row = await handoffs.insertHandoff(trx, {
        ...base,
        id: handoffId,
        status: viaWebhook ? 'sending' : 'sent',
        basis: check.basis,
        consent_id: consentId,
        snapshot: JSON.stringify(snapshot),
        sponsors_named: sponsorsNamed,
        sent_at: viaWebhook ? null : ctx.now,
        ack_due_at: due,
      });
      if (viaWebhook)
        await handoffs.insertHandoffDelivery(trx, {
          handoffId,
          organisationId: org.id,
          event: 'handoff.sent',
          body: { event: 'handoff.sent', handoff: snapshot },
          now: ctx.now,
        });
      await addCaseEvent(trx, {
        caseId: r.case_id,
        at: ctx.now,
        actorId: userId,
        kind: 'handoff_sent',
        details: { handoffId, welfareReferralId: r.id, recipient: org.name, basis: check.basis },
      });
      await appendAudit(trx, ctx, {
        action: 'handoff.send',
        outcome: 'allowed',
        resourceType: 'handoff',
        resourceId: handoffId,
        details: {
          caseId: r.case_id,
          welfareReferralId: r.id,
          organisationId: org.id,
          recipientKind: org.kind,
          basis: check.basis,
          consentId,
          sponsorsNamed,
          via: viaWebhook ? 'webhook' : 'inbox',
        },
      });
      return { row };
    },
    true,
  );
  if ('error' in outcome) throw outcome.error;
  return outcome.row;
}

/* ---------- the receiving organisation's side ---------- */

async function loadForOrganisation(trx: Trx, ctx: OrgCtx, id: string, action: string, lock: boolean): Promise<HandoffRow> {
  const row = await handoffs.findHandoffForOrganisation(trx, id, ctx.actor.organisationId, lock);
  if (!row) {
    await appendAudit(trx, ctx, {
      action,
      outcome: 'denied',
      resourceType: 'handoff',
      resourceId: id,
      details: { reason: 'not_addressed_here' },
    });
    return Promise.reject(new AppError('not_found', 'There is no such hand-off.'));
  }
  return row;
}

/** Runs `work` in a transaction whose refusal audit commits even when it answers 404. */
async function asOrganisation<T>(db: Db, ctx: OrgCtx, id: string, action: string, work: (trx: Trx, row: HandoffRow) => Promise<T>) {
  const outcome = await db.transaction().execute(async (trx) => {
    let row: HandoffRow;
    try {
      row = await loadForOrganisation(trx, ctx, id, action, true);
    } catch (error) {
      return { error };
    }
    return { value: await work(trx, row) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** A hand-off as its organisation reads it: the row, and the snapshot as it may be served now (null: not served). */
export type InboxView = { row: HandoffRow; snapshot: unknown };
type Refusal = { error: AppError };

/**
 * The snapshot as the organisation may read it now, checked again on every read: a declined hand-off's is not served
 * any more, nor one the disclosure check would now refuse (consent withdrawn, and no child-in-danger basis) — both
 * 422 `disclosure_refused`, audited; otherwise every sponsor not approved for this welfare referral is withheld from
 * it as at send time (shieldFor + redactDeep), so a sponsor linked after it was sent is withheld from then on.
 */
async function snapshotNow(trx: Trx, ctx: OrgCtx, row: HandoffRow, action: string): Promise<{ snapshot: unknown } | Refusal> {
  if (row.status === 'declined') {
    await appendAudit(trx, ctx, {
      action,
      outcome: 'denied',
      resourceType: 'handoff',
      resourceId: row.id,
      details: { rule: 'handoff_declined', reason: 'handoff_declined' },
    });
    return {
      error: new AppError('disclosure_refused', 'This hand-off was declined: its snapshot is no longer served.', {
        issues: [{ path: 'handoff', code: 'handoff_declined', message: 'the hand-off was declined' }],
      }),
    };
  }
  const childId = await handoffs.childOfWelfareReferral(trx, row.welfare_referral_id);
  const kind = RECIPIENT_KINDS.find((k) => k === row.recipient_kind);
  if (!childId || !kind) throw new Error('a hand-off without its screened child or of an unknown recipient kind');
  const check = await checkChildDisclosure(trx, ctx, {
    caseId: row.case_id,
    personId: childId,
    recipient: { kind, name: row.recipient_name },
    childInDanger: row.child_in_danger,
    action,
  });
  if (!check.allowed) return { error: check.error };
  const shielded = await shieldFor(trx, row.case_id, { welfareReferralId: row.welfare_referral_id });
  return { snapshot: redactDeep(row.snapshot, shielded) };
}

const served = <T>(outcome: T | Refusal): T => {
  if (typeof outcome === 'object' && outcome !== null && 'error' in outcome) throw outcome.error;
  return outcome;
};

export async function readInboxHandoff(db: Db, ctx: OrgCtx, id: string): Promise<InboxView> {
  const outcome = await asOrganisation(db, ctx, id, 'handoff.inbox_read', async (trx, row): Promise<InboxView | Refusal> => {
    const now = await snapshotNow(trx, ctx, row, 'handoff.inbox_read');
    if ('error' in now) return now;
    await appendAudit(trx, ctx, { action: 'handoff.inbox_read', outcome: 'allowed', resourceType: 'handoff', resourceId: id });
    return { row, snapshot: now.snapshot };
  });
  return served(outcome);
}

/** The hand-offs waiting on the organisation (sent or acknowledged, not yet answered): no snapshot, a case reference. */
export async function listInboxHandoffs(db: Db, ctx: OrgCtx) {
  return db.transaction().execute(async (trx) => {
    const rows = await handoffs.handoffsWaitingOn(trx, ctx.actor.organisationId, ['sent', 'acknowledged']);
    await appendAudit(trx, ctx, {
      action: 'handoff.inbox_list',
      outcome: 'allowed',
      resourceType: 'handoff_organisation',
      resourceId: ctx.actor.organisationId,
      details: { results: rows.length },
    });
    return rows;
  });
}

const conflict = (message: string) => new AppError('conflict', message);

/**
 * The organisation says it has the hand-off; the outcome is then due within the setting's hours. Again: no change,
 * but the read is audited as every read is. Its answer carries the snapshot as it may be served now (snapshotNow):
 * refused, nothing is acknowledged.
 */
export async function acknowledgeHandoff(db: Db, ctx: OrgCtx, id: string): Promise<InboxView> {
  const outcomeHours = await getSetting(db, 'handoff_outcome_hours');
  const outcome = await asOrganisation(db, ctx, id, 'handoff.acknowledge', async (trx, row): Promise<InboxView | Refusal> => {
    const repeated = row.status === 'acknowledged';
    const s = step(HANDOFF_LIFECYCLE, 'acknowledge', row.status);
    if (!repeated && !s.ok) throw conflict(s.message);
    const now = await snapshotNow(trx, ctx, row, 'handoff.acknowledge');
    if ('error' in now) return now;
    if (repeated) {
      await appendAudit(trx, ctx, {
        action: 'handoff.acknowledge',
        outcome: 'allowed',
        resourceType: 'handoff',
        resourceId: id,
        details: { repeated: true },
      });
      return { row, snapshot: now.snapshot };
    }
    if (!s.ok) throw conflict(s.message);
    const moved = await handoffs.moveHandoff(trx, id, HANDOFF_LIFECYCLE.transitions.acknowledge.from, {
      status: s.to,
      acknowledged_at: ctx.now,
      sent_at: row.sent_at ?? ctx.now,
      outcome_due_at: new Date(ctx.now.getTime() + outcomeHours * 3_600_000),
    });
    if (!moved) throw conflict('This hand-off changed meanwhile; read it again.');
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: null,
      kind: 'handoff_acknowledged',
      details: { handoffId: id, recipient: row.recipient_name },
    });
    await appendAudit(trx, ctx, { action: 'handoff.acknowledge', outcome: 'allowed', resourceType: 'handoff', resourceId: id });
    return { row: moved, snapshot: now.snapshot };
  });
  return served(outcome);
}

/**
 * The organisation's answer, which ends the hand-off: accepted (closed, with its outcome — the welfare referral is
 * then done and its work items resolved) or declined (the center must find another way; the referral stays open).
 */
export async function answerHandoff(
  deps: Pick<HandoffDeps, 'db' | 'routing'>,
  ctx: OrgCtx,
  id: string,
  input: { decision: 'accepted' | 'declined'; outcome: string },
): Promise<HandoffRow> {
  const action = input.decision === 'accepted' ? 'accept' : 'decline';
  const result = await asOrganisation(deps.db, ctx, id, `handoff.${action}`, async (trx, row) => {
    const s = step(HANDOFF_LIFECYCLE, action, row.status);
    if (!s.ok) throw conflict(s.message);
    const moved = await handoffs.moveHandoff(trx, id, HANDOFF_LIFECYCLE.transitions[action].from, {
      status: s.to,
      closed_at: ctx.now,
      outcome: input.outcome,
      sent_at: row.sent_at ?? ctx.now,
    });
    if (!moved) throw conflict('This hand-off changed meanwhile; read it again.');
    let tasks: string[] = [];
    if (input.decision === 'accepted') {
      const referral = await welfare.findWelfareReferral(trx, row.welfare_referral_id);
      const close = WELFARE_REFERRAL_LIFECYCLE.transitions.close;
      const done = await welfare.moveWelfareReferral(trx, row.welfare_referral_id, close.from, {
        status: close.to,
        done_by: null,
        done_at: ctx.now,
        done_note: `Closed by ${row.recipient_name}: ${input.outcome}`,
      });
      if (done && referral) {
        tasks = [referral.task_id, referral.escalation_task_id, row.escalation_task_id].filter((t): t is string => t !== null);
        await addCaseEvent(trx, {
          caseId: row.case_id,
          at: ctx.now,
          actorId: null,
          kind: 'welfare_referral_made',
          details: { welfareReferralId: row.welfare_referral_id, agency: referral.agency, note: `closed by ${row.recipient_name}` },
        });
      }
    } else if (row.escalation_task_id) {
      tasks = [row.escalation_task_id];
    }
    await addCaseEvent(trx, {
      caseId: row.case_id,
      at: ctx.now,
      actorId: null,
      kind: input.decision === 'accepted' ? 'handoff_closed' : 'handoff_declined',
      details: { handoffId: id, recipient: row.recipient_name },
    });
    await appendAudit(trx, ctx, {
      action: `handoff.${action}`,
      outcome: 'allowed',
      resourceType: 'handoff',
      resourceId: id,
      details: { welfareReferralId: row.welfare_referral_id, decision: input.decision },
    });
    return { row: moved, tasks };
  });
  // After the commit, as welfare.service does: the work items are resolved (a task already gone is no loss).
  for (const taskId of result.tasks)
    if (deps.routing.engine.task(taskId))
      await deps.routing.execute({ type: 'cancel', taskId, reason: 'resolved' }, ctx).catch(() => undefined);
  return result.row;
}

/* ---------- following them (UAC unit) ---------- */

/** Every hand-off someone must still act on, in the units the viewer may read. */
export async function trackHandoffs(db: Db, ctx: ActorCtx) {
  staffOnly(ctx.actor, 'Only staff follow hand-offs.');
  return db.transaction().execute(async (trx) => {
    const rows = (await handoffs.handoffsNeedingAction(trx)).filter((r) => mayReadUnit(ctx.actor, r.unit));
    await appendAudit(trx, ctx, {
      action: 'handoff.track',
      outcome: 'allowed',
      resourceType: 'handoff',
      details: { results: rows.length },
    });
    return rows;
  });
}

/** Reads a list on a case (need-to-know through withCase), audited with how many it found. */
function listOnCase<T>(db: Db, ctx: ActorCtx, caseId: string, action: string, read: (trx: Trx) => Promise<T[]>): Promise<T[]> {
  return withCase(db, ctx, caseId, action, async (trx) => {
    const rows = await read(trx);
    await appendAudit(trx, ctx, {
      action,
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: caseId,
      details: { results: rows.length },
    });
    return rows;
  });
}

/** A case's hand-offs, oldest first. */
export const caseHandoffs = (db: Db, ctx: ActorCtx, caseId: string): Promise<HandoffRow[]> =>
  listOnCase(db, ctx, caseId, 'handoff.list', (trx) => handoffs.handoffsOfCase(trx, caseId));

/** A case's welfare referrals and who receives each type: what the case screen offers to send. */
export const caseWelfareReferrals = (db: Db, ctx: ActorCtx, caseId: string) =>
  listOnCase(db, ctx, caseId, 'welfare.referral_list', (trx) => handoffs.welfareReferralsOfCase(trx, caseId));

/* ---------- the sweep ---------- */

async function createEscalationTask(routing: RoutingService, ctx: RequestContext, taskId: string, row: HandoffRow) {
  await routing.execute(
    {
      type: 'createTask',
      task: {
        id: taskId,
        channel: 'work_item',
        priority: handoffEscalationPriority(row.child_in_danger),
        attributes: {
          kind: 'work_item',
          unit: 'uac',
          escalation: true,
          handoff: row.id,
          welfareReferral: row.welfare_referral_id,
          caseId: row.case_id,
        },
      },
    },
    ctx,
  );
}

/**
 * The sweep (every minute in `start`; tests call it with any clock): hand-offs whose webhook delivery settled are
 * marked sent (when delivered) or failed (dead, after its retries); hand-offs overdue — not acknowledged by their
 * target, or acknowledged without an outcome by theirs — are escalated once: a higher work item for the UAC unit,
 * a mark, an event on the case and an audit entry.
 */
export async function sweepHandoffs(
  deps: Pick<HandoffDeps, 'db' | 'routing' | 'timeZone'>,
  now: Date,
): Promise<{ delivered: number; failed: number; escalated: number }> {
  const ctx: RequestContext = { actor: null, system: 'handoff.sweep', sourceIp: null, requestId: null, now, timeZone: deps.timeZone };
  const counts = { delivered: 0, failed: 0, escalated: 0 };
  for (const d of await handoffs.settledSendingDeliveries(deps.db)) {
    const delivered = d.status === 'delivered';
    const moved = await deps.db.transaction().execute(async (trx) => {
      const to: HandoffStatus = delivered ? 'sent' : 'failed';
      const row = await handoffs.moveHandoff(
        trx,
        d.handoff_id,
        ['sending'],
        delivered ? { status: to, sent_at: d.delivered_at ?? now } : { status: to, failure: d.last_error },
      );
      if (!row) return false;
      await addCaseEvent(trx, {
        caseId: d.case_id,
        at: now,
        actorId: null,
        kind: delivered ? 'handoff_delivered' : 'handoff_failed',
        details: { handoffId: d.handoff_id },
      });
      await appendAudit(trx, ctx, {
        action: delivered ? 'handoff.delivered' : 'handoff.failed',
        outcome: 'allowed',
        resourceType: 'handoff',
        resourceId: d.handoff_id,
      });
      return true;
    });
    if (moved) counts[delivered ? 'delivered' : 'failed'] += 1;
  }
  for (const row of await handoffs.handoffsIn(deps.db, OPEN_HANDOFF)) {
    if (!escalationDue(row, now)) continue;
    const why = overdue(row, now);
    const taskId = randomUUID();
    const marked = await deps.db.transaction().execute(async (trx) => {
      if (!(await handoffs.markHandoffEscalated(trx, row.id, OPEN_HANDOFF, now, taskId))) return false;
      await addCaseEvent(trx, {
        caseId: row.case_id,
        at: now,
        actorId: null,
        kind: 'handoff_escalated',
        details: { handoffId: row.id, welfareReferralId: row.welfare_referral_id, why },
      });
      await appendAudit(trx, ctx, {
        action: 'handoff.escalate',
        outcome: 'allowed',
        resourceType: 'handoff',
        resourceId: row.id,
        details: { caseId: row.case_id, why },
      });
      return true;
    });
    if (!marked) continue;
    await createEscalationTask(deps.routing, ctx, taskId, row);
    counts.escalated += 1;
  }
  return counts;
}
