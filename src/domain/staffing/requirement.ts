import { erlangA } from './erlang-a.js';

/** What a queue promises: the share of calls answered within `thresholdSeconds` (docs/METRICS.md service level). */
export type ServiceTarget = {
  serviceLevel: number;
  thresholdSeconds: number;
  ahtSeconds: number;
  /** Mean caller patience for Erlang A; null: Erlang C (nobody abandons — the cautious choice). */
  patienceSeconds: number | null;
};

const MAX_AGENTS = 5_000;

/**
 * The fewest agents on the phones for `calls` arrivals in an interval of `intervalSeconds` to meet the target
 * (stationary within the interval). Service level rises with agents, so a binary search finds the least.
 */
export function requiredAgents(calls: number, intervalSeconds: number, target: ServiceTarget): number {
  if (!(target.serviceLevel > 0 && target.serviceLevel < 1))
    throw new Error(`a service-level target is a share in (0, 1): ${target.serviceLevel}`);
  if (calls <= 0) return 0;
  const model = { arrivalRate: calls / intervalSeconds, ahtSeconds: target.ahtSeconds, patienceSeconds: target.patienceSeconds };
  const meets = (agents: number) => erlangA(agents, model, target.thresholdSeconds).serviceLevel >= target.serviceLevel;
  let high = Math.max(1, Math.ceil(model.arrivalRate * target.ahtSeconds) + 1);
  while (!meets(high)) {
    if (high >= MAX_AGENTS) throw new Error(`more than ${MAX_AGENTS} agents needed for one interval`);
    high = Math.min(MAX_AGENTS, high * 2);
  }
  let low = 0;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (meets(mid)) high = mid;
    else low = mid;
  }
  return high;
}

/**
 * Agents to schedule so that `required` are on the phones after shrinkage (the share of paid time spent off them:
 * coaching, absence, short breaks not in the plan): ceil(required ÷ (1 − shrinkage)).
 */
export function withShrinkage(required: number, shrinkage: number): number {
  if (!(shrinkage >= 0 && shrinkage < 1)) throw new Error(`shrinkage is a share in [0, 1): ${shrinkage}`);
  // Round away float noise first, so 8 ÷ 0.8 is 10, not 11.
  return Math.ceil(Number((required / (1 - shrinkage)).toFixed(9)));
}

/** Agents to schedule per interval for a forecast of calls per interval. */
export function requirementFor(
  callsPerInterval: readonly number[],
  intervalSeconds: number,
  target: ServiceTarget,
  shrinkage: number,
): number[] {
  const cache = new Map<number, number>();
  return callsPerInterval.map((calls) => {
    // Forecasts repeat to a few decimals; memoise per rounded volume.
    const key = Math.round(calls * 100) / 100;
    let agents = cache.get(key);
    if (agents === undefined) {
      agents = withShrinkage(requiredAgents(key, intervalSeconds, target), shrinkage);
      cache.set(key, agents);
    }
    return agents;
  });
}
