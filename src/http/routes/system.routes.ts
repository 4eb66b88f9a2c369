import { ZHealth, ZOpenApiDocument, ZReadiness, ZTextResponse } from '../../contracts/common.js';
import { checkReadiness } from '../../services/health.service.js';
import type { AppContext } from '../context.js';
import { defineRoute } from '../route.js';

export function systemRoutes(ctx: AppContext) {
  return [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness: the process is up',
      tags: ['system'],
      access: { public: true, reason: 'probed by load balancers and process supervisors' },
      response: ZHealth,
      handler: async () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      summary: 'Readiness: the database answers and takes writes, every migration is applied; and who leads routing',
      description: 'Answers 503 with the failing check while the service should receive no traffic.',
      tags: ['system'],
      access: { public: true, reason: 'probed by load balancers before routing traffic' },
      response: ZReadiness,
      errors: [503],
      handler: async ({ reply }) => {
        const readiness = await checkReadiness(ctx.db, ctx.pool, ctx.migrations);
        if (!readiness.ready) reply.status(503);
        // The body says which check failed; the detail (a migration name) goes to the log only.
        if (readiness.detail) ctx.log.warn({ detail: readiness.detail }, 'not ready');
        const cluster = ctx.routing.clusterState();
        return {
          status: readiness.ready ? ('ready' as const) : ('not_ready' as const),
          checks: readiness.checks,
          routing: { node: cluster.node, role: cluster.leader ? ('leader' as const) : ('follower' as const), epoch: cluster.epoch },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics',
      description: 'Counts and timings only: no personal data. Restrict by network in production.',
      tags: ['system'],
      access: { public: true, reason: 'scraped by Prometheus; holds no personal data' },
      response: ZTextResponse,
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      handler: async () => ctx.metrics.registry.metrics(),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/openapi.json',
      summary: 'This API as an OpenAPI 3 document',
      tags: ['system'],
      access: { public: true, reason: 'the API description holds no data' },
      response: ZOpenApiDocument,
      handler: async () => ctx.openapi(),
    }),
  ];
}
