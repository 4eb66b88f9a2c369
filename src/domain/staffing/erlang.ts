/**
 * Erlang C (M/M/N queue, no abandonment): the probability a call waits, and
 * the service level — the share answered within t seconds — for `agents`
 * agents carrying `erlangs` of traffic with mean handle time `ahtSeconds`.
 * Computed with the stable Erlang B recursion.
 */
export function erlangB(agents: number, erlangs: number): number {
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (erlangs * b) / (n + erlangs * b);
  return b;
}

export function erlangC(agents: number, erlangs: number): number {
  if (agents <= erlangs) return 1;
  const b = erlangB(agents, erlangs);
  return (agents * b) / (agents - erlangs * (1 - b));
}

export function serviceLevel(agents: number, erlangs: number, ahtSeconds: number, thresholdSeconds: number): number {
  if (agents <= erlangs) return 0;
  return 1 - erlangC(agents, erlangs) * Math.exp((-(agents - erlangs) * thresholdSeconds) / ahtSeconds);
}

/** Mean wait of all calls (ASA), in seconds. */
export function averageSpeedOfAnswer(agents: number, erlangs: number, ahtSeconds: number): number {
  if (agents <= erlangs) return Number.POSITIVE_INFINITY;
  return (erlangC(agents, erlangs) * ahtSeconds) / (agents - erlangs);
}
