import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// DATE columns stay 'YYYY-MM-DD' strings: a date of birth is a calendar date, not an instant,
// and turning it into a JS Date at local midnight shifts it by the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);

export type Db = Kysely<Database>;
/** What a repository function runs on: the database, or a transaction a service opened. */
export type Trx = Transaction<Database> | Db;

export type DatabaseHandle = {
  db: Db;
  pool: pg.Pool;
  close: () => Promise<void>;
};

/**
 * A pool over the database. `connection` may be a function: the embedded server, restarted after its postmaster
 * died, may come back on another port, and each new connection goes where the server is now.
 *
 * A connection whose server goes away (a crash, a restart, a network cut) must not take the process with it: pg
 * reports it as an 'error' event on the client, which would be an uncaught exception for a client checked out
 * between two queries of a transaction (the pool listens only on idle ones). Every client therefore gets a
 * listener for its whole life; the query in flight fails, the broken client leaves the pool when released, and the
 * next query connects afresh.
 */
export function openDatabase(
  connection: string | (() => string),
  options: {
    poolSize?: number;
    applicationName?: string;
    onConnectionError?: (error: Error) => void;
    /**
     * The server ends a session idle inside a transaction this long (0: never): a process stopped mid-transaction
     * (SIGSTOP, a long pause, a partition) must not hold its locks — the audit chain's, a row's — for the others.
     */
    idleInTransactionTimeoutMs?: number;
  } = {},
): DatabaseHandle {
  const current = typeof connection === 'string' ? () => connection : connection;
  const onConnectionError = options.onConnectionError ?? (() => undefined);
  class CurrentServerClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'object' ? config : {}), connectionString: current() });
    }
  }
  const pool = new pg.Pool({
    Client: CurrentServerClient,
    connectionString: current(),
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'switchboard',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // Every session works in UTC; the center's zone is applied when presenting.
    options: `-c TimeZone=UTC${options.idleInTransactionTimeoutMs ? ` -c idle_in_transaction_session_timeout=${Math.round(options.idleInTransactionTimeoutMs)}` : ''}`,
  });
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
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

/**
 * SQLSTATE classes and codes that mean "the server is not there now", not "this query is wrong". 25006
 * (read-only transaction): the server reached is a standby, or a primary being demoted — during a failover, until
 * HAProxy sends connections to the new primary.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '25006']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/**
 * Whether an error says the database cannot be reached at the moment (it crashed, restarts, or the network is cut)
 * rather than anything about the request: such a request may succeed when retried.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code && (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  return UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m));
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
