import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { jobQueueSpecs } from '../../src/jobs/job-queues.js';
import { type EmbeddedServer, openEmbeddedPostgres } from '../../src/storage/embedded-postgres.js';
import { installJobQueue } from '../../src/storage/job-queue.js';
import { loadMigrations, migrate } from '../../src/storage/migrator.js';
import { migrationsDir } from '../../src/storage/paths.js';

/**
 * One PostgreSQL server for the whole run: Switchboard's embedded server (the
 * default) or, when SWITCHBOARD_TEST_DATABASE_URL names one, an external server.
 * A template database holding the migrated schema makes each test database a
 * cheap copy. The run says which server it used.
 */

declare module 'vitest' {
  interface ProvidedContext {
    adminDatabaseUrl: string;
    databaseKind: 'embedded' | 'external';
    templateDatabase: string;
  }
}

let embedded: EmbeddedServer | undefined;
let embeddedDir: string | undefined;

const TEMPLATE = 'switchboard_test_template';

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.SWITCHBOARD_TEST_DATABASE_URL;
  let adminUrl: string;
  if (external) {
    adminUrl = external;
  } else {
    embeddedDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-test-'));
    embedded = await openEmbeddedPostgres({ dataDir: embeddedDir });
    adminUrl = embedded.superuserConnectionString;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  const where = new URL(adminUrl);
  process.stdout.write(
    `\ndatabase for this run: ${external ? 'EXTERNAL' : 'EMBEDDED'} PostgreSQL ${version} at ${where.hostname}:${where.port}${external ? '' : ` (data in ${embeddedDir})`}\n\n`,
  );
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  const pool = new pg.Pool({ connectionString: templateUrl.toString(), max: 1 });
  await migrate(pool, loadMigrations(migrationsDir()));
  await installJobQueue(pool, jobQueueSpecs());
  await pool.end();

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('databaseKind', external ? 'external' : 'embedded');
  project.provide('templateDatabase', TEMPLATE);
}

export async function teardown(): Promise<void> {
  if (embedded) await embedded.stop();
  if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
}
