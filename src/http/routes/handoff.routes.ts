import { ZIdParams } from '../../contracts/cases.js';
import { ZEmptyBody } from '../../contracts/common.js';
import {
  ZCaseHandoff,
  ZCaseHandoffs,
  ZCaseIdParams,
  ZCaseWelfareReferrals,
  ZCredentialIssued,
  ZHandoffIdParams,
  ZInboxHandoff,
  ZInboxList,
  ZInboxOutcomeBody,
  ZOrganisationBody,
  ZOrganisationList,
  ZOrganisationSaved,
  ZReferralTypeParams,
  ZTrackedHandoffs,
  ZTrackingQuery,
} from '../../contracts/handoffs.js';
import { ZSponsorApproval, ZSponsorApprovalBody } from '../../contracts/relationships.js';
import type { OrganisationActor } from '../../domain/access/access-control.js';
import { AppError } from '../../domain/errors/app-error.js';
import {
  acknowledgeHandoff,
  answerHandoff,
  caseHandoffs,
  caseWelfareReferrals,
  issueCredential,
  listInboxHandoffs,
  listOrganisations,
  readInboxHandoff,
  saveOrganisation,
  sendHandoff,
  trackHandoffs,
} from '../../services/handoff.service.js';
import { approveSponsorDisclosure } from '../../services/sponsor-shield.service.js';
import { type AppContext, actorContext } from '../context.js';
import {
  presentCaseHandoff,
  presentInboxEntry,
  presentInboxHandoff,
  presentOrganisation,
  presentTrackedHandoff,
} from '../presenters/handoff.presenter.js';
import { presentSponsorApproval } from '../presenters/relationship.presenter.js';
import { defineRoute } from '../route.js';

/**
 * Hand-offs of welfare referrals (issue #22 item 4): admins configure the receiving organisations; the UAC unit
 * sends and follows hand-offs; each organisation reads and answers its own through the hand-off inbox with its
 * credential (a separate API, rate-limited per address). Need-to-know and audit in the services.
 */
