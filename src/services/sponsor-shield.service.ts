import type { Transaction } from 'kysely';
import { type Actor, staffOnly } from '../domain/access/access-control.js';
import { mayReadUnit } from '../domain/cases/case-workflow.js';
import { AppError } from '../domain/errors/app-error.js';
import { nameForms, redactDeep, type ShieldedSponsor, SPONSOR_WITHHELD, shieldedFrom } from '../domain/safeguards/sponsor-shield.js';
import type { Db } from '../storage/database.js';
import { addCaseEvent, caseSubjectIds, personCluster, survivorOf } from '../storage/repositories/case.repository.js';
import * as handoffs from '../storage/repositories/handoff.repository.js';
import * as requests from '../storage/repositories/partner-request.repository.js';
import * as referrals from '../storage/repositories/referral.repository.js';
import * as rel from '../storage/repositories/relationship.repository.js';
import type { Database } from '../storage/schema.js';
import { appendAudit, type RequestContext } from './audit.service.js';
import { reviewerRefusal } from './review.service.js';
import { refuseDependentApprover } from './two-person.service.js';

/**
 * Sponsor protection on every disclosing path (issue #22). The services that disclose — the referral gate's
 * inputs, the referral's record and packet for a field office, a partner request's gate, snapshot, agency view
 * and webhook — ask here which sponsors a disclosure must not name, and take them out. A legal reviewer who is
 * not the disclosure's author (and not bound to them: the two-person rule) approves naming one sponsor in one
 * disclosure; nothing else lifts it.
 */

export type { SponsorApprovalRow } from '../storage/repositories/relationship.repository.js';

type Trx = Transaction<Database>;
type ActorCtx = RequestContext & { actor: Actor };
/** A welfare referral's hand-off (issue #22 item 4) is approved on the welfare referral, before it is sent. */
export type Disclosure = { referralId: string } | { partnerRequestId: string } | { welfareReferralId: string };

/**
 * Every sponsor a disclosure from this case could name: persons named as sponsor on the case (subject role,
 * a report, a link) and any subject who is anyone's sponsor on any case — each as the person they are now
 * (the survivor of a merge), with every name and phone of every record merged into them.
 */
export async function sponsorsOfCase(trx: Trx, caseId: string): Promise<ShieldedSponsor[]> {
  const named = await rel.sponsorIdsOfCase(trx, caseId);
  const subjectClusters = (await Promise.all((await caseSubjectIds(trx, caseId)).map((id) => personCluster(trx, id)))).flat();
  const elsewhere = await rel.sponsorsAmong(trx, subjectClusters);
  const survivors = [...new Set(await Promise.all([...named, ...elsewhere].map((id) => survivorOf(trx, id))))];
  const out: ShieldedSponsor[] = [];
  for (const id of survivors) {
    const cluster = await personCluster(trx, id);
    const [records, aliases] = await Promise.all([rel.personsBrief(trx, cluster), rel.aliasesOf(trx, cluster)]);
    out.push({
      personId: id,
      names: [...records, ...aliases].flatMap((n) =>
        nameForms({ givenNames: n.given_names, familyName1: n.family_name_1, familyName2: n.family_name_2 }),
      ),
      phones: records.flatMap((r) => r.phones),
    });
  }
  return out;
}

/** The sponsors this disclosure must not name: every sponsor of the case but those a legal reviewer approved in it. */
export async function shieldFor(trx: Trx, caseId: string, disclosure: Disclosure | null): Promise<ShieldedSponsor[]> {
  const sponsors = await sponsorsOfCase(trx, caseId);
  if (sponsors.length === 0) return [];
  const approved = disclosure ? await rel.sponsorApprovalsFor(trx, disclosure) : [];
  return shieldedFrom(sponsors, new Set(approved.map((a) => a.sponsor_person_id)));
}

/** The case's subjects (as survivors) who are shielded sponsors: what the gate holds a referral for. */
export async function withheldSubjects(trx: Trx, caseId: string, shielded: readonly ShieldedSponsor[]): Promise<string[]> {
  if (shielded.length === 0) return [];
  const survivors = new Set(await Promise.all((await caseSubjectIds(trx, caseId)).map((id) => survivorOf(trx, id))));
  return shielded.filter((s) => survivors.has(s.personId)).map((s) => s.personId);
}

/** A request's snapshot as an agency may see it now: a shielded subject's name withheld, every mention redacted. */
export async function shieldRequestRow<T extends requests.PartnerRequestRow>(trx: Trx, row: T): Promise<T> {
  const shielded = await shieldFor(trx, row.case_id, { partnerRequestId: row.id });
  if (shielded.length === 0) return row;
  const subject = await survivorOf(trx, row.person_id);
  let disclosed = redactDeep(row.disclosed, shielded);
  if (shielded.some((s) => s.personId === subject) && disclosed && typeof disclosed === 'object' && 'subject' in disclosed) {
    const d = disclosed as { subject: Record<string, unknown> };
    disclosed = { ...d, subject: { ...d.subject, name: SPONSOR_WITHHELD } };
  }
  return { ...row, disclosed };
}

const nounOf = (target: Disclosure) =>
  'referralId' in target ? 'referral' : 'partnerRequestId' in target ? 'request' : 'welfare referral';

