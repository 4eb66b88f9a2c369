/**
 * Storage benchmark: durable single-row inserts/s and point reads/s through
 * Switchboard's storage layer (Kysely over the pg pool, as repositories use it)
 * and through bare `pg` on the same server, in the same run. The ratio
 * layer/bare is the layer's overhead. Rounds alternate between the two so that
 * drift (checkpoints, cache warm-up) hits both alike.
 *
 *   npm run bench:storage                      # embedded server in a temp dir
 *   DATABASE_URL=postgres://… npm run bench:storage   # an external server
 *   BENCH_ROWS=2000 BENCH_ROUNDS=3 npm run bench:storage
 */
import os from 'node:os';
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { benchDatabase, median, opsPerSecond } from './support.js';

// Benchmarks read their own knobs; the server's configuration schema is still the one parsed for DATABASE_URL.
const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const ROWS = Math.min(Number(process.env.BENCH_ROWS ?? 2000), 50_000);
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 3), 10);
const CONCURRENCY = [1, 8];

type Op = (i: number) => Promise<unknown>;

async function main(): Promise<void> {
  const database = await benchDatabase(config.DATABASE_URL);
  const url = database.url;
  const layer = openDatabase(url, { poolSize: 8, applicationName: 'bench-layer' });
  const bare = new pg.Pool({ connectionString: url, max: 8, application_name: 'bench-bare' });
  try {
    await migrate(layer.pool, loadMigrations(migrationsDir()));
    const version = (await bare.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    const fsync = (await bare.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync;
    console.log(`server: ${database.kind} PostgreSQL ${version}, fsync=${fsync}, synchronous_commit on`);
    console.log(`rows per measurement: ${ROWS}, rounds: ${ROUNDS} (median reported), Node ${process.version}, ${os.cpus().length} cores`);

    const layerIds: string[] = [];
    const bareIds: string[] = [];
    const layerInsert: Op = async (i) => {
      const row = await layer.db
        .insertInto('persons')
        .values({ given_names: 'Bench', family_name_1: `Layer-${i}`, dob_basis: 'unknown', sex: 'unknown', synthetic: true })
        .returning('id')
        .executeTakeFirstOrThrow();
      layerIds.push(row.id);
    };
    const bareInsert: Op = async (i) => {
      const result = await bare.query<{ id: string }>(
        'INSERT INTO persons (given_names, family_name_1, dob_basis, sex, synthetic) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        ['Bench', `Bare-${i}`, 'unknown', 'unknown', true],
      );
      const id = result.rows[0]?.id;
      if (id) bareIds.push(id);
    };
    const pick = (ids: string[], i: number): string => ids[(i * 7919) % ids.length] ?? '';
    const layerRead: Op = (i) => layer.db.selectFrom('persons').selectAll().where('id', '=', pick(layerIds, i)).executeTakeFirstOrThrow();
    const bareRead: Op = (i) => bare.query('SELECT * FROM persons WHERE id = $1', [pick(bareIds, i)]);

    console.log('\n| operation | clients | storage layer (ops/s) | bare pg (ops/s) | layer / bare |');
    console.log('|---|---|---|---|---|');
    for (const [name, layerOp, bareOp] of [
      ['durable single-row insert', layerInsert, bareInsert],
      ['point read by primary key', layerRead, bareRead],
    ] as const) {
      for (const clients of CONCURRENCY) {
        const a: number[] = [];
        const b: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          a.push(await opsPerSecond(layerOp, ROWS, clients));
          b.push(await opsPerSecond(bareOp, ROWS, clients));
        }
        const ratio = median(a) / median(b);
        console.log(`| ${name} | ${clients} | ${median(a).toFixed(0)} | ${median(b).toFixed(0)} | ${ratio.toFixed(2)} |`);
      }
    }
  } finally {
    await layer.close();
    await bare.end();
    await database.close();
  }
}

await main();
