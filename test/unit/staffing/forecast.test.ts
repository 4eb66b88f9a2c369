import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/domain/demo/random.js';
import {
  forecastWeek,
  holdoutErrors,
  INTERVALS_PER_DAY,
  INTERVALS_PER_WEEK,
  nextWeekTotal,
  wape,
} from '../../../src/domain/staffing/forecast.js';
import { arrivalHistory, poisson, weeklyMeans } from '../../../src/domain/staffing/synthetic-arrivals.js';

/** Six weeks of a 6,500-calls-a-day hotline growing 1 % a week; weeks 5 and 6 are held out. */
const history = arrivalHistory({ weeks: 6, callsPerWeek: 45_500, weeklyGrowth: 0.01, seed: 11 });
const weekOf = (values: readonly number[], w: number) => values.slice(w * INTERVALS_PER_WEEK, (w + 1) * INTERVALS_PER_WEEK);

describe('synthetic arrivals', () => {
  it('draws Poisson counts around a known day-of-week × time-of-day shape', () => {
    const random = seededRandom(3);
    const draws = Array.from({ length: 4000 }, () => poisson(random, 45.5));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(45.5, 0);
    expect(variance / mean).toBeGreaterThan(0.9);
    expect(variance / mean).toBeLessThan(1.1);
    const means = weeklyMeans(45_500);
    expect(means.reduce((a, b) => a + b, 0)).toBeCloseTo(45_500, 6);
    // Monday noon is busier than Sunday noon and than Monday 03:00.
    const at = (day: number, hour: number) => means[day * INTERVALS_PER_DAY + hour * 4] ?? 0;
    expect(at(0, 12)).toBeGreaterThan(at(6, 12));
    expect(at(0, 12)).toBeGreaterThan(3 * at(0, 3));
    expect(arrivalHistory({ weeks: 1, callsPerWeek: 1000, weeklyGrowth: 0, seed: 5 })).toEqual(
      arrivalHistory({ weeks: 1, callsPerWeek: 1000, weeklyGrowth: 0, seed: 5 }),
    );
  });
});

describe('the seasonal forecast', () => {
  it('follows a weekly trend in the level', () => {
    expect(nextWeekTotal([1000, 1100, 1200, 1300])).toBeCloseTo(1400, 0);
    expect(nextWeekTotal([500])).toBe(500);
    expect(nextWeekTotal([])).toBe(0);
  });

  it('refuses history that is not whole weeks', () => {
    expect(() => forecastWeek([1, 2, 3])).toThrow(/whole weeks/);
  });

  it('forecasts held-out weeks close to the Poisson noise floor, and better than naive methods', () => {
    const seasonal = holdoutErrors(history.counts, 2);
    // Same slot last week; and a flat week at last week's average.
    const lastWeek = holdoutErrors(history.counts, 2, (training) => training.slice(-INTERVALS_PER_WEEK));
    const flat = holdoutErrors(history.counts, 2, (training) => {
      const last = training.slice(-INTERVALS_PER_WEEK);
      const average = last.reduce((a, b) => a + b, 0) / INTERVALS_PER_WEEK;
      return last.map(() => average);
    });
    // The floor: forecasting with the true means, which no method can beat on average.
    const floor = [4, 5].map((w) => wape(weekOf(history.counts, w), weekOf(history.means, w)));
    for (const [i, result] of seasonal.entries()) {
      expect(result.wape).toBeLessThan((lastWeek[i]?.wape ?? 0) * 0.8);
      expect(result.wape).toBeLessThan((flat[i]?.wape ?? 0) * 0.5);
      expect(result.wape).toBeLessThan((floor[i] ?? 0) * 1.15);
      expect(Math.abs(result.forecastCalls - result.actualCalls) / result.actualCalls).toBeLessThan(0.02);
    }
    console.log(
      `held-out weeks ${seasonal.map((r) => r.week).join(', ')}: WAPE seasonal ${seasonal.map((r) => r.wape.toFixed(4)).join(', ')}; ` +
        `noise floor ${floor.map((f) => f.toFixed(4)).join(', ')}; same slot last week ${lastWeek.map((r) => r.wape.toFixed(4)).join(', ')}; ` +
        `flat ${flat.map((r) => r.wape.toFixed(4)).join(', ')}; weekly totals forecast/actual ${seasonal.map((r) => `${r.forecastCalls.toFixed(0)}/${r.actualCalls}`).join(', ')}`,
    );
  });
});
