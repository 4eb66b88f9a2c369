import { addDays, type CalendarDay, dayIn, isCalendarDay, offsetMinutes } from '../calendar/calendar-day.js';
import { INTERVAL_MINUTES, INTERVALS_PER_DAY } from './forecast.js';

/**
 * A planning week runs Monday 00:00 to Monday 00:00 on the center's wall clock (CENTER_TIME_ZONE); interval i is the
 * i-th quarter hour of wall-clock time from its start. On the days clocks change, the skipped quarter hours (02:00–
 * 03:00 in spring) map to the instant after the change, and the repeated hour in autumn is planned once.
 */

const dayOfWeek = (day: CalendarDay): number => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1)).getUTCDay();
};

export const isMonday = (day: string): boolean => isCalendarDay(day) && dayOfWeek(day) === 1;

/** The Monday of the week a day falls in. */
export const mondayOf = (day: CalendarDay): CalendarDay => addDays(day, -((dayOfWeek(day) + 6) % 7));

/** The Monday of the week an instant falls in, on the center's calendar. */
export const weekOf = (instant: Date, timeZone: string): CalendarDay => mondayOf(dayIn(instant, timeZone));

/** The instant a wall-clock interval of the week begins (i may pass the week's end: it runs into the next). */
export function intervalStart(weekStart: CalendarDay, interval: number, timeZone: string): Date {
  const day = addDays(weekStart, Math.floor(interval / INTERVALS_PER_DAY));
  const [y, m, d] = day.split('-').map(Number);
  const wall = Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1) + (interval % INTERVALS_PER_DAY) * INTERVAL_MINUTES * 60_000;
  // Two passes, as startOfDay: the offset at the guess, then at the corrected instant.
  let instant = wall - offsetMinutes(new Date(wall), timeZone) * 60_000;
  instant = wall - offsetMinutes(new Date(instant), timeZone) * 60_000;
  return new Date(instant);
}

/** 'YYYY-MM-DDT00:00:00' — the wall-clock start of a week, as SQL compares local timestamps. */
export const localMidnight = (day: CalendarDay): string => `${day}T00:00:00`;
