import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { verifyAuditChain } from '../../src/services/audit.service.js';
import { type DatabaseHandle, openDatabase } from '../../src/storage/database.js';

export type TestDatabase = DatabaseHandle & {
  url: string;
  name: string;
  /**
   * Verifies the audit chain the file's activity left (every test database ends with an intact chain
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
        const check = await verifyAuditChain(handle.db);
        if (!check.intact) throw new Error(`the audit chain of ${name} is broken at ${check.brokenAt}: ${check.reason}`);
      }
      await handle.close();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
