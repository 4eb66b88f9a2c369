import { averageSpeedOfAnswer, erlangC, serviceLevel as erlangCServiceLevel } from './erlang.js';

/**
 * Erlang A (M/M/N+M; Palm 1943, Garnett, Mandelbaum & Reiman 2002, "Designing a call center with impatient
 * customers"): Poisson arrivals, exponential handle times, N agents and exponential caller patience. Computed
 * exactly from the birth–death chain of the number of calls in the system, truncated where its probabilities
 * vanish; the wait of an arriving caller follows from the chain of the calls ahead of it (each served at rate Nμ,
 * each abandoning at rate θ). Unlike Erlang C it is stable with fewer agents than Erlangs.
 */

export type QueueModel = {
  /** Calls per second. */
  arrivalRate: number;
  ahtSeconds: number;
  /** Mean caller patience; null: nobody abandons (Erlang C). */
  patienceSeconds: number | null;
};

export type QueuePerformance = {
  /** Share of callers who find every agent busy. */
  waitProbability: number;
  /** Share of callers who hang up before an answer. */
  abandonProbability: number;
  /** Share of all callers answered within the threshold. */
  answeredWithinThreshold: number;
  /** Share of callers who abandon within the threshold (short of the threshold, they count in neither part of the service level). */
  abandonedWithinThreshold: number;
  /** docs/METRICS.md: answered within T ÷ (callers − those who abandoned within T). */
  serviceLevel: number;
  /** Mean wait of answered calls (seconds). */
  asaSeconds: number;
};

const MAX_QUEUE = 20_000;
const NEGLIGIBLE = 1e-15;

/** The stationary distribution of calls in the system, from the birth–death balance equations, normalised. */
function stationary(agents: number, lambda: number, mu: number, theta: number): number[] {
  const weights = [1];
  let total = 1;
  let weight = 1;
  for (let k = 1; k < agents + MAX_QUEUE; k++) {
    const death = k <= agents ? k * mu : agents * mu + (k - agents) * theta;
    weight = (weight * lambda) / death;
    weights.push(weight);
    total += weight;
    if (total > 1e250) {
      // Rescale so A^N/N! never overflows for large centers.
      for (let i = 0; i < weights.length; i++) weights[i] = (weights[i] ?? 0) / 1e250;
      total /= 1e250;
      weight /= 1e250;
    }
    if (k > agents && weight < NEGLIGIBLE * total) break;
  }
  return weights.map((w) => w / total);
}

