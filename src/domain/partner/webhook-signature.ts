import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkHost, isLoopbackHost } from '../net/address-policy.js';

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

/**
 * Where webhooks may go: HTTPS to public hosts (domain/net/address-policy.ts decides what is public); to this machine,
 * plain HTTP too, only in development. Checked when a partner registers the URL and again before every delivery, whose
 * connection also checks each address the name resolves to.
 */
export function webhookUrlProblem(value: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be https';
  if (url.username || url.password) return 'credentials do not belong in the URL';
  // The URL parser has already read 2130706433, 0x7f.1 and the like as the dotted address they mean.
  const host = checkHost(url.hostname, { allowLoopback: allowLoopbackHttp });
  if (!host.allowed) return `must not point at ${host.reason}`;
  if (url.protocol === 'http:' && !(allowLoopbackHttp && isLoopbackHost(url.hostname))) return 'must be https';
  return undefined;
}
