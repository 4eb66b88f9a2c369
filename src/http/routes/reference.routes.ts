import { ZAorResolution, ZFieldOfficeList, ZQueueList, ZResolveAorQuery } from '../../contracts/reference.js';
import { AppError } from '../../domain/errors/app-error.js';
import * as referenceData from '../../services/reference-data.service.js';
import type { AppContext } from '../context.js';
import { presentFieldOffice, presentQueue } from '../presenters/reference.presenter.js';
import { defineRoute } from '../route.js';

export function referenceRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/field-offices',
      summary: 'ICE ERO field offices',
      tags: ['reference'],
      access: { permission: 'reference:read' },
      response: ZFieldOfficeList,
      handler: async () => ({ fieldOffices: (await referenceData.listFieldOffices(ctx.db)).map(presentFieldOffice) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/field-offices/resolve',
      summary: 'The field office responsible for a state and (optionally) a county',
      description:
        'County-level assignments apply in states split between offices (e.g. Texas, California, New York); otherwise the office for the state as a whole.',
      tags: ['reference'],
      access: { permission: 'reference:read' },
      query: ZResolveAorQuery,
      response: ZAorResolution,
      errors: [404],
      handler: async ({ query }) => {
        const found = await referenceData.findFieldOfficeFor(ctx.db, query.state, query.county);
        if (!found) throw new AppError('not_found', `No field office is responsible for ${query.state}.`);
        return { fieldOffice: presentFieldOffice(found.office), basis: found.resolution.basis, confidence: found.resolution.confidence };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/queues',
      summary: "The center's queues",
      tags: ['routing'],
      access: { permission: 'queue:read' },
      response: ZQueueList,
      handler: async () => ({ queues: (await referenceData.listQueues(ctx.db)).map(presentQueue) }),
    }),
  ];
}
