import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/domain/demo/synthetic-data.js';
import { AppError } from '../../src/domain/errors/app-error.js';
import { verifyAuditLog } from '../../src/services/audit.service.js';
import {
  DEMO_REFERENCE_DATE,
  type DemoSeedResult,
  demoDatabaseState,
  readDemoMarker,
  seedDemo,
} from '../../src/services/demo-seed.service.js';
import { deriveKeys } from '../../src/services/keys.js';
import { verifyPassword } from '../../src/services/passwords.js';
import {
  findFieldOfficeFor,
  listQueues,
  loadReferenceData,
  readFieldOffices,
  readQueues,
} from '../../src/services/reference-data.service.js';
import { RoutingService } from '../../src/services/routing.service.js';
import { loadRoutingConfig } from '../../src/services/routing-admin.service.js';
import { countRows } from '../../src/storage/repositories/demo.repository.js';
import { createTestDatabase, databaseKind, sealAudit, type TestDatabase } from '../support/database.js';

const keys = deriveKeys(randomBytes(32));
/** When the seed runs (kept in the marker only): demo data is dated on the demo's own calendar. */
const RUN_AT = new Date('2026-12-01T18:30:00Z');
const seedOptions = (seed: number) => ({ seed, timeZone: 'America/Chicago', now: RUN_AT });

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
    expect(queues.map((q) => q.id)).toEqual([
      'analysis',
      'legal_review',
      'partner_line',
      'public_line',
      'supervisors',
      'uac_unit',
      'uac_work',
    ]);
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
  let result: DemoSeedResult;
  beforeAll(async () => {
    db = await createTestDatabase();
    result = await seedDemo(db.db, keys, seedOptions(7));
  });
  afterAll(async () => {
    await db.drop();
  });

  const userId = async (username: string) =>
    (await db.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;

  it('adds one account per role, the agency registry, and every person, report and case through intake', async () => {
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
    expect(result.resumed).toBe(false);
    const counts = await countRows(db.db);
    expect(counts).toEqual({
      users: 9,
      persons: expected.persons.length,
      cases: expected.cases.length,
      locations: expected.cases.reduce((n, c) => n + c.locations.length, 0),
      agencies: 60,
    });
    expect(result.counts).toEqual({ agencies: 60, persons: counts.persons, locations: counts.locations, cases: counts.cases });
    expect((await readDemoMarker(db.db))?.seed).toBe(7);
    expect(await demoDatabaseState(db.db)).toMatchObject({ kind: 'demo' });
    // Made by the services, as the call taker: one report per case, each case opened by intake and audited with it.
    const callTaker = await userId('demo.calltaker');
    const reports = await db.db.selectFrom('reports').select('created_by').execute();
    expect(reports).toHaveLength(expected.cases.length);
    expect(new Set(reports.map((r) => r.created_by))).toEqual(new Set([callTaker]));
    const opened = await db.db.selectFrom('case_events').select('case_id').where('kind', '=', 'opened').execute();
    expect(new Set(opened.map((e) => e.case_id)).size).toBe(expected.cases.length);
    const intakes = await db.db.selectFrom('audit_events').select('actor_id').where('action', '=', 'intake.save').execute();
    expect(intakes.map((a) => a.actor_id)).toEqual(expected.cases.map(() => callTaker));
    expect(
      await db.db.selectFrom('audit_events').select('actor_id').where('action', '=', 'agency.import').executeTakeFirstOrThrow(),
    ).toEqual({ actor_id: await userId('demo.admin') });
  });

  it('stores passwords only as argon2id hashes and TOTP seeds only encrypted', async () => {
    const rows = await db.db.selectFrom('users').select(['username', 'password_hash', 'totp_secret_enc', 'totp_enrolled_at']).execute();
    for (const row of rows) {
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(row.totp_secret_enc).toMatch(/^v1\./);
      expect(row.totp_enrolled_at).not.toBeNull();
    }
    const admin = rows.find((r) => r.username === 'demo.admin')?.password_hash ?? '';
    expect(await verifyPassword(admin, 'not the password')).toBe(false);
    expect(await verifyPassword(admin, result.accounts.find((a) => a.username === 'demo.admin')?.password ?? '')).toBe(true);
  });

  it('reaches only states the product can reach: UAC cases screened, referrals sent by the gate or a legal reviewer', async () => {
    const cases = await db.db.selectFrom('cases').select(['id', 'case_number', 'type', 'status', 'unit']).execute();
    const screened = new Set(
      (await db.db.selectFrom('welfare_screenings').select('case_id').where('completed_at', 'is not', null).execute()).map(
        (s) => s.case_id,
      ),
    );
    const beyondTriage = cases.filter((c) => c.unit === 'uac' && !['new', 'triage'].includes(c.status));
    expect(beyondTriage.length).toBeGreaterThan(0);
    for (const c of beyondTriage) expect(screened.has(c.id), `${c.case_number} (${c.status}) has a welfare screening`).toBe(true);

    const referrals = await db.db.selectFrom('referrals').select(['id', 'case_id', 'status', 'gate', 'created_by']).execute();
    const events = await db.db
      .selectFrom('referral_events as e')
      .innerJoin('users as u', 'u.id', 'e.actor_id')
      .select(['e.referral_id', 'e.kind', 'e.to_status', 'e.actor_id', 'u.role'])
      .execute();
    const gateOf = (r: { gate: unknown }) =>
      typeof r.gate === 'object' && r.gate !== null && 'decision' in r.gate ? String(r.gate.decision) : undefined;
    const sentLawfully = (r: (typeof referrals)[number]) =>
      events.some((e) => e.referral_id === r.id && e.kind === 'submitted' && e.to_status === 'sent' && gateOf(r) === 'send') ||
      events.some(
        (e) => e.referral_id === r.id && e.kind === 'review_approved' && e.role === 'legal_reviewer' && e.actor_id !== r.created_by,
      );
    const referred = cases.filter((c) => c.status === 'referred');
    expect(referred.length).toBeGreaterThan(0);
    for (const c of referred) {
      const sent = referrals.filter((r) => r.case_id === c.id && r.status === 'sent');
      expect(sent.some(sentLawfully), `${c.case_number} was referred by the gate or a legal reviewer`).toBe(true);
    }
    // Every sent referral went out that way, held ones wait for a reviewer, blocked ones stay drafts.
    for (const r of referrals.filter((x) => x.status === 'sent')) expect(sentLawfully(r)).toBe(true);
    for (const r of referrals.filter((x) => x.status === 'pending_review')) expect(gateOf(r)).toBe('hold_for_review');
    for (const r of referrals.filter((x) => x.status === 'draft')) expect(gateOf(r)).toBe('block');
    const statuses = new Set(referrals.map((r) => r.status));
    for (const s of ['sent', 'draft', 'denied']) expect(statuses, `a ${s} referral in the demo`).toContain(s);
    const approvedByHold = events.filter((e) => e.kind === 'review_approved');
    expect(approvedByHold.length).toBeGreaterThan(0);
    for (const e of approvedByHold) expect(e.role).toBe('legal_reviewer');

    // A case's status is the last one its timeline records.
    const changes = await db.db
      .selectFrom('case_events')
      .select(['case_id', 'details'])
      .where('kind', '=', 'status_changed')
      .orderBy('id')
      .execute();
    const last = new Map(changes.map((e) => [e.case_id, String(e.details.to)]));
    for (const c of cases) expect(last.get(c.id) ?? 'new').toBe(c.status);

    await sealAudit(db.db);
    const check = await verifyAuditLog(db.db, { maxMergeDelayMs: 60_000 });
    expect(check.intact).toBe(true);
  });

  it('turns positive screenings into welfare referrals and ACD work items, worked by the UAC specialist through the queue', async () => {
    const screenings = await db.db.selectFrom('welfare_screenings').select(['id', 'outcome', 'completed_by']).execute();
    const uac = await userId('demo.uac');
    expect(new Set(screenings.map((s) => s.completed_by))).toEqual(new Set([uac]));
    const positive = screenings.filter((s) => s.outcome === 'positive');
    expect(positive.length).toBeGreaterThan(0);
    const welfare = await db.db.selectFrom('welfare_referrals').select(['screening_id', 'task_id', 'status', 'done_by']).execute();
    for (const s of positive) expect(welfare.some((w) => w.screening_id === s.id)).toBe(true);
    // The work items are the routing engine's: rebuilt from its command log, each is there, finished when its referral is done.
    const routing = await RoutingService.open(db.db, await loadRoutingConfig(db.db), () => DEMO_REFERENCE_DATE);
    try {
      for (const w of welfare) {
        const task = routing.engine.task(w.task_id);
        expect(task?.queueId).toBe('uac_work');
        expect(task?.status).toBe(w.status === 'done' ? 'completed' : 'pending');
        if (w.status === 'done') expect(w.done_by).toBe(uac);
      }
      expect(welfare.some((w) => w.status === 'done')).toBe(true);
      expect(routing.engine.worker(uac)?.activity).toBe('Offline');
    } finally {
      await routing.stop();
    }
  });

  it('dates every case on the demo calendar and assigns every located case to a field office', async () => {
    const person = await db.db.selectFrom('persons').select('dob').where('dob', 'is not', null).executeTakeFirstOrThrow();
    expect(person.dob).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const cases = await db.db.selectFrom('cases').select(['created_at', 'updated_at']).execute();
    for (const c of cases) {
      expect(c.created_at.getTime()).toBeLessThanOrEqual(DEMO_REFERENCE_DATE.getTime());
      expect(c.updated_at.getTime()).toBeLessThanOrEqual(DEMO_REFERENCE_DATE.getTime());
    }
    const unassigned = await db.db
      .selectFrom('cases')
      .select(sql<string>`count(*)`.as('n'))
      .where('aor_office_code', 'is', null)
      .where(
        'id',
        'in',
        db.db.selectFrom('case_subjects as cs').innerJoin('location_observations as l', 'l.person_id', 'cs.person_id').select('cs.case_id'),
      )
      .executeTakeFirstOrThrow();
    expect(Number(unassigned.n)).toBe(0);
  });

  it('refuses to seed twice or onto a database that holds real data or that a server has used', async () => {
    await expect(seedDemo(db.db, keys, seedOptions(7))).rejects.toThrow(/already holds demo data/);
    const other = await createTestDatabase();
    try {
      await other.db
        .insertInto('persons')
        .values({ given_names: 'Test', family_name_1: 'Person', dob_basis: 'unknown', sex: 'unknown' })
        .execute();
      await expect(seedDemo(other.db, keys, seedOptions(1))).rejects.toThrow(/not demo data/);
      // Nothing half-written: the refused seed added no agencies or users, and no journal entry.
      expect((await countRows(other.db)).agencies).toBe(0);
      expect((await countRows(other.db)).users).toBe(0);
      expect(await demoDatabaseState(other.db)).toEqual({ kind: 'in_use' });
    } finally {
      await other.drop();
    }
    const used = await createTestDatabase();
    try {
      // A server that opened its routing engine here owns the work queues: the seed's work items would bypass it.
      await loadReferenceData(used.db);
      await (await RoutingService.open(used.db, await loadRoutingConfig(used.db), () => RUN_AT)).stop();
      await expect(seedDemo(used.db, keys, seedOptions(1))).rejects.toThrow(AppError);
      expect((await countRows(used.db)).users).toBe(0);
    } finally {
      await used.drop();
    }
  });

  it('resumes an interrupted seed where it stopped and ends with the same persons, cases and statuses', async () => {
    const other = await createTestDatabase();
    /** Makes the nth write of a kind fail inside the database, as a crash between two steps would leave it. */
    const crashAt = async (table: 'referrals' | 'welfare_referrals', event: 'INSERT' | 'UPDATE', nth: number) => {
      await sql`CREATE SEQUENCE test_crash_count`.execute(other.db);
      await sql
        .raw(
          `CREATE FUNCTION test_crash() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN IF nextval('test_crash_count') = ${nth} THEN RAISE EXCEPTION 'injected crash'; END IF; RETURN NEW; END $$`,
        )
        .execute(other.db);
      await sql.raw(`CREATE TRIGGER test_crash BEFORE ${event} ON ${table} FOR EACH ROW EXECUTE FUNCTION test_crash()`).execute(other.db);
      return async () => {
        await sql.raw(`DROP TRIGGER test_crash ON ${table}`).execute(other.db);
        await sql`DROP FUNCTION test_crash()`.execute(other.db);
        await sql`DROP SEQUENCE test_crash_count`.execute(other.db);
      };
    };
    try {
      // 1. Interrupted as the fourth referral is drafted: a database that says so, and never looks complete.
      let undo = await crashAt('referrals', 'INSERT', 4);
      await expect(seedDemo(other.db, keys, seedOptions(7))).rejects.toThrow(/draft_referral.*injected crash/);
      await undo();
      expect(await readDemoMarker(other.db)).toBeUndefined();
      expect(await demoDatabaseState(other.db)).toMatchObject({ kind: 'interrupted', seed: 7 });
      await expect(seedDemo(other.db, keys, seedOptions(8))).rejects.toThrow(/interrupted \(seed 7/);

      // 2. Resumed, then interrupted again in the middle of a shift at the welfare desk (work items in hand).
      undo = await crashAt('welfare_referrals', 'UPDATE', 2);
      await expect(seedDemo(other.db, keys, seedOptions(7))).rejects.toThrow(/shift.*injected crash/);
      await undo();

      // 3. Resumed to the end: new passwords (the interrupted runs never showed theirs), and the same demo as a clean seed.
      const resumed = await seedDemo(other.db, keys, seedOptions(7));
      expect(resumed.resumed).toBe(true);
      const hash = (
        await other.db.selectFrom('users').select('password_hash').where('username', '=', 'demo.legal').executeTakeFirstOrThrow()
      ).password_hash;
      expect(await verifyPassword(hash ?? '', resumed.accounts.find((a) => a.username === 'demo.legal')?.password ?? '')).toBe(true);

      const persons = (t: TestDatabase) =>
        t.db
          .selectFrom('persons')
          .select(['given_names', 'family_name_1', 'family_name_2', 'dob', 'a_number', 'nationalities'])
          .orderBy('given_names')
          .orderBy('family_name_1')
          .orderBy('dob')
          .orderBy('a_number')
          .execute();
      expect(await persons(other)).toEqual(await persons(db));
      const cases = (t: TestDatabase) =>
        t.db
          .selectFrom('cases')
          .select(['case_number', 'type', 'status', 'status_reason', 'priority', 'aor_office_code', 'created_at'])
          .orderBy('case_number')
          .execute();
      expect(await cases(other)).toEqual(await cases(db));
      const referrals = (t: TestDatabase) =>
        t.db
          .selectFrom('referrals as r')
          .innerJoin('cases as c', 'c.id', 'r.case_id')
          .select(['c.case_number', 'r.status', 'r.purpose', 'r.field_office_code', 'r.created_at'])
          .orderBy('c.case_number')
          .execute();
      expect(await referrals(other)).toEqual(await referrals(db));
      const welfare = (t: TestDatabase) =>
        t.db
          .selectFrom('welfare_referrals as w')
          .innerJoin('cases as c', 'c.id', 'w.case_id')
          .select(['c.case_number', 'w.agency', 'w.status'])
          .orderBy('c.case_number')
          .orderBy('w.agency')
          .execute();
      expect(await welfare(other)).toEqual(await welfare(db));
      expect(await countRows(other.db)).toEqual(await countRows(db.db));
      await sealAudit(other.db);
      expect((await verifyAuditLog(other.db, { maxMergeDelayMs: 60_000 })).intact).toBe(true);
    } finally {
      await other.drop();
    }
  });
});
