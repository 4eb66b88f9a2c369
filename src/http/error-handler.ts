import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TErrorResponse } from '../contracts/common.js';
import { AppError, type ErrorCode, isAppError } from '../domain/errors/app-error.js';
import { isDatabaseUnavailable } from '../storage/database.js';
import type { WebApp } from './web-app.js';

/** The one table from error codes to HTTP statuses. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  validation_failed: 400,
  malformed_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  not_ready: 503,
  sign_in_failed: 401,
  account_locked: 429,
  challenge_invalid: 401,
  session_locked: 401,
  session_expired: 401,
  csrf_failed: 403,
  purpose_required: 400,
  invalid_client: 401,
  upgrade_required: 426,
  unprocessable: 422,
  referral_blocked: 422,
  disclosure_refused: 422,
  sso_required: 403,
  sso_failed: 400,
  sso_no_access: 403,
  sso_assurance_insufficient: 403,
  sso_account_conflict: 409,
  sso_unavailable: 503,
};

function isFastifyClientError(error: unknown): error is FastifyError & { statusCode: number } {
  return (
    typeof error === 'object' &&
    error !== null &&
    'statusCode' in error &&
    typeof error.statusCode === 'number' &&
    error.statusCode >= 400 &&
    error.statusCode < 500 &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('FST_')
  );
}

/** A client error raised by a plugin through http-errors (e.g. @fastify/static's 403, 404, 412, 416): `expose` says it is safe to show. */
function isExposedClientError(error: unknown): error is Error & { statusCode: number } {
  return (
    error instanceof Error &&
    'statusCode' in error &&
    typeof error.statusCode === 'number' &&
    error.statusCode >= 400 &&
    error.statusCode < 500 &&
    'expose' in error &&
    error.expose === true
  );
}

/** Framework and plugin errors (bad JSON, wrong content type, body too large, bad URL) get codes of our own. */
function fromClientError(error: Error & { statusCode: number }): AppError {
  if (error.statusCode === 413) return new AppError('payload_too_large', 'The request body is too large.');
  if (error.statusCode === 415) return new AppError('unsupported_media_type', 'This content type is not accepted; send application/json.');
  if (error.statusCode === 404) return new AppError('not_found', 'There is nothing at this address.');
  if (error.statusCode === 403) return new AppError('forbidden', 'This address may not be read.');
  return new AppError('malformed_request', `The request could not be read: ${error.message}`);
}

/** Any error as the one error body: AppErrors as they are, client errors with our codes, anything else a 500 without internals. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let appError: AppError;
  if (isAppError(error)) appError = error;
  else if (isFastifyClientError(error) || isExposedClientError(error)) appError = fromClientError(error);
  else if (isDatabaseUnavailable(error)) {
    // The database is down or restarting: the request may succeed shortly (a partner retries with its Idempotency-Key).
    request.log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'database unavailable');
    appError = new AppError('not_ready', 'The service is briefly unavailable. Try again in a moment.');
  } else {
    // Unknown: log it (the serializer keeps no query parameters or row values), answer with no internals.
    request.log.error({ err: error }, 'unhandled error');
    appError = new AppError('internal', 'Something went wrong on our side. Quote the request id if you report it.');
  }
  const body: TErrorResponse = {
    error: {
      code: appError.code,
      message: appError.message,
      requestId: request.id,
      ...(appError.details?.issues ? { issues: appError.details.issues } : {}),
    },
  };
  if (appError.code === 'unauthenticated') reply.header('www-authenticate', 'Session');
  return reply.status(STATUS_BY_CODE[appError.code]).type('application/json').send(body);
}

export function installErrorHandling(app: FastifyInstance, web?: WebApp): void {
  app.setErrorHandler((error, request, reply) => {
    sendError(error, request, reply);
  });
  app.setNotFoundHandler(async (request, reply) => {
    if (web && (await web(request, reply))) return reply;
    const body: TErrorResponse = {
      error: { code: 'not_found', message: `There is no ${request.method} ${request.url.split('?')[0]} here.`, requestId: request.id },
    };
    reply.status(404).type('application/json').send(body);
  });
}
