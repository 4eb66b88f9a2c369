/**
 * Staff API under load (issue #18): the mixed workload an outside load test used — person searches, case reads,
 * case notes, intake drafts, intakes and partner submissions in a fixed, seeded mix — from 50 clients for 60 s
 * against the real server (sealer running), then the same SQL statements the server sent, replayed through bare
 * `pg` with the same concurrency, in the same run. Prints latency percentiles (overall and per kind), throughput, the
 * server's RSS, and the ratio of the API's throughput to the replay's (the replay's time for the same statements
 * against the API's time). The load runs in a child process so that it does not share the server's event loop.
 *
 *   npm run bench:api
 *   BENCH_CLIENTS=50 BENCH_SECONDS=60 npm run bench:api
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/api.bench.js   # where the server's time goes
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import { startBenchApp } from './bench-app.js';
import { partnerSubmission } from './support.js';

type Kind = 'search' | 'case_read' | 'note' | 'draft' | 'intake' | 'partner';
type LoadPlan = {
  base: string;
  clients: number;
  seconds: number;
  analysts: Record<string, string>[];
  callTakers: Record<string, string>[];
  partner: Record<string, string>;
  caseIds: string[];
  names: string[];
};
type LoadResult = { latencies: Record<Kind, number[]>; failures: Record<string, number>; requests: number; elapsedS: number };

const MIX: [Kind, number][] = [
  ['search', 30],
  ['case_read', 25],
  ['note', 10],
  ['draft', 15],
  ['intake', 10],
  ['partner', 10],
];

/** The kind whose share of the mix holds `at` (0 ≤ at < the weights' sum). */
function pickKind(at: number): Kind {
  let rest = at;
  for (const [kind, weight] of MIX) {
    if (rest < weight) return kind;
    rest -= weight;
  }
  return 'search';
}

/** A small seeded PRNG (mulberry32): the same mix of requests in every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = ['Ramón', 'Lucía', 'Mateo', 'Valentina', 'Diego', 'Camila', 'Javier', 'Sofía', 'Andrés', 'Isabela'];
const FAMILY = ['Quispe', 'Huamán', 'Tzul', 'Ajanel', 'Mendoza', 'Coyoy', 'Pérez', 'Xol', 'Batz', 'Ixcot'];

const intakeBody = (r: () => number, i: number) => ({
  source: 'public',
  reporter: { name: 'Synthetic Caller', phone: '(615) 555-0199' },
  narrative: `Caller says the person works nights at a warehouse (${i}).`,
  language: 'en',
  grading: { sourceReliability: 'C', informationCredibility: 3 },
  subjects: [
    {
      person: {
        givenNames: GIVEN[Math.floor(r() * GIVEN.length)],
        familyName1: FAMILY[Math.floor(r() * FAMILY.length)],
        dob: `19${60 + Math.floor(r() * 40)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`,
        dobBasis: 'exact',
        sex: r() < 0.5 ? 'male' : 'female',
      },
    },
  ],
  locations: [{ subject: 0, address: { line1: `${100 + i} Synthetic Way`, zip: '78520' }, confidence: 'medium' }],
  case: { open: { type: 'enforcement_lead', priority: 'normal', summary: `Bench lead ${i}` } },
});

/** The child process: 50 clients, each a loop of requests drawn from the mix, until the time is up. */
async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const latencies: Record<Kind, number[]> = { search: [], case_read: [], note: [], draft: [], intake: [], partner: [] };
  const failures: Record<string, number> = {};
  const total = MIX.reduce((s, [, w]) => s + w, 0);
  const deadline = performance.now() + plan.seconds * 1000;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: plan.clients }, async (_, c) => {
      const r = prng(1000 + c);
      const analyst = plan.analysts[c % plan.analysts.length] as Record<string, string>;
      const taker = plan.callTakers[c % plan.callTakers.length] as Record<string, string>;
      let n = 0;
      while (performance.now() < deadline) {
        n += 1;
        const kind = pickKind(r() * total);
        const caseId = plan.caseIds[Math.floor(r() * plan.caseIds.length)];
        const name = plan.names[Math.floor(r() * plan.names.length)];
        const [method, url, headers, body] = ((): [string, string, Record<string, string>, unknown] => {
          switch (kind) {
            case 'search':
              return ['GET', `/api/v1/persons?q=${encodeURIComponent(name ?? 'Quispe')}`, analyst, undefined];
            case 'case_read':
              return ['GET', `/api/v1/cases/${caseId}`, analyst, undefined];
            case 'note':
              return ['POST', `/api/v1/cases/${caseId}/notes`, analyst, { note: `Bench note ${c}-${n}: called the reporter back.` }];
            case 'draft':
              return [
                'PUT',
                `/api/v1/intake/drafts/bench-${c}-${n}`,
                taker,
                { form: 'public_tip', data: { narrative: `draft ${n}` }, version: null },
              ];
            case 'intake':
              return ['POST', '/api/v1/intake', taker, intakeBody(r, c * 100_000 + n)];
            case 'partner':
              return ['POST', '/api/partner/v1/submissions', plan.partner, partnerSubmission(c * 100_000 + n)];
          }
        })();
        const t0 = performance.now();
        const res = await fetch(`${plan.base}${url}`, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }).catch(() => undefined);
        await res?.arrayBuffer();
        latencies[kind].push(performance.now() - t0);
        requests += 1;
        if (!res || res.status >= 300) {
          const key = `${kind} ${res?.status ?? 'network'}`;
          failures[key] = (failures[key] ?? 0) + 1;
        }
      }
    }),
  );
  return { latencies, failures, requests, elapsedS: (performance.now() - started) / 1000 };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
