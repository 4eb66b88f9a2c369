import { z } from 'zod';
import {
  ZAttachment,
  ZAttachmentQuery,
  ZCaseNote,
  ZCasePage,
  ZCasePatch,
  ZCaseReadQuery,
  ZCaseSearchQuery,
  ZCaseView,
  ZFollowUp,
  ZFollowUpResult,
  ZIdParams,
  ZIntakeBody,
  ZIntakeResult,
  ZLegalHoldBody,
  ZLocationVerified,
  ZVerifyLocation,
} from '../../contracts/cases.js';
import { ZEmptyBody, ZOk, ZTextResponse } from '../../contracts/common.js';
import { authorize } from '../../domain/access/access-control.js';
import { addAttachment, MAX_ATTACHMENT_BYTES, readAttachment } from '../../services/attachment.service.js';
import { addCaseNote, addFollowUp, readCase, searchCases, updateCase, verifyLocation } from '../../services/case.service.js';
import { saveIntake } from '../../services/intake.service.js';
import { intakeCommandOf } from '../../services/intake-body.mapper.js';
import { setLegalHold } from '../../services/retention.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentCase, presentCaseSummary } from '../presenters/case.presenter.js';
import { presentIntake } from '../presenters/intake.presenter.js';
import { defineRoute } from '../route.js';

