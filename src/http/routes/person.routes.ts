import { ZPerson, ZPersonParams, ZPersonQuery } from '../../contracts/persons.js';
import { readPerson } from '../../services/person.service.js';
import { type AppContext, actorContext } from '../context.js';
import { presentPerson } from '../presenters/person.presenter.js';
import { defineRoute } from '../route.js';

export function personRoutes(ctx: AppContext) {
  return [
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
        const view = await readPerson({ db: ctx.db, permissions: ctx.identity.permissions }, rc, params.id, query.purpose);
        return presentPerson(view, rc.actor, ctx.identity.permissions);
      },
    }),
  ];
}
