/**
 * Contacts per 15-minute interval for the coming week, from whole weeks of history: a weekly level with a trend
 * (Holt's linear smoothing of the weekly totals) times a week profile of 672 shares (day of week × time of day).
 *
 * Why not Holt–Winters on the 15-minute series: with a season of 672 each seasonal index is updated once a week,
 * so it is an exponentially weighted average of that slot over past weeks — which is what the profile here is —
 * but it also needs two seasons to start and drifts its level on every quiet night interval. Splitting level and
 * profile lets the level come from weekly totals (thousands of calls: little Poisson noise) and the profile from
 * all weeks pooled, lightly smoothed across neighbouring intervals, which cuts the noise of a 15-minute count
 * (a few calls each) that no per-slot method can remove.
 */

export const INTERVAL_MINUTES = 15;
export const INTERVALS_PER_DAY = (24 * 60) / INTERVAL_MINUTES;
export const INTERVALS_PER_WEEK = 7 * INTERVALS_PER_DAY;

export type ForecastOptions = {
  /** Weight of a week relative to the one after it in the profile (1: all weeks alike). */
  weekDecay: number;
  /** Holt's smoothing of the weekly level and trend. */
  levelSmoothing: number;
  trendSmoothing: number;
  /** Kernel over neighbouring intervals of the profile, centred, summing to 1. */
  kernel: readonly number[];
};

export const DEFAULT_FORECAST: ForecastOptions = { weekDecay: 0.8, levelSmoothing: 0.5, trendSmoothing: 0.3, kernel: [0.25, 0.5, 0.25] };

function weeksOf(history: readonly number[]): number[][] {
  if (history.length === 0 || history.length % INTERVALS_PER_WEEK !== 0)
    throw new Error(`history must be whole weeks of ${INTERVALS_PER_WEEK} intervals, got ${history.length}`);
  const weeks: number[][] = [];
  for (let w = 0; w < history.length / INTERVALS_PER_WEEK; w++)
    weeks.push(history.slice(w * INTERVALS_PER_WEEK, (w + 1) * INTERVALS_PER_WEEK));
  return weeks;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The next week's total from Holt's linear smoothing of weekly totals (a single week: that week's total). */
export function nextWeekTotal(totals: readonly number[], options: ForecastOptions = DEFAULT_FORECAST): number {
  const [first, second] = totals;
  if (first === undefined) return 0;
  if (second === undefined) return first;
  let level = first;
  let trend = second - first;
  for (let i = 1; i < totals.length; i++) {
    const previous = level;
    level = options.levelSmoothing * (totals[i] ?? 0) + (1 - options.levelSmoothing) * (level + trend);
    trend = options.trendSmoothing * (level - previous) + (1 - options.trendSmoothing) * trend;
  }
  return Math.max(0, level + trend);
}

/** Each interval's share of the week: recency-weighted over the weeks, smoothed over neighbouring intervals (the week wraps). */
export function weekProfile(weeks: readonly (readonly number[])[], options: ForecastOptions = DEFAULT_FORECAST): number[] {
  const raw = new Array<number>(INTERVALS_PER_WEEK).fill(0);
  let weights = 0;
  weeks.forEach((week, w) => {
    const total = sum(week);
    if (total <= 0) return;
    const weight = options.weekDecay ** (weeks.length - 1 - w);
    weights += weight;
    for (let i = 0; i < INTERVALS_PER_WEEK; i++) raw[i] = (raw[i] ?? 0) + (weight * (week[i] ?? 0)) / total;
  });
  if (weights === 0) return new Array<number>(INTERVALS_PER_WEEK).fill(1 / INTERVALS_PER_WEEK);
  const half = Math.floor(options.kernel.length / 2);
  const smoothed = raw.map((_, i) => {
    let value = 0;
    options.kernel.forEach((k, j) => {
      value += k * (raw[(i + j - half + INTERVALS_PER_WEEK) % INTERVALS_PER_WEEK] ?? 0);
    });
    return value / weights;
  });
  const total = sum(smoothed);
  return smoothed.map((v) => v / total);
}

/** Calls per 15-minute interval for the week after `history` (whole weeks, oldest first, slot 0 = Monday 00:00). */
export function forecastWeek(history: readonly number[], options: ForecastOptions = DEFAULT_FORECAST): number[] {
  const weeks = weeksOf(history);
  const total = nextWeekTotal(weeks.map(sum), options);
  return weekProfile(weeks, options).map((share) => share * total);
}

/** Weighted absolute percentage error: Σ|actual − forecast| ÷ Σ actual (robust where many intervals are near zero, unlike MAPE). */
export function wape(actual: readonly number[], forecast: readonly number[]): number {
  if (actual.length !== forecast.length) throw new Error('actual and forecast differ in length');
  const total = sum(actual);
  if (total === 0) return 0;
  let error = 0;
  for (let i = 0; i < actual.length; i++) error += Math.abs((actual[i] ?? 0) - (forecast[i] ?? 0));
  return error / total;
}

export type HoldoutResult = { week: number; wape: number; actualCalls: number; forecastCalls: number };

/**
 * Rolling-origin check: each of the last `holdoutWeeks` weeks is forecast from the weeks before it only, and its
 * WAPE is measured against what arrived.
 */
export function holdoutErrors(
  history: readonly number[],
  holdoutWeeks: number,
  method: (training: readonly number[]) => number[] = (training) => forecastWeek(training),
): HoldoutResult[] {
  const weeks = weeksOf(history);
  if (!(holdoutWeeks >= 1 && holdoutWeeks < weeks.length)) throw new Error('hold out at least one week and train on at least one');
  const results: HoldoutResult[] = [];
  for (let w = weeks.length - holdoutWeeks; w < weeks.length; w++) {
    const actual = weeks[w] ?? [];
    const forecast = method(history.slice(0, w * INTERVALS_PER_WEEK));
    results.push({ week: w + 1, wape: wape(actual, forecast), actualCalls: sum(actual), forecastCalls: sum(forecast) });
  }
  return results;
}
