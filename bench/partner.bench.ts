/**
 * Partner submissions benchmark: acknowledged submissions per second over real
 * HTTP on loopback (token, JSON validation, agreement check, durable insert,
 * audit append, 202), next to the same database's durable single-row insert
 * rate through bare `pg`, measured in the same run with the same concurrency.
 * The ratio is what the API costs on top of the write itself (goal ≥ 0.5). The
 * submissions are sent twice per round: from the server's own process (as
 * before) and from a child process, whose clients do not share the server's
 * event loop. The server is the bench app (bench-app.ts), audit sealer running.
 *
 *   npm run bench:partner
 *   BENCH_REQUESTS=3000 BENCH_ROUNDS=3 npm run bench:partner
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import { startBenchApp } from './bench-app.js';
import { median, opsPerSecond, partnerSubmission } from './support.js';

const REQUESTS = Math.min(Number(process.env.BENCH_REQUESTS ?? 2000), 20_000);
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 3), 10);
const CONCURRENCY = 8;

type Round = { base: string; headers: Record<string, string>; requests: number; concurrency: number; offset: number };

/** One round of submissions, numbered from `offset`: the rate, and how many were not acknowledged (202). */
async function submitRound(round: Round): Promise<{ rate: number; failures: number }> {
  let failures = 0;
  const submit = async (i: number) => {
    const res = await fetch(`${round.base}/api/partner/v1/submissions`, {
      method: 'POST',
      headers: { ...round.headers, 'content-type': 'application/json' },
      body: JSON.stringify(partnerSubmission(round.offset + i)),
    });
    await res.arrayBuffer();
    if (res.status !== 202) failures += 1;
  };
  const rate = await opsPerSecond(submit, round.requests, round.concurrency);
  return { rate, failures };
}

/** The child process: one round per message from the parent; answers with its rate. */
function childLoop(): void {
  process.on('message', (round: Round) => {
    void submitRound(round).then((result) => process.send?.(result));
  });
}

async function main(): Promise<void> {
  const bench = await startBenchApp();
  const bare = new pg.Pool({ connectionString: bench.databaseUrl, max: CONCURRENCY });
  try {
    const headers = await bench.partner(await bench.partnerAgency(), ['submissions:write']);
    await bare.query(
      'CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())',
    );
    const raw = (i: number) => bare.query('INSERT INTO bench_raw (body) VALUES ($1)', [JSON.stringify(partnerSubmission(i))]);
    const round = (n: number, where: 'here' | 'child'): Round => ({
      base: bench.base,
      headers,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      offset: (2 * n + (where === 'child' ? 1 : 0)) * 1_000_000,
    });

    // The same submissions from a child process: the server's event loop then serves requests only, not its clients.
    const child = fork(new URL(import.meta.url).pathname, ['--load'], { stdio: 'inherit' });
    const fromChild = (r: Round) =>
      new Promise<{ rate: number; failures: number }>((resolve) => {
        child.once('message', (m) => resolve(m as { rate: number; failures: number }));
        child.send(r);
      });
    const api: number[] = [];
    const apiChild: number[] = [];
    const rawRates: number[] = [];
    let failures = 0;
    for (let n = 0; n < ROUNDS; n++) {
      rawRates.push(await opsPerSecond(raw, REQUESTS, CONCURRENCY));
      const here = await submitRound(round(n, 'here'));
      const there = await fromChild(round(n, 'child'));
      api.push(here.rate);
      apiChild.push(there.rate);
      failures += here.failures + there.failures;
    }
    child.disconnect();
    const a = median(api);
    const ac = median(apiChild);
    const r = median(rawRates);
    console.log(
      `${bench.databaseKind} PostgreSQL, ${REQUESTS} requests × ${ROUNDS} rounds, concurrency ${CONCURRENCY}, Node ${process.version}, ${os.cpus().length} cores`,
    );
    console.log(
      `acknowledged submissions over HTTP, clients in the server's process: ${a.toFixed(0)}/s (rounds: ${api.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `acknowledged submissions over HTTP, clients in a child process:      ${ac.toFixed(0)}/s (rounds: ${apiChild.map((x) => x.toFixed(0)).join(', ')}); non-202 in all rounds: ${failures}`,
    );
    console.log(`bare pg durable single-row inserts:  ${r.toFixed(0)}/s (rounds: ${rawRates.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(
      `ratio API / raw: ${(a / r).toFixed(2)} (clients in process), ${(ac / r).toFixed(2)} (clients in a child process) (goal ≥ 0.50)`,
    );
  } finally {
    await bare.end();
    await bench.close();
  }
}

if (process.argv[2] === '--load') childLoop();
else await main();
