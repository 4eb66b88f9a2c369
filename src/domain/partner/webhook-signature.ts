import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed status webhooks. Each delivery carries
 *   X-Switchboard-Timestamp: seconds since the epoch, when it was signed
 *   X-Switchboard-Signature: v1=<hex HMAC-SHA256 over "<timestamp>.<raw body>" with the agency's webhook secret>
 * A receiver recomputes the signature over the raw body, compares in constant
 * time, and refuses a timestamp more than five minutes from its clock (a
 * replay). This module is what the documentation's example does.
 */

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type Verification = { ok: true } | { ok: false; reason: 'bad_signature' | 'stale' | 'malformed' };

export function verify(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  now: Date,
): Verification {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad_signature' };
  if (Math.abs(now.getTime() / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  return { ok: true };
}

/** Backoff for the next attempt: exponential from 10 s, capped at an hour, with ±50 % jitter so retries do not arrive together. */
export function nextDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(3_600_000, 10_000 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.5 + random()));
}

export const MAX_WEBHOOK_ATTEMPTS = 8;

/** Where webhooks may go: HTTPS to public hosts; to this machine (plain HTTP too) only in development. */
export function webhookUrlProblem(value: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (url.username || url.password) return 'credentials do not belong in the URL';
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.hostname.startsWith('127.');
  // Plain HTTP only to this machine, and only in development: in production no webhook may reach the server itself.
  if (loopback)
    return allowLoopbackHttp && (url.protocol === 'http:' || url.protocol === 'https:') ? undefined : 'must not point at this server';
  if (url.protocol !== 'https:') return 'must be https';
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|0\.|\[?f[cd]|\[?fe80)/i.test(url.hostname))
    return 'must not point at a private network address';
  return undefined;
}

/** An address a webhook must not reach in production: this machine, private networks, link-local (cloud metadata). */
export function isPrivateAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (a === '::1' || a === '::' || a.startsWith('fe80:') || a.startsWith('fc') || a.startsWith('fd')) return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(v4);
  if (!m) return false;
  const [x, y] = [Number(m[1]), Number(m[2])];
  return (
    x === 127 ||
    x === 10 ||
    x === 0 ||
    (x === 192 && y === 168) ||
    (x === 172 && y >= 16 && y <= 31) ||
    (x === 169 && y === 254) ||
    (x === 100 && y >= 64 && y <= 127)
  );
}
