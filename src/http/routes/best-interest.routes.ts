import { ZBestInterest, ZCareArrangementBody, ZRecorded, ZRiskBody, ZWishBody } from '../../contracts/best-interest.js';
import { ZCaseReadQuery, ZIdParams } from '../../contracts/cases.js';
import { readBestInterest, recordCareArrangement, recordRisk, recordWish } from '../../services/best-interest.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentBestInterest, presentRecorded } from '../presenters/best-interest.presenter.js';
import { defineRoute } from '../route.js';

/**
 * The best-interest view of a UAC child's case (issue #22 item 5): one document with the child, wishes,
 * caregivers, care arrangement, risks and the timeline, and the three records it adds. Writing uses the UAC
 * unit's relationship:write; reading is case:read with the family section's need-to-know and purpose of use.
 * A case outside the UAC unit is 422 not_a_uac_case.
 */

export function bestInterestRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/best-interest',
      summary: "A UAC child's best-interest view: wishes, caregivers, care arrangement, risks (recorded and derived) and the timeline",
      description:
        "Derived risks are read-only: the latest welfare screening's danger indicators, protections in force and the age-out day. Sponsors are marked protected as in the family section. Asks for a purpose of use (kept in the audit). Services and hand-offs come from /plan and /handoffs.",
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZIdParams,
      query: ZCaseReadQuery,
      response: ZBestInterest,
      errors: [400, 404, 422],
      handler: async ({ params, query, request }) =>
        presentBestInterest(
          await readBestInterest(ctx.db, actorContext(ctx, request), params.id, { code: query.purposeCode, text: query.purpose }),
        ),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/best-interest/wishes',
      summary: 'Record what the child says they want (where to live, family contact, school…), the day and in whose words',
      tags: ['cases'],
      access: { permission: 'relationship:write' },
      params: ZIdParams,
      body: ZWishBody,
      response: ZRecorded,
      successStatus: 201,
      errors: [404, 422],
      handler: async ({ params, body, request }) => presentRecorded(await recordWish(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/best-interest/care-arrangements',
      summary: "Record the child's care arrangement from a day (it ends the one before it), with the caregiver where there is one",
      tags: ['cases'],
      access: { permission: 'relationship:write' },
      params: ZIdParams,
      body: ZCareArrangementBody,
      response: ZRecorded,
      successStatus: 201,
      errors: [404, 422],
      handler: async ({ params, body, request }) =>
        presentRecorded(await recordCareArrangement(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/best-interest/risks',
      summary: 'Record a risk factor for the child: its kind, level and day',
      tags: ['cases'],
      access: { permission: 'relationship:write' },
      params: ZIdParams,
      body: ZRiskBody,
      response: ZRecorded,
      successStatus: 201,
      errors: [404, 422],
      handler: async ({ params, body, request }) => presentRecorded(await recordRisk(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
  ];
}
