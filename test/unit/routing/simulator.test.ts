import { describe, expect, it } from 'vitest';
import { simulate } from '../../../src/domain/routing/simulator.js';
import { averageSpeedOfAnswer, erlangC, serviceLevel } from '../../../src/domain/staffing/erlang.js';

describe('Erlang C', () => {
  it('matches the textbook figures for 10 Erlangs on 14 agents', () => {
    expect(erlangC(14, 10)).toBeCloseTo(0.1741, 3);
    expect(serviceLevel(14, 10, 180, 20)).toBeCloseTo(0.888, 3);
    expect(averageSpeedOfAnswer(14, 10, 180)).toBeCloseTo(7.83, 1);
    expect(serviceLevel(10, 10, 180, 20)).toBe(0);
  });
});

describe('the simulator', () => {
  it('reproduces Erlang C: 200 calls/hour, AHT 180 s, 14 agents, threshold 20 s, no abandonment', () => {
    const result = simulate({
      callsPerDay: 4800,
      days: 20,
      profile: 'flat',
      ahtSeconds: 180,
      patienceSeconds: null,
      agents: 14,
      thresholdSeconds: 20,
      wrapSeconds: 0,
      seed: 1,
    });
    expect(result.offered).toBeGreaterThan(90_000);
    expect(result.abandoned).toBe(0);
    expect(result.serviceLevel).not.toBeNull();
    expect(Math.abs((result.serviceLevel ?? 0) - serviceLevel(14, 10, 180, 20))).toBeLessThanOrEqual(0.02);
    expect(result.aht).toBeCloseTo(180, -1);
    expect(result.occupancy).toBeCloseTo(10 / 14, 1);
  });

  it('is reproducible from its seed, and counts abandons when callers run out of patience', () => {
    const options = {
      callsPerDay: 7000,
      days: 1,
      profile: 'daily' as const,
      ahtSeconds: 240,
      patienceSeconds: 90,
      agents: 18,
      thresholdSeconds: 20,
      wrapSeconds: 30,
      seed: 5,
    };
    const a = simulate(options);
    const b = simulate(options);
    expect(b).toEqual(a);
    expect(a.offered).toBeGreaterThan(6500);
    expect(a.offered).toBeLessThan(7500);
    expect(a.abandoned).toBeGreaterThan(0);
    expect(a.answered + a.abandoned).toBeLessThanOrEqual(a.offered);
    expect(a.intervals).toHaveLength(48);
    expect(a.intervals.reduce((n, i) => n + i.offered, 0)).toBe(a.offered);
    // The daily profile: more calls at midday than at 03:00.
    const at = (hhmm: string) => a.intervals.find((i) => i.start === `d1 ${hhmm}`)?.offered ?? 0;
    expect(at('12:00')).toBeGreaterThan(2 * at('03:00'));
  });
});

describe('the simulator with shifts', () => {
  it('staffs only during shifts (a night shift crosses midnight) and serves worse when the day is understaffed', () => {
    const base = {
      callsPerDay: 7000,
      days: 1,
      profile: 'daily' as const,
      ahtSeconds: 240,
      patienceSeconds: 120,
      agents: 1,
      thresholdSeconds: 20,
      wrapSeconds: 0,
      seed: 3,
    };
    const covered = simulate({
      ...base,
      shifts: [
        { start: '06:00', end: '14:00', agents: 30 },
        { start: '14:00', end: '22:00', agents: 30 },
        { start: '22:00', end: '06:00', agents: 12 },
      ],
    });
    const thinDay = simulate({
      ...base,
      shifts: [
        { start: '06:00', end: '14:00', agents: 12 },
        { start: '14:00', end: '22:00', agents: 30 },
        { start: '22:00', end: '06:00', agents: 12 },
      ],
    });
    expect(covered.offered).toBe(thinDay.offered);
    expect(covered.serviceLevel ?? 0).toBeGreaterThan(0.8);
    const morning = (r: typeof covered) => r.intervals.filter((i) => i.start >= 'd1 08:00' && i.start < 'd1 14:00');
    const answeredShare = (r: typeof covered) =>
      morning(r).reduce((n, i) => n + i.answered, 0) /
      Math.max(
        1,
        morning(r).reduce((n, i) => n + i.offered, 0),
      );
    expect(answeredShare(thinDay)).toBeLessThan(answeredShare(covered));
    // Night calls at 03:00 are answered: the night shift that began at 22:00 the day before is at work.
    const night = covered.intervals.find((i) => i.start === 'd1 03:00');
    expect(night?.answered).toBeGreaterThan(0);
  });

  it('refuses a time that is not HH:MM', () => {
    expect(() =>
      simulate({
        callsPerDay: 100,
        days: 1,
        profile: 'flat',
        ahtSeconds: 60,
        patienceSeconds: null,
        agents: 1,
        thresholdSeconds: 20,
        wrapSeconds: 0,
        seed: 1,
        shifts: [{ start: '25:00', end: '06:00', agents: 1 }],
      }),
    ).toThrow(/not a time of day/);
  });
});
