/**
 * Matching benchmark: synthetic persons with controlled corrupted duplicates
 * (typos, spelling variants, family names swapped or dropped, nicknames, day
 * and month swapped, estimated years, missing fields). Measures the in-memory
 * candidate retrieval and explained scoring of src/domain/matching: recall of
 * the original in the top 10 and at the top, precision of "likely", the rate
 * of "likely" suggestions for people who have no duplicate, and query time.
 *
 *   npm run bench:matching
 *   BENCH_PERSONS=100000 npm run bench:matching
 */
import { CandidateIndex } from '../src/domain/matching/blocking.js';
import { generatePopulation } from '../src/domain/matching/corrupted-duplicates.js';

const PERSONS = Math.min(Number(process.env.BENCH_PERSONS ?? 100_000), 1_000_000);

const started = performance.now();
const people = generatePopulation(PERSONS, 0.1, 2026);
const index = new CandidateIndex<(typeof people)[number]>();
for (const p of people) index.add(p);
const buildSeconds = (performance.now() - started) / 1000;

const duplicates = people.filter((p) => p.duplicateOf !== null);
const sameAs = (a: (typeof people)[number], b: (typeof people)[number]) =>
  a.id === b.duplicateOf || b.id === a.duplicateOf || (a.duplicateOf !== null && a.duplicateOf === b.duplicateOf);
const latencies: number[] = [];
let top10 = 0;
let top1 = 0;
let likelyTop = 0;
let likelyCorrect = 0;
const byCorruption = new Map<string, { total: number; found: number }>();
for (const d of duplicates) {
  const t0 = performance.now();
  const candidates = index.candidates(d, 10);
  latencies.push(performance.now() - t0);
  const found = candidates.some((c) => sameAs(d, c.record));
  if (found) top10 += 1;
  if (candidates[0] && sameAs(d, candidates[0].record)) top1 += 1;
  if (candidates[0]?.score.verdict === 'likely') {
    likelyTop += 1;
    if (sameAs(d, candidates[0].record)) likelyCorrect += 1;
  }
  for (const c of new Set(d.corruptions)) {
    const entry = byCorruption.get(c) ?? { total: 0, found: 0 };
    entry.total += 1;
    if (found) entry.found += 1;
    byCorruption.set(c, entry);
  }
}
const hasDuplicate = new Set(duplicates.map((d) => d.duplicateOf));
const loners = people.filter((p) => p.duplicateOf === null && !hasDuplicate.has(p.id)).slice(0, 5_000);
const falseLikely = loners.filter((p) => index.candidates(p, 1)[0]?.score.verdict === 'likely').length;
latencies.sort((a, b) => a - b);
const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;

console.log(`persons: ${people.length} (${duplicates.length} corrupted duplicates); index built in ${buildSeconds.toFixed(1)} s`);
console.log(`recall@10: ${(top10 / duplicates.length).toFixed(4)}   recall@1: ${(top1 / duplicates.length).toFixed(4)}`);
console.log(
  `precision of "likely" at the top: ${(likelyCorrect / Math.max(1, likelyTop)).toFixed(4)} (${likelyTop} of ${duplicates.length} duplicates called likely)`,
);
console.log(`"likely" suggested for people with no duplicate: ${((falseLikely / loners.length) * 100).toFixed(2)}% of ${loners.length}`);
console.log(`query time: p50 ${pct(0.5).toFixed(2)} ms, p95 ${pct(0.95).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms`);
console.log('recall@10 by corruption:');
for (const [c, { total, found }] of [...byCorruption].sort()) console.log(`  ${c.padEnd(12)} ${(found / total).toFixed(4)} (${total})`);