/** Where a disclosure stands: its case, author and status, if the viewer may read its case (else undefined, audited). */
async function loadDisclosure(trx: Trx, ctx: ActorCtx, target: Disclosure, action: string) {
  const found =
    'referralId' in target
      ? await referrals
          .findReferralWithCase(trx, target.referralId, true)
          .then((r) =>
            r
              ? { caseId: r.case_id, unit: r.case_unit, authorId: r.created_by, status: r.status, open: ['draft', 'pending_review'] }
              : undefined,
          )
      : 'partnerRequestId' in target
        ? await requests
            .findRequestWithCaseForUpdate(trx, target.partnerRequestId)
            .then((r) =>
              r ? { caseId: r.case_id, unit: r.case_unit, authorId: r.created_by, status: r.status, open: ['pending_review'] } : undefined,
            )
        : await handoffs.welfareReferralForApproval(trx, target.welfareReferralId).then((r) =>
            // Its author is who screened the child; it waits while open and not handed off (an approval counts before it leaves).
            r
              ? { caseId: r.case_id, unit: r.case_unit, authorId: r.completed_by, status: r.in_flight ? 'sent' : r.status, open: ['open'] }
              : undefined,
          );
  const resourceType = 'referralId' in target ? 'referral' : 'partnerRequestId' in target ? 'partner_request' : 'welfare_referral';
  const resourceId =
    'referralId' in target ? target.referralId : 'partnerRequestId' in target ? target.partnerRequestId : target.welfareReferralId;
  if (!found || !mayReadUnit(ctx.actor, found.unit)) {
    await appendAudit(trx, ctx, {
      action,
      outcome: found ? 'denied' : 'error',
      resourceType,
      resourceId,
      details: { reason: found ? 'need_to_know_unit' : 'not_found' },
    });
    return undefined;
  }
  return { ...found, resourceType, resourceId };
}

/**
 * A legal reviewer approves naming one sponsor in one referral or partner request, in writing. Refused: the
 * disclosure's author, a reviewer bound to the author (two-person rule), a short justification, a person who is
 * not a sponsor of the case, a disclosure no longer waiting (sent, denied, withdrawn). Every refusal is audited.
 */
export async function approveSponsorDisclosure(
  db: Db,
  ctx: ActorCtx,
  target: Disclosure,
  input: { personId: string; justification: string },
) {
  const reviewerId = staffOnly(ctx.actor, 'Only staff review.').userId;
  const action = 'sponsor_disclosure.approve';
  const outcome = await db.transaction().execute(async (trx) => {
    const d = await loadDisclosure(trx, ctx, target, action);
    if (!d) return { error: new AppError('not_found', `There is no such ${nounOf(target)}.`) };
    const deny = async (rule: string, error: AppError) => {
      await appendAudit(trx, ctx, {
        action,
        outcome: 'denied',
        resourceType: d.resourceType,
        resourceId: d.resourceId,
        details: { rule, reason: rule, sponsorPersonId: input.personId },
      });
      return { error };
    };
    const own = reviewerRefusal(reviewerId, d.authorId, input.justification);
    if (own) return deny(own.rule, own.error);
    if (!d.open.includes(d.status))
      return deny(
        'not_waiting',
        new AppError('conflict', `A sponsor can be approved only before the disclosure leaves; this one is ${d.status.replace('_', ' ')}.`),
      );
    const sponsor = await survivorOf(trx, input.personId);
    const sponsors = await sponsorsOfCase(trx, d.caseId);
    if (!sponsors.some((s) => s.personId === sponsor))
      return deny(
        'not_a_sponsor',
        new AppError('unprocessable', 'That person is not a sponsor on this case.', {
          issues: [{ path: 'body.personId', code: 'not_a_sponsor', message: 'name a sponsor of this case' }],
        }),
      );
    const dependent = await refuseDependentApprover(trx, ctx, {
      proposerId: d.authorId,
      approverId: reviewerId,
      action,
      resourceType: d.resourceType,
      resourceId: d.resourceId,
    });
    if (dependent) return { error: dependent };
    const existing = await rel.sponsorApprovalsFor(trx, target);
    const already = existing.find((a) => a.sponsor_person_id === sponsor);
    if (already) return { error: new AppError('conflict', 'Naming this sponsor in this disclosure is already approved.') };
    const approval = await rel.insertSponsorApproval(trx, {
      sponsor_person_id: sponsor,
      referral_id: 'referralId' in target ? target.referralId : null,
      partner_request_id: 'partnerRequestId' in target ? target.partnerRequestId : null,
      welfare_referral_id: 'welfareReferralId' in target ? target.welfareReferralId : null,
      justification: input.justification,
      approved_by: reviewerId,
      approved_at: ctx.now,
    });
    await addCaseEvent(trx, {
      caseId: d.caseId,
      at: ctx.now,
      actorId: reviewerId,
      kind: 'sponsor_disclosure_approved',
      details: {
        [d.resourceType === 'referral' ? 'referralId' : d.resourceType === 'partner_request' ? 'requestId' : 'welfareReferralId']:
          d.resourceId,
        approvalId: approval.id,
      },
    });
    await appendAudit(trx, ctx, {
      action,
      outcome: 'allowed',
      resourceType: d.resourceType,
      resourceId: d.resourceId,
      details: { approvalId: approval.id, sponsorPersonId: sponsor },
    });
    return { approval };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.approval;
}
