import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/services/csv-reader.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;
let analyst: SignedIn;
let partner: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  admin = await enrollAs(t, 'admin');
  analyst = await enrollAs(t, 'analyst');
  partner = await enrollAs(t, 'partner_officer', { agencyOri: 'TX1430300' });
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const body = (over: Record<string, unknown> = {}) => ({
  ori: 'NM0010000',
  name: 'Synthetic County Sheriff',
  type: 'sheriff',
  county: 'Doña Ana',
  agreementModel: 'jail_enforcement',
  agreementStatus: 'active',
  agreementEffective: '2026-01-01',
  contacts: [{ name: 'Synthetic Liaison', email: 'liaison@example.org' }],
  ...over,
});

describe('the agency registry', () => {
  it('admins add and change agencies; every rule broken is reported', async () => {
    const added = await t.app.inject({ method: 'POST', url: '/api/v1/agencies', headers: admin.headers, payload: body() });
    expect(added.statusCode, added.body).toBe(201);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/agencies', headers: admin.headers, payload: body() })).statusCode).toBe(409);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agencies',
      headers: admin.headers,
      payload: body({ ori: 'ZZ1234567', agreementEffective: '2026-05-01', agreementEnd: '2026-01-01' }),
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.issues.map((i: { code: string }) => i.code)
        .sort(),
    ).toEqual(['before_start', 'invalid_ori']);
    const changed = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/agencies/NM0010000',
      headers: admin.headers,
      payload: { ...body(), ori: undefined, agreementStatus: 'suspended' },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/agencies?state=NM', headers: { cookie: analyst.cookie } });
    expect(list.json().agencies).toEqual([
      expect.objectContaining({
        ori: 'NM0010000',
        agreement: expect.objectContaining({
          status: 'suspended',
          permittedSubmissions: ['encounter', 'hit_confirmation_request', 'uac_concern'],
        }),
      }),
    ]);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/agencies', headers: analyst.headers, payload: body({ ori: 'NM0020000' }) }))
        .statusCode,
    ).toBe(403);
    // A partner officer sees only their own agency.
    const own = await t.app.inject({ method: 'GET', url: '/api/v1/agencies', headers: { cookie: partner.cookie } });
    expect(own.json().agencies.map((a: { ori: string }) => a.ori)).toEqual(['TX1430300']);
  });

  it('imports a CSV row by row: good rows saved, bad rows reported with their problems', async () => {
    const csv = [
      'ori,name,type,county,agreement_model,agreement_status,agreement_effective,agreement_end,contact_name,contact_email,contact_phone',
      'AZ0070000,"Synthetic Police, City of Example",police,,task_force,active,2025-07-01,,,,',
      'AZ0080000,Synthetic Jail,corrections,Pima,jail_enforcement,pending,2026-02-01,2027-02-01,"Ops ""Desk""",ops@example.org,+15205550100',
      'XX0090000,Bad State,police,,task_force,active,2025-01-01,,,,',
      'AZ0100000,Bad Model,police,,deputies,active,not-a-date,,,,',
      'AZ0070000,Duplicate Row,police,,task_force,active,2025-07-01,,,,',
      'NM0010000,Synthetic County Sheriff,sheriff,Doña Ana,jail_enforcement,active,2026-01-01,,,,',
    ].join('\r\n');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agencies/import',
      headers: { ...admin.headers, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ added: 2, updated: 1, errors: 3 });
    expect(report.rows.map((r: { row: number; result: string }) => `${r.row}:${r.result}`)).toEqual([
      '2:added',
      '3:added',
      '4:error',
      '5:error',
      '6:error',
      '7:updated',
    ]);
    expect(report.rows[3].issues.map((i: { code: string }) => i.code).sort()).toEqual(['invalid_date', 'invalid_model']);
    const jail = await db.db.selectFrom('agencies').selectAll().where('ori', '=', 'AZ0080000').executeTakeFirstOrThrow();
    expect(jail.contacts).toEqual([{ name: 'Ops "Desk"', email: 'ops@example.org', phone: '+15205550100' }]);
    const missing = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agencies/import',
      headers: { ...admin.headers, 'content-type': 'text/csv' },
      payload: 'ori,name\nAZ1,x',
    });
    expect(missing.statusCode).toBe(400);
  });

  it('reads RFC 4180 CSV: quotes, doubled quotes, commas and line breaks inside fields; blank lines are no records', async () => {
    const text = '\uFEFFa,b\r\n"x, y","he said ""hi""\nthen left"\n\n , \r\nlast,row';
    expect(await readCsv(text, { maxBytes: 1_000, keepRecords: 10 })).toEqual({
      text,
      records: [
        ['a', 'b'],
        ['x, y', 'he said "hi"\nthen left'],
        ['last', 'row'],
      ],
      recordCount: 3,
    });
    // Records past those kept are counted, not kept; a quote never closed, or too much input, is refused.
    expect(await readCsv('a\nb\nc\nd\n', { maxBytes: 1_000, keepRecords: 2 })).toMatchObject({ records: [['a'], ['b']], recordCount: 4 });
    await expect(readCsv('a,b\n"never closed,x\n', { maxBytes: 1_000, keepRecords: 10 })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ path: 'body', code: 'csv_malformed', message: 'a quoted field is never closed (line 2)' }] },
    });
    await expect(readCsv('a,b\n1,2\n', { maxBytes: 5, keepRecords: 10 })).rejects.toMatchObject({ code: 'payload_too_large' });
  });

  it('an import is read as it arrives: too large, malformed and header-only files are refused, saying why', async () => {
    const post = (payload: string, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/agencies/import',
        headers: { ...admin.headers, 'content-type': 'text/csv', ...headers },
        payload,
      });
    const header =
      'ori,name,type,county,agreement_model,agreement_status,agreement_effective,agreement_end,contact_name,contact_email,contact_phone';
    const tooLarge = await post(`${header}\r\n${'x'.repeat(5_000_001)}`);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.code).toBe('payload_too_large');
    const malformed = await post(`${header}\r\n"AZ0110000,unclosed`);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.issues[0].code).toBe('csv_malformed');
    const tooMany = await post(
      [
        header,
        ...Array.from({ length: 5_001 }, (_, i) => `AZ${String(i).padStart(7, '0')},A,police,,task_force,active,2025-01-01,,,,`),
      ].join('\n'),
    );
    expect(tooMany.statusCode).toBe(413);
    // Nothing of those was saved.
    expect(await db.db.selectFrom('agencies').select('ori').where('ori', 'in', ['AZ0110000', 'AZ0000001']).execute()).toEqual([]);
    // Only a partner officer's own agency, and only for admins: the guard refuses before anything is saved.
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/agencies/import',
          headers: { ...analyst.headers, 'content-type': 'text/csv' },
          payload: `${header}\r\n`,
        })
      ).statusCode,
    ).toBe(403);
  });
});
