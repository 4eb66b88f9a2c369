import pg from 'pg';
import type { Config } from '../config/config.js';
import { acquireDataDirLock } from '../storage/data-dir-lock.js';
import { type DatabaseHandle, describeConnection, openDatabase } from '../storage/database.js';
import { type EmbeddedServer, openEmbeddedPostgres } from '../storage/embedded-postgres.js';
import { grantApplicationRole } from '../storage/grants.js';
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
  migrationUrl: string | undefined;
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

export async function openStorage(
  config: Config,
  command: string,
  options: { requireOwnership: boolean; progress: (line: string) => void },
): Promise<Storage> {
  const migrations = loadMigrations(migrationsDir());
  if (config.DATABASE_URL) {
    const handle = openDatabase(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE });
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
    server = await openEmbeddedPostgres({ dataDir: config.dataDir, progress: options.progress, mode: lock.acquired ? 'owner' : 'attach' });
  } catch (error) {
    if (lock.acquired) await lock.release();
    throw error;
  }
  const handle = openDatabase(server.connectionString, { poolSize: config.DATABASE_POOL_SIZE });
  const version = await handle.pool
    .query<{ server_version: string }>('SHOW server_version')
    .then((r) => r.rows[0]?.server_version ?? '?')
    .catch(() => '?');
  return {
    handle,
    migrationUrl: server.ownerConnectionString,
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

/** Migrates as the owner role (when there is one) and then grants the application's role its row access. */
export async function applyMigrations(storage: Storage, progress: (line: string) => void): Promise<string[]> {
  if (!storage.migrationUrl) return (await migrate(storage.handle.pool, storage.migrations, progress)).applied;
  const owner = new pg.Pool({ connectionString: storage.migrationUrl, max: 1, application_name: 'switchboard-migrate' });
  try {
    const report = await migrate(owner, storage.migrations, progress);
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
