import { describe, expect, it } from 'vitest';
import {
  compileDialPattern,
  DEFAULT_CALLBACK_POLICY,
  dialAllowed,
  maskNumber,
  nextAttemptAt,
  nextCallingTime,
  outcomeOfStatus,
  parseCallingHours,
  parseRetryMinutes,
  withinCallingHours,
} from '../../src/domain/callbacks/callback-policy.js';

const CHICAGO = 'America/Chicago';
const hours = parseCallingHours('08:00-20:00');

describe('calling hours', () => {
  it('parses HH:MM-HH:MM and refuses what is not', () => {
    expect(hours).toEqual({ start: 480, end: 1200 });
    expect(parseCallingHours('00:00-24:00')).toEqual({ start: 0, end: 1440 });
    for (const bad of ['8-20', '20:00-08:00', '08:00-08:00', '25:00-26:00', '08:61-20:00'])
      expect(() => parseCallingHours(bad), bad).toThrow(/calling hours/);
  });

  it('are local to the caller’s zone: 19:30 in Chicago is inside, 21:30 is not; 07:59 is not', () => {
    // Winter: Chicago is UTC-6.
    expect(withinCallingHours(new Date('2026-12-08T01:30:00Z'), CHICAGO, hours)).toBe(true); // 19:30
    expect(withinCallingHours(new Date('2026-12-08T03:30:00Z'), CHICAGO, hours)).toBe(false); // 21:30
    expect(withinCallingHours(new Date('2026-12-07T13:59:00Z'), CHICAGO, hours)).toBe(false); // 07:59
    expect(withinCallingHours(new Date('2026-12-07T14:00:00Z'), CHICAGO, hours)).toBe(true); // 08:00
    // The same instant is 22:30 in New York: outside there.
    expect(withinCallingHours(new Date('2026-12-08T03:30:00Z'), 'America/Los_Angeles', hours)).toBe(true); // 19:30 in LA
  });

  it('moves a time outside the hours to the next opening: the same morning, or the next day after the evening', () => {
    expect(nextCallingTime(new Date('2026-12-07T12:00:00Z'), CHICAGO, hours).toISOString()).toBe('2026-12-07T14:00:00.000Z'); // 06:00 → 08:00
    expect(nextCallingTime(new Date('2026-12-08T03:00:00Z'), CHICAGO, hours).toISOString()).toBe('2026-12-08T14:00:00.000Z'); // 21:00 → next 08:00
    const inside = new Date('2026-12-07T18:00:00Z');
    expect(nextCallingTime(inside, CHICAGO, hours)).toBe(inside);
  });

  it('keeps the local opening across a DST change (the spring-forward night in Chicago)', () => {
    // 2027-03-14: clocks go from 02:00 to 03:00; at 23:00 CST on the 13th the next opening is 08:00 CDT = 13:00Z.
    expect(nextCallingTime(new Date('2027-03-14T05:00:00Z'), CHICAGO, hours).toISOString()).toBe('2027-03-14T13:00:00.000Z');
  });
});

describe('the retry schedule', () => {
  const policy = { ...DEFAULT_CALLBACK_POLICY, retryMinutes: parseRetryMinutes('15,60') };

  it('waits the spacing after each try, the last repeating, and stops after the last try', () => {
    const noon = new Date('2026-12-07T18:00:00Z'); // 12:00 in Chicago
    expect(nextAttemptAt(noon, 1, policy, CHICAGO)?.toISOString()).toBe('2026-12-07T18:15:00.000Z');
    expect(nextAttemptAt(noon, 2, policy, CHICAGO)?.toISOString()).toBe('2026-12-07T19:00:00.000Z');
    expect(nextAttemptAt(noon, 3, policy, CHICAGO)).toBeNull();
    expect(nextAttemptAt(noon, 2, { ...policy, maxAttempts: 5, retryMinutes: [15, 60] }, CHICAGO)?.toISOString()).toBe(
      '2026-12-07T19:00:00.000Z',
    );
  });

  it('a retry that falls after the evening waits for the next morning', () => {
    const late = new Date('2026-12-08T01:50:00Z'); // 19:50 in Chicago; +15 min = 20:05 → 08:00 the next day
    expect(nextAttemptAt(late, 1, policy, CHICAGO)?.toISOString()).toBe('2026-12-08T14:00:00.000Z');
  });

  it('refuses retry lists that are not minutes', () => {
    for (const bad of ['', 'a,b', '0', '15,-1', '99999']) expect(() => parseRetryMinutes(bad), bad).toThrow(/minutes/);
  });
});

describe('outcomes, masking and the allow-list', () => {
  it('reads final SIP answers as the callback’s outcome', () => {
    expect(outcomeOfStatus(200)).toBe('answered');
    expect(outcomeOfStatus(486)).toBe('busy');
    expect(outcomeOfStatus(600)).toBe('busy');
    expect(outcomeOfStatus(480)).toBe('no_answer');
    expect(outcomeOfStatus(487)).toBe('no_answer');
    expect(outcomeOfStatus(408)).toBe('no_answer');
    expect(outcomeOfStatus(503)).toBe('failed');
    expect(outcomeOfStatus(404)).toBe('failed');
  });

  it('masks all but the last four digits', () => {
    expect(maskNumber('+16155550123')).toBe('•••-•••-0123');
    expect(maskNumber('123')).toBe('••••');
    expect(maskNumber(null)).toBeNull();
  });

  it('compiles dial patterns: X, N, Z, ranges and a trailing dot', () => {
    const nanp = compileDialPattern('+1NXXNXXXXXX');
    expect(nanp.test('+16155550123')).toBe(true);
    expect(nanp.test('+11155550123')).toBe(false); // area codes do not start with 1
    expect(nanp.test('+16151550123')).toBe(false); // nor exchanges
    expect(nanp.test('+1615555012')).toBe(false);
    expect(compileDialPattern('+1615[2-5]XXXXXX').test('+16153000000')).toBe(true);
    expect(compileDialPattern('+1615[2-5]XXXXXX').test('+16156000000')).toBe(false);
    expect(compileDialPattern('+52.').test('+525512345678')).toBe(true);
    expect(compileDialPattern('+52.').test('+52')).toBe(false);
    const allow = [nanp];
    expect(dialAllowed('+19005550123', allow)).toBe(true);
    expect(dialAllowed('+442079460000', allow)).toBe(false);
    for (const bad of ['', '+1NXX(555)', 'abc', '+1.X', '1*']) expect(() => compileDialPattern(bad), bad).toThrow(/dial pattern/);
  });
});