export function caseRoutes(ctx: AppContext) {
  const attachmentDeps = { db: ctx.db, dir: ctx.attachments.dir, scanner: ctx.attachments.scanner };
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/intake',
      summary: 'Save an intake: the report, its subjects and locations, and the case it opens or adds to — all or nothing',
      description:
        'Subjects are existing persons (personId) or new ones; a new person with an A-number we hold is linked to that person. Locations are geocoded offline and filed with their area of responsibility. Every invalid field is reported at once (400). Anonymous reports get a callback code, shown once.',
      tags: ['cases'],
      access: { permission: 'report:create' },
      body: ZIntakeBody,
      response: ZIntakeResult,
      successStatus: 201,
      handler: async ({ body, request }) =>
        presentIntake(await saveIntake({ db: ctx.db, geocoder: ctx.geocoder }, actorContext(ctx, request), intakeCommandOf(body))),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases',
      summary: 'Find cases by number, words, subject name (fuzzy), phone, address, area of responsibility, status or type; paginated',
      tags: ['cases'],
      access: { permission: 'case:read' },
      query: ZCaseSearchQuery,
      response: ZCasePage,
      handler: async ({ query, request }) => {
        const rc = actorContext(ctx, request);
        const canSeeReporters = authorize(ctx.identity.permissions, rc.actor, 'reporter:identity').allowed;
        const { cases, total } = await searchCases(ctx.db, rc, query, canSeeReporters);
        return { cases: cases.map(presentCaseSummary), page: query.page, pageSize: query.pageSize, total };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/cases/:id',
      summary: 'A case with its subjects, reports, locations, referrals, attachments and timeline',
      description:
        'Reporter identity only with reporter:identity. UAC cases exist only for the UAC unit, supervisors and legal reviewers (404 otherwise, audited as denied).',
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZIdParams,
      query: ZCaseReadQuery,
      response: ZCaseView,
      errors: [404],
      handler: async ({ params, query, request }) => {
        const rc = actorContext(ctx, request);
        const detail = await readCase(ctx.db, rc, params.id, { code: query.purposeCode, text: query.purpose });
        return presentCase(detail, rc.actor, ctx.identity.permissions);
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/cases/:id',
      summary: 'Change status (through the workflow), priority, assignee or area of responsibility; send the version you read',
      description:
        'Closing needs a close reason; reopening a reason; setting the area of responsibility by hand an aorReason. A stale version gets 409.',
      tags: ['cases'],
      access: { permission: 'case:write' },
      params: ZIdParams,
      body: ZCasePatch,
      response: ZCaseView,
      errors: [404, 409, 422],
      handler: async ({ params, body, request }) => {
        const rc = actorContext(ctx, request);
        return presentCase(await updateCase(ctx.db, rc, params.id, body), rc.actor, ctx.identity.permissions);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/notes',
      summary: "Add a note to a case's timeline",
      tags: ['cases'],
      access: { permission: 'case:write' },
      params: ZIdParams,
      body: ZCaseNote,
      response: ZCaseView,
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) => {
        const rc = actorContext(ctx, request);
        return presentCase(await addCaseNote(ctx.db, rc, params.id, body.note), rc.actor, ctx.identity.permissions);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/follow-ups',
      summary: 'Create a follow-up for a case: a work item the ACD routes to an agent',
      tags: ['cases'],
      access: { permission: 'case:write' },
      params: ZIdParams,
      body: ZFollowUp,
      response: ZFollowUpResult,
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) =>
        addFollowUp({ db: ctx.db, routing: ctx.routing }, actorContext(ctx, request), params.id, body),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/attachments',
      summary: 'Attach a file to a case (raw bytes, application/octet-stream; PDF, PNG, JPEG, WAV, MP3 or text; at most 10 MB)',
      description: 'The type is read from the content. The file is stored under its SHA-256 and checked against it when read.',
      tags: ['cases'],
      access: { permission: 'case:write' },
      params: ZIdParams,
      query: ZAttachmentQuery,
      body: z.instanceof(Buffer, { message: 'send the file as the body, with content-type application/octet-stream' }),
      bodyLimit: MAX_ATTACHMENT_BYTES,
      response: ZAttachment,
      successStatus: 201,
      errors: [404, 413, 415, 422],
      handler: async ({ params, query, body, request }) => {
        const row = await addAttachment(attachmentDeps, actorContext(ctx, request), params.id, {
          filename: query.filename,
          reportId: query.reportId,
          content: body,
        });
        return {
          id: row.id,
          filename: row.filename,
          mediaType: row.media_type,
          sizeBytes: row.size_bytes,
          sha256: row.sha256,
          scanStatus: row.scan_status,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/attachments/:id/content',
      summary: "An attachment's content (audited; checked against its hash)",
      tags: ['cases'],
      access: { permission: 'case:read' },
      params: ZIdParams,
      response: ZTextResponse,
      contentType: 'application/octet-stream',
      errors: [404],
      handler: async ({ params, request, reply }) => {
        const { row, content } = await readAttachment(attachmentDeps, actorContext(ctx, request), params.id);
        reply.type(row.media_type);
        reply.header('content-disposition', `attachment; filename="${row.filename.replace(/[^\w.\- ]/g, '_')}"`);
        return content as unknown as string;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/legal-hold',
      summary: 'Put a case under legal hold (kept from retention purges), with the reason',
      tags: ['cases'],
      access: { permission: 'case:hold' },
      params: ZIdParams,
      body: ZLegalHoldBody,
      response: ZOk,
      errors: [404],
      handler: async ({ params, body, request }) => {
        await setLegalHold(ctx.db, actorContext(ctx, request), params.id, body.reason);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/legal-hold/lift',
      summary: 'Lift the legal hold of a case',
      tags: ['cases'],
      access: { permission: 'case:hold' },
      params: ZIdParams,
      body: ZEmptyBody,
      response: ZOk,
      errors: [404],
      handler: async ({ params, request }) => {
        await setLegalHold(ctx.db, actorContext(ctx, request), params.id, null);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/locations/:id/verify',
      summary: 'Mark a location observation as verified, saying how',
      tags: ['cases'],
      access: { permission: 'case:write' },
      params: ZIdParams,
      body: ZVerifyLocation,
      response: ZLocationVerified,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        await verifyLocation(ctx.db, actorContext(ctx, request), params.id, body.note);
        return { verified: true as const };
      },
    }),
  ];
}
