#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config/config.js';
import { AppError } from '../domain/errors/app-error.js';
import { readDemoMarker, seedDemo } from '../services/demo-seed.service.js';
import { loadReferenceData } from '../services/reference-data.service.js';
import { MigrationError } from '../storage/migrator.js';
import { printDemoAccounts } from './output.js';
import { packageVersion, startCommand } from './start.command.js';
import { applyMigrations, openStorage, StartupError } from './storage-runtime.js';

const progress = (line: string): void => {
  process.stderr.write(`switchboard: ${line}\n`);
};

/** The only place that reads process.env: once, at start-up. */
function config(): Config {
  return loadConfig(process.env, process.cwd());
}

function fail(error: unknown): never {
  if (error instanceof ConfigError || error instanceof StartupError || error instanceof MigrationError || error instanceof AppError) {
    process.stderr.write(`switchboard: ${error.message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`switchboard: failed: ${message}\n`);
  process.exit(1);
}

const parseSeed = (value: string): number => {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31) throw new InvalidArgumentError('must be a whole number from 0 to 2147483648');
  return Number(value);
};

const program = new Command()
  .name('switchboard')
  .description('Switchboard: contact center and case management. Configuration comes from the environment (see README).')
  .version(packageVersion())
  .showHelpAfterError();

program
  .command('start')
  .description(
    'run the server: its own embedded PostgreSQL in SWITCHBOARD_DATA_DIR unless DATABASE_URL is set; migrations are applied first',
  )
  .option('--no-demo', 'do not add demo data on the first start of an empty database')
  .action(async (options: { demo: boolean }) => {
    try {
      await startCommand(config(), { demo: options.demo, progress });
    } catch (error) {
      fail(error);
    }
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit (safe beside a running server: an advisory lock applies each once)')
  .action(async () => {
    try {
      const storage = await openStorage(config(), 'migrate', { requireOwnership: false, progress });
      try {
        progress(`database: ${storage.description}`);
        const applied = await applyMigrations(storage, progress);
        await loadReferenceData(storage.handle.db);
        process.stdout.write(
          applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database schema is up to date\n',
        );
      } finally {
        await storage.close();
      }
    } catch (error) {
      fail(error);
    }
  });

program
  .command('seed')
  .description('add data to an empty database')
  .requiredOption('--demo', 'synthetic demo data: agencies, one account per role (passwords printed once), persons and cases')
  .option('--seed <n>', 'random seed; the same seed gives the same persons and cases', parseSeed, 1)
  .action(async (options: { demo: boolean; seed: number }) => {
    try {
      const storage = await openStorage(config(), 'seed', { requireOwnership: false, progress });
      try {
        progress(`database: ${storage.description}`);
        await applyMigrations(storage, progress);
        const marker = await readDemoMarker(storage.handle.db);
        if (marker) {
          process.stdout.write(`this database already holds demo data (seed ${marker.seed}, added ${marker.seededAt}); nothing to do\n`);
          return;
        }
        const result = await seedDemo(storage.handle.db, { seed: options.seed, progress });
        printDemoAccounts(result);
      } finally {
        await storage.close();
      }
    } catch (error) {
      fail(error);
    }
  });

await program.parseAsync(process.argv);
