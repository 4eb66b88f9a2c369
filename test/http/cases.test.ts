import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { tip } from '../support/intake.js';

/**
 * Case management through the API: intake in one transaction, validation,
 * need-to-know, search, the case workflow, attachments, merges, areas of
 * responsibility in split states.
 */

let db: TestDatabase;
let t: TestApp;
let callTaker: SignedIn;
let analyst: SignedIn;
let uac: SignedIn;
let admin: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  callTaker = await enrollAs(t, 'call_taker');
  analyst = await enrollAs(t, 'analyst');
  uac = await enrollAs(t, 'uac_specialist');
  admin = await enrollAs(t, 'admin');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

type Body = Record<string, unknown>;
const post = (who: SignedIn, url: string, payload: Body) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });

async function counts() {
  const row = await sql<{ reports: string; persons: string; locations: string; cases: string; events: string }>`
    SELECT (SELECT count(*) FROM reports) AS reports, (SELECT count(*) FROM persons) AS persons,
           (SELECT count(*) FROM location_observations) AS locations, (SELECT count(*) FROM cases) AS cases,
           (SELECT count(*) FROM case_events) AS events`.execute(db.db);
  return row.rows[0];
}

describe('intake', () => {
  it('creates the report, the person, the geocoded location and the case, and audits it', async () => {
    const res = await post(callTaker, '/api/v1/intake', tip());
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.report.reference).toMatch(/^R-2026-\d{6}$/);
    expect(body.case).toMatchObject({ opened: true, caseNumber: expect.stringMatching(/^C-2026-\d{6}$/) });
    expect(body.subjects[0]).toMatchObject({ created: true, linkedBy: 'new' });
    // Brownsville, Cameron County: Harlingen's area of responsibility, not the Texas default (Dallas).
    expect(body.locations[0]).toMatchObject({ precision: 'zip', aorOfficeCode: 'HLG' });
    const kase = await db.db.selectFrom('cases').selectAll().where('id', '=', body.case.id).executeTakeFirstOrThrow();
    expect(kase).toMatchObject({ status: 'new', unit: 'enforcement', aor_office_code: 'HLG', aor_basis: 'location' });
    const loc = await db.db
      .selectFrom('location_observations')
      .selectAll()
      .where('id', '=', body.locations[0].id)
      .executeTakeFirstOrThrow();
    expect(loc).toMatchObject({
      county: 'Cameron',
      state: 'TX',
      city: 'Brownsville',
      report_id: body.report.id,
      geocoder: 'offline-geonames',
    });
    expect(loc.latitude).toBeCloseTo(25.93, 1);
    const person = await db.db.selectFrom('persons').selectAll().where('id', '=', body.subjects[0].personId).executeTakeFirstOrThrow();
    expect(person.phones).toEqual(['+16155550142']);
    const ids = await db.db.selectFrom('person_identifiers').selectAll().where('person_id', '=', person.id).execute();
    expect(ids.map((i) => [i.kind, i.value])).toEqual([['fbi_number', '12345AB']]);
    const audit = await db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'intake.save')
      .where('resource_id', '=', body.report.id)
      .execute();
    expect(audit).toHaveLength(1);
    // The audit keeps counts and ids, not what was said about whom.
    expect(JSON.stringify(audit[0]?.details)).not.toContain('Quispe');
  });

  it('reports every invalid field at once with codes, and writes nothing', async () => {
    const before = await counts();
    const res = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        subjects: [
          { person: { givenNames: 'Ana', familyName1: 'Pérez', dob: '2999-01-01', dobBasis: 'exact', identifiers: { aNumber: 'A12' } } },
          { person: { givenNames: 'Luis', familyName1: 'Pérez', dob: '1850-01-01', dobBasis: 'claimed' } },
        ],
        locations: [
          { subject: 0, address: { state: 'XX' } },
          { subject: 1, address: { zip: '00000' } },
          { subject: 1, address: { zip: '78520', state: 'CA' } },
        ],
      }),
    );
    expect(res.statusCode).toBe(400);
    const issues = res.json().error.issues.map((i: { path: string; code: string }) => `${i.path}:${i.code}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'body.subjects.0.person.dob:dob_in_future',
        'body.subjects.0.person.identifiers.aNumber:invalid_a_number',
        'body.subjects.1.person.dob:dob_too_old',
        'body.locations.0.address.state:unknown_state',
        'body.locations.1.address.zip:unknown_zip',
        'body.locations.2.address.zip:zip_state_mismatch',
      ]),
    );
    expect(await counts()).toEqual(before);
  });

  it('a failure anywhere in the transaction leaves nothing half-written', async () => {
    const before = await counts();
    // Make the very last write (the timeline's location event) fail inside the database.
    await sql`CREATE FUNCTION test_fail_location_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.kind = 'location_added' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`.execute(db.db);
    await sql`CREATE TRIGGER test_fail BEFORE INSERT ON case_events FOR EACH ROW EXECUTE FUNCTION test_fail_location_event()`.execute(
      db.db,
    );
    try {
      const res = await post(callTaker, '/api/v1/intake', tip());
      expect(res.statusCode).toBe(500);
      expect(res.json().error.code).toBe('internal');
    } finally {
      await sql`DROP TRIGGER test_fail ON case_events`.execute(db.db);
      await sql`DROP FUNCTION test_fail_location_event()`.execute(db.db);
    }
    expect(await counts()).toEqual(before);
  });

  it('links a new subject to the person holding the same A-number and keeps the other spelling', async () => {
    const first = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        subjects: [
          {
            person: {
              givenNames: 'Wilmer',
              familyName1: 'Cux',
              dob: '1995-01-01',
              dobBasis: 'exact',
              identifiers: { aNumber: 'A-20345678' },
            },
          },
        ],
      }),
    );
    expect(first.statusCode, first.body).toBe(201);
    const second = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        subjects: [{ person: { givenNames: 'Wilmar', familyName1: 'Kux', dobBasis: 'unknown', identifiers: { aNumber: '020345678' } } }],
        case: { caseId: first.json().case.id },
      }),
    );
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().subjects[0]).toMatchObject({ created: false, linkedBy: 'a_number', personId: first.json().subjects[0].personId });
    expect(second.json().case).toMatchObject({ id: first.json().case.id, opened: false });
    const names = await db.db.selectFrom('person_names').selectAll().where('person_id', '=', first.json().subjects[0].personId).execute();
    expect(names.map((n) => `${n.kind}:${n.given_names} ${n.family_name_1}`)).toEqual(['spelling:Wilmar Kux']);
  });

  it('offers likely duplicates of a newly created person, with the evidence', async () => {
    const res = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        subjects: [
          {
            person: {
              givenNames: 'Ramon',
              familyName1: 'Huaman',
              familyName2: 'Quispe',
              dob: '1990-06-05',
              dobBasis: 'exact',
              sex: 'male',
            },
          },
        ],
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const candidates = res.json().subjects[0].candidates;
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates[0].evidence.join(' ')).toMatch(/swapped/i);
  });

  it('an anonymous report gets a callback code once and keeps no identity', async () => {
    const res = await post(callTaker, '/api/v1/intake', tip({ source: 'anonymous', reporter: {} }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().report.callbackCode).toMatch(/^\d{3}-\d{3}-\d{4}$/);
    const row = await db.db.selectFrom('reports').selectAll().where('id', '=', res.json().report.id).executeTakeFirstOrThrow();
    expect(row.callback_code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.reporter_name).toBeNull();
    const refused = await post(callTaker, '/api/v1/intake', tip({ source: 'anonymous' }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.issues[0].path).toBe('body.reporter');
  });

  it('unknown references are field errors: a person, a case, an agency', async () => {
    const res = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        source: 'partner_officer',
        reporter: { agencyOri: 'ZZ0000000' },
        subjects: [{ personId: '00000000-0000-4000-8000-000000000000' }],
        case: { caseId: '00000000-0000-4000-8000-000000000000' },
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .error.issues.map((i: { code: string }) => i.code)
        .sort(),
    ).toEqual(['unknown_agency', 'unknown_case', 'unknown_person']);
  });
});

describe('areas of responsibility in split states', () => {
  const cases: [Record<string, string>, string][] = [
    [{ zip: '78205' }, 'SNA'],
    [{ zip: '79901' }, 'ELP'],
    [{ zip: '77002' }, 'HOU'],
    [{ zip: '75201' }, 'DAL'],
    [{ city: 'Brownsville', state: 'Texas' }, 'HLG'],
    [{ county: 'Cameron County', state: 'TX' }, 'HLG'],
    [{ zip: '10001' }, 'NYC'],
    [{ zip: '90012' }, 'LOS'],
    [{ zip: '92101' }, 'SND'],
  ];
  for (const [address, office] of cases) {
    it(`${JSON.stringify(address)} → ${office}`, async () => {
      const res = await post(callTaker, '/api/v1/intake', tip({ locations: [{ subject: 0, address }] }));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().locations[0].aorOfficeCode).toBe(office);
    });
  }
});

describe('cases', () => {
  let caseId: string;
  let version: number;

  beforeAll(async () => {
    const res = await post(
      callTaker,
      '/api/v1/intake',
      tip({ case: { open: { type: 'general_tip', summary: 'Tip about a blue truck' } } }),
    );
    caseId = res.json().case.id;
  });

  it('reads a case with its subjects, reports, locations and timeline; reporter identity by viewer', async () => {
    const asCallTaker = await get(callTaker, `/api/v1/cases/${caseId}`);
    expect(asCallTaker.statusCode, asCallTaker.body).toBe(200);
    const view = asCallTaker.json();
    expect(view.subjects).toHaveLength(1);
    expect(view.locations[0]).toMatchObject({ precision: 'zip', aorOfficeCode: 'HLG', verified: null });
    expect(view.timeline.map((e: { kind: string }) => e.kind)).toEqual(['opened', 'report_added', 'subject_added', 'location_added']);
    expect(view.reports[0].reporter).toMatchObject({ name: 'Synthetic Caller', phone: '+16155550199' });
    // Analysts have no reporter:identity: they see what was said, not who said it.
    const asAnalyst = await get(analyst, `/api/v1/cases/${caseId}`);
    expect(asAnalyst.json().reports[0].reporter).toBeUndefined();
    expect(asAnalyst.body).not.toContain('Synthetic Caller');
    version = view.version;
  });

  it('moves through the workflow: closing needs a reason, stale versions are refused', async () => {
    const patch = (payload: Body) => t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: analyst.headers, payload });
    const triage = await patch({ version, status: 'triage' });
    expect(triage.statusCode, triage.body).toBe(200);
    const stale = await patch({ version, status: 'active' });
    expect(stale.statusCode).toBe(409);
    const current = triage.json().version;
    const noReason = await patch({ version: current, status: 'closed' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.issues[0].code).toBe('reason_required');
    const toReferred = await patch({ version: current, status: 'referred' });
    expect(toReferred.statusCode).toBe(400);
    const closed = await patch({ version: current, status: 'closed', reason: 'unsubstantiated' });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', statusReason: 'unsubstantiated' });
    const reopened = await patch({ version: closed.json().version, status: 'triage', reason: 'New information from a second caller' });
    expect(reopened.statusCode, reopened.body).toBe(200);
    const kinds = reopened.json().timeline.map((e: { kind: string }) => e.kind);
    expect(kinds.filter((k: string) => k === 'status_changed')).toHaveLength(3);
    const badOffice = await patch({ version: reopened.json().version, aorOfficeCode: 'ZZZ', aorReason: 'typo test' });
    expect(badOffice.statusCode).toBe(422);
  });

  it('finds cases by phone, address, area and subject name, paginated', async () => {
    const byPhone = await get(callTaker, '/api/v1/cases?phone=615-555-0142');
    expect(byPhone.statusCode, byPhone.body).toBe(200);
    expect(byPhone.json().cases.map((c: { id: string }) => c.id)).toContain(caseId);
    const byReporterPhone = await get(callTaker, '/api/v1/cases?phone=6155550199');
    expect(byReporterPhone.json().total).toBeGreaterThan(0);
    // Without reporter:identity, a reporter's phone finds nothing.
    const analystByReporter = await get(analyst, '/api/v1/cases?phone=6155550199');
    expect(analystByReporter.json().total).toBe(0);
    const byAddress = await get(analyst, '/api/v1/cases?address=synthetic%20way&pageSize=2');
    expect(byAddress.json().cases).toHaveLength(2);
    expect(byAddress.json().total).toBeGreaterThan(2);
    const byName = await get(analyst, `/api/v1/cases?q=${encodeURIComponent('ramon quispe')}&aor=HLG`);
    expect(byName.json().cases.map((c: { id: string }) => c.id)).toContain(caseId);
    const bad = await get(analyst, '/api/v1/cases?phone=abc');
    expect(bad.statusCode).toBe(400);
  });

  it('a UAC case does not exist for staff outside the unit, and the attempt is audited', async () => {
    const res = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        subjects: [{ person: { givenNames: 'Niña', familyName1: 'Sintética', dob: '2013-02-02', dobBasis: 'estimated' }, role: 'child' }],
        case: { open: { type: 'uac_location', priority: 'high', summary: 'Child seen without an adult' } },
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().case.id;
    const noPurpose = await get(uac, `/api/v1/cases/${id}`);
    expect(noPurpose.statusCode).toBe(400);
    expect(noPurpose.json().error.code).toBe('purpose_required');
    expect(
      (await get(uac, `/api/v1/cases/${id}?purposeCode=welfare_check&purpose=${encodeURIComponent('Checking the child is safe tonight')}`))
        .statusCode,
    ).toBe(200);
    const hidden = await get(analyst, `/api/v1/cases/${id}`);
    expect(hidden.statusCode).toBe(404);
    const denied = await db.db
      .selectFrom('audit_events')
      .selectAll()
      .where('resource_id', '=', id)
      .where('outcome', '=', 'denied')
      .execute();
    expect(denied.map((e) => [e.action, e.actor_id])).toEqual([
      ['case.read', uac.userId],
      ['case.read', analyst.userId],
    ]);
    const list = await get(analyst, '/api/v1/cases?type=uac_location');
    expect(list.json().total).toBe(0);
    expect((await get(admin, `/api/v1/cases/${id}`)).statusCode).toBe(403);
  });

  it('follow-ups become ACD work items', async () => {
    const res = await post(analyst, `/api/v1/cases/${caseId}/follow-ups`, { note: 'Call the reporter back tomorrow' });
    expect(res.statusCode, res.body).toBe(201);
    const task = t.routing.engine.task(res.json().taskId);
    expect(task?.attributes).toMatchObject({ caseId, followUp: true });
  });

  it('attachments are stored by content, typed by content, and checked on the way out', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
    const upload = (content: Buffer, name = 'photo.png') =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${caseId}/attachments?filename=${name}`,
        headers: { ...analyst.headers, 'content-type': 'application/octet-stream' },
        payload: content,
      });
    const res = await upload(png);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ mediaType: 'image/png', sizeBytes: png.length, scanStatus: 'not_scanned' });
    const again = await upload(png, 'same.png');
    expect(again.json().sha256).toBe(res.json().sha256);
    const exe = await upload(Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00]), 'tool.exe');
    expect(exe.statusCode).toBe(415);
    const download = await t.app.inject({
      method: 'GET',
      url: `/api/v1/attachments/${res.json().id}/content`,
      headers: { cookie: analyst.cookie },
    });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('image/png');
    expect(download.rawPayload.equals(png)).toBe(true);
  });
});

