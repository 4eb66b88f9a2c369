import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import type { Db } from '../storage/database.js';
import type { Migration } from '../storage/migrator.js';
import type { Metrics } from './metrics.js';

/** What route modules may use: services get the database handle from here. */
export type AppContext = {
  db: Db;
  pool: pg.Pool;
  migrations: Migration[];
  metrics: Metrics;
  log: FastifyBaseLogger;
  openapi: () => Record<string, unknown>;
};
