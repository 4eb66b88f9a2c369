/**
 * Audit benchmark (issue #18): what the audit log costs a durable write and a read of a person, with the sealer
 * running as in production (every 200 ms, on its lease), next to the design it replaced — one advisory lock held
 * from the append to the commit, a read of the chain's head, SHA-256, insert — on a scratch table in the same run.
 * Then: how long events waited to be sealed, how fast the sealer chains a backlog, and `audit verify`'s speed.
 * Rounds alternate; medians.
 *
 *   npm run bench:audit
 *   BENCH_ROWS=1000 BENCH_ROUNDS=3 BENCH_VERIFY_EVENTS=100000 DATABASE_URL=postgres://… npm run bench:audit
 */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { GENESIS_HASH } from '../src/domain/audit/audit-chain.js';
import { appendAudit, type RequestContext, verifyAuditLog } from '../src/services/audit.service.js';
import { AuditSealer } from '../src/services/audit-sealer.js';
import { openDatabase, type Trx } from '../src/storage/database.js';
import { loadMigrations, migrate } from '../src/storage/migrator.js';
import { migrationsDir } from '../src/storage/paths.js';
import { personCluster } from '../src/storage/repositories/case.repository.js';
import * as persons from '../src/storage/repositories/person.repository.js';
import { benchDatabase, median, opsPerSecond } from './support.js';

const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL }, process.cwd());
const ROWS = Math.min(Number(process.env.BENCH_ROWS ?? 1500), 20_000);
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 3), 10);
const VERIFY_EVENTS = Math.min(Number(process.env.BENCH_VERIFY_EVENTS ?? 100_000), 1_000_000);

const ctx = (): RequestContext => ({
  actor: null,
  system: 'bench',
  sourceIp: null,
  requestId: null,
  now: new Date(),
  timeZone: 'America/Chicago',
});
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

