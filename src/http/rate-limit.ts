/**
 * Fixed-window request counting per key (source address, client id), in
 * memory: enough for one node. Bounded: the map is swept as windows pass.
 */
export type RateLimiter = { hit: (key: string, nowMs: number) => { allowed: true } | { allowed: false; retryAfterSeconds: number } };

export function createRateLimiter(limit: number, windowMs: number, maxKeys = 100_000): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = 0;
  return {
    hit(key, nowMs) {
      if (nowMs - lastSweep > windowMs || windows.size > maxKeys) {
        for (const [k, w] of windows) if (nowMs - w.start >= windowMs) windows.delete(k);
        lastSweep = nowMs;
      }
      const current = windows.get(key);
      if (!current || nowMs - current.start >= windowMs) {
        windows.set(key, { start: nowMs, count: 1 });
        return { allowed: true };
      }
      current.count += 1;
      if (current.count <= limit) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.ceil((current.start + windowMs - nowMs) / 1000) };
    },
  };
}
