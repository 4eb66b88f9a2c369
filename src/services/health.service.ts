import type pg from 'pg';
import type { Db } from '../storage/database.js';
import { type Migration, migrationStatus } from '../storage/migrator.js';
import { pingDatabase } from '../storage/repositories/meta.repository.js';

export type Readiness = {
  ready: boolean;
  checks: { database: 'ok' | 'read_only' | 'unreachable'; migrations: 'ok' | 'pending' | 'unknown' | 'mismatch' };
  detail?: string;
};

/** Ready = the database answers within the timeout, takes writes, and every migration this code knows is applied. */
export async function checkReadiness(db: Db, pool: pg.Pool, migrations: Migration[], timeoutMs = 2000): Promise<Readiness> {
  const withTimeout = <T>(promise: Promise<T>): Promise<T> =>
    Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref())]);
  try {
    const { writable } = await withTimeout(pingDatabase(db));
    // A standby answers but refuses writes: after a failover the pool may still hold connections to it.
    if (!writable) return { ready: false, checks: { database: 'read_only', migrations: 'unknown' }, detail: 'the database is read-only' };
  } catch {
    return { ready: false, checks: { database: 'unreachable', migrations: 'unknown' } };
  }
  try {
    const status = await withTimeout(migrationStatus(pool, migrations));
    if (status.problem) return { ready: false, checks: { database: 'ok', migrations: 'mismatch' }, detail: status.problem };
    if (status.pending.length > 0) {
      return {
        ready: false,
        checks: { database: 'ok', migrations: 'pending' },
        detail: `${status.pending.length} migration(s) not applied`,
      };
    }
    return { ready: true, checks: { database: 'ok', migrations: 'ok' } };
  } catch {
    return { ready: false, checks: { database: 'unreachable', migrations: 'unknown' } };
  }
}