describe('person search by identifier, phone, address and area', () => {
  it('finds people by another identifier, by phone, by address and by area; filters narrow a name search', async () => {
    const saved = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        subjects: [
          {
            person: {
              givenNames: 'Delfina',
              familyName1: 'Ajanel',
              // An adult: a person of unknown age would be listed without her identity unless a purpose is stated.
              dob: '1991-02-03',
              dobBasis: 'exact',
              phones: ['+502 5555 0101'],
              identifiers: { passport: { value: 'P-99887766', country: 'GT' } },
            },
          },
        ],
        locations: [{ subject: 0, address: { line1: '42 Synthetic Orchard Rd', zip: '79901' } }],
      }),
    );
    expect(saved.statusCode, saved.body).toBe(201);
    const id = saved.json().subjects[0].personId;
    const ids = async (qs: string) => {
      const res = await get(analyst, `/api/v1/persons?${qs}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().persons.map((p: { id: string }) => p.id);
    };
    const byPassport = await get(analyst, '/api/v1/persons?q=p99887766');
    expect(byPassport.json().persons[0]).toMatchObject({
      id,
      match: { verdict: 'likely', evidence: [{ explanation: 'passport number equal' }] },
    });
    expect(await ids('phone=%2B50255550101')).toEqual([id]);
    expect(await ids('address=orchard')).toEqual([id]);
    expect(await ids('aor=ELP&limit=50')).toContain(id);
    expect(await ids('q=delfina%20ajanel&aor=ELP')).toEqual([id]);
    expect(await ids('q=delfina%20ajanel&aor=HLG')).toEqual([]);
    const nothing = await get(analyst, '/api/v1/persons');
    expect(nothing.statusCode).toBe(400);
    const badPhone = await get(analyst, '/api/v1/persons?phone=xyz');
    expect(badPhone.json().error.issues[0]).toMatchObject({ path: 'query.phone', code: 'invalid_phone' });
  });
});

describe('merge and unmerge', () => {
  it('merges a duplicate keeping both records, reads them together, and undoes it — all in the history and the audit', async () => {
    const a = await post(
      callTaker,
      '/api/v1/intake',
      tip({ subjects: [{ person: { givenNames: 'Edgar', familyName1: 'Tzul', dob: '1984-03-02', dobBasis: 'exact', sex: 'male' } }] }),
    );
    const b = await post(
      callTaker,
      '/api/v1/intake',
      tip({
        subjects: [
          {
            person: {
              givenNames: 'Edgar',
              familyName1: 'Tzul',
              dob: '1984-02-03',
              dobBasis: 'exact',
              sex: 'male',
              identifiers: { orrCaseNumber: '12345678' },
            },
          },
        ],
        locations: [{ subject: 0, address: { zip: '77002' } }],
      }),
    );
    const survivor = a.json().subjects[0].personId;
    const duplicate = b.json().subjects[0].personId;
    const dupes = await get(analyst, `/api/v1/persons/${survivor}/duplicates`);
    expect(dupes.json().persons.map((p: { id: string }) => p.id)).toContain(duplicate);

    expect((await post(callTaker, `/api/v1/persons/${survivor}/merge`, { mergeId: duplicate, reason: 'same person' })).statusCode).toBe(
      403,
    );
    const merged = await post(analyst, `/api/v1/persons/${survivor}/merge`, {
      mergeId: duplicate,
      reason: 'Same name, DOB day and month swapped',
    });
    expect(merged.statusCode, merged.body).toBe(200);
    const view = (await get(analyst, `/api/v1/persons/${survivor}`)).json();
    expect(view.locations.map((l: { aorOfficeCode: string }) => l.aorOfficeCode).sort()).toEqual(['HLG', 'HOU']);
    expect(view.otherNames.map((n: { kind: string }) => n.kind)).toContain('merged_record');
    expect(view.identifiers.others).toEqual([{ kind: 'orr_case_number', value: '12345678', issuer: null }]);
    expect(view.cases).toHaveLength(2);
    const mergedView = (await get(analyst, `/api/v1/persons/${duplicate}`)).json();
    expect(mergedView.mergedInto).toBe(survivor);
    // Searching finds the survivor, never the merged record on its own.
    const hits = (await get(analyst, `/api/v1/persons?q=edgar%20tzul&dob=1984-02-03`)).json().persons.map((p: { id: string }) => p.id);
    expect(hits).toContain(survivor);
    expect(hits).not.toContain(duplicate);
    // A second merge of the same record is refused.
    expect((await post(analyst, `/api/v1/persons/${survivor}/merge`, { mergeId: duplicate, reason: 'again' })).statusCode).toBe(409);

    const undone = await post(analyst, `/api/v1/persons/${duplicate}/unmerge`, { reason: 'Different fathers named on the ORR file' });
    expect(undone.statusCode, undone.body).toBe(200);
    const after = (await get(analyst, `/api/v1/persons/${survivor}`)).json();
    expect(after.locations.map((l: { aorOfficeCode: string }) => l.aorOfficeCode)).toEqual(['HLG']);
    expect(after.merges).toEqual([
      expect.objectContaining({ survivorId: survivor, mergedId: duplicate, undoReason: 'Different fathers named on the ORR file' }),
    ]);
    // The search table follows the survivor's keys (a trigger keeps person_keys in step with match_keys).
    const keysNow = await db.db.selectFrom('persons').select('match_keys').where('id', '=', survivor).executeTakeFirstOrThrow();
    const filed = await db.db.selectFrom('person_keys').select('key').where('person_id', '=', survivor).execute();
    expect(filed.map((k) => k.key).sort()).toEqual([...new Set(keysNow.match_keys)].sort());
    const restored = (await get(analyst, `/api/v1/persons/${duplicate}`)).json();
    expect(restored.mergedInto).toBeNull();
    expect(restored.locations).toHaveLength(1);
    const audit = await db.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'in', ['person.merge', 'person.unmerge'])
      .execute();
    expect(audit.map((e) => e.action)).toEqual(['person.merge', 'person.unmerge']);
    const timeline = (await get(analyst, `/api/v1/cases/${a.json().case.id}`)).json().timeline.map((e: { kind: string }) => e.kind);
    expect(timeline).toEqual(expect.arrayContaining(['persons_merged', 'persons_unmerged']));
  });

  it('refuses to merge records with different A-numbers', async () => {
    const a = await post(
      callTaker,
      '/api/v1/intake',
      tip({ subjects: [{ person: { givenNames: 'Iris', familyName1: 'Coj', identifiers: { aNumber: 'A200000001' } } }] }),
    );
    const b = await post(
      callTaker,
      '/api/v1/intake',
      tip({ subjects: [{ person: { givenNames: 'Iris', familyName1: 'Coj', identifiers: { aNumber: 'A200000002' } } }] }),
    );
    const res = await post(analyst, `/api/v1/persons/${a.json().subjects[0].personId}/merge`, {
      mergeId: b.json().subjects[0].personId,
      reason: 'looks the same',
    });
    expect(res.statusCode).toBe(409);
  });
});
