import { describe, expect, it } from 'vitest';
import { CandidateIndex } from '../../../src/domain/matching/blocking.js';
import { generatePopulation } from '../../../src/domain/matching/corrupted-duplicates.js';

describe('candidate retrieval on corrupted duplicates', () => {
  it('finds the original of nearly every duplicate in the top 10, and rarely calls a stranger likely', () => {
    const people = generatePopulation(6_000, 0.1, 9);
    const index = new CandidateIndex<(typeof people)[number]>();
    for (const p of people) index.add(p);
    const duplicates = people.filter((p) => p.duplicateOf !== null);
    expect(duplicates.length).toBeGreaterThan(400);
    const found = duplicates.filter((d) =>
      index.candidates(d).some((c) => c.record.id === d.duplicateOf || c.record.duplicateOf === d.duplicateOf),
    );
    expect(found.length / duplicates.length).toBeGreaterThanOrEqual(0.95);
    const hasDuplicate = new Set(duplicates.map((d) => d.duplicateOf));
    const loners = people.filter((p) => p.duplicateOf === null && !hasDuplicate.has(p.id)).slice(0, 500);
    const falseLikely = loners.filter((p) => index.candidates(p, 1)[0]?.score.verdict === 'likely');
    expect(falseLikely.length / loners.length).toBeLessThan(0.05);
  });
});
