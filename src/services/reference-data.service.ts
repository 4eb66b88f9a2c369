import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type AorTable, countyKey, resolveAor } from '../domain/geo/area-of-responsibility.js';
import type { Db } from '../storage/database.js';
import { referenceDir } from '../storage/paths.js';
import type { AgencyInsert } from '../storage/repositories/reference.repository.js';
import * as reference from '../storage/repositories/reference.repository.js';

export type { FieldOfficeRow, QueueRow } from '../storage/repositories/reference.repository.js';

/**
 * Reference data ships as JSON files in reference/ and is loaded into the
 * database, where admins may later edit it. Loading inserts only what is
 * missing, so it never overwrites an edit.
 */

const StateCode = z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter state code');
const OfficeCode = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter office code');

const FieldOfficesFile = z.object({
  _source: z.unknown(),
  offices: z.array(
    z.object({
      code: OfficeCode,
      name: z.string().min(1),
      city: z.string().min(1),
      state: StateCode,
      address: z.string().nullable(),
      states: z.array(StateCode),
    }),
  ),
  stateDefaults: z.record(StateCode, OfficeCode),
  countyOverrides: z.array(
    z.object({
      state: StateCode,
      county: z.string().min(1),
      office: OfficeCode,
      confidence: z.enum(['confirmed', 'inferred']),
      note: z.string().optional(),
    }),
  ),
});

const AgenciesFile = z.object({
  _source: z.unknown(),
  agencies: z.array(
    z.object({
      ori: z.string().regex(/^[A-Z]{2}[A-Z0-9]{7}$/, 'must be 9 characters, the first two the state code'),
      name: z.string().min(1),
      type: z.enum(['sheriff', 'police', 'state_police', 'corrections', 'other']),
      state: StateCode,
      county: z.string().nullable(),
      agreement: z.object({
        model: z.enum(['task_force', 'jail_enforcement', 'warrant_service_officer']),
        status: z.enum(['active', 'suspended', 'terminated', 'pending']),
        effective: z.iso.date(),
        end: z.iso.date().nullable(),
      }),
    }),
  ),
});

const QueuesFile = z.object({
  _source: z.unknown(),
  queues: z.array(
    z.object({
      id: z.string().regex(/^[a-z][a-z0-9_]{1,62}$/),
      name: z.string().min(1),
      description: z.string(),
      channel: z.enum(['voice', 'work_item']),
      targetExpression: z.string().min(1),
      ordering: z.enum(['fifo', 'lifo']),
      serviceLevelSeconds: z.number().int().positive(),
      serviceLevelTargetPercent: z.number().int().min(1).max(100),
      maxWaitSeconds: z.number().int().positive().nullable(),
    }),
  ),
});

function readJson<T>(file: string, schema: z.ZodType<T>): T {
  const full = path.join(referenceDir(), file);
  const parsed = schema.safeParse(JSON.parse(readFileSync(full, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`reference/${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}

export type FieldOfficesData = z.infer<typeof FieldOfficesFile>;

export function readFieldOffices(): FieldOfficesData {
  const data = readJson('field-offices.json', FieldOfficesFile);
  const codes = new Set(data.offices.map((o) => o.code));
  for (const [state, office] of Object.entries(data.stateDefaults)) {
    if (!codes.has(office)) throw new Error(`reference/field-offices.json: stateDefaults.${state} names unknown office ${office}`);
  }
  const seen = new Set<string>();
  for (const override of data.countyOverrides) {
    if (!codes.has(override.office))
      throw new Error(`reference/field-offices.json: county ${override.county}, ${override.state} names unknown office ${override.office}`);
    if (!data.stateDefaults[override.state])
      throw new Error(`reference/field-offices.json: county override in ${override.state}, which has no state default`);
    const key = `${override.state}|${countyKey(override.county)}`;
    if (seen.has(key)) throw new Error(`reference/field-offices.json: county ${override.county}, ${override.state} is listed twice`);
    seen.add(key);
  }
  return data;
}

export const readAgencies = () => readJson('agencies.json', AgenciesFile).agencies;

/** The synthetic agencies of reference/agencies.json as rows to insert. */
export const syntheticAgencyRows = (): AgencyInsert[] =>
  readAgencies().map((a) => ({
    ori: a.ori,
    name: a.name,
    type: a.type,
    state: a.state,
    county: a.county,
    agreement_model: a.agreement.model,
    agreement_status: a.agreement.status,
    agreement_effective: a.agreement.effective,
    agreement_end: a.agreement.end,
    synthetic: true,
  }));
export const readQueues = () => readJson('queues.json', QueuesFile).queues;

/** Loads field offices, areas of responsibility and queues. Returns the number of rows added. */
export async function loadReferenceData(db: Db): Promise<number> {
  const offices = readFieldOffices();
  const queues = readQueues();
  return db.transaction().execute(async (trx) => {
    const added = await reference.insertFieldOfficesIfMissing(
      trx,
      offices.offices.map(({ code, name, city, state, address }) => ({ code, name, city, state, address })),
      Object.entries(offices.stateDefaults).map(([state, office_code]) => ({ state, office_code })),
      offices.countyOverrides.map((o) => ({
        state: o.state,
        county: o.county,
        county_key: countyKey(o.county),
        office_code: o.office,
        confidence: o.confidence,
        note: o.note ?? null,
      })),
    );
    const addedQueues = await reference.insertQueuesIfMissing(
      trx,
      queues.map((q) => ({
        id: q.id,
        name: q.name,
        description: q.description,
        channel: q.channel,
        target_expression: q.targetExpression,
        ordering: q.ordering,
        service_level_seconds: q.serviceLevelSeconds,
        service_level_target_percent: q.serviceLevelTargetPercent,
        max_wait_seconds: q.maxWaitSeconds,
      })),
    );
    return added + addedQueues;
  });
}

export async function loadAorTable(db: Db): Promise<AorTable> {
  const [states, counties] = await Promise.all([reference.listAorStates(db), reference.listAorCounties(db)]);
  return {
    stateDefaults: new Map(states.map((s) => [s.state, s.office_code])),
    countyOverrides: new Map(counties.map((c) => [`${c.state}|${c.county_key}`, { office: c.office_code, confidence: c.confidence }])),
  };
}

export async function findFieldOfficeFor(db: Db, state: string, county: string | undefined) {
  const resolution = resolveAor(await loadAorTable(db), state, county);
  if (!resolution) return undefined;
  const office = (await reference.listFieldOffices(db)).find((o) => o.code === resolution.officeCode);
  return office ? { office, resolution } : undefined;
}

export const listFieldOffices = (db: Db) => reference.listFieldOffices(db);
export const listQueues = (db: Db) => reference.listQueues(db);
