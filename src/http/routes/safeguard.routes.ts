import { z } from 'zod';
import { ZIdParams } from '../../contracts/cases.js';
import { ZAuditRange, ZMinorReadsReport } from '../../contracts/identity.js';
import { ZAgeOuts, ZUacBoard } from '../../contracts/safeguards.js';
import { instantRange } from '../../domain/calendar/calendar-day.js';
import { PROTECTION_KINDS } from '../../domain/safeguards/protections.js';
import {
  QUESTION_IDS,
  SCREENING_QUESTIONS,
  type ScreeningAnswers,
  type ScreeningQuestion,
} from '../../domain/safeguards/welfare-screening.js';
import { minorReadsReport } from '../../services/audit.service.js';
import {
  addProtection,
  addRule,
  listRules,
  revokeProtection,
  revokeRule,
  setUacDetails,
  ZRuleCondition,
} from '../../services/protection.service.js';
import { decideChange, listSettings, proposeChange } from '../../services/safeguard-settings.service.js';
import { ageOuts, recordCustodyDecision, uacBoard } from '../../services/uac.service.js';
import { closeWelfareReferral, completeScreening } from '../../services/welfare.service.js';
import { type AppContext, actorContext } from '../context.js';
import { defineRoute } from '../route.js';

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
/** Date-only fields are days on the center's calendar (CENTER_TIME_ZONE); an end date is in force through that whole day. */
const day = z.iso.date().describe("YYYY-MM-DD, a day on the center's calendar (CENTER_TIME_ZONE)");

const ZProtectionBody = z
  .strictObject({
    kind: z.enum(PROTECTION_KINDS),
    source: text(200).describe('where it comes from, e.g. EOIR case lookup, USCIS receipt, ORR'),
    reference: text(200).describe('case, receipt or order number'),
    startsOn: day,
    endsOn: day
      .optional()
      .describe("the last day it is in force, on the center's calendar: in force through that whole day, no longer from the next"),
    nextHearingOn: day.optional(),
    verified: z.boolean().default(false).describe('checked against the source by the person recording it'),
  })
  .refine((b) => !b.endsOn || b.endsOn >= b.startsOn, { message: 'must be on or after startsOn', path: ['endsOn'] });

const ZRuleBody = z
  .strictObject({
    name: text(200),
    reference: text(200).describe('the order, e.g. the case caption and court'),
    condition: ZRuleCondition,
    effectiveFrom: day,
    effectiveUntil: day.optional().describe("the last day the order applies (through that whole day, on the center's calendar)"),
  })
  .refine((b) => !b.effectiveUntil || b.effectiveUntil >= b.effectiveFrom, {
    message: 'must be on or after effectiveFrom',
    path: ['effectiveUntil'],
  });

const ZScreeningBody = z.strictObject({
  personId: z.uuid('must be a person id'),
  answers: z
    .record(
      z.enum(QUESTION_IDS as [ScreeningQuestion, ...ScreeningQuestion[]]),
      z.strictObject({ answer: z.enum(['yes', 'no']), note: z.string().trim().max(2000).optional() }),
    )
    .describe('every question answered yes (there are indicators) or no; see GET /api/v1/welfare-screening/questions'),
  notes: z.string().trim().max(5000).optional(),
});

const ok = z.object({ ok: z.literal(true) });
const reasonBody = z.strictObject({ reason: text(1000) });

