import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, baseEnv, CLI, type Running, run, stopLeftovers } from '../support/processes.js';

describe('the switchboard command', () => {
  let dataDir: string;
  const started: Running[] = [];
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    const running = run(CLI, args, baseEnv({ SWITCHBOARD_DATA_DIR: dataDir, ...env }));
    started.push(running);
    const { code } = await running.exited;
    return { code, stdout: running.stdout(), stderr: running.stderr() };
  };

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-cli-'));
  });
  afterAll(async () => {
    await stopLeftovers(dataDir, started);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exits non-zero with one line naming the bad setting', async () => {
    const result = await cli(['start'], { PORT: 'abc' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('switchboard: invalid configuration: PORT must be a number (got "abc")\n');
  });

  it('explains each command with --help', async () => {
    for (const command of ['start', 'migrate', 'seed', 'jobs']) {
      const result = await cli([command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toContain(`Usage: switchboard ${command}`);
    }
    const seedHelp = await cli(['seed', '--help']);
    expect(seedHelp.stdout).toContain('--seed <n>');
  });

  it('simulates a 7,000-call day and prints the JSON summary', async () => {
    const result = await cli(['simulate', '--calls-per-day', '7000', '--agents', '60', '--seed', '1', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    for (const key of ['offered', 'answered', 'abandoned', 'serviceLevel', 'asa', 'aht', 'abandonRate', 'occupancy', 'intervals'])
      expect(summary).toHaveProperty(key);
    expect(summary.offered).toBeGreaterThan(6500);
    expect(summary.intervals).toHaveLength(48);
    const again = await cli(['simulate', '--calls-per-day', '7000', '--agents', '60', '--seed', '1', '--json']);
    expect(JSON.parse(again.stdout).offered).toBe(summary.offered);
    const bad = await cli(['simulate', '--agents', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--agents must be a positive whole number');
  });

  it('refuses a bad seed and an unknown command', async () => {
    const badSeed = await cli(['seed', '--demo', '--seed', 'x1']);
    expect(badSeed.code).not.toBe(0);
    expect(badSeed.stderr).toContain('must be a whole number');
    const unknown = await cli(['launch']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown command 'launch'");
  });

  it('migrates, then seeds demo data once, on its own embedded database', async () => {
    const migrated = await cli(['migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/applied \d+ migration\(s\): 0001_foundation/);
    expect(migrated.stderr).toContain('creating the embedded PostgreSQL 15 database cluster');
    const again = await cli(['migrate']);
    expect(again.stdout).toBe('database schema is up to date\n');
    // The job queue was installed by the owner with the migrations; the application's role reads its runs.
    const jobs = await cli(['jobs', '--json']);
    expect(jobs.code, jobs.stderr).toBe(0);
    expect(JSON.parse(jobs.stdout)).toEqual([]);

    const seeded = await cli(['seed', '--demo', '--seed', '3']);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain('Demo data (seed 3)');
    for (const user of ['demo.calltaker', 'demo.uac', 'demo.legal', 'demo.partner', 'demo.auditor', 'demo.admin'])
      expect(seeded.stdout).toContain(user);
    const reseed = await cli(['seed', '--demo']);
    expect(reseed.code).toBe(0);
    expect(reseed.stdout).toContain('already holds demo data (seed 3');

    // Retention as the schema owner: a dry run counts and changes nothing; the real run purges the same.
    const dry = await cli(['retention', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const counted = JSON.parse(dry.stdout);
    expect(counted).toMatchObject({ dryRun: true, retentionDays: 180 });
    const real = await cli(['retention', '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout).counts).toEqual(counted.counts);
    const after = await cli(['retention', '--dry-run', '--json']);
    expect(JSON.parse(after.stdout).counts.cases).toBe(0);
    const verify = await cli(['audit', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
  }, 300_000); // a first embedded cluster, the migrations, the demo seed (about a minute alone) and retention
});
