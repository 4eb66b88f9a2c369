import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/domain/demo/random.js';
import { realisticNamePools } from '../../../src/domain/matching/name-frequencies.js';

describe('realistic name frequencies', () => {
  const pools = realisticNamePools(seededRandom(1));
  const draws = (n: number) => {
    const random = seededRandom(2);
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const name = pools.family.draw(random);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  };

  it('draws family names with a common head and a long tail', () => {
    const n = 200_000;
    const counts = draws(n);
    // Hernández is the most common name: 33/491 of the head's half of the draws, about 3.4 %.
    expect((counts.get('Hernández') ?? 0) / n).toBeGreaterThan(0.03);
    expect((counts.get('Hernández') ?? 0) / n).toBeLessThan(0.038);
    const top10 =
      [...counts.values()]
        .sort((a, b) => b - a)
        .slice(0, 10)
        .reduce((a, b) => a + b, 0) / n;
    expect(top10).toBeGreaterThan(0.15);
    expect(top10).toBeLessThan(0.3);
    // Thousands of distinct names appear, as in a real population.
    expect(counts.size).toBeGreaterThan(3_000);
    expect(pools.family.size).toBe(62 + 4_000);
  });

  it('is reproducible from its seeds', () => {
    const again = realisticNamePools(seededRandom(1));
    const a = seededRandom(5);
    const b = seededRandom(5);
    for (let i = 0; i < 50; i++) expect(again.givenMale.draw(a)).toBe(pools.givenMale.draw(b));
  });
});
