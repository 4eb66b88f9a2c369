import { ZCaseReadQuery, ZIdParams } from '../../contracts/cases.js';
import {
  ZConsent,
  ZConsentBody,
  ZConsentList,
  ZConsentParams,
  ZConsentWithdrawal,
  ZDisclosureCheck,
  ZDisclosureCheckQuery,
  ZFamily,
  ZRelationship,
  ZRelationshipBody,
  ZRelationshipParams,
  ZRelationshipPatch,
  ZRelationshipSuggestion,
  ZSponsorApproval,
  ZSponsorApprovalBody,
  ZSuggestionDecision,
  ZSuggestionParams,
} from '../../contracts/relationships.js';
import { listConsents, previewDisclosure, recordConsent, withdrawConsent } from '../../services/consent.service.js';
import { addRelationship, decideSuggestion, readFamily, updateRelationship } from '../../services/relationship.service.js';
import { approveSponsorDisclosure } from '../../services/sponsor-shield.service.js';
import { type AppContext, actorContext } from '../context.js';
import {
  presentConsent,
  presentFamily,
  presentRelationship,
  presentSponsorApproval,
  presentSuggestion,
} from '../presenters/relationship.presenter.js';
import { defineRoute } from '../route.js';

/**
 * A child's relationships and consent (issue #22 items 1–2), and the legal reviewer's approval naming a sponsor in
 * one referral or partner request. Need-to-know by unit in the services (a UAC case is 404 to anyone outside
 * the unit, audited); every read and write audited.
 */
export function relationshipRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/family',
      summary: "A case's family section: the children's relationships (the family tree), suggested links and households over time",
      description:
        'Suggestions (same address, same phone, named as sponsor in an intake) are found on each read and wait for a case worker. A case about a child asks for a purpose of use (kept in the audit).',
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZIdParams,
      query: ZCaseReadQuery,
      response: ZFamily,
      errors: [404],
      handler: async ({ params, query, request }) =>
        presentFamily(await readFamily(ctx.db, actorContext(ctx, request), params.id, { code: query.purposeCode, text: query.purpose })),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/relationships',
      summary: 'Record a relationship of a child on the case (sponsor, parent, sibling, caregiver, relative, other adult) with its source',
      tags: ['cases'],
      access: { permission: 'relationship:write' },
      params: ZIdParams,
      body: ZRelationshipBody,
      response: ZRelationship,
      successStatus: 201,
      errors: [404, 422],
      handler: async ({ params, body, request }) =>
        presentRelationship(await addRelationship(ctx.db, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/cases/:id/relationships/:relationshipId',
      summary: 'Verify, dispute or end (until) a relationship',
      tags: ['cases'],
      access: { permission: 'relationship:write' },
      params: ZRelationshipParams,
      body: ZRelationshipPatch,
      response: ZRelationship,
      errors: [404],
      handler: async ({ params, body, request }) =>
        presentRelationship(await updateRelationship(ctx.db, actorContext(ctx, request), params.id, params.relationshipId, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/relationship-suggestions/:suggestionId/decision',
      summary: 'Confirm (a relationship is made) or reject a suggested link; nothing is linked without this',
      tags: ['cases'],
      access: { permission: 'relationship:write' },
      params: ZSuggestionParams,
      body: ZSuggestionDecision,
      response: ZRelationshipSuggestion,
      errors: [404, 409],
      handler: async ({ params, body, request }) =>
        presentSuggestion(await decideSuggestion(ctx.db, actorContext(ctx, request), params.id, params.suggestionId, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/referrals/:id/sponsor-approvals',
      summary: 'A legal reviewer (not the author) approves naming one protected sponsor in this referral, in writing',
      description:
        'Without it the gate holds the referral and its packet and record withhold the sponsor. Refused (audited): the author, a reviewer bound to the author (two-person rule), a short justification, a person who is not a sponsor of the case, a referral no longer draft or held.',
      tags: ['referrals'],
      access: { permission: 'sponsor:approve_disclosure' },
      params: ZIdParams,
      body: ZSponsorApprovalBody,
      response: ZSponsorApproval,
      successStatus: 201,
      errors: [403, 404, 409, 422],
      handler: async ({ params, body, request }) =>
        presentSponsorApproval(await approveSponsorDisclosure(ctx.db, actorContext(ctx, request), { referralId: params.id }, body)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/partner-requests/:id/sponsor-approvals',
      summary: 'A legal reviewer (not the author) approves naming one protected sponsor in this held request to a partner agency',
      tags: ['partner-requests'],
      access: { permission: 'sponsor:approve_disclosure' },
      params: ZIdParams,
      body: ZSponsorApprovalBody,
      response: ZSponsorApproval,
      successStatus: 201,
      errors: [403, 404, 409, 422],
      handler: async ({ params, body, request }) =>
        presentSponsorApproval(await approveSponsorDisclosure(ctx.db, actorContext(ctx, request), { partnerRequestId: params.id }, body)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/consents',
      summary: "The child's consent decisions on the case (what may be shared with whom), each with whether it is in force today",
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZIdParams,
      response: ZConsentList,
      errors: [404],
      handler: async ({ params, request }) => ({
        consents: (await listConsents(ctx.db, actorContext(ctx, request), params.id)).map((c) => presentConsent(c.row, c.inForce)),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/consents',
      summary: "Record a child's or guardian's consent decision: scope, recipients, granted or refused, the day and the basis",
      tags: ['cases'],
      access: { permission: 'consent:write' },
      params: ZIdParams,
      body: ZConsentBody,
      response: ZConsent,
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) => {
        const row = await recordConsent(ctx.db, actorContext(ctx, request), params.id, body);
        return presentConsent(row, true);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/consents/:consentId/withdraw',
      summary: 'Withdraw a consent, in writing, from today or a later day',
      tags: ['cases'],
      access: { permission: 'consent:write' },
      params: ZConsentParams,
      body: ZConsentWithdrawal,
      response: ZConsent,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        const rc = actorContext(ctx, request);
        const row = await withdrawConsent(ctx.db, rc, params.id, params.consentId, body);
        return presentConsent(row, row.withdrawn_on === null);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id/disclosure-check',
      summary: "Would the child's information go to this recipient today? The one disclosure check, asked ahead",
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZIdParams,
      query: ZDisclosureCheckQuery,
      response: ZDisclosureCheck,
      errors: [404],
      handler: async ({ params, query, request }) => {
        const a = await previewDisclosure(ctx.db, actorContext(ctx, request), params.id, {
          personId: query.personId,
          recipient: { kind: query.recipientKind, name: query.recipientName },
        });
        return a.allowed
          ? { allowed: true, basis: a.basis, code: null, message: null }
          : { allowed: false, basis: null, code: a.code, message: a.message };
      },
    }),
  ];
}