async function main(): Promise<void> {
  const database = await benchDatabase(config.DATABASE_URL);
  const handle = openDatabase(database.url, { poolSize: 9, applicationName: 'bench-audit' });
  const { privateKey } = generateKeyPairSync('ed25519');
  const sealer = new AuditSealer(handle.db, { nodeId: 'bench', signingKey: privateKey, intervalMs: 200, leaseMs: 3000 });
  try {
    await migrate(handle.pool, loadMigrations(migrationsDir()));
    // The replaced design, on a scratch table: lock, read the head, hash, insert, hold the lock to the commit.
    await sql`CREATE TABLE bench_locked_chain (seq bigint PRIMARY KEY, action text NOT NULL, resource_id text, hash text NOT NULL)`.execute(
      handle.db,
    );
    sealer.start();
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
        await appendAudit(trx, ctx(), { action: 'person.create', outcome: 'allowed', resourceType: 'person', resourceId: row.id });
      });
    const locked = (i: number) =>
      handle.db.transaction().execute(async (trx) => {
        const row = await trx.insertInto('persons').values(person(i, 'Locked')).returning('id').executeTakeFirstOrThrow();
        await sql`SELECT pg_advisory_xact_lock(424242)`.execute(trx);
        const last = await sql<{ seq: string; hash: string }>`SELECT seq, hash FROM bench_locked_chain ORDER BY seq DESC LIMIT 1`.execute(
          trx,
        );
        const prev = last.rows[0];
        const hash = createHash('sha256')
          .update(prev?.hash ?? GENESIS_HASH)
          .update(`person.create ${row.id}`)
          .digest('hex');
        await sql`INSERT INTO bench_locked_chain VALUES (${Number(prev?.seq ?? 0) + 1}, 'person.create', ${row.id}, ${hash})`.execute(trx);
      });
    console.log(
      `server: ${database.kind} PostgreSQL, fsync on; ${ROWS} transactions per measurement, ${ROUNDS} rounds (median); sealer every 200 ms`,
    );
    console.log('\n### Writes: insert a person, and its audit event in the same transaction\n');
    console.log('| clients | insert (tx/s) | + audit, inbox (tx/s) | + audit, old chain lock (tx/s) | inbox / plain | old lock / plain |');
    console.log('|---|---|---|---|---|---|');
    for (const clients of [1, 8]) {
      const a: number[] = [];
      const b: number[] = [];
      const c: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        a.push(await opsPerSecond(plain, ROWS, clients));
        b.push(await opsPerSecond(audited, ROWS, clients));
        c.push(await opsPerSecond(locked, ROWS, clients));
      }
      const [pa, pb, pc] = [median(a), median(b), median(c)];
      console.log(
        `| ${clients} | ${pa.toFixed(0)} | ${pb.toFixed(0)} | ${pc.toFixed(0)} | ${(pb / pa).toFixed(2)} | ${(pc / pa).toFixed(2)} |`,
      );
    }

    // Reads of a person: unaudited (a read-only transaction) against audited (the read and its event, committed).
    const ids = (await handle.db.selectFrom('persons').select('id').limit(500).execute()).map((r) => r.id);
    // Two reads: one row, and the record as readPerson reads it (services/person.service.ts) — the person, then its
    // cluster's names, identifiers, locations, merges and cases, the same repository calls. Each is measured alone
    // (a read-only transaction) and with the read's audit event in the same transaction.
    type Read = (trx: Trx, id: string) => Promise<unknown>;
    const readRow: Read = (trx, id) => trx.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();
    const readRecord: Read = async (trx, id) => {
      const found = await persons.findPerson(trx, id);
      const cluster = await personCluster(trx, id);
      await persons.listLocations(trx, cluster);
      await persons.listNames(trx, cluster);
      await persons.listIdentifiers(trx, cluster);
      await persons.listMergesOf(trx, id);
      await persons.casesOfPersons(trx, cluster);
      return found;
    };
    const idOf = (i: number) => ids[i % ids.length] as string;
    const bareRead = (read: Read) => (i: number) => handle.db.transaction().execute((trx) => read(trx, idOf(i)));
    const auditedRead = (read: Read) => (i: number) =>
      handle.db.transaction().execute(async (trx) => {
        const found = await read(trx, idOf(i));
        await appendAudit(trx, ctx(), {
          action: 'person.read',
          outcome: 'allowed',
          resourceType: 'person',
          resourceId: idOf(i),
          purpose: 'bench',
        });
        return found;
      });
    console.log('\n### Reads of a person: unaudited, and with the read audited in the same transaction\n');
    console.log('| read | clients | unaudited (tx/s) | + audit event (tx/s) | audited / unaudited |');
    console.log('|---|---|---|---|---|');
    for (const [label, bare, withAudit] of [
      ['one row (SELECT by id)', bareRead(readRow), auditedRead(readRow)],
      ['the record, as readPerson reads it (7 queries)', bareRead(readRecord), auditedRead(readRecord)],
    ] as const) {
      for (const clients of [1, 8]) {
        const a: number[] = [];
        const b: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          a.push(await opsPerSecond(bare, ROWS * 2, clients));
          b.push(await opsPerSecond(withAudit, ROWS * 2, clients));
        }
        console.log(
          `| ${label} | ${clients} | ${median(a).toFixed(0)} | ${median(b).toFixed(0)} | ${(median(b) / median(a)).toFixed(2)} |`,
        );
      }
    }
    await sealer.sealAll();
    const delays = (
      await sql<{
        ms: number;
      }>`SELECT extract(epoch from sealed_at - appended_at) * 1000 AS ms FROM audit_chain WHERE appended_at IS NOT NULL`.execute(handle.db)
    ).rows
      .map((r) => Number(r.ms))
      .sort((x, y) => x - y);
    console.log(
      `\nsealing delay (appended → sealed, database clock) over ${delays.length} events sealed while the load ran: p50 ${percentile(delays, 0.5).toFixed(0)} ms, p99 ${percentile(delays, 0.99).toFixed(0)} ms, max ${(delays.at(-1) ?? 0).toFixed(0)} ms; ${sealer.batches} batches`,
    );

    // A backlog: events appended straight into the inbox (as after a sealer outage), then sealed.
    const sealed = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_chain`.execute(handle.db)).rows[0]?.n ?? 0);
    const backlog = Math.max(0, VERIFY_EVENTS - sealed);
    await sealer.stop();
    await sql`INSERT INTO audit_inbox (occurred_at, actor_type, actor_id, action, resource_type, resource_id, purpose, outcome, request_id, details)
      SELECT now(), 'user', 'u' || (g % 50), 'person.read', 'person', gen_random_uuid()::text, 'bench backlog', 'allowed', gen_random_uuid()::text,
             jsonb_build_object('minorRecord', g % 7 = 0, 'purposeCode', 'investigation')
      FROM generate_series(1, ${backlog}) AS g`.execute(handle.db);
    const catchUp = new AuditSealer(handle.db, { nodeId: 'bench-2', signingKey: privateKey, intervalMs: 200, leaseMs: 3000 });
    const sealStarted = performance.now();
    const caught = await catchUp.sealAll();
    const sealSeconds = (performance.now() - sealStarted) / 1000;
    await catchUp.stop();
    console.log(
      `sealer catching up a backlog: ${caught} events in ${sealSeconds.toFixed(2)} s (${(caught / sealSeconds).toFixed(0)} events/s)`,
    );

    const started = performance.now();
    const check = await verifyAuditLog(handle.db, { publicKey: createPublicKey(privateKey), maxMergeDelayMs: 60_000 });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `audit verify (chain, Merkle roots, signatures): ${check.count} events, ${check.heads.checked} batches in ${seconds.toFixed(2)} s (${(check.count / seconds).toFixed(0)} events/s), intact: ${check.intact}`,
    );
  } finally {
    await sealer.stop().catch(() => undefined);
    await handle.close();
    await database.close();
  }
}

await main();
