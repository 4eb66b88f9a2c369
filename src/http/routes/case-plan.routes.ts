import { z } from 'zod';
import {
  ZCasePlan,
  ZClosureDecisionBody,
  ZClosureRequestBody,
  ZNeed,
  ZNeedBody,
  ZPlanDecisionBody,
  ZService,
  ZServiceBody,
  ZServiceParams,
  ZServiceStatusBody,
} from '../../contracts/case-plan.js';
import { ZCaseReadQuery, ZIdParams } from '../../contracts/cases.js';
import {
  addNeed,
  addService,
  changeServiceStatus,
  decideClosure,
  decidePlan,
  readPlan,
  requestClosure,
  submitPlan,
} from '../../services/case-plan.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentCasePlan, presentNeed, presentService } from '../presenters/case-plan.presenter.js';
import { defineRoute } from '../route.js';

/**
 * A child's services and case plan (issue #22 item 3): needs, services and their status, the plan's approval and
 * the closure of a UAC case, each decided by a supervisor who did not ask. Only UAC cases have a plan (422
 * not_a_uac_case); need-to-know by unit in the services (404 to anyone outside the unit, audited); every read and
 * write audited, the read with its purpose of use. A closed case's plan is not changed (422 case_closed); a
 * decision names the submission or request it decides (409 stale_decision when another came since). Write routes answer the plan as it now is, so the screen shows one shape.
 */
export function casePlanRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/plan',
      summary: "A child's case plan: its approval, the needs assessed, the services planned (overdue marked) and the closure request",
      tags: ['cases'],
      description: "Reveals a child's needs (medical, mental health, legal): asks for a purpose of use (kept in the audit).",
      access: { permission: 'case:read' },
      params: ZIdParams,
      query: ZCaseReadQuery,
      response: ZCasePlan,
      errors: [400, 404, 422],
      handler: async ({ params, query, request }) =>
        presentCasePlan(await readPlan(ctx.db, actorContext(ctx, request), params.id, { code: query.purposeCode, text: query.purpose })),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/needs',
      summary:
        "Record a need assessed on a child's case (legal, shelter, medical, mental health, education, family reunification, safety, other)",
      description: 'A change to a plan that was submitted, approved or returned puts it back to draft: it needs approving again.',
      tags: ['cases'],
      access: { permission: 'plan:write' },
      params: ZIdParams,
      body: ZNeedBody,
      response: ZNeed,
      successStatus: 201,
      errors: [404, 422],
      handler: async ({ params, body, request }) => presentNeed(await addNeed(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/services',
      summary: 'Plan a service against a need: its type, provider and due day',
      description: 'A change to a plan that was submitted, approved or returned puts it back to draft: it needs approving again.',
      tags: ['cases'],
      access: { permission: 'plan:write' },
      params: ZIdParams,
      body: ZServiceBody,
      response: ZService,
      successStatus: 201,
      errors: [404, 422],
      handler: async ({ params, body, request }) =>
        presentService({ ...(await addService(ctx.db, actorContext(ctx, request), params.id, body)), overdue: false }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/services/:serviceId/status',
      summary: 'Move a service on: in progress, delivered, not delivered or cancelled (the last three with an outcome)',
      tags: ['cases'],
      access: { permission: 'plan:write' },
      params: ZServiceParams,
      body: ZServiceStatusBody,
      response: ZCasePlan,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) =>
        presentCasePlan(await changeServiceStatus(ctx.db, actorContext(ctx, request), params.id, params.serviceId, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/plan/submit',
      summary: 'Submit the case plan (needs and services) to a supervisor for approval',
      tags: ['cases'],
      access: { permission: 'plan:write' },
      params: ZIdParams,
      body: z.strictObject({}),
      response: ZCasePlan,
      errors: [404, 409, 422],
      handler: async ({ params, request }) => presentCasePlan(await submitPlan(ctx.db, actorContext(ctx, request), params.id)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/plan/decision',
      summary: 'As a supervisor, approve the submitted case plan or return it with a note (never one you submitted)',
      tags: ['cases'],
      access: { permission: 'plan:approve' },
      params: ZIdParams,
      body: ZPlanDecisionBody,
      response: ZCasePlan,
      errors: [403, 404, 409, 422],
      handler: async ({ params, body, request }) => presentCasePlan(await decidePlan(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/closure',
      summary: "Request the closure of a child's case, with its reason; every service must be resolved first",
      tags: ['cases'],
      access: { permission: 'plan:write' },
      params: ZIdParams,
      body: ZClosureRequestBody,
      response: ZCasePlan,
      successStatus: 201,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) =>
        presentCasePlan(await requestClosure(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/closure/decision',
      summary: 'As a supervisor, approve the closure (the case closes) or refuse it with a reason (never one you requested)',
      tags: ['cases'],
      access: { permission: 'plan:approve' },
      params: ZIdParams,
      body: ZClosureDecisionBody,
      response: ZCasePlan,
      errors: [403, 404, 409, 422],
      handler: async ({ params, body, request }) =>
        presentCasePlan(await decideClosure(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
  ];
}
