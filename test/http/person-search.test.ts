import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchFields } from '../../src/domain/matching/blocking.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let analyst: SignedIn;
let callTaker: SignedIn;
const ids: Record<string, string> = {};

type Seed = {
  key: string;
  given: string;
  f1: string;
  f2?: string;
  dob?: string;
  basis?: 'exact' | 'estimated';
  sex: 'female' | 'male';
  a?: string;
};
const people: Seed[] = [
  { key: 'maria', given: 'María', f1: 'Hernández', f2: 'López', dob: '2010-03-04', sex: 'female', a: '201234567' },
  { key: 'maria-copy', given: 'MARIA', f1: 'Lopez', f2: 'Hernandes', dob: '2010-04-03', sex: 'female' },
  { key: 'jose', given: 'José Luis', f1: 'González', f2: 'Batz', dob: '1988-07-21', sex: 'male', a: '209876543' },
  { key: 'other', given: 'Carlos', f1: 'Xicará', dob: '1975-11-30', sex: 'male' },
];

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  analyst = await enrollAs(t, 'analyst');
  callTaker = await enrollAs(t, 'call_taker');
  for (const p of people) {
    const row = await db.db
      .insertInto('persons')
      .values({
        ...searchFields({
          givenNames: p.given,
          familyName1: p.f1,
          familyName2: p.f2 ?? null,
          dob: p.dob ?? null,
          dobBasis: p.dob ? (p.basis ?? 'exact') : 'unknown',
        }),
        given_names: p.given,
        family_name_1: p.f1,
        family_name_2: p.f2 ?? null,
        dob: p.dob ?? null,
        dob_basis: p.dob ? (p.basis ?? 'exact') : 'unknown',
        sex: p.sex,
        a_number: p.a ?? null,
        synthetic: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids[p.key] = row.id;
  }
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

/** María (born 2010) is a child: her identity in a hit needs a stated purpose. */
const PURPOSE = `&purposeCode=case_work&purpose=${encodeURIComponent('checking whether the caller means this child')}`;
const search = (who: SignedIn, q: string, extra = '') =>
  t.app.inject({ method: 'GET', url: `/api/v1/persons?q=${encodeURIComponent(q)}${extra}`, headers: { cookie: who.cookie } });

describe('person search', () => {
  it('finds by name through accents, case, spelling and order, best first, with the evidence', async () => {
    const res = await search(analyst, 'maria hernandez lopez', PURPOSE);
    expect(res.statusCode, res.body).toBe(200);
    const hits = res.json().persons;
    expect(hits.map((h: { id: string }) => h.id).slice(0, 2)).toEqual([ids.maria, ids['maria-copy']]);
    expect(hits[0].match.evidence.map((e: { feature: string }) => e.feature)).toEqual(
      expect.arrayContaining(['family_equal', 'given_equal']),
    );
    expect(hits[1].match.evidence.map((e: { feature: string }) => e.feature)).toContain('family_swapped');
    expect(hits.some((h: { id: string }) => h.id === ids.other)).toBe(false);
  });

  it('finds by A-number in any common writing, and by nickname', async () => {
    const byA = (await search(analyst, 'A-209 876 543')).json().persons;
    expect(byA).toHaveLength(1);
    expect(byA[0].id).toBe(ids.jose);
    const nick = (await search(analyst, 'Pepe Gonzales')).json().persons;
    expect(nick[0].id).toBe(ids.jose);
    expect(nick[0].match.evidence.map((e: { feature: string }) => e.feature)).toEqual(expect.arrayContaining(['given_nickname']));
  });

  it('shows identifiers only to viewers who may see them, and finds by identifier only for them', async () => {
    // A call taker (no person:identifiers) cannot use an A-number to confirm who holds it.
    const asCallTaker = await search(callTaker, 'A201234567');
    expect(asCallTaker.json().persons.map((p: { id: string }) => p.id)).not.toContain(ids.maria);
    const byName = (await search(callTaker, 'maria hernandez lopez', PURPOSE)).json().persons[0];
    expect(byName.identifiers).toBeUndefined();
    expect(JSON.stringify(byName)).not.toContain('201234567');
    const asAnalyst = (await search(analyst, 'A201234567', PURPOSE)).json().persons[0];
    expect(asAnalyst.identifiers).toEqual({ aNumber: '201234567' });
  });

  it('lists a child without a purpose only as a child: no name, no date of birth, no evidence that quotes them', async () => {
    const res = await search(analyst, 'maria hernandez lopez');
    expect(res.statusCode, res.body).toBe(200);
    const hits: { id: string; restricted: boolean; givenNames: string | null; dob: string | null; isMinor: unknown }[] = res.json().persons;
    const maria = hits.find((h) => h.id === ids.maria);
    expect(maria).toMatchObject({ restricted: true, givenNames: null, dob: null, isMinor: true });
    expect(res.body).not.toContain('2010-03-04');
    expect(res.body).not.toMatch(/Hern[aá]nd/);
    // An adult in the same results is shown in full.
    const jose = (await search(analyst, 'jose luis gonzalez')).json().persons[0];
    expect(jose).toMatchObject({ id: ids.jose, restricted: false, givenNames: 'José Luis', dob: '1988-07-21' });
    // A purpose that says nothing a reviewer can read is refused, not ignored.
    const vague = await search(analyst, 'maria hernandez lopez', '&purposeCode=case_work&purpose=aaaaaaaaaaaa');
    expect(vague.statusCode).toBe(400);
    // With a purpose: shown, and the search's audit carries it.
    expect((await search(analyst, 'maria hernandez lopez', PURPOSE)).json().persons[0]).toMatchObject({
      restricted: false,
      givenNames: 'María',
    });
    const audited = await db.db
      .selectFrom('audit_events')
      .select(['purpose', 'details'])
      .where('action', '=', 'person.search')
      .orderBy('inbox_id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audited.purpose).toContain('checking whether the caller means this child');
    expect(audited.details).toMatchObject({ minorRecord: true, purposeCode: 'case_work' });
  });

  it('audits every search with what was searched for', async () => {
    const rows = await db.db
      .selectFrom('audit_events')
      .select(['details'])
      .where('action', '=', 'person.search')
      .where('actor_id', '=', analyst.userId)
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.map((r) => JSON.stringify(r.details)).join(' ')).toContain('maria hernandez lopez');
  });

  it('refuses an empty search and lists duplicates with their evidence', async () => {
    expect((await search(analyst, '--')).statusCode).toBe(400);
    // A list about a child asks for a purpose first, and the refusal is audited naming the child's record.
    const refused = await t.app.inject({
      method: 'GET',
      url: `/api/v1/persons/${ids.maria}/duplicates`,
      headers: { cookie: analyst.cookie },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('purpose_required');
    expect(refused.body).not.toContain('Lopez');
    const denial = await db.db
      .selectFrom('audit_events')
      .select(['outcome', 'resource_id', 'details'])
      .where('action', '=', 'person.duplicates')
      .orderBy('inbox_id', 'desc')
      .executeTakeFirstOrThrow();
    expect(denial).toMatchObject({
      outcome: 'denied',
      resource_id: ids.maria,
      details: expect.objectContaining({ rule: 'purpose_required' }),
    });
    const dups = await t.app.inject({
      method: 'GET',
      url: `/api/v1/persons/${ids.maria}/duplicates?${PURPOSE.slice(1)}`,
      headers: { cookie: analyst.cookie },
    });
    expect(dups.statusCode).toBe(200);
    const found = dups.json().persons;
    expect(found.map((h: { id: string }) => h.id)).toEqual([ids['maria-copy']]);
    expect(found[0].match.evidence.map((e: { feature: string }) => e.feature)).toEqual(
      expect.arrayContaining(['family_swapped', 'dob_swapped']),
    );
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/v1/persons/00000000-0000-4000-8000-000000000000/duplicates',
      headers: { cookie: analyst.cookie },
    });
    expect(missing.statusCode).toBe(404);
  });
});
