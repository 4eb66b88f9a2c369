/**
 * Audit benchmark: what appending to the hash-chained audit log in the same
 * transaction costs a durable write. Each operation inserts one person in its
 * own transaction; the audited variant also appends its audit event (advisory
 * lock, read of the chain's head, SHA-256, insert). Rounds alternate; medians.
 *
 *   npm run bench:audit
 *   BENCH_ROWS=1000 BENCH_ROUNDS=3 DATABASE_URL=postgres://… npm run bench:audit
 */
import { loadConfig } from '../src/config/config.js';
import { appendAudit, verifyAuditChain } from '../src/services/audit.service.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { benchDatabase, median, opsPerSecond } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const ROWS = Math.min(Number(process.env.BENCH_ROWS ?? 1500), 20_000);
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 3), 10);

async function main(): Promise<void> {
  const database = await benchDatabase(config.DATABASE_URL);
  const url = database.url;
  const handle = openDatabase(url, { poolSize: 8, applicationName: 'bench-audit' });
  try {
    await migrate(handle.pool, loadMigrations(migrationsDir()));
    const person = (i: number, label: string) => ({
      given_names: 'Bench',
      family_name_1: `${label}-${i}`,
      dob_basis: 'unknown' as const,
      sex: 'unknown' as const,
      synthetic: true,
    });
    const plain = (i: number) => handle.db.transaction().execute((trx) => trx.insertInto('persons').values(person(i, 'Plain')).execute());
    const audited = (i: number) =>
      handle.db.transaction().execute(async (trx) => {
        const row = await trx.insertInto('persons').values(person(i, 'Audited')).returning('id').executeTakeFirstOrThrow();
        await appendAudit(
          trx,
          { actor: null, system: 'bench', sourceIp: null, requestId: null, now: new Date(), timeZone: 'America/Chicago' },
          {
            action: 'person.create',
            outcome: 'allowed',
            resourceType: 'person',
            resourceId: row.id,
          },
        );
      });
    console.log(`server: ${database.kind} PostgreSQL, fsync on; ${ROWS} transactions per measurement, ${ROUNDS} rounds (median)`);
    console.log('\n| clients | insert (tx/s) | insert + audit event (tx/s) | audited / plain |');
    console.log('|---|---|---|---|');
    for (const clients of [1, 8]) {
      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        a.push(await opsPerSecond(plain, ROWS, clients));
        b.push(await opsPerSecond(audited, ROWS, clients));
      }
      console.log(`| ${clients} | ${median(a).toFixed(0)} | ${median(b).toFixed(0)} | ${(median(b) / median(a)).toFixed(2)} |`);
    }
    const started = performance.now();
    const check = await verifyAuditChain(handle.db);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `\naudit verify: ${check.count} events in ${seconds.toFixed(2)} s (${(check.count / seconds).toFixed(0)} events/s), intact: ${check.intact}`,
    );
  } finally {
    await handle.close();
    await database.close();
  }
}

await main();
