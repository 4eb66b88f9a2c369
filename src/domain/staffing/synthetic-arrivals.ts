import { type Random, seededRandom } from '../demo/random.js';
import { INTERVALS_PER_DAY, INTERVALS_PER_WEEK } from './forecast.js';

/**
 * Synthetic arrival history with a known shape, for checking the forecast and the plan: calls per 15-minute interval
 * = weekly volume × day-of-week factor × time-of-day shape (a 24/7 hotline: night trough, daytime plateau, evening
 * shoulder), with Poisson noise from a seeded PRNG. Slot 0 is Monday 00:00.
 */

/** Relative volume by hour of day (the routing simulator's daily shape). */
const HOURLY = [
  0.35, 0.28, 0.24, 0.22, 0.25, 0.35, 0.6, 0.9, 1.2, 1.4, 1.5, 1.5, 1.45, 1.45, 1.45, 1.4, 1.35, 1.3, 1.2, 1.1, 1.0, 0.85, 0.65, 0.45,
];
/** Monday … Sunday. */
const DAY_OF_WEEK = [1.12, 1.06, 1.02, 1.0, 0.98, 0.82, 0.78];

/** The expected calls per interval of one week (the truth the noisy history is drawn from). */
export function weeklyMeans(callsPerWeek: number): number[] {
  const raw: number[] = [];
  for (let slot = 0; slot < INTERVALS_PER_WEEK; slot++) {
    const day = Math.floor(slot / INTERVALS_PER_DAY);
    const quarter = slot % INTERVALS_PER_DAY;
    // Linear between hourly values (taken at the half hour), so the shape has no steps.
    const hour = (quarter + 0.5) / 4 - 0.5;
    const h0 = Math.floor(hour);
    const f = hour - h0;
    const a = HOURLY[(h0 + 24) % 24] ?? 1;
    const b = HOURLY[(h0 + 1) % 24] ?? 1;
    raw.push((DAY_OF_WEEK[day] ?? 1) * (a + (b - a) * f));
  }
  const total = raw.reduce((x, y) => x + y, 0);
  return raw.map((r) => (r / total) * callsPerWeek);
}

/** A Poisson draw: sums of draws of mean ≤ 20 by Knuth's product method, so large means never underflow. */
export function poisson(random: Random, mean: number): number {
  let count = 0;
  let left = mean;
  for (let guard = 0; left > 0 && guard < 1_000_000; guard++) {
    const part = Math.min(left, 20);
    left -= part;
    const limit = Math.exp(-part);
    let product = random.next();
    while (product > limit) {
      count += 1;
      product *= random.next();
    }
  }
  return count;
}

export type ArrivalHistoryOptions = { weeks: number; callsPerWeek: number; weeklyGrowth: number; seed: number };

/** Calls per interval for `weeks` whole weeks; week w has callsPerWeek × (1 + weeklyGrowth)^w expected calls. */
export function arrivalHistory(options: ArrivalHistoryOptions): { counts: number[]; means: number[] } {
  const random = seededRandom(options.seed);
  const counts: number[] = [];
  const means: number[] = [];
  for (let w = 0; w < options.weeks; w++) {
    for (const mean of weeklyMeans(options.callsPerWeek * (1 + options.weeklyGrowth) ** w)) {
      means.push(mean);
      counts.push(poisson(random, mean));
    }
  }
  return { counts, means };
}
