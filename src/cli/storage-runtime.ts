import type { Config } from '../config/config.js';
import { acquireDataDirLock } from '../storage/data-dir-lock.js';
import { type DatabaseHandle, describeConnection, openDatabase } from '../storage/database.js';
import { type EmbeddedServer, openEmbeddedPostgres } from '../storage/embedded-postgres.js';
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
  migrations: Migration[];
  /** "embedded PostgreSQL 15.18 …" or "external PostgreSQL at host:port/db" — no credentials. */
  description: string;
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
    return { handle, migrations, description: `external PostgreSQL at ${describeConnection(config.DATABASE_URL)}`, close: handle.close };
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
    migrations,
    description: `embedded PostgreSQL ${version} on 127.0.0.1:${server.port} (pid ${server.pid}, ${server.origin}; data in ${config.dataDir})`,
    close: async () => {
      await handle.close();
      await server.stop();
      if (lock.acquired) await lock.release();
    },
  };
}

export async function applyMigrations(storage: Storage, progress: (line: string) => void): Promise<string[]> {
  const report = await migrate(storage.handle.pool, storage.migrations, progress);
  return report.applied;
}
