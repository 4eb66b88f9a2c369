/** The API client: JSON in and out, the CSRF token on every change, errors with their stable codes. */

import type { ErrorResponse, FieldIssue } from '@contracts/views.js';
import { fetchNotingServerTime } from './server-clock.js';

export type { Challenge, FieldIssue, Session, SsoInfo } from '@contracts/views.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};

/** Raised when the server says the session is gone or locked, so the app can ask to sign in or unlock. */
export const SESSION_EVENT = 'switchboard:session';
/** Raised by the app once the person has unlocked or signed in again: requests that were refused then go through. */
export const RESUMED_EVENT = 'switchboard:resumed';

const resumed = () => new Promise<void>((resolve) => window.addEventListener(RESUMED_EVENT, () => resolve(), { once: true }));

/** A call to the API. A body is sent as JSON, unless `contentType` says it is already text of that type (a CSV upload). */
export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetchNotingServerTime(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: contentType ? String(body) : JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'offline', 'The server cannot be reached. Your work is kept; try again in a moment.');
  }
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    // Every refusal carries ZErrorResponse; a proxy's error page may not, hence Partial and the fallbacks below.
    const error = (json as Partial<ErrorResponse> | undefined)?.error;
    const code = error?.code ?? 'error';
    if (response.status === 401 && (code === 'session_locked' || code === 'unauthenticated' || code === 'session_expired')) {
      // Ask the person to unlock (or sign in again) over the page, then send the same request again: the work that was
      // being saved is saved, not lost. Sign-in requests themselves are not retried.
      if (!path.startsWith('/api/v1/auth/')) {
        const again = resumed();
        window.dispatchEvent(new CustomEvent(SESSION_EVENT, { detail: code }));
        await again;
        return api<T>(method, path, body, contentType);
      }
    }
    throw new ApiError(response.status, code, error?.message ?? `The request failed (${response.status}).`, error?.issues ?? []);
  }
  return json as T;
}

/** A file from the API (a CSV or PDF export), sent as JSON with the CSRF token like any change; errors as `api`'s. */
export async function apiFile(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Blob> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetchNotingServerTime(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).catch(() => {
    throw new ApiError(0, 'offline', 'The server cannot be reached. Try again in a moment.');
  });
  if (!response.ok) {
    const error = ((await response.json().catch(() => undefined)) as Partial<ErrorResponse> | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'error',
      error?.message ?? `The request failed (${response.status}).`,
      error?.issues ?? [],
    );
  }
  return response.blob();
}
