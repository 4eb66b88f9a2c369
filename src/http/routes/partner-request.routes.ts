import { z } from 'zod';
import { ZIdParams } from '../../contracts/cases.js';
import {
  ZAgencyRequest,
  ZPartnerAnswer,
  ZPartnerRequestCandidates,
  ZPartnerRequestCreate,
  ZPartnerRequestsMade,
  ZPostReviewBody,
  ZStaffRequest,
} from '../../contracts/partner.js';
import { MIN_JUSTIFICATION_LENGTH } from '../../domain/safeguards/referral-gate.js';
import { createPartnerRequests, requestCandidates } from '../../services/partner-request.service.js';
import { acknowledgeRequest, agencyRequest, agencyRequests, answerRequest } from '../../services/partner-request-agency.service.js';
import { type PartnerRequestEventRow, type PartnerRequestRow, presentForAgency } from '../../services/partner-request-record.service.js';
import {
  caseRequests,
  postReviewPartnerRequest,
  reviewPartnerRequest,
  reviewQueue,
  withdrawPartnerRequest,
} from '../../services/partner-request-review.service.js';
import { partnerActor } from '../../services/partner-submission.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

/**
 * Requests to partner agencies. Staff (UAC specialists, analysts) ask; legal
 * reviewers decide held ones; the agency reads and answers its own through
 * the partner API (scope requests:respond) or the portal.
 */

const presentStaff = (r: PartnerRequestRow, timeline?: PartnerRequestEventRow[]): z.infer<typeof ZStaffRequest> => ({
  ...presentForAgency(r),
  caseId: r.case_id,
  personId: r.person_id,
  kind: r.kind,
  agencyBasis: r.agency_basis,
  chosenReason: r.chosen_reason,
  purpose: `${r.purpose_code}: ${r.purpose_text}`,
  gate: r.gate,
  createdAt: r.created_at.toISOString(),
  escalatedAt: r.escalated_at?.toISOString() ?? null,
  answerReportId: r.answer_report_id,
  answerLocationId: r.answer_location_id,
  postReview:
    r.urgent_lane && r.post_review_due_at
      ? {
          dueAt: r.post_review_due_at.toISOString(),
          escalatedAt: r.post_review_escalated_at?.toISOString() ?? null,
          finding: r.post_review_finding,
          justification: r.post_review_justification,
          reviewedBy: r.post_reviewed_by,
          reviewedAt: r.post_reviewed_at?.toISOString() ?? null,
        }
      : null,
  ...(timeline
    ? {
        timeline: timeline.map((e) => ({ at: e.at.toISOString(), kind: e.kind, from: e.from_status, to: e.to_status, details: e.details })),
      }
    : {}),
});