export function safeguardRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/persons/:id/protections',
      summary:
        'Record a legal protection on a person (pending court case, SIJS, asylum, T/U visa, ORR custody, TVPRA screening, court order)',
      tags: ['safeguards'],
      access: { permission: 'protection:write' },
      params: ZIdParams,
      body: ZProtectionBody,
      response: z.object({ id: z.string() }),
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) => ({ id: (await addProtection(ctx.db, actorContext(ctx, request), params.id, body)).id }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/protections/:id/revoke',
      summary: 'Revoke a protection recorded in error (it stays on file, revoked) — legal reviewers only: it weakens the gate',
      tags: ['safeguards'],
      access: { permission: 'protection:rules' },
      params: ZIdParams,
      body: reasonBody,
      response: ok,
      errors: [404],
      handler: async ({ params, body, request }) => {
        await revokeProtection(ctx.db, actorContext(ctx, request), params.id, body.reason);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/persons/:id/uac-details',
      summary:
        "A person's EOIR (immigration court) status and whether they came as an unaccompanied child — legal reviewers only: class-wide orders depend on them",
      tags: ['safeguards'],
      access: { permission: 'protection:rules' },
      params: ZIdParams,
      body: z
        .strictObject({
          eoirStatus: z.enum(['unknown', 'none', 'pending', 'final_order', 'relief_granted', 'terminated']).optional(),
          unaccompanied: z.boolean().optional(),
        })
        .refine((b) => b.eoirStatus !== undefined || b.unaccompanied !== undefined, { message: 'nothing to change' }),
      response: ok,
      errors: [404],
      handler: async ({ params, body, request }) => {
        await setUacDetails(ctx.db, actorContext(ctx, request), params.id, body);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/protection-rules',
      summary: 'Class-wide court orders entered as rules over person attributes',
      tags: ['safeguards'],
      access: { permission: 'protection:rules' },
      response: z.object({ rules: z.array(z.record(z.string(), z.unknown())) }),
      handler: async () => ({
        rules: (await listRules(ctx.db)).map((r) => ({
          id: r.id,
          name: r.name,
          reference: r.reference,
          condition: r.condition,
          effectiveFrom: r.effective_from,
          effectiveUntil: r.effective_until,
          revokedAt: r.revoked_at?.toISOString() ?? null,
        })),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/protection-rules',
      summary: 'Enter a class-wide court order once, as a rule; it protects every matching person, now and later',
      description:
        'Example (the 2025 order on unaccompanied Guatemalan children with active cases): {"all":[{"attribute":"nationality","op":"in","values":["GT"]},{"attribute":"unaccompanied","op":"is","value":true},{"attribute":"eoirStatus","op":"notIn","values":["final_order"]}]}',
      tags: ['safeguards'],
      access: { permission: 'protection:rules' },
      body: ZRuleBody,
      response: z.object({ id: z.string() }),
      successStatus: 201,
      handler: async ({ body, request }) => ({ id: (await addRule(ctx.db, actorContext(ctx, request), body)).id }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/protection-rules/:id/revoke',
      summary: 'Revoke a class-wide rule (e.g. the order was vacated)',
      tags: ['safeguards'],
      access: { permission: 'protection:rules' },
      params: ZIdParams,
      body: reasonBody,
      response: ok,
      errors: [404],
      handler: async ({ params, body, request }) => {
        await revokeRule(ctx.db, actorContext(ctx, request), params.id, body.reason);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/welfare-screening/questions',
      summary: 'The welfare screening questionnaire (TVPRA-informed) and where each indicator sends a welfare referral',
      tags: ['safeguards'],
      access: { permission: 'welfare:screen' },
      response: z.object({ questions: z.array(z.object({ id: z.string(), text: z.string(), agencies: z.array(z.string()) })) }),
      handler: async () => ({
        questions: QUESTION_IDS.map((id) => ({ id, text: SCREENING_QUESTIONS[id].text, agencies: [...SCREENING_QUESTIONS[id].agencies] })),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/cases/:id/welfare-screening',
      summary: 'Complete the welfare screening of a UAC case; a positive screen creates welfare referrals as priority work items',
      tags: ['safeguards'],
      access: { permission: 'welfare:screen' },
      params: ZIdParams,
      body: ZScreeningBody,
      response: z.object({
        screeningId: z.string(),
        outcome: z.enum(['positive', 'negative']),
        welfareReferrals: z.array(z.object({ id: z.string(), agency: z.string(), dueAt: z.string(), taskId: z.string() })),
      }),
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) =>
        completeScreening({ db: ctx.db, routing: ctx.routing, timeZone: ctx.timeZone }, actorContext(ctx, request), params.id, {
          personId: body.personId,
          answers: body.answers as ScreeningAnswers,
          notes: body.notes,
        }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/welfare-referrals/:id/done',
      summary: 'Record that a welfare referral was made (to ORR, CPS or NCMEC), with a note',
      tags: ['safeguards'],
      access: { permission: 'welfare:screen' },
      params: ZIdParams,
      body: z.strictObject({ note: text(2000) }),
      response: ok,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        await closeWelfareReferral(ctx.db, actorContext(ctx, request), params.id, body.note);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/uac/board',
      summary: 'The UAC board: open UAC cases with screening outcome, protections, welfare referrals due and latest location; age-outs due',
      tags: ['safeguards'],
      access: { permission: 'uac:board' },
      response: ZUacBoard,
      handler: async ({ request }) => uacBoard(ctx.db, actorContext(ctx, request)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/uac/age-outs',
      summary: 'Children on open UAC cases who turn 18 within the window, and whether their custody decision is on file',
      tags: ['safeguards'],
      access: { permission: 'uac:board' },
      query: z.strictObject({ days: z.coerce.number().int().min(1).max(365).optional() }),
      response: ZAgeOuts,
      handler: async ({ query, request }) => ageOuts(ctx.db, actorContext(ctx, request), query.days),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/persons/:id/custody-decisions',
      summary: 'Record the placement or custody decision a child needs before turning 18',
      tags: ['safeguards'],
      access: { permission: 'custody:decide' },
      params: ZIdParams,
      body: z.strictObject({
        decision: z.enum([
          'reunified_with_sponsor',
          'orr_adult_transition',
          'released_on_own_recognizance',
          'alternatives_to_detention',
          'other',
        ]),
        notes: text(5000),
        caseId: z.uuid().optional(),
      }),
      response: z.object({ id: z.string() }),
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) => recordCustodyDecision(ctx.db, actorContext(ctx, request), params.id, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/minor-reads',
      summary:
        "Oversight: every read that showed a child's identity — records, cases, search hits, duplicate lists, packets — with its purpose (code and words), and each refusal with its rule; counts by user",
      tags: ['audit'],
      access: { permission: 'audit:oversight' },
      query: ZAuditRange.extend({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: ZMinorReadsReport,
      handler: async ({ query, request }) => {
        const rc = actorContext(ctx, request);
        return minorReadsReport(ctx.db, rc, { ...instantRange(query, rc.timeZone), limit: query.limit });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/safeguards/settings',
      summary: 'Safeguard settings with their defaults and bounds, and recent proposed changes',
      tags: ['safeguards'],
      access: { permission: 'safeguards:configure' },
      response: z.record(z.string(), z.unknown()),
      handler: async () => listSettings(ctx.db),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/safeguards/settings/changes',
      summary: 'Propose a change to a safeguard setting; it takes effect only when approved by the other kind (admin ↔ legal reviewer)',
      tags: ['safeguards'],
      access: { permission: 'safeguards:configure' },
      body: z.strictObject({ key: z.string(), value: z.number(), reason: text(1000) }),
      response: z.object({ id: z.string() }),
      successStatus: 201,
      handler: async ({ body, request }) => ({ id: await proposeChange(ctx.db, actorContext(ctx, request), body) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/safeguards/settings/changes/:id/decide',
      summary: 'Approve or reject a proposed change (not by its proposer; by the other kind)',
      tags: ['safeguards'],
      access: { permission: 'safeguards:configure' },
      params: ZIdParams,
      body: z.strictObject({ decision: z.enum(['approved', 'rejected']) }),
      response: ok,
      errors: [404, 409],
      handler: async ({ params, body, request }) => {
        await decideChange(ctx.db, actorContext(ctx, request), params.id, body.decision);
        return { ok: true as const };
      },
    }),
  ];
}
