import { sql, type Transaction } from 'kysely';
import { type CenterClock, centerToday, yearOf } from '../../domain/calendar/calendar-day.js';
import { formatReference } from '../../domain/cases/case-workflow.js';
import type { Geocode } from '../../domain/geo/geocoder.js';
import type { Db } from '../database.js';
import type { Database } from '../schema.js';

type Trx = Transaction<Database> | Db;

const SEQUENCES = { C: 'case_number_seq', R: 'report_number_seq', F: 'referral_number_seq', Q: 'partner_request_number_seq' } as const;

/** The next case (C), report (R), referral (F) or partner request (Q) reference, e.g. "C-2026-000042". */
/** The next reference of a kind, in the year of the center's calendar (C-2026-… until midnight in Nashville, not UTC). */
export async function nextReference(db: Trx, prefix: keyof typeof SEQUENCES, clock: CenterClock): Promise<string> {
  const seq = SEQUENCES[prefix];
  const { rows } = await sql<{ n: string }>`SELECT nextval(${seq}) AS n`.execute(db);
  return formatReference(prefix, yearOf(centerToday(clock)), rows[0]?.n ?? '0');
}

export async function addCaseEvent(
  db: Trx,
  event: { caseId: string; at: Date; actorId: string | null; kind: string; details?: Record<string, unknown> },
): Promise<void> {
  await db
    .insertInto('case_events')
    .values({
      case_id: event.caseId,
      at: event.at,
      actor_id: event.actorId,
      actor_system: null,
      kind: event.kind,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

/** A record and every record merged into it (directly or through another merged record). */
export async function personCluster(db: Trx, personId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    WITH RECURSIVE cluster(id) AS (
      SELECT ${personId}::uuid
      UNION
      SELECT p.id FROM persons p JOIN cluster c ON p.merged_into = c.id
    ) SELECT id FROM cluster`.execute(db);
  return rows.map((r) => r.id);
}

/** The record a merged record now lives in (itself if it is not merged). */
export async function survivorOf(db: Trx, personId: string): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    WITH RECURSIVE up(id, merged_into, depth) AS (
      SELECT id, merged_into, 0 FROM persons WHERE id = ${personId}::uuid
      UNION ALL
      SELECT p.id, p.merged_into, up.depth + 1 FROM persons p JOIN up ON p.id = up.merged_into WHERE up.depth < 50
    ) SELECT id FROM up WHERE merged_into IS NULL`.execute(db);
  return rows[0]?.id ?? personId;
}

/** A location observation from a geocode, with its provenance: the report it came from and its area of responsibility. */
export async function insertObservation(
  db: Trx,
  o: {
    personId: string;
    geo: Geocode;
    aorOfficeCode: string | null;
    source: string;
    reportId: string;
    confidence: 'low' | 'medium' | 'high';
    observedAt: Date;
    reportedAt: Date;
  },
): Promise<string> {
  const row = await db
    .insertInto('location_observations')
    .values({
      person_id: o.personId,
      line1: o.geo.line1,
      city: o.geo.city,
      county: o.geo.county,
      state: o.geo.state,
      zip: o.geo.zip,
      latitude: o.geo.latitude,
      longitude: o.geo.longitude,
      precision: o.geo.precision,
      geocoder: o.geo.geocoder,
      aor_office_code: o.aorOfficeCode,
      source: o.source,
      report_id: o.reportId,
      confidence: o.confidence,
      observed_at: o.observedAt,
      reported_at: o.reportedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
