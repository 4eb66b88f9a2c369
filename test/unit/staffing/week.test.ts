import { describe, expect, it } from 'vitest';
import { intervalStart, isMonday, mondayOf, weekOf } from '../../../src/domain/staffing/week.js';

describe('the planning week', () => {
  it('starts on Monday on the center’s calendar', () => {
    expect(isMonday('2026-11-30')).toBe(true);
    expect(isMonday('2026-12-01')).toBe(false);
    expect(isMonday('2026-02-30')).toBe(false);
    expect(mondayOf('2026-12-06')).toBe('2026-11-30');
    expect(mondayOf('2026-11-30')).toBe('2026-11-30');
    // Sunday 20:00 in Chicago is already Monday in UTC: still the week before.
    expect(weekOf(new Date('2026-12-07T02:00:00Z'), 'America/Chicago')).toBe('2026-11-30');
  });

  it('maps intervals to instants on the wall clock, across a change of clocks', () => {
    expect(intervalStart('2026-11-30', 0, 'America/Chicago').toISOString()).toBe('2026-11-30T06:00:00.000Z');
    expect(intervalStart('2026-11-30', 96 + 37, 'America/Chicago').toISOString()).toBe('2026-12-01T15:15:00.000Z');
    expect(intervalStart('2026-11-30', 672, 'America/Chicago').toISOString()).toBe('2026-12-07T06:00:00.000Z');
    // DST ends on Sunday 2026-11-01: Monday 2026-10-26 00:00 is CDT (UTC−5), the next Monday CST (UTC−6).
    expect(intervalStart('2026-10-26', 0, 'America/Chicago').toISOString()).toBe('2026-10-26T05:00:00.000Z');
    expect(intervalStart('2026-10-26', 672, 'America/Chicago').toISOString()).toBe('2026-11-02T06:00:00.000Z');
  });
});
