import { ZMergeBody, ZMergeResult, ZUnmergeBody } from '../../contracts/cases.js';
import {
  ZAgeDeterminationBody,
  ZAgeDeterminationResult,
  ZDuplicatesQuery,
  ZPerson,
  ZPersonHits,
  ZPersonParams,
  ZPersonQuery,
  ZPersonSearchQuery,
} from '../../contracts/persons.js';
import { authorize } from '../../domain/access/access-control.js';
import { recordAgeDetermination } from '../../services/age.service.js';
import { mergePersons, unmergePerson } from '../../services/merge.service.js';
import { readPerson } from '../../services/person.service.js';
import { duplicateCandidates, searchPersons } from '../../services/person-search.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentHit, presentPerson } from '../presenters/person.presenter.js';
import { defineRoute } from '../route.js';

export function personRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/persons/:id/age-determinations',
      summary: "A legal reviewer records a person's date of birth as found from documents, an age assessment or a court",
      description:
        'Until one is recorded, any date of birth anyone gave (exact, estimated or claimed, on any report or merged record) that makes the person under 18 makes them a possible minor for the safeguard gate. A claim made after the determination opens the question again. dob is a day on the center calendar.',
      tags: ['persons', 'safeguards'],
      access: { permission: 'person:age_determination' },
      params: ZPersonParams,
      body: ZAgeDeterminationBody,
      response: ZAgeDeterminationResult,
      successStatus: 201,
      errors: [404],
      handler: async ({ params, body, request }) => {
        const evidence = await recordAgeDetermination(ctx.db, actorContext(ctx, request), params.id, body);
        return { isMinor: evidence.verdict.minor, ageBecause: evidence.verdict.because };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/persons/:id/merge',
      summary: 'Merge a duplicate into this person; the duplicate is kept whole and the merge can be undone',
      description: 'Refused (409) when the two records carry different A-numbers, or either is already merged.',
      tags: ['persons'],
      access: { permission: 'person:merge' },
      params: ZPersonParams,
      body: ZMergeBody,
      response: ZMergeResult,
      errors: [404, 409],
      handler: async ({ params, body, request }) => mergePersons(ctx.db, actorContext(ctx, request), params.id, body.mergeId, body.reason),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/persons/:id/unmerge',
      summary: 'Undo the merge of this record into another: it stands on its own again, with everything it had',
      tags: ['persons'],
      access: { permission: 'person:merge' },
      params: ZPersonParams,
      body: ZUnmergeBody,
      response: ZMergeResult,
      errors: [404],
      handler: async ({ params, body, request }) => unmergePerson(ctx.db, actorContext(ctx, request), params.id, body.reason),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/persons',
      summary:
        'Find people by name (fuzzy: accents, spelling, sound, nicknames), A-number or other identifier, narrowed by phone, address or area; each hit with its evidence',
      description: 'Every search is audited with what was searched for. Opening a record of a child still needs a purpose of use.',
      tags: ['persons'],
      access: { permission: 'person:read' },
      query: ZPersonSearchQuery,
      response: ZPersonHits,
      handler: async ({ query, request }) => {
        const rc = actorContext(ctx, request);
        const hits = await searchPersons(ctx.db, rc, query, authorize(ctx.identity.permissions, rc.actor, 'person:identifiers').allowed);
        return { persons: hits.map((h) => presentHit(h, rc.actor, ctx.identity.permissions)) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/persons/:id/duplicates',
      summary: 'Possible duplicates of a person, with the evidence for each',
      tags: ['persons'],
      access: { permission: 'person:read' },
      params: ZPersonParams,
      query: ZDuplicatesQuery,
      response: ZPersonHits,
      errors: [404],
      handler: async ({ params, query, request }) => {
        const rc = actorContext(ctx, request);
        const hits = await duplicateCandidates(ctx.db, rc, params.id, query);
        return { persons: hits.map((h) => presentHit(h, rc.actor, ctx.identity.permissions)) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/persons/:id',
      summary: 'A person and their location observations (every read is audited)',
      description: "A child's record, or one whose age is unknown, needs a purpose of use (400 purpose_required without it).",
      tags: ['persons'],
      access: { permission: 'person:read' },
      params: ZPersonParams,
      query: ZPersonQuery,
      response: ZPerson,
      errors: [404],
      handler: async ({ params, query, request }) => {
        const rc = actorContext(ctx, request);
        const view = await readPerson({ db: ctx.db, permissions: ctx.identity.permissions }, rc, params.id, {
          code: query.purposeCode,
          text: query.purpose,
        });
        return presentPerson(view, rc.actor, ctx.identity.permissions);
      },
    }),
  ];
}