export function handoffRoutes(ctx: AppContext) {
  const deps = () => ({ db: ctx.db, keys: ctx.identity.keys, routing: ctx.routing, timeZone: ctx.timeZone, development: ctx.development });
  const orgContext = (request: Parameters<typeof actorContext>[1]) => {
    const rc = actorContext(ctx, request);
    if (rc.actor.kind !== 'organisation') throw new AppError('forbidden', 'Only receiving organisations use the hand-off inbox.');
    return { ...rc, actor: rc.actor satisfies OrganisationActor };
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/admin/handoff-organisations',
      summary: 'The receiving organisations of welfare referrals, one per type (admins)',
      tags: ['admin'],
      access: { permission: 'handoff:configure' },
      response: ZOrganisationList,
      handler: async ({ request }) => ({
        organisations: (await listOrganisations(ctx.db, actorContext(ctx, request))).map(presentOrganisation),
      }),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/admin/handoff-organisations/:referralType',
      summary: 'Configure the organisation that receives one type of welfare referral (admins)',
      description:
        'The webhook URL follows the partner webhooks’ address policy (HTTPS to a public host). A signing secret is made with the first URL or on request, and shown once.',
      tags: ['admin'],
      access: { permission: 'handoff:configure' },
      params: ZReferralTypeParams,
      body: ZOrganisationBody,
      response: ZOrganisationSaved,
      errors: [422],
      handler: async ({ params, body, request }) => {
        const saved = await saveOrganisation(deps(), actorContext(ctx, request), params.referralType, body);
        return { organisation: presentOrganisation(saved.organisation), webhookSecret: saved.webhookSecret };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/admin/handoff-organisations/:id/credential',
      summary: "Issue (or rotate) a receiving organisation's API credential, shown once (admins)",
      tags: ['admin'],
      access: { permission: 'handoff:configure' },
      params: ZIdParams,
      body: ZEmptyBody,
      response: ZCredentialIssued,
      successStatus: 201,
      errors: [404],
      handler: async ({ params, request, reply }) => {
        const issued = await issueCredential(ctx.db, actorContext(ctx, request), params.id);
        reply.status(201);
        return { organisationId: params.id, credential: issued.credential, issuedAt: issued.issuedAt.toISOString() };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/welfare-referrals/:id/handoff',
      summary: 'Send a welfare referral to the organisation that receives its type',
      description:
        "Checked first against the child's consent for that recipient (or a child in danger): a refusal is 422 disclosure_refused, audited, and recorded as a refused hand-off. No sponsor is named unless a legal reviewer approved it for this welfare referral.",
      tags: ['cases'],
      access: { permission: 'handoff:send' },
      params: ZIdParams,
      body: ZEmptyBody,
      response: ZCaseHandoff,
      successStatus: 201,
      errors: [404, 409, 422],
      handler: async ({ params, request, reply }) => {
        const row = await sendHandoff(deps(), actorContext(ctx, request), params.id);
        reply.status(201);
        return presentCaseHandoff(row);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/welfare-referrals/:id/sponsor-approvals',
      summary: "A legal reviewer approves naming one sponsor in a welfare referral's hand-off",
      tags: ['cases'],
      access: { permission: 'sponsor:approve_disclosure' },
      params: ZIdParams,
      body: ZSponsorApprovalBody,
      response: ZSponsorApproval,
      successStatus: 201,
      errors: [404, 409, 422],
      handler: async ({ params, body, request, reply }) => {
        const approval = await approveSponsorDisclosure(ctx.db, actorContext(ctx, request), { welfareReferralId: params.id }, body);
        reply.status(201);
        return presentSponsorApproval(approval);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/handoffs',
      summary: 'Every open hand-off: how long it has waited and who must act',
      tags: ['cases'],
      access: { permission: 'handoff:send' },
      query: ZTrackingQuery,
      response: ZTrackedHandoffs,
      handler: async ({ request }) => {
        const rc = actorContext(ctx, request);
        return { handoffs: (await trackHandoffs(ctx.db, rc)).map((h) => presentTrackedHandoff(h, rc.now)) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:caseId/handoffs',
      summary: "A case's hand-offs",
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZCaseIdParams,
      response: ZCaseHandoffs,
      errors: [404],
      handler: async ({ params, request }) => ({
        handoffs: (await caseHandoffs(ctx.db, actorContext(ctx, request), params.caseId)).map(presentCaseHandoff),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:caseId/welfare-referrals',
      summary: "A case's welfare referrals and the organisation that receives each type",
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZCaseIdParams,
      response: ZCaseWelfareReferrals,
      errors: [404],
      handler: async ({ params, request }) => ({
        welfareReferrals: (await caseWelfareReferrals(ctx.db, actorContext(ctx, request), params.caseId)).map((w) => ({
          id: w.id,
          agency: w.agency,
          reasons: w.reasons,
          status: w.status,
          dueAt: w.due_at.toISOString(),
          recipient: w.recipient_name !== null && w.recipient_kind !== null ? { kind: w.recipient_kind, name: w.recipient_name } : null,
        })),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/handoff-inbox',
      summary: 'Receiving organisations: the hand-offs waiting on you (sent or acknowledged), without their content',
      description: 'For an organisation without a webhook: each with its case reference and deadlines; read one to see its snapshot.',
      tags: ['handoff-inbox'],
      access: { permission: 'handoff:answer', via: 'handoff' },
      response: ZInboxList,
      errors: [429],
      handler: async ({ request }) => ({ handoffs: (await listInboxHandoffs(ctx.db, orgContext(request))).map(presentInboxEntry) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/handoff-inbox/:id',
      summary: 'Receiving organisations: one hand-off addressed to you, its snapshot as it may be served now',
      description:
        'Checked again on every read: a sponsor not approved for it is withheld (even one linked after it was sent); declined, or no longer disclosable (consent withdrawn, no child in danger), it is 422 disclosure_refused.',
      tags: ['handoff-inbox'],
      access: { permission: 'handoff:answer', via: 'handoff' },
      params: ZHandoffIdParams,
      response: ZInboxHandoff,
      errors: [404, 422, 429],
      handler: async ({ params, request }) => {
        const view = await readInboxHandoff(ctx.db, orgContext(request), params.id);
        return presentInboxHandoff(view.row, view.snapshot);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/handoff-inbox/:id/acknowledge',
      summary: 'Receiving organisations: say you have the hand-off',
      tags: ['handoff-inbox'],
      access: { permission: 'handoff:answer', via: 'handoff' },
      params: ZHandoffIdParams,
      body: ZEmptyBody,
      response: ZInboxHandoff,
      errors: [404, 409, 422, 429],
      handler: async ({ params, request }) => {
        const view = await acknowledgeHandoff(ctx.db, orgContext(request), params.id);
        return presentInboxHandoff(view.row, view.snapshot);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/handoff-inbox/:id/outcome',
      summary: 'Receiving organisations: accept (with the outcome) or decline the hand-off; this closes it',
      tags: ['handoff-inbox'],
      access: { permission: 'handoff:answer', via: 'handoff' },
      params: ZHandoffIdParams,
      body: ZInboxOutcomeBody,
      response: ZInboxHandoff,
      errors: [404, 409, 429],
      handler: async ({ params, body, request }) =>
        presentInboxHandoff(await answerHandoff({ db: ctx.db, routing: ctx.routing }, orgContext(request), params.id, body), null),
    }),
  ];
}
