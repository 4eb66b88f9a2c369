/**
 * Every error a user can be told about. The code is stable (clients and tests
 * match on it); the message is for people; details carry structured context
 * such as the list of invalid fields. Transport layers map codes to statuses.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'not_ready'
  | 'internal'
  | 'sign_in_failed'
  | 'account_locked'
  | 'challenge_invalid'
  | 'session_locked'
  | 'session_expired'
  | 'csrf_failed'
  | 'purpose_required'
  | 'invalid_client'
  | 'upgrade_required'
  /** Well-formed, but refers to something that does not exist or cannot be used (e.g. an unknown field office). */
  | 'unprocessable'
  /** Single sign-on is on: password sign-in is kept for break-glass accounts. */
  | 'sso_required'
  /** A single sign-on that did not complete: no login in progress, a state that is not ours, the provider's error. */
  | 'sso_failed'
  /** The provider signed the person in, but its claims give no access here (no mapped group, a scope Switchboard lacks). */
  | 'sso_no_access'
  /** The sign-in lacks the assurance (acr) the person's role requires. */
  | 'sso_assurance_insufficient'
  /** A first sign-in whose username belongs to an account not linked to this identity. */
  | 'sso_account_conflict'
  /** The identity provider cannot be reached. */
  | 'sso_unavailable'
  /** The safeguard gate refused a referral; the issues say which rule and what is missing. */
  | 'referral_blocked'
  /** A disclosure outside the unit is refused: no consent covers it, or it would name a protected sponsor without approval. */
  | 'disclosure_refused';

export type FieldIssue = {
  /** Dotted path of the field, e.g. "subjects.0.dob"; "" for the whole body. */
  path: string;
  code: string;
  message: string;
};

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly details: { issues?: FieldIssue[] } | undefined;

  constructor(code: ErrorCode, message: string, details?: { issues?: FieldIssue[] }) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