const ZStatusQuery = z.strictObject({
  status: z.enum(['sent', 'acknowledged', 'answered', 'closed', 'withdrawn']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function agencyRoutes(ctx: AppContext, base: string, via: 'client' | undefined) {
  const access = via ? { permission: 'partner_request:respond' as const, via } : { permission: 'partner_request:respond' as const };
  const partnerCtx = (request: Parameters<typeof actorContext>[1]) => {
    const rc = actorContext(ctx, request);
    return { ...rc, actor: partnerActor(rc.actor) };
  };
  return [
    defineRoute({
      method: 'GET',
      url: `${base}/requests`,
      summary: 'Requests from the center to my agency: open ones first, by deadline',
      tags: ['partner'],
      access,
      query: ZStatusQuery,
      response: z.object({ requests: z.array(ZAgencyRequest) }),
      handler: async ({ query, request }) => ({
        requests: (await agencyRequests(ctx.db, partnerCtx(request), query.status, query.limit)).map(presentForAgency),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: `${base}/requests/:id`,
      summary: 'One request to my agency',
      tags: ['partner'],
      access,
      params: ZIdParams,
      response: ZAgencyRequest,
      errors: [404],
      handler: async ({ params, request }) => presentForAgency(await agencyRequest(ctx.db, partnerCtx(request), params.id)),
    }),
    defineRoute({
      method: 'POST',
      url: `${base}/requests/:id/acknowledge`,
      summary: 'Acknowledge a request: we have it and are acting on it',
      tags: ['partner'],
      access,
      params: ZIdParams,
      body: z.strictObject({}).optional(),
      response: ZAgencyRequest,
      errors: [404, 409],
      handler: async ({ params, request }) => presentForAgency(await acknowledgeRequest(ctx.db, partnerCtx(request), params.id)),
    }),
    defineRoute({
      method: 'POST',
      url: `${base}/requests/:id/answer`,
      summary: 'Answer a request: the outcome, notes and, if found, where — it goes onto the case and to the center’s queue',
      tags: ['partner'],
      access,
      params: ZIdParams,
      body: ZPartnerAnswer,
      response: ZAgencyRequest.extend({ reportReference: z.string() }),
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        const answered = await answerRequest(
          { db: ctx.db, routing: ctx.routing, permissions: ctx.identity.permissions, geocoder: ctx.geocoder },
          partnerCtx(request),
          params.id,
          body,
        );
        return { ...presentForAgency(answered.request), reportReference: answered.reportReference };
      },
    }),
  ];
}

export function partnerRequestRoutes(ctx: AppContext) {
  const deps = { db: ctx.db, routing: ctx.routing, permissions: ctx.identity.permissions, geocoder: ctx.geocoder };
  return [
    ...agencyRoutes(ctx, '/api/partner/v1', 'client'),
    ...agencyRoutes(ctx, '/api/v1/portal', undefined),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/partner-request-candidates',
      summary: "Who a request about this case's subject would go to by default (agencies covering the last known location)",
      tags: ['partner-requests'],
      access: { permission: 'partner_request:create' },
      params: ZIdParams,
      query: z.strictObject({ personId: z.uuid().optional() }),
      response: ZPartnerRequestCandidates,
      errors: [404],
      handler: async ({ params, query, request }) => requestCandidates(ctx.db, actorContext(ctx, request), params.id, query.personId),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/partner-requests',
      summary: 'Ask partner agencies for help about a case’s subject (one request per agency), through the safeguard gate',
      description:
        'Blocked by the gate → 422 referral_blocked, nothing stored. About a child or a protected person → pending_review until a legal reviewer (not the author) approves. Otherwise sent at once (portal and signed webhook). A purpose of use is required and audited.',
      tags: ['partner-requests'],
      access: { permission: 'partner_request:create' },
      params: ZIdParams,
      body: ZPartnerRequestCreate,
      response: ZPartnerRequestsMade,
      successStatus: 201,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) => {
        const made = await createPartnerRequests(deps, actorContext(ctx, request), params.id, body);
        return { requests: made.requests.map((r) => presentStaff(r)), decision: made.gate.decision };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/partner-requests',
      summary: "A case's requests to partner agencies, with their timelines",
      tags: ['partner-requests'],
      access: { permission: 'case:read' },
      params: ZIdParams,
      response: z.object({ requests: z.array(ZStaffRequest) }),
      errors: [404],
      handler: async ({ params, request }) => ({
        requests: (await caseRequests(ctx.db, actorContext(ctx, request), params.id)).map((r) => presentStaff(r.request, r.timeline)),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/partner-requests/review-queue',
      summary:
        'What waits for a legal reviewer, oldest first: requests held for review, and welfare checks sent at once about a child in danger that await their review afterwards',
      tags: ['partner-requests'],
      access: { permission: 'referral:review' },
      response: z.object({ requests: z.array(ZStaffRequest.extend({ caseNumber: z.string() })) }),
      handler: async ({ request }) => ({
        requests: (await reviewQueue(ctx.db, actorContext(ctx, request))).map((r) => ({ ...presentStaff(r), caseNumber: r.case_number })),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/partner-requests/:id/review',
      summary: 'A legal reviewer approves (sent) or denies a held request, in writing; the gate is asked again',
      tags: ['partner-requests'],
      access: { permission: 'referral:review' },
      params: ZIdParams,
      body: z.strictObject({
        decision: z.enum(['approve', 'deny']),
        justification: z.string().trim().min(MIN_JUSTIFICATION_LENGTH).max(2_000),
      }),
      response: ZStaffRequest,
      errors: [403, 404, 409, 422],
      handler: async ({ params, body, request }) =>
        presentStaff(await reviewPartnerRequest(deps, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/partner-requests/:id/post-review',
      summary: 'A legal reviewer reviews afterwards a welfare check sent at once about a child in danger: proper or not, in writing',
      description:
        'Only for requests of the urgent lane, within 24 hours of sending (later ones are escalated). Not by the author. "improper" withdraws a request the agency has not answered, and tells the agency.',
      tags: ['partner-requests', 'safeguards'],
      access: { permission: 'partner_request:post_review' },
      params: ZIdParams,
      body: ZPostReviewBody,
      response: ZStaffRequest,
      errors: [403, 404, 409],
      handler: async ({ params, body, request }) =>
        presentStaff(await postReviewPartnerRequest(deps, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/partner-requests/:id/withdraw',
      summary: 'Withdraw a request the center no longer needs; the agency is told',
      tags: ['partner-requests'],
      access: { permission: 'partner_request:create' },
      params: ZIdParams,
      body: z.strictObject({ reason: z.string().trim().min(5).max(500) }),
      response: ZStaffRequest,
      errors: [404, 409],
      handler: async ({ params, body, request }) =>
        presentStaff(await withdrawPartnerRequest(deps, actorContext(ctx, request), params.id, body.reason)),
    }),
  ];
}