/** ln Poisson(n; m) terms for n = 0…, by recursion from the mode to stay finite for large m. */
function poissonWeights(mean: number): number[] {
  const top = Math.ceil(mean + 12 * Math.sqrt(mean) + 30);
  const weights = new Array<number>(top + 1).fill(0);
  const mode = Math.floor(mean);
  weights[mode] = 1;
  for (let n = mode + 1; n <= top; n++) weights[n] = ((weights[n - 1] ?? 0) * mean) / n;
  for (let n = mode - 1; n >= 0; n--) weights[n] = ((weights[n + 1] ?? 0) * (n + 1)) / mean;
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

export function erlangA(agents: number, model: QueueModel, thresholdSeconds: number): QueuePerformance {
  const { arrivalRate: lambda, ahtSeconds, patienceSeconds } = model;
  if (!(agents >= 0 && Number.isInteger(agents))) throw new Error(`agents must be a whole number: ${agents}`);
  if (lambda <= 0) {
    return {
      waitProbability: 0,
      abandonProbability: 0,
      answeredWithinThreshold: 1,
      abandonedWithinThreshold: 0,
      serviceLevel: 1,
      asaSeconds: 0,
    };
  }
  const mu = 1 / ahtSeconds;
  const erlangs = lambda * ahtSeconds;
  if (patienceSeconds === null) {
    const wait = agents > erlangs ? erlangC(agents, erlangs) : 1;
    const sl = erlangCServiceLevel(agents, erlangs, ahtSeconds, thresholdSeconds);
    return {
      waitProbability: wait,
      abandonProbability: 0,
      answeredWithinThreshold: sl,
      abandonedWithinThreshold: 0,
      serviceLevel: sl,
      asaSeconds: averageSpeedOfAnswer(agents, erlangs, ahtSeconds),
    };
  }
  const theta = 1 / patienceSeconds;
  const pi = stationary(agents, lambda, mu, theta);
  // By PASTA an arriving caller finds k calls in the system with probability pi[k]; with k ≥ N it waits behind i = k − N.
  const ahead = pi.slice(agents);
  let immediate = 0;
  for (let k = 0; k < agents && k < pi.length; k++) immediate += pi[k] ?? 0;
  const waitProbability = 1 - immediate;
  // Abandons leave at rate θ per waiting call: P(abandon) = θ·E[queue] / λ.
  let meanQueue = 0;
  for (let i = 0; i < ahead.length; i++) meanQueue += i * (ahead[i] ?? 0);
  const abandonProbability = (theta * meanQueue) / lambda;

  // The tagged caller with i calls ahead moves up at rate Nμ + iθ (served or abandoned ahead) and leaves at rate θ.
  const advance = (i: number) => agents * mu + i * theta;
  // h[i]: chance to be answered eventually from i ahead; r[i]: chance to pass through i; time there is 1/(advance + θ).
  const h: number[] = [];
  let carried = 1;
  for (let i = 0; i < ahead.length; i++) {
    carried *= advance(i) / (advance(i) + theta);
    h.push(carried);
  }
  let answeredAfterWait = 0;
  let waitOfAnswered = 0;
  let reach = 0;
  for (let i = ahead.length - 1; i >= 0; i--) {
    reach = (ahead[i] ?? 0) + (i + 1 < ahead.length ? reach * (advance(i + 1) / (advance(i + 1) + theta)) : 0);
    const rate = advance(i) + theta;
    // Time spent at i, counted only for callers who are answered in the end (h[i] is the same from any instant at i).
    waitOfAnswered += (reach / rate) * (h[i] ?? 0);
    answeredAfterWait += (ahead[i] ?? 0) * (h[i] ?? 0);
  }
  const answered = immediate + answeredAfterWait;
  const asaSeconds = answered > 0 ? waitOfAnswered / answered : 0;

  // Within T: uniformise the tagged caller's chain (states i ahead, answered, abandoned) at rate Λ.
  const uniform = advance(ahead.length) + theta;
  const steps = poissonWeights(uniform * thresholdSeconds);
  let state = ahead.slice();
  let answeredBy = 0;
  let abandonedBy = 0;
  let answeredWithin = 0;
  let abandonedWithin = 0;
  for (let n = 0; n < steps.length; n++) {
    const weight = steps[n] ?? 0;
    answeredWithin += weight * answeredBy;
    abandonedWithin += weight * abandonedBy;
    const next = new Array<number>(state.length).fill(0);
    for (let i = 0; i < state.length; i++) {
      const p = state[i] ?? 0;
      if (p === 0) continue;
      const up = advance(i) / uniform;
      const leave = theta / uniform;
      if (i === 0) answeredBy += p * up;
      else next[i - 1] = (next[i - 1] ?? 0) + p * up;
      abandonedBy += p * leave;
      next[i] = (next[i] ?? 0) + p * (1 - up - leave);
    }
    state = next;
  }
  const answeredWithinThreshold = immediate + answeredWithin;
  const denominator = 1 - abandonedWithin;
  return {
    waitProbability,
    abandonProbability,
    answeredWithinThreshold,
    abandonedWithinThreshold: abandonedWithin,
    serviceLevel: denominator > 0 ? Math.min(1, answeredWithinThreshold / denominator) : 0,
    asaSeconds,
  };
}
