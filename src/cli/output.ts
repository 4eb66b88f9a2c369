import type { DemoSeedResult } from '../services/demo-seed.service.js';

/** Demo sign-in details go to stdout exactly once, when they are created; they are stored only as argon2id hashes. */
export function printDemoAccounts(result: DemoSeedResult): void {
  const width = Math.max(...result.accounts.map((a) => a.username.length));
  const lines = [
    '',
    `Demo data (seed ${result.seed}): ${result.counts.agencies} synthetic agencies, ${result.counts.persons} synthetic persons, ${result.counts.locations} location observations, ${result.counts.cases} cases.`,
    'Demo accounts — the passwords are shown only now; note them:',
    ...result.accounts.map((a) => `  ${a.username.padEnd(width)}  ${a.password}  (${a.role})`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
