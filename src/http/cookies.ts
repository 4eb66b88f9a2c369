/** The session cookie: parsed and written by hand (two attributes' worth of RFC 6265 is not worth a dependency). */

export const SESSION_COOKIE = 'sb_session';

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim();
      return /^[A-Za-z0-9_-]{1,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export const clearedSessionCookie = (secure: boolean): string => sessionCookie('', 0, secure);

/** A single sign-on in progress (src/services/sso.service.ts): only the SSO routes read it. */
export const SSO_LOGIN_COOKIE = 'sb_sso';
const SSO_COOKIE_PATH = '/api/v1/auth/oidc';

/**
 * SameSite=Lax, unlike the session cookie: it must come back with the identity provider's redirect, a top-level
 * navigation from another site. It opens nothing by itself — it only ties the provider's answer to this browser.
 */
export function ssoLoginCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SSO_LOGIN_COOKIE}=${value}`,
    `Path=${SSO_COOKIE_PATH}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
