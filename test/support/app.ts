import { Writable } from 'node:stream';
import pino from 'pino';
import type { Actor, Role } from '../../src/domain/access/access-control.js';
import { buildApp, logSerializers } from '../../src/http/app.js';
import { loadReferenceData } from '../../src/services/reference-data.service.js';
import { loadMigrations } from '../../src/storage/migrator.js';
import { migrationsDir } from '../../src/storage/paths.js';
import type { TestDatabase } from './database.js';

/** Test credentials: a bearer token naming a role. Only tests install this authenticator. */
export const asRole = (role: Role) => ({ authorization: `Test ${role}` });

export const testAuthenticator = async (request: { headers: Record<string, unknown> }): Promise<Actor | null> => {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Test ')) return null;
  const role = header.slice(5) as Role;
  return { kind: 'user', userId: `test-${role}`, role, agencyOri: role === 'partner_officer' ? 'TX1430300' : null, fieldOfficeCode: null };
};

export async function buildTestApp(
  db: TestDatabase,
  options: { withAuth?: boolean; extraMigrations?: ReturnType<typeof loadMigrations> } = {},
) {
  await loadReferenceData(db.db);
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  const logger = pino({ level: 'info', serializers: logSerializers }, logStream);
  const { app, routes, registered } = await buildApp({
    db: db.db,
    pool: db.pool,
    migrations: [...loadMigrations(migrationsDir()), ...(options.extraMigrations ?? [])],
    version: '0.0.0-test',
    logger,
    ...(options.withAuth === false ? {} : { authenticate: testAuthenticator }),
  });
  return { app, routes, registered, logLines };
}
