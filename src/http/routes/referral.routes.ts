import type { z } from 'zod';
import {
  ZIdParams,
  ZReferral,
  ZReferralCreate,
  ZReferralListQuery,
  ZReferralOutcome,
  ZReferralPacketJson,
  ZReferralPage,
  ZReferralReason,
  ZReferralReview,
} from '../../contracts/cases.js';
import { ZEmptyBody, ZTextResponse } from '../../contracts/common.js';
import { ZPersonQuery } from '../../contracts/persons.js';
import {
  actOnReferral,
  createReferral,
  listReferrals,
  readReferral,
  reviewReferral,
  submitReferral,
} from '../../services/referral.service.js';
import { buildPacket, renderPacketPdf } from '../../services/referral-packet.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentReferral } from '../presenters/case.presenter.js';
import { defineRoute } from '../route.js';

export function referralRoutes(ctx: AppContext) {
  const deps = { db: ctx.db, permissions: ctx.identity.permissions };
  const empty = ZEmptyBody;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/referrals',
      summary:
        'Draft a referral of a case to a field office (the area of responsibility of the latest verified location, or one named with a reason)',
      tags: ['referrals'],
      access: { permission: 'referral:create' },
      params: ZIdParams,
      body: ZReferralCreate,
      response: ZReferral,
      successStatus: 201,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) =>
        presentReferral(await createReferral(deps, actorContext(ctx, request), params.id, body)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/referrals',
      summary: 'Referrals; for a field officer, the inbox of their office',
      tags: ['referrals'],
      access: { permission: 'referral:read' },
      query: ZReferralListQuery,
      response: ZReferralPage,
      handler: async ({ query, request }) => {
        const { referrals, total } = await listReferrals(deps, actorContext(ctx, request), query);
        return { referrals: referrals.map(presentReferral), page: query.page, pageSize: query.pageSize, total };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/referrals/:id',
      summary: 'A referral with its timeline and the safeguard gate’s answer',
      description: 'Field officers see only referrals sent to their office; any other is 404 (audited as denied).',
      tags: ['referrals'],
      access: { permission: 'referral:read' },
      params: ZIdParams,
      response: ZReferral,
      errors: [404],
      handler: async ({ params, request }) => presentReferral(await readReferral(deps, actorContext(ctx, request), params.id)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/referrals/:id/submit',
      summary: 'Submit a draft: the safeguard gate sends it, holds it for legal review, or blocks it saying what is missing (422)',
      tags: ['referrals'],
      access: { permission: 'referral:create' },
      params: ZIdParams,
      body: empty,
      response: ZReferral,
      errors: [404, 409, 422],
      handler: async ({ params, request }) => presentReferral(await submitReferral(deps, actorContext(ctx, request), params.id)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/referrals/:id/review',
      summary: 'Approve or deny a referral held for legal review, with a written justification (not by its author)',
      tags: ['referrals'],
      access: { permission: 'referral:review' },
      params: ZIdParams,
      body: ZReferralReview,
      response: ZReferral,
      errors: [404, 409],
      handler: async ({ params, body, request }) =>
        presentReferral(await reviewReferral(deps, actorContext(ctx, request), params.id, body)),
    }),
    // The field office's steps and the center's withdrawal: one shape, one table.
    ...(
      [
        { action: 'acknowledge', permission: 'referral:act', body: empty, summary: 'The field office acknowledges a referral it received' },
        {
          action: 'outcome',
          permission: 'referral:act',
          body: ZReferralOutcome,
          summary: 'The field office reports the outcome (located, not located, other) with notes',
        },
        {
          action: 'close',
          permission: 'referral:act',
          body: empty,
          summary: 'The field office closes a referral whose outcome is reported',
        },
        {
          action: 'withdraw',
          permission: 'referral:create',
          body: ZReferralReason,
          summary: 'The center withdraws a referral, with a reason',
        },
      ] as const
    ).map((step) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/referrals/:id/${step.action}`,
        summary: step.summary,
        tags: ['referrals'],
        access: { permission: step.permission },
        params: ZIdParams,
        body: step.body as z.ZodType<{ outcome?: 'located' | 'not_located' | 'other'; notes?: string; reason?: string } | undefined>,
        response: ZReferral,
        errors: [404, 409],
        handler: async ({ params, body, request }) =>
          presentReferral(await actOnReferral(deps, actorContext(ctx, request), params.id, step.action, body ?? {})),
      }),
    ),
    defineRoute({
      method: 'GET',
      url: '/api/v1/referrals/:id/packet',
      summary: 'The referral packet as JSON: case summary, persons, locations with provenance and grading — reporter identity stripped',
      tags: ['referrals'],
      access: { permission: 'referral:read' },
      params: ZIdParams,
      query: ZPersonQuery,
      response: ZReferralPacketJson,
      errors: [404],
      handler: async ({ params, query, request }) =>
        buildPacket(deps, actorContext(ctx, request), params.id, 'json', { code: query.purposeCode, text: query.purpose }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/referrals/:id/packet.pdf',
      summary: 'The referral packet as PDF (the same content as the JSON packet)',
      tags: ['referrals'],
      access: { permission: 'referral:read' },
      params: ZIdParams,
      query: ZPersonQuery,
      response: ZTextResponse,
      contentType: 'application/pdf',
      errors: [404],
      handler: async ({ params, query, request, reply }) => {
        const packet = await buildPacket(deps, actorContext(ctx, request), params.id, 'pdf', {
          code: query.purposeCode,
          text: query.purpose,
        });
        reply.header('content-disposition', `attachment; filename="${packet.referral.reference}.pdf"`);
        return Buffer.from(await renderPacketPdf(packet)) as unknown as string;
      },
    }),
  ];
}
