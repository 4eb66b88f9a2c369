import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Actor, Permission } from '../domain/access/access-control.js';
import { AppError, type FieldIssue } from '../domain/errors/app-error.js';
import { applyTextRules } from './input-text.js';
import { isUndecodableQuery } from './query-string.js';

/**
 * One declaration per route: its access rule, its zod schemas (used for
 * validation and for the OpenAPI document alike) and a thin handler. Handlers
 * get validated input and the authenticated actor; they call a service and
 * return a presented body.
 */

export type Access =
  | { public: true; reason: string }
  /** A provider's webhook: no session or token, but the request's signature (checked by the guard, refused with 403 and audited). */
  | { webhook: 'twilio' }
  /**
   * via: how callers prove who they are — a staff session cookie (default), a partner system's bearer token, or a
   * receiving organisation's hand-off credential (issue #22 item 4).
   */
  | { permission: Permission; via?: 'session' | 'client' | 'handoff' };

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The body limit of provider webhooks, which are read before they can be authenticated (by their signature). */
export const WEBHOOK_BODY_LIMIT = 16_384;
/** The body limit of public routes (sign-in, enrollment, the token endpoint): anyone may send them, and their bodies are a few fields. */
export const PUBLIC_BODY_LIMIT = 16_384;
/** JSON bodies of guarded routes: 1 MiB unless the route declares more (attachments, CSV uploads). */
export const DEFAULT_BODY_LIMIT = 1_048_576;

export type HandlerInput<Q, P, B> = {
  query: Q;
  params: P;
  body: B;
  actor: Actor | null;
  request: FastifyRequest;
  reply: FastifyReply;
};

export type RouteSpec<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType, R extends z.ZodType> = {
  method: Method;
  url: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  query?: Q;
  params?: P;
  body?: B;
  response: R;
  successStatus?: number;
  /** Non-JSON responses (e.g. Prometheus text) say so; the handler then returns a string. */
  contentType?: string;
  /** A larger body limit than the app's 1 MiB (attachments). */
  bodyLimit?: number;
  /** Statuses other than success that the route documents (error bodies share one schema). */
  errors?: number[];
  handler: (input: HandlerInput<z.output<Q>, z.output<P>, z.output<B>>) => Promise<z.input<R>>;
  /** A WebSocket endpoint: called with the upgraded socket after the guard let the request through. */
  websocket?: (socket: WebSocket, request: FastifyRequest) => void;
};

export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<
  R extends z.ZodType,
  Q extends z.ZodType = z.ZodUndefined,
  P extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<Q, P, B, R>): AnyRoute {
  // The one type erasure: routes with different schemas go into one list; registerRoute re-validates every input with the route's own schemas.
  return spec as unknown as AnyRoute;
}

export function toFieldIssues(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.');
    const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return { path, code: issue.code, message: `${issue.message}${unknownKeys}` };
  });
}

function parseInput(route: AnyRoute, request: FastifyRequest): { query: unknown; params: unknown; body: unknown } {
  const issues: FieldIssue[] = [];
  if (route.query && isUndecodableQuery(request.query)) {
    issues.push({ path: 'query', code: 'invalid_encoding', message: 'a percent-escape in the query string is not valid UTF-8' });
  }
  const parse = (schema: z.ZodType | undefined, raw: unknown, where: string): unknown => {
    if (!schema) return undefined;
    // The text rules come first: no schema or service ever sees a refused character or an unnormalised string.
    const text = applyTextRules(raw, where);
    if (text.issues.length > 0) {
      issues.push(...text.issues);
      return undefined;
    }
    const value = text.value;
    const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
    if (result.success) return result.data;
    issues.push(...toFieldIssues(result.error, where));
    return undefined;
  };
  const input = {
    params: parse(route.params, request.params, 'params'),
    query: parse(route.query, request.query, 'query'),
    body: parse(route.body, request.body, 'body'),
  };
  if (issues.length > 0) {
    const fields = issues.length === 1 ? '1 field is invalid' : `${issues.length} fields are invalid`;
    throw new AppError('validation_failed', `The request was not accepted: ${fields}.`, { issues });
  }
  return input;
}

function bodyLimitOf(route: AnyRoute): { bodyLimit?: number } {
  if (route.bodyLimit) return { bodyLimit: route.bodyLimit };
  if ('webhook' in route.access) return { bodyLimit: WEBHOOK_BODY_LIMIT };
  if ('public' in route.access) return { bodyLimit: PUBLIC_BODY_LIMIT };
  return {};
}

export function registerRoute(app: FastifyInstance, route: AnyRoute): void {
  const errorRef = { $ref: 'Error#' };
  const response: Record<string, unknown> = {
    [String(route.successStatus ?? 200)]: route.contentType
      ? { description: 'OK', content: { [route.contentType]: { schema: { type: 'string' } } } }
      : z.toJSONSchema(route.response, { target: 'openapi-3.0', io: 'input' }),
  };
  const errorStatuses = new Set([...(route.errors ?? []), 500]);
  if ('permission' in route.access) {
    errorStatuses.add(401);
    errorStatuses.add(403);
  }
  if (route.query || route.params || route.body) errorStatuses.add(400);
  for (const status of errorStatuses) response[String(status)] = errorRef;
  const jsonSchema = (schema: z.ZodType | undefined) =>
    schema
      ? z.toJSONSchema(schema, {
          target: 'openapi-3.0',
          io: 'input',
          // The one custom schema is a raw byte body (attachments): documented as binary.
          unrepresentable: 'any',
          override: (c) => {
            if (c.zodSchema._zod.def.type === 'custom') Object.assign(c.jsonSchema, { type: 'string', format: 'binary' });
          },
        })
      : undefined;

  app.route({
    method: route.method,
    url: route.url,
    config: { access: route.access },
    // What anyone may send is parsed before anyone is known: public routes and provider webhooks (whose signature is
    // checked after the form is parsed) take small bodies only. Guarded routes read nothing before the guard; then the
    // content-type parsers' limits apply (JSON 1 MiB, XML 128 KiB) unless the route declares its own.
    ...bodyLimitOf(route),
    schema: {
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      ...(route.query ? { querystring: jsonSchema(route.query) } : {}),
      ...(route.params ? { params: jsonSchema(route.params) } : {}),
      ...(route.body ? { body: jsonSchema(route.body) } : {}),
      security: 'permission' in route.access ? [route.access.via === 'client' ? { partnerToken: [] } : { session: [] }] : [],
      response,
    },
    ...(route.websocket ? { wsHandler: route.websocket } : {}),
    handler: async (request, reply) => {
      const { query, params, body } = parseInput(route, request);
      // Set before the handler runs, so a handler may still answer with another status (readiness: 503).
      reply.status(route.successStatus ?? 200);
      if (route.contentType) reply.type(route.contentType);
      return route.handler({ query, params, body, actor: request.actor, request, reply });
    },
  });
}
