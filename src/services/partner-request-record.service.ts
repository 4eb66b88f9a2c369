import type { Transaction } from 'kysely';
import type { Actor, PermissionTable } from '../domain/access/access-control.js';
import type { Geocoder } from '../domain/geo/geocoder.js';
import type { Db } from '../storage/database.js';
import * as requests from '../storage/repositories/partner-request.repository.js';
import * as submissions from '../storage/repositories/partner-submission.repository.js';
import type { Database } from '../storage/schema.js';
import type { RequestContext } from './audit.service.js';
import type { PartnerActor } from './partner-submission.service.js';
import type { RoutingService } from './routing.service.js';
import { shieldRequestRow } from './sponsor-shield.service.js';

/**
 * What every part of a request's life writes the same way: its events, the webhook that tells the agency, and the
 * view the agency is given. The parts: partner-request.service.ts (asking), partner-request-review.service.ts (legal
 * review, withdrawal, the case's list), partner-request-agency.service.ts (the agency's side) and
 * partner-request-work.service.ts (work items and the deadline sweep).
 */

export type Trx = Transaction<Database>;
export type StaffCtx = RequestContext & { actor: Actor };
export type PartnerCtx = RequestContext & { actor: PartnerActor };
export type PartnerRequestRow = requests.PartnerRequestRow;
export type PartnerRequestEventRow = requests.PartnerRequestEventRow;
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

export async function addEvent(
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
  await requests.insertRequestEvent(trx, {
    request_id: e.requestId,
    at: e.at,
    actor_id: e.actor?.kind === 'user' ? e.actor.userId : null,
    actor_client: e.actor?.kind === 'client' ? e.actor.clientId : null,
    kind: e.kind,
    from_status: e.from ?? null,
    to_status: e.to ?? null,
    details: JSON.stringify(e.details ?? {}),
  });
}

export async function queueWebhook(
  trx: Trx,
  request: PartnerRequestRow,
  event: 'request.created' | 'request.overdue' | 'request.withdrawn',
  now: Date,
) {
  if (!(await submissions.agencyHasWebhook(trx, request.agency_ori))) return;
  await submissions.insertWebhookDelivery(trx, {
    agency_ori: request.agency_ori,
    submission_id: null,
    request_id: request.id,
    event,
    // Sponsor protection holds for the webhook too (services/sponsor-shield.service.ts).
    body: JSON.stringify({ event, ...presentForAgency(await shieldRequestRow(trx, request)), at: now.toISOString() }),
    status: 'pending',
    next_attempt_at: now,
    created_at: now,
  });
}

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
