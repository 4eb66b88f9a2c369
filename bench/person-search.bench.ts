/**
 * Person search benchmark in the database: BENCH_PERSONS synthetic persons
 * (default 1,000,000, 10 % corrupted duplicates) loaded into PostgreSQL with
 * their search fields, then searches by the name of a duplicate (as a call
 * taker would type it) through the real service — trigram and blocking-key
 * candidates, explained scoring, audit append — timing each.
 *
 *   npm run bench:person-search
 *   BENCH_PERSONS=200000 BENCH_QUERIES=300 npm run bench:person-search
 */
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { searchFields } from '../src/domain/matching/blocking.js';
import { generatePopulation } from '../src/domain/matching/corrupted-duplicates.js';
import { searchPersons } from '../src/services/person-search.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { benchDatabase } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const PERSONS = Math.min(Number(process.env.BENCH_PERSONS ?? 1_000_000), 2_000_000);
const QUERIES = Math.min(Number(process.env.BENCH_QUERIES ?? 500), 5_000);

const database = await benchDatabase(config.DATABASE_URL);
const handle = openDatabase(database.url, { poolSize: 4 });
try {
  await migrate(handle.pool, loadMigrations(migrationsDir()));
  const people = generatePopulation(PERSONS, 0.1, 77);
  const t0 = performance.now();
  for (let i = 0; i < people.length; i += 2_000) {
    const chunk = people.slice(i, i + 2_000);
    await handle.db
      .insertInto('persons')
      .values(
        chunk.map((p) => ({
          ...searchFields(p),
          given_names: p.givenNames,
          family_name_1: p.familyName1,
          family_name_2: p.familyName2 ?? null,
          dob: p.dob ?? null,
          dob_basis: p.dob ? (p.dobBasis ?? 'exact') : 'unknown',
          sex: p.sex ?? 'unknown',
          a_number: null,
          synthetic: true,
        })),
      )
      .execute();
    if (i % 100_000 === 0) process.stderr.write(`loaded ${i.toLocaleString('en-US')}…\n`);
  }
  // What autovacuum does after a bulk insert: statistics, and the visibility map that lets the key scan stay index-only.
  await sql`VACUUM ANALYZE persons, person_keys`.execute(handle.db);
  const loadSeconds = (performance.now() - t0) / 1000;
  const duplicates = people.filter((p) => p.duplicateOf !== null).slice(0, QUERIES);
  const ctx = () => ({
    actor: {
      kind: 'user' as const,
      userId: 'bench',
      username: 'bench',
      role: 'analyst' as const,
      agencyOri: null,
      fieldOfficeCode: null,
      sessionId: null,
    },
    sourceIp: null,
    requestId: null,
    now: new Date(),
    timeZone: 'America/Chicago',
  });
  const latencies: number[] = [];
  for (const d of duplicates) {
    const q = `${d.givenNames} ${d.familyName1} ${d.familyName2 ?? ''}`.trim();
    const started = performance.now();
    await searchPersons(handle.db, ctx(), { q, limit: 10 });
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  console.log(
    `${database.kind} PostgreSQL: ${PERSONS.toLocaleString('en-US')} persons loaded (with search fields and indexes) in ${loadSeconds.toFixed(0)} s`,
  );
  console.log(
    `name searches (${latencies.length}, each audited): p50 ${p(0.5).toFixed(1)} ms, p95 ${p(0.95).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms`,
  );
} finally {
  await handle.close();
  await database.close();
}
