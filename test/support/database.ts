import { generateKeyPairSync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { verifyAuditLog } from '../../src/services/audit.service.js';
import { AuditSealer } from '../../src/services/audit-sealer.js';
import type { Db } from '../../src/storage/database.js';
import { type DatabaseHandle, openDatabase } from '../../src/storage/database.js';

export type TestDatabase = DatabaseHandle & {
  url: string;
  name: string;
  /**
   * Seals and verifies the audit log the file's activity left (every test database ends with an intact chain
   * unless the test broke it on purpose and says so), then drops the database.
   */
  drop: (options?: { auditTampered?: boolean }) => Promise<void>;
};

export const databaseKind = (): 'embedded' | 'external' => inject('databaseKind');

function urlFor(database: string): string {
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database for one test file: migrated (a copy of the template) unless `empty`. */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  await admin((client) =>
    client.query(options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`),
  );
  const url = urlFor(name);
  const handle = openDatabase(url, { poolSize: 5 });
  return {
    ...handle,
    url,
    name,
    drop: async (dropOptions = {}) => {
      if (!dropOptions.auditTampered && !options.empty) {
        await sealAudit(handle.db);
        const check = await verifyAuditLog(handle.db, { maxMergeDelayMs: 60_000 });
        if (!check.intact) throw new Error(`the audit chain of ${name} is broken at ${check.brokenAt}: ${check.reason}`);
      }
      await handle.close();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Seals every event waiting in the audit inbox, as the running sealer would moments later (tests do not run its
 * timer). `signingKey`: the app's, so its `/audit/verify` checks the signatures; default a key of the test's own.
 */
export async function sealAudit(db: Db, signingKey = generateKeyPairSync('ed25519').privateKey): Promise<number> {
  const sealer = new AuditSealer(db, { nodeId: 'test-sealer', signingKey, intervalMs: 1000, leaseMs: 30_000 });
  try {
    return await sealer.sealAll();
  } finally {
    await sealer.stop();
  }
}
