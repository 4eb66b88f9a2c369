import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// DATE columns stay 'YYYY-MM-DD' strings: a date of birth is a calendar date, not an instant,
// and turning it into a JS Date at local midnight shifts it by the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);

export type Db = Kysely<Database>;

export type DatabaseHandle = {
  db: Db;
  pool: pg.Pool;
  close: () => Promise<void>;
};

export function openDatabase(connectionString: string, options: { poolSize?: number; applicationName?: string } = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'switchboard',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // Every session works in UTC; the center's zone is applied when presenting.
    options: '-c TimeZone=UTC',
  });
  // An idle client whose server went away must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** The server's host:port/database, safe to print (no user or password). */
export function describeConnection(connectionString: string): string {
  try {
    const parsed = new URL(connectionString);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