const row = (label: string, values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return `| ${label} | ${s.length} | ${pct(s, 0.5).toFixed(1)} | ${pct(s, 0.95).toFixed(1)} | ${pct(s, 0.99).toFixed(1)} |`;
};

async function main(): Promise<void> {
  const clients = Math.min(Number(process.env.BENCH_CLIENTS ?? 50), 200);
  const seconds = Math.min(Number(process.env.BENCH_SECONDS ?? 60), 300);
  // Every statement the server sends while the load runs, by connection, to replay through bare pg.
  const captured: { conn: number; text: string; values: unknown[] | undefined }[] = [];
  let capturing = false;
  let connections = 0;
  const ids = new WeakMap<object, number>();
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) {
    if (capturing && typeof config === 'string') {
      let id = ids.get(this);
      if (id === undefined) {
        connections += 1;
        id = connections;
        ids.set(this, id);
      }
      captured.push({ conn: id, text: config, values: Array.isArray(values) ? values : undefined });
    }
    return (original as (...args: unknown[]) => unknown).call(this, config, values, callback);
  } as typeof pg.Client.prototype.query;

  const bench = await startBenchApp();
  try {
    const analysts = await Promise.all(Array.from({ length: 10 }, () => bench.staff('analyst')));
    const callTakers = await Promise.all(Array.from({ length: 10 }, () => bench.staff('call_taker')));
    const agency = await bench.partnerAgency();
    const partner = await bench.partner(agency, ['submissions:write']);
    // Seed 300 cases through the API, each with its subject: what searches find and case reads open.
    const r = prng(7);
    const caseIds: string[] = [];
    for (let i = 0; i < 300; i++) {
      const res = await fetch(`${bench.base}/api/v1/intake`, {
        method: 'POST',
        headers: { ...(callTakers[i % callTakers.length] as Record<string, string>), 'content-type': 'application/json' },
        body: JSON.stringify(intakeBody(r, i)),
      });
      const json = (await res.json()) as { case?: { id: string } };
      if (res.status !== 201 || !json.case) throw new Error(`seed intake: ${res.status} ${JSON.stringify(json)}`);
      caseIds.push(json.case.id);
    }
    const names = [...FAMILY, ...GIVEN.map((g, i) => `${g} ${FAMILY[i]}`)];
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 250);
    capturing = true;
    const child = fork(new URL(import.meta.url).pathname, ['--load'], { stdio: 'inherit' });
    const result = await new Promise<LoadResult>((resolve, reject) => {
      child.once('message', (m) => resolve(m as LoadResult));
      child.once('error', reject);
      child.send({ base: bench.base, clients, seconds, analysts, callTakers, partner, caseIds, names } satisfies LoadPlan);
    });
    capturing = false;
    clearInterval(sampler);
    const rssAfter = process.memoryUsage().rss;

    // The replay: each connection's statements cut into units (a transaction, or one statement outside one), the
    // units dealt to `clients` bare connections in their original order. The sealer's and the lease's work is left
    // out (it is not the requests'). A unit that fails (a row the API already inserted) is rolled back and counted.
    const byConn = new Map<number, typeof captured>();
    for (const s of captured) byConn.set(s.conn, [...(byConn.get(s.conn) ?? []), s]);
    const units: (typeof captured)[] = [];
    for (const list of byConn.values()) {
      let unit: typeof captured = [];
      for (const s of list) {
        const verb = s.text.trim().slice(0, 8).toLowerCase();
        unit.push(s);
        if (verb.startsWith('begin')) continue;
        if (unit[0]?.text.trim().toLowerCase().startsWith('begin') && !/^(commit|rollback)/.test(verb)) continue;
        units.push(unit);
        unit = [];
      }
      if (unit.length) units.push(unit);
    }
    const work = units.filter(
      (u) => !u.some((s) => /audit_seal\(|cluster_leases|FROM "audit_inbox" ORDER BY|from audit_chain order by seq desc/i.test(s.text)),
    );
    const statements = work.reduce((n, u) => n + u.length, 0);
    let next = 0;
    let failed = 0;
    const replayStarted = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const client = new pg.Client({ connectionString: bench.databaseUrl });
        await client.connect();
        try {
          while (next < work.length) {
            const unit = work[next++] as typeof captured;
            try {
              for (const s of unit) await client.query(s.text, s.values);
            } catch {
              failed += 1;
              await client.query('ROLLBACK').catch(() => undefined);
            }
          }
        } finally {
          await client.end();
        }
      }),
    );
    const replayS = (performance.now() - replayStarted) / 1000;

    const all = Object.values(result.latencies).flat();
    console.log(
      `${clients} clients for ${seconds} s, seeded mix (${MIX.map(([k, w]) => `${k} ${w} %`).join(', ')}); ${bench.databaseKind} PostgreSQL, Node ${process.version}, ${os.cpus().length} cores; sealer every 200 ms`,
    );
    console.log('\n| requests | n | p50 (ms) | p95 (ms) | p99 (ms) |');
    console.log('|---|---|---|---|---|');
    console.log(row('all', all));
    for (const [kind] of MIX) console.log(row(kind, result.latencies[kind]));
    console.log(
      `\nthroughput: ${(result.requests / result.elapsedS).toFixed(0)} responses/s (${result.requests} in ${result.elapsedS.toFixed(1)} s); not 2xx: ${JSON.stringify(result.failures)}`,
    );
    console.log(
      `server RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MB before, peak ${(rssPeak / 2 ** 20).toFixed(0)} MB, ${(rssAfter / 2 ** 20).toFixed(0)} MB after`,
    );
    console.log(
      `bare pg replay of the same statements (${statements} in ${work.length} units, ${clients} connections): ${replayS.toFixed(1)} s; ${failed} units failed on replay (rolled back)`,
    );
    console.log(`throughput ratio API / bare pg replay: ${(replayS / result.elapsedS).toFixed(2)} (goal ≥ 0.5); p95 goal < 100 ms`);
    // Where the round trips go: the statements the server sent most often, per request.
    const shapes = new Map<string, number>();
    for (const s of captured) {
      const shape = s.text.replace(/\s+/g, ' ').slice(0, 110);
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
    }
    console.log(`\nstatements per request: ${(captured.length / result.requests).toFixed(1)}; the most frequent (per request):`);
    for (const [shape, n] of [...shapes].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_TOP_STATEMENTS ?? 12)))
      console.log(`  ${(n / result.requests).toFixed(2)}  ${shape}`);
  } finally {
    pg.Client.prototype.query = original;
    await bench.close();
  }
}

if (process.argv[2] === '--load') {
  process.once('message', (plan: LoadPlan) => {
    void runLoad(plan).then((result) => {
      process.send?.(result);
      process.disconnect?.();
    });
  });
} else {
  await main();
}
