import pg from 'pg';
import type { Config } from '../config/config.js';
import { jobQueueSpecs } from '../jobs/job-queues.js';
import { acquireDataDirLock } from '../storage/data-dir-lock.js';
import { type DatabaseHandle, describeConnection, openDatabase } from '../storage/database.js';
import { type EmbeddedServer, openEmbeddedPostgres, type SupervisorEvent } from '../storage/embedded-postgres.js';
import { grantApplicationRole } from '../storage/grants.js';
import { installJobQueue } from '../storage/job-queue.js';
import { loadMigrations, type Migration, migrate } from '../storage/migrator.js';
import { migrationsDir } from '../storage/paths.js';

/**
 * Opens the database a command works on: the external server of DATABASE_URL,
 * or the embedded server of the data directory. `start` must own the data
 * directory; one-shot commands (migrate, seed) attach to the server of a
 * running Switchboard instead of starting a second one.
 */
export type Storage = {
  handle: DatabaseHandle;
  /** The owner role's connection, for migrations; undefined when the application's role owns the schema itself. */
  readonly migrationUrl: string | undefined;
  migrations: Migration[];
  /** "embedded PostgreSQL 15.18 …" or "external PostgreSQL at host:port/db" — no credentials. */
  description: string;
  /** For the embedded server: whether this process started it or attached to a running Switchboard's. */
  embeddedOrigin?: 'created' | 'started' | 'adopted' | 'attached';
  close: () => Promise<void>;
};

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export type StorageOptions = {
  requireOwnership: boolean;
  progress: (line: string) => void;
  /**
   * A long-running process (start): the embedded server it owns is supervised — restarted if its postmaster dies —
   * and what happens to it, and to connections whose server went away, is reported here.
   */
  watch?: {
    onServerEvent: (event: SupervisorEvent) => void;
    onConnectionError: (error: Error) => void;
  };
};

export async function openStorage(config: Config, command: string, options: StorageOptions): Promise<Storage> {
  const migrations = loadMigrations(migrationsDir());
  const onConnectionError = options.watch?.onConnectionError;
  if (config.DATABASE_URL) {
    const handle = openDatabase(config.DATABASE_URL, {
      poolSize: config.DATABASE_POOL_SIZE,
      onConnectionError,
      idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_MS,
    });
    return {
      handle,
      migrationUrl: config.DATABASE_MIGRATION_URL,
      migrations,
      description: `external PostgreSQL at ${describeConnection(config.DATABASE_URL)}`,
      close: handle.close,
    };
  }

  const lock = await acquireDataDirLock(config.dataDir, command);
  if (!lock.acquired && options.requireOwnership) {
    throw new StartupError(
      `another Switchboard process (pid ${lock.owner.pid}, "${lock.owner.command}", since ${lock.owner.startedAt}) is using the data directory ${config.dataDir}; stop it first, or set SWITCHBOARD_DATA_DIR to another directory`,
    );
  }
  let server: EmbeddedServer;
  try {
    server = await openEmbeddedPostgres({
      dataDir: config.dataDir,
      progress: options.progress,
      mode: lock.acquired ? 'owner' : 'attach',
      ...(options.watch ? { supervise: { onEvent: options.watch.onServerEvent } } : {}),
    });
  } catch (error) {
    if (lock.acquired) await lock.release();
    throw error;
  }
  const embedded = server;
  // Read at every new connection: a restarted server may listen on another port.
  const handle = openDatabase(() => embedded.connectionString, {
    poolSize: config.DATABASE_POOL_SIZE,
    onConnectionError,
    idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_MS,
  });
  const version = await handle.pool
    .query<{ server_version: string }>('SHOW server_version')
    .then((r) => r.rows[0]?.server_version ?? '?')
    .catch(() => '?');
  return {
    handle,
    get migrationUrl() {
      return embedded.ownerConnectionString;
    },
    embeddedOrigin: server.origin,
    migrations,
    description: `embedded PostgreSQL ${version} on 127.0.0.1:${server.port} (pid ${server.pid}, ${server.origin}; data in ${config.dataDir})`,
    close: async () => {
      await handle.close();
      await server.stop();
      if (lock.acquired) await lock.release();
    },
  };
}

/**
 * Migrates as the owner role (when there is one), installs the background jobs' queue (its schema and one table per
 * job), and then grants the application's role its row access.
 */
export async function applyMigrations(storage: Storage, progress: (line: string) => void): Promise<string[]> {
  if (!storage.migrationUrl) {
    const report = await migrate(storage.handle.pool, storage.migrations, progress);
    await installJobQueue(storage.handle.pool, jobQueueSpecs());
    return report.applied;
  }
  const owner = new pg.Pool({ connectionString: storage.migrationUrl, max: 1, application_name: 'switchboard-migrate' });
  // A server lost mid-migration fails the migration (its transaction rolls back), not the process with an uncaught error.
  owner.on('error', () => undefined);
  owner.on('connect', (client) => client.on('error', () => undefined));
  try {
    const report = await migrate(owner, storage.migrations, progress);
    await installJobQueue(owner, jobQueueSpecs());
    const appRole = (await storage.handle.pool.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role;
    const ownerRole = (await owner.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role;
    if (appRole && appRole !== ownerRole) await grantApplicationRole(owner, appRole);
    return report.applied;
  } finally {
    await owner.end();
  }
}

/** Work as the schema owner (retention purges): the owner connection when there is one, else the application's (which then owns the schema). */
export async function withOwnerDatabase<T>(storage: Storage, work: (db: DatabaseHandle['db']) => Promise<T>): Promise<T> {
  if (!storage.migrationUrl) return work(storage.handle.db);
  const owner = openDatabase(storage.migrationUrl, { poolSize: 1, applicationName: 'switchboard-retention' });
  try {
    return await work(owner.db);
  } finally {
    await owner.close();
  }
}
