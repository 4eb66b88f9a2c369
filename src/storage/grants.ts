import type pg from 'pg';
import { JOB_QUEUE_SCHEMA } from './job-queue.js';

/**
 * What the application's database role may do, applied by the owner after
 * every migration (idempotent). The application reads and writes rows; it
 * cannot change or delete audit events (inbox, chain or heads) or timeline events, nor seal except through audit_seal() (nor, not owning the table, switch off
 * the trigger that also forbids it), cannot rewrite migration history, and
 * cannot change the schema.
 */
export async function grantApplicationRole(owner: pg.Pool, appRole: string): Promise<void> {
  const client = await owner.connect();
  try {
    const role = client.escapeIdentifier(appRole);
    await client.query('BEGIN');
    await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    // The audit log (migration 0025): events are appended to the inbox; only audit_seal() moves them into the chain.
    await client.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_inbox FROM ${role}`);
    await client.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain, audit_heads, audit_events FROM ${role}`);
    await client.query(`GRANT EXECUTE ON FUNCTION audit_seal(text, bigint, jsonb, jsonb) TO ${role}`);
    await client.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM ${role}`);
    await client.query(`REVOKE UPDATE, DELETE, TRUNCATE ON routing_commands FROM ${role}`);
    // Timelines are history: rows are added, never changed.
    for (const table of ['case_events', 'referral_events']) await client.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM ${role}`);
    // The background jobs' queue (storage/job-queue.ts): its rows, never its tables (a queue is a table, made here).
    const queue = client.escapeIdentifier(JOB_QUEUE_SCHEMA);
    await client.query(`GRANT USAGE ON SCHEMA ${queue} TO ${role}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${queue} TO ${role}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
