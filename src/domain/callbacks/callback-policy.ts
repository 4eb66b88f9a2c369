import { addDays, type CalendarDay, dayIn, offsetMinutes } from '../calendar/calendar-day.js';

/**
 * Keeping a promise to call back: how many times the center tries, how long it
 * waits between tries, and when it may call at all — inside calling hours in
 * the caller's time zone when it is known, else the center's. A promised call
 * is never placed at 2 a.m. where the caller lives; a retry that falls outside
 * the hours waits for the next morning. After the last try the callback goes
 * to a supervisor's list (the caller is not forgotten, nor called a fifth time).
 */

/** Local wall-clock minutes, [start, end): 08:00–20:00 is { start: 480, end: 1200 }. */
export type CallingHours = { start: number; end: number };

export type CallbackPolicy = {
  /** Tries at the caller's number, the first included. */
  maxAttempts: number;
  /** Minutes to wait after the 1st, 2nd, … unsuccessful try (the last value repeats). */
  retryMinutes: number[];
  hours: CallingHours;
};

/** Three tries, 15 minutes then an hour apart, 08:00 to 20:00 (CALLBACK_* settings). */
export const DEFAULT_CALLBACK_POLICY: CallbackPolicy = { maxAttempts: 3, retryMinutes: [15, 60, 240], hours: { start: 480, end: 1200 } };

/** How one try ended. Only tries that reached the caller's number count against `maxAttempts`. */
export type AttemptOutcome =
  | 'answered'
  | 'no_answer'
  | 'busy'
  | 'voicemail'
  | 'failed'
  /** The agent's phone did not answer: the caller was not dialed, and the try does not count. */
  | 'agent_unreachable'
  /** The number is outside the outbound allow-list: never dialed, straight to a supervisor. */
  | 'not_allowed';

/** `HH:MM-HH:MM` (24-hour; end after start) as calling hours; throws a readable error otherwise. */
export function parseCallingHours(text: string): CallingHours {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not calling hours like 08:00-20:00`);
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  if (h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || end > 1440 || end <= start)
    throw new Error(`"${text}" is not calling hours like 08:00-20:00 (the end must come after the start, on the same day)`);
  return { start, end };
}

/** `15,60,240` as retry spacing in minutes; throws a readable error otherwise. */
export function parseRetryMinutes(text: string): number[] {
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1 || v > 10_080))
    throw new Error(`"${text}" is not a list of minutes like 15,60,240 (each 1 to 10080)`);
  return values;
}

/** Minutes since local midnight of an instant in a time zone. */
function localMinutes(at: Date, timeZone: string): number {
  const local = at.getTime() + offsetMinutes(at, timeZone) * 60_000;
  const d = new Date(local);
  return d.getUTCHours() * 60 + d.getUTCMinutes();
}

/** The instant a local wall-clock time falls at on a day (the later one when a DST change skips it). */
function atLocal(day: CalendarDay, minutes: number, timeZone: string): Date {
  const [y, mo, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, mo - 1, d) + minutes * 60_000;
  let instant = guess - offsetMinutes(new Date(guess), timeZone) * 60_000;
  instant = guess - offsetMinutes(new Date(instant), timeZone) * 60_000;
  return new Date(instant);
}

export function withinCallingHours(at: Date, timeZone: string, hours: CallingHours): boolean {
  const m = localMinutes(at, timeZone);
  return m >= hours.start && m < hours.end;
}

/** `at` itself inside calling hours; else the next opening of calling hours in that time zone. */
export function nextCallingTime(at: Date, timeZone: string, hours: CallingHours): Date {
  if (withinCallingHours(at, timeZone, hours)) return at;
  const day = dayIn(at, timeZone);
  const m = localMinutes(at, timeZone);
  const opening = atLocal(m < hours.start ? day : addDays(day, 1), hours.start, timeZone);
  return opening.getTime() > at.getTime() ? opening : atLocal(addDays(day, 1), hours.start, timeZone);
}

/**
 * When to try again after a try that did not reach the caller, `counted` tries made so far; null when the tries
 * are used up (a supervisor's list). The wait is the policy's spacing, then moved into calling hours.
 */
export function nextAttemptAt(now: Date, counted: number, policy: CallbackPolicy, timeZone: string): Date | null {
  if (counted >= policy.maxAttempts) return null;
  const spacing = policy.retryMinutes[Math.min(Math.max(counted - 1, 0), policy.retryMinutes.length - 1)] ?? 15;
  return nextCallingTime(new Date(now.getTime() + spacing * 60_000), timeZone, policy.hours);
}

/** What a final SIP answer to the call to the caller's number means for the callback (RFC 3261 §21). */
export function outcomeOfStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return 'answered';
  if (status === 486 || status === 600 || status === 603) return 'busy';
  if (status === 408 || status === 480 || status === 487) return 'no_answer';
  return 'failed';
}

/** A phone number as an agent's screen shows it when the agent need not see it: the last four digits. */
export function maskNumber(number: string | null): string | null {
  if (!number) return null;
  const digits = number.replace(/\D/g, '');
  return digits.length <= 4 ? '••••' : `•••-•••-${digits.slice(-4)}`;
}

/**
 * Dial-plan patterns as PBX administrators write them, checked against an E.164 number: digits and `+` stand for
 * themselves, `X` is any digit, `N` 2–9, `Z` 1–9, `[2-5]` a range, and a final `.` one or more further digits.
 * `+1NXXNXXXXXX` allows any North American number; `+1615NXXXXXX` one area code.
 */
export function compileDialPattern(pattern: string): RegExp {
  const p = pattern.trim();
  if (!/^\+?(?:[0-9XNZxnz]|\[[0-9](?:-[0-9])?(?:[0-9](?:-[0-9])?)*\])+\.?$/.test(p))
    throw new Error(`"${pattern}" is not a dial pattern (digits, X, N, Z, [ranges] and a final ".", e.g. +1NXXNXXXXXX)`);
  let source = '';
  for (let i = 0; i < p.length; i++) {
    const c = (p[i] as string).toUpperCase();
    if (c === '+') source += '\\+';
    else if (c === 'X') source += '[0-9]';
    else if (c === 'N') source += '[2-9]';
    else if (c === 'Z') source += '[1-9]';
    else if (c === '.') source += '[0-9]+';
    else if (c === '[') {
      const close = p.indexOf(']', i);
      source += p.slice(i, close + 1);
      i = close;
    } else source += c;
  }
  return new RegExp(`^${source}$`);
}

export function dialAllowed(number: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((re) => re.test(number));
}
