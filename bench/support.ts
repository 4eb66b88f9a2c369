import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedPostgres } from '../src/storage/embedded-postgres.js';

/** What every benchmark shares: where its database comes from, a bounded timing loop, the median. */

const MAX_MS = 120_000;

/** DATABASE_URL if given (as the schema owner), else a throwaway embedded server in a temp dir. */
export async function benchDatabase(
  databaseUrl: string | undefined,
): Promise<{ url: string; kind: 'embedded' | 'external'; close: () => Promise<void> }> {
  if (databaseUrl) return { url: databaseUrl, kind: 'external', close: async () => undefined };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-'));
  const server = await openEmbeddedPostgres({ dataDir: dir });
  return {
    url: server.ownerConnectionString,
    kind: 'embedded',
    close: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Operations per second over `count` operations by `concurrency` workers, stopping after two minutes regardless. */
export async function opsPerSecond(op: (i: number) => Promise<unknown>, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const deadline = Date.now() + MAX_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && Date.now() < deadline) await op(next++);
    }),
  );
  return next / ((performance.now() - started) / 1000);
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** A partner agency's location report (a synthetic subject and address) numbered `i`: what partner benchmarks submit. */
export const partnerSubmission = (i: number) => ({
  type: 'location_report',
  occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
  officer: { name: 'Bench Deputy', badge: `B-${i}` },
  narrative: 'Subject seen at this address during a traffic stop.',
  subject: { givenNames: 'Bench', familyName1: `Person${i}`, dob: '1985-04-04', dobBasis: 'claimed' },
  location: { line1: `${i} Bench Way`, zip: '78520' },
});
