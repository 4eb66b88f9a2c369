import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/domain/demo/synthetic-data.js';
import { AppError } from '../../src/domain/errors/app-error.js';
import { DEMO_REFERENCE_DATE, readDemoMarker, seedDemo } from '../../src/services/demo-seed.service.js';
import { deriveKeys } from '../../src/services/keys.js';
import { verifyPassword } from '../../src/services/passwords.js';
import {
  findFieldOfficeFor,
  listQueues,
  loadReferenceData,
  readFieldOffices,
  readQueues,
} from '../../src/services/reference-data.service.js';
import { countRows } from '../../src/storage/repositories/demo.repository.js';
import { createTestDatabase, databaseKind, type TestDatabase } from '../support/database.js';

const keys = deriveKeys(randomBytes(32));

describe(`reference data on the ${databaseKind()} server`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('loads field offices, areas and queues once, and never overwrites an admin edit', async () => {
    const data = readFieldOffices();
    const added = await loadReferenceData(db.db);
    expect(added).toBe(data.offices.length + Object.keys(data.stateDefaults).length + data.countyOverrides.length + readQueues().length);
    await db.db.updateTable('queues').set({ name: 'Public line (edited)' }).where('id', '=', 'public_line').execute();
    expect(await loadReferenceData(db.db)).toBe(0);
    const queues = await listQueues(db.db);
    expect(queues.map((q) => q.id)).toEqual(['analysis', 'partner_line', 'public_line', 'supervisors', 'uac_unit', 'uac_work']);
    expect(queues.find((q) => q.id === 'public_line')?.name).toBe('Public line (edited)');
  });

  it('resolves the responsible field office from the database', async () => {
    const hidalgo = await findFieldOfficeFor(db.db, 'TX', 'Hidalgo County');
    expect(hidalgo?.office.code).toBe('HLG');
    expect(hidalgo?.resolution.basis).toBe('county');
    expect((await findFieldOfficeFor(db.db, 'TN', undefined))?.office.name).toMatch(/New Orleans/);
    expect(await findFieldOfficeFor(db.db, 'ZZ', undefined)).toBeUndefined();
  });
});

describe(`the demo seed on the ${databaseKind()} server`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('adds one account per role, synthetic agencies, persons and cases, all in one go', async () => {
    const result = await seedDemo(db.db, keys, { seed: 7, timeZone: 'America/Chicago' });
    const expected = generateDataset(7, DEMO_REFERENCE_DATE);
    expect(result.accounts.map((a) => a.role).sort()).toEqual(
      [
        'admin',
        'analyst',
        'auditor',
        'call_taker',
        'field_officer',
        'legal_reviewer',
        'partner_officer',
        'supervisor',
        'uac_specialist',
      ].sort(),
    );
    const counts = await countRows(db.db);
    expect(counts).toEqual({
      users: 9,
      persons: expected.persons.length,
      cases: expected.cases.length,
      locations: expected.locations.length,
      agencies: 60,
    });
    expect((await readDemoMarker(db.db))?.seed).toBe(7);
  });

  it('stores passwords only as argon2id hashes and TOTP seeds only encrypted', async () => {
    const rows = await db.db.selectFrom('users').select(['username', 'password_hash', 'totp_secret_enc', 'totp_enrolled_at']).execute();
    for (const row of rows) {
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(row.totp_secret_enc).toMatch(/^v1\./);
      expect(row.totp_enrolled_at).not.toBeNull();
    }
    const hash = rows[0]?.password_hash ?? '';
    expect(await verifyPassword(hash, 'not the password')).toBe(false);
  });

  it('reproduces the same persons and cases from the same seed', async () => {
    const other = await createTestDatabase();
    try {
      await seedDemo(other.db, keys, { seed: 7, timeZone: 'America/Chicago' });
      const snapshot = (t: TestDatabase) =>
        t.db
          .selectFrom('persons')
          .select(['given_names', 'family_name_1', 'family_name_2', 'dob', 'a_number', 'nationalities'])
          .orderBy('given_names')
          .orderBy('family_name_1')
          .orderBy('dob')
          .orderBy('a_number')
          .execute();
      expect(await snapshot(other)).toEqual(await snapshot(db));
      const cases = (t: TestDatabase) =>
        t.db.selectFrom('cases').select(['case_number', 'type', 'status', 'aor_office_code']).orderBy('case_number').execute();
      expect(await cases(other)).toEqual(await cases(db));
    } finally {
      await other.drop();
    }
  });

  it('keeps dates of birth as calendar dates and assigns cases to field offices', async () => {
    const person = await db.db.selectFrom('persons').select('dob').where('dob', 'is not', null).executeTakeFirstOrThrow();
    expect(person.dob).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const unassigned = await db.db
      .selectFrom('cases')
      .select(sql<string>`count(*)`.as('n'))
      .where('aor_office_code', 'is', null)
      .executeTakeFirstOrThrow();
    expect(Number(unassigned.n)).toBe(0);
  });

  it('refuses to seed twice or onto a database that holds real data', async () => {
    await expect(seedDemo(db.db, keys, { seed: 7, timeZone: 'America/Chicago' })).rejects.toThrow(AppError);
    const other = await createTestDatabase();
    try {
      await other.db
        .insertInto('persons')
        .values({ given_names: 'Test', family_name_1: 'Person', dob_basis: 'unknown', sex: 'unknown' })
        .execute();
      await expect(seedDemo(other.db, keys, { seed: 1, timeZone: 'America/Chicago' })).rejects.toThrow(/not demo data/);
      // Nothing half-written: the refused seed added no agencies or users.
      expect((await countRows(other.db)).agencies).toBe(0);
    } finally {
      await other.drop();
    }
  });
});
