import { AppError } from '../errors/app-error.js';
/**
 * Days on the center's calendar. Date-only fields — dates of birth, a
 * protection's `startsOn`/`endsOn`, hearing dates, agreement dates, retention
 * ages, deadlines in days — are days in the center's time zone
 * (`CENTER_TIME_ZONE`, America/Chicago by default), never the UTC date: at 19:00
 * in Nashville the UTC date is already tomorrow, and a 17-year-old whose
 * birthday is tomorrow must still be 17. An end date is in force through that
 * whole day. Instants (timestamps) stay in UTC.
 */

/** Whether a name is an IANA time zone this runtime knows (America/Chicago yes, Mars/Olympus no). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** 'YYYY-MM-DD' on the center's calendar. */
export type CalendarDay = string;

/** What a service needs to know to turn an instant into a day: when, and where the center is. */
export type CenterClock = { now: Date; timeZone: string };

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
};

/** The day an instant falls on in a time zone. */
export function dayIn(instant: Date, timeZone: string): CalendarDay {
  const parts = formatter(timeZone).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Today on the center's calendar. */
export const centerToday = (clock: CenterClock): CalendarDay => dayIn(clock.now, clock.timeZone);

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether a string is a real calendar date (2023-02-29 is not). */
export function isCalendarDay(value: string): boolean {
  const m = DAY_PATTERN.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function parts(day: CalendarDay): [number, number, number] {
  const m = DAY_PATTERN.exec(day);
  if (!m) throw new Error(`not a calendar day: ${day}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const fromUtc = (date: Date): CalendarDay => date.toISOString().slice(0, 10);

/** The day n days after (n < 0: before). Pure date arithmetic: no time zone is involved. */
export function addDays(day: CalendarDay, n: number): CalendarDay {
  const [y, m, d] = parts(day);
  return fromUtc(new Date(Date.UTC(y, m - 1, d + n)));
}

/** Whole days from a to b (b later → positive). */
export function daysBetween(a: CalendarDay, b: CalendarDay): number {
  const [ya, ma, da] = parts(a);
  const [yb, mb, db] = parts(b);
  return Math.round((Date.UTC(yb, mb - 1, db) - Date.UTC(ya, ma - 1, da)) / 86_400_000);
}

export const yearOf = (day: CalendarDay): number => parts(day)[0];

/**
 * The anniversary of a date n years later. A 29 February falls on 1 March in
 * years without one: that is when a person born on 29 February turns a year
 * older (the later of the two readings, so a child is never aged early).
 */
export function anniversary(day: CalendarDay, years: number): CalendarDay {
  const [y, m, d] = parts(day);
  return fromUtc(new Date(Date.UTC(y + years, m - 1, d)));
}

/** The offset of a zone from UTC at an instant, in minutes (Chicago in winter: -360). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/** The instant a day begins in a time zone (midnight local; correct across DST changes). */
export function startOfDay(day: CalendarDay, timeZone: string): Date {
  const [y, m, d] = parts(day);
  const guess = Date.UTC(y, m - 1, d);
  // Two passes: the offset at the guess, then at the corrected instant (they differ only across a DST change).
  let instant = guess - offsetMinutes(new Date(guess), timeZone) * 60_000;
  instant = guess - offsetMinutes(new Date(instant), timeZone) * 60_000;
  return new Date(instant);
}

/**
 * A range a reader gives as instants (ISO, with offset) or as days on the center's calendar (both days included),
 * as instants [from, to). Either end may be open.
 */
export function instantRange(
  q: { from?: string | undefined; to?: string | undefined; fromDay?: CalendarDay | undefined; toDay?: CalendarDay | undefined },
  timeZone: string,
): { from?: Date; to?: Date } {
  if (q.from && q.fromDay) throw new AppError('validation_failed', 'Give "from" or "fromDay", not both.');
  if (q.to && q.toDay) throw new AppError('validation_failed', 'Give "to" or "toDay", not both.');
  const from = q.from ? new Date(q.from) : q.fromDay ? startOfDay(q.fromDay, timeZone) : undefined;
  const to = q.to ? new Date(q.to) : q.toDay ? startOfDay(addDays(q.toDay, 1), timeZone) : undefined;
  if (from && to && to <= from) throw new AppError('validation_failed', 'The range is empty: its end must be after its start.');
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}
