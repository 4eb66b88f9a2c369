import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_XML_ATTRIBUTES, MAX_XML_BYTES, MAX_XML_ELEMENTS } from '../../src/http/xml-submission.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The text rules of src/contracts/common.ts at the HTTP edge: what is refused
 * (400 with a code, never a 500), what is normalised (NFC, said in the API
 * description), and that what is stored is what the caller sent.
 */

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;
let agent: SignedIn;
let token: string;

const TASK_FORCE = 'TX0312100';

beforeAll(async () => {
  db = await createTestDatabase();
  await loadTestAgencies(db);
  t = await buildTestApp(db);
  admin = await enrollAs(t, 'admin');
  agent = await enrollAs(t, 'call_taker');
  const client = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/partner-clients',
    headers: admin.headers,
    payload: { agencyOri: TASK_FORCE, name: 'RMS', scopes: ['submissions:write', 'submissions:read'] },
  });
  expect(client.statusCode).toBe(201);
  const { clientId } = client.json().client;
  const issued = await t.app.inject({
    method: 'POST',
    url: '/api/partner/v1/oauth/token',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${client.json().clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: 'grant_type=client_credentials',
  });
  expect(issued.statusCode).toBe(200);
  token = issued.json().access_token;
});
afterAll(async () => {
  await t.app.close();
  await db.drop();
});

type Issue = { path: string; code: string };
const issuesOf = (body: string): Issue[] => (JSON.parse(body) as { error: { issues?: Issue[] } }).error.issues ?? [];

const submission = (subject: Record<string, unknown> = {}) => ({
  type: 'location_report',
  occurredAt: '2026-11-29T08:30:00-06:00',
  officer: { name: 'Deputy Synthetic', badge: 'S-104' },
  narrative: 'Subject seen at this address during a traffic stop.',
  subject: { givenNames: 'Rogelio', familyName1: 'Sintético', dob: '1985-04-04', dobBasis: 'claimed', ...subject },
  location: { line1: '900 Synthetic Blvd', zip: '78520' },
});

const submit = (payload: string | Buffer, type = 'application/json') =>
  t.app.inject({
    method: 'POST',
    url: '/api/partner/v1/submissions',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    payload,
  });

const storedSubject = async (id: string) => {
  const row = await db.db.selectFrom('partner_submissions').select('payload').where('id', '=', id).executeTakeFirstOrThrow();
  return (row.payload as { subject: Record<string, unknown> }).subject;
};

describe('refused input is a 400 with a code, never a 500', () => {
  it('a NUL in a JSON string, even in an anonymous sign-in', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":"a\\u0000b","password":"whatever-it-is"}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(issuesOf(res.body)).toEqual([expect.objectContaining({ path: 'body.username', code: 'text_nul' })]);
  });

  it('a NUL in a field name, and in a draft nested inside free-form data', async () => {
    const key = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/intake/drafts/task-1',
      headers: { ...agent.headers, 'content-type': 'application/json' },
      payload: '{"form":"public_tip","version":null,"data":{"a\\u0000":"x","b":{"c":["\\u0000"]}}}',
    });
    expect(key.statusCode).toBe(400);
    expect(issuesOf(key.body).map((i) => [i.path, i.code])).toEqual([
      ['body.data.a\\u0000', 'text_nul'],
      ['body.data.b.c.0', 'text_nul'],
    ]);
  });

  it('a NUL, a bad escape or an encoded surrogate in a query value', async () => {
    const cases: [string, string][] = [
      ['limit=%00', 'text_nul'],
      ['limit=%FF', 'invalid_encoding'],
      ['limit=%ED%A0%80', 'invalid_encoding'],
      ['status=%E2%80%AE', 'text_bidi_control'],
    ];
    for (const [query, code] of cases) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/partner/v1/submissions?${query}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode, query).toBe(400);
      expect(
        issuesOf(res.body).map((i) => i.code),
        query,
      ).toContain(code);
    }
  });

  it('a NUL in a path parameter', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/intake/drafts/a%00b', headers: agent.headers });
    expect(res.statusCode).toBe(400);
    expect(issuesOf(res.body)).toEqual([expect.objectContaining({ path: 'params.key', code: 'text_nul' })]);
  });

  it('lone surrogates in partner JSON (escaped) and in UTF-8 bytes (CESU-8) alike', async () => {
    const escaped = await submit(JSON.stringify(submission({ givenNames: 'Ro\uD800gelio' })));
    expect(escaped.statusCode).toBe(400);
    expect(issuesOf(escaped.body)).toEqual([expect.objectContaining({ path: 'body.subject.givenNames', code: 'text_lone_surrogate' })]);
    const text = JSON.stringify(submission({ givenNames: 'RoXgelio' }));
    const bytes = Buffer.from(text);
    const at = bytes.indexOf('X');
    const cesu = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xed, 0xa0, 0x80]), bytes.subarray(at + 1)]);
    const raw = await submit(cesu);
    expect(raw.statusCode).toBe(400);
    expect(issuesOf(raw.body)).toEqual([expect.objectContaining({ path: 'body', code: 'invalid_encoding' })]);
  });

  it('JSON bytes that are not UTF-8 are refused, not stored as U+FFFD', async () => {
    const latin1 = Buffer.from(JSON.stringify(submission({ familyName1: 'José' })), 'latin1');
    const res = await submit(latin1);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('malformed_request');
    expect(issuesOf(res.body)).toEqual([expect.objectContaining({ code: 'invalid_encoding' })]);
    const charset = await submit(JSON.stringify(submission()), 'application/json; charset=iso-8859-1');
    expect(charset.statusCode).toBe(415);
  });

  it('draft data nested 10,000 deep, and just past the limit of 32', async () => {
    let deep = '1';
    for (let i = 0; i < 10_000; i++) deep = `{"a":${deep}}`;
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/intake/drafts/task-2',
      headers: { ...agent.headers, 'content-type': 'application/json' },
      payload: `{"form":"public_tip","version":null,"data":${deep}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(issuesOf(res.body)).toEqual([expect.objectContaining({ path: 'body', code: 'too_deep' })]);
    const nest = (n: number) => {
      let value = '"x"';
      for (let i = 0; i < n; i++) value = `{"a":${value}}`;
      return `{"form":"public_tip","version":null,"data":${value}}`;
    };
    const put = (payload: string) =>
      t.app.inject({
        method: 'PUT',
        url: '/api/v1/intake/drafts/task-3',
        headers: { ...agent.headers, 'content-type': 'application/json' },
        payload,
      });
    expect((await put(nest(30))).statusCode).toBe(200);
    expect((await put(nest(32))).statusCode).toBe(400);
  });

  it('bidirectional override, embedding and isolate controls in names', async () => {
    for (const control of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069']) {
      const res = await submit(JSON.stringify(submission({ familyName1: `Perez${control}zereP` })));
      expect(res.statusCode).toBe(400);
      expect(issuesOf(res.body)).toEqual([expect.objectContaining({ path: 'body.subject.familyName1', code: 'text_bidi_control' })]);
    }
    // Right-to-left text itself, and the invisible marks U+200E/U+200F, are names like any other.
    const arabic = await submit(JSON.stringify(submission({ familyName1: 'حداد\u200F' })));
    expect(arabic.statusCode).toBe(202);
    expect((await storedSubject(arabic.json().id)).familyName1).toBe('حداد\u200F');
  });
});

describe('what is stored is what was sent, or its NFC form as the API says', () => {
  it('a name in decomposed form (e + U+0301) is stored composed (NFC), and the API description says so', async () => {
    const res = await submit(JSON.stringify(submission({ familyName1: 'Jose\u0301' })));
    expect(res.statusCode).toBe(202);
    expect((await storedSubject(res.json().id)).familyName1).toBe('Jos\u00e9');
    const doc = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(doc.json().info.description).toContain('NFC');
  });

  it('an empty body with a JSON content type is no body (DELETE)', async () => {
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/intake/drafts/task-9',
      headers: { ...agent.headers, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('XML encodings', () => {
  const xml = (encoding: string | undefined, name: string) =>
    `<?xml version="1.0"${encoding ? ` encoding="${encoding}"` : ''}?>
<PartnerSubmission xmlns="urn:switchboard:partner:1">
  <SubmissionCategoryCode>location_report</SubmissionCategoryCode>
  <ActivityDateTime>2026-11-29T08:30:00-06:00</ActivityDateTime>
  <ReportingOfficer><PersonFullName>Deputy Synthetic</PersonFullName><OfficerBadgeIdentification>S-104</OfficerBadgeIdentification></ReportingOfficer>
  <ActivityDescriptionText>Seen at this address.</ActivityDescriptionText>
  <SubjectPerson><PersonGivenName>Rogelio</PersonGivenName><PersonSurName>${name}</PersonSurName>
    <PersonBirthDate>1985-04-04</PersonBirthDate><PersonBirthDateBasisCode>claimed</PersonBirthDateBasisCode></SubjectPerson>
  <Location><LocationStreet>1 XML Way</LocationStreet><LocationPostalCode>78520</LocationPostalCode></Location>
</PartnerSubmission>`;

  it('honours an ISO-8859-1 declaration: José sent in Latin-1 is stored as José', async () => {
    const declared = await submit(Buffer.from(xml('ISO-8859-1', 'José'), 'latin1'), 'application/xml');
    expect(declared.statusCode, declared.body).toBe(202);
    expect((await storedSubject(declared.json().id)).familyName1).toBe('José');
    const byCharset = await submit(Buffer.from(xml(undefined, 'José'), 'latin1'), 'application/xml; charset=ISO-8859-1');
    expect(byCharset.statusCode, byCharset.body).toBe(202);
    expect((await storedSubject(byCharset.json().id)).familyName1).toBe('José');
    const utf8 = await submit(Buffer.from(xml('UTF-8', 'José')), 'application/xml');
    expect(utf8.statusCode).toBe(202);
    expect((await storedSubject(utf8.json().id)).familyName1).toBe('José');
  });

  it('refuses Latin-1 bytes that claim to be UTF-8, an encoding it does not read, and a charset that contradicts the declaration', async () => {
    const cases: [Buffer, string, string][] = [
      [Buffer.from(xml(undefined, 'José'), 'latin1'), 'application/xml', 'invalid_encoding'],
      [Buffer.from(xml('UTF-8', 'José'), 'latin1'), 'application/xml', 'invalid_encoding'],
      [Buffer.from(xml('windows-1252', 'José'), 'latin1'), 'application/xml', 'xml_encoding_unsupported'],
      [Buffer.from(xml('Shift_JIS', 'Jose'), 'latin1'), 'application/xml', 'xml_encoding_unsupported'],
      [Buffer.from(xml('ISO-8859-1', 'José'), 'latin1'), 'application/xml; charset=utf-8', 'xml_encoding_conflict'],
      [Buffer.from(xml('US-ASCII', 'José'), 'latin1'), 'application/xml', 'invalid_encoding'],
      [Buffer.from(`\uFEFF${xml('UTF-16', 'Jose')}`, 'utf16le'), 'application/xml', 'xml_encoding_unsupported'],
    ];
    for (const [body, type, code] of cases) {
      const res = await submit(body, type);
      expect(res.statusCode, `${type} ${code}`).toBe(400);
      expect(issuesOf(res.body).map((i) => i.code)).toEqual([code]);
    }
  });

  it('applies the text rules to XML too: a bidi override in a name is refused, a decomposed name stored in NFC', async () => {
    const bidi = await submit(Buffer.from(xml('UTF-8', 'Perez&#x202E;zereP')), 'application/xml');
    expect(bidi.statusCode).toBe(400);
    expect(issuesOf(bidi.body)).toEqual([expect.objectContaining({ path: 'body.subject.familyName1', code: 'text_bidi_control' })]);
    const nfd = await submit(Buffer.from(xml('UTF-8', 'Jose\u0301')), 'application/xml');
    expect(nfd.statusCode).toBe(202);
    expect((await storedSubject(nfd.json().id)).familyName1).toBe('Jos\u00e9');
  });

  it('takes at most 128 KiB of XML (413 past it), where JSON may be 1 MiB', async () => {
    const open = '<PartnerSubmission xmlns="urn:switchboard:partner:1">';
    const res = await submit(
      `${open}<ActivityDescriptionText>${'x'.repeat(MAX_XML_BYTES)}</ActivityDescriptionText></PartnerSubmission>`,
      'application/xml',
    );
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('stops at the first breach of a limit and reads nothing after it', async () => {
    const open = '<PartnerSubmission xmlns="urn:switchboard:partner:1">';
    const cases: [string, string][] = [
      // The review's body: 108 KB, 36,000 elements open.
      [`${open}${'<a>'.repeat(36_000)}`, 'xml_too_deep'],
      [`${open}${'<SubjectPerson/>'.repeat(MAX_XML_ELEMENTS + 1)}</PartnerSubmission>`, 'xml_too_many_elements'],
      [
        `<PartnerSubmission xmlns="urn:switchboard:partner:1" ${Array.from({ length: MAX_XML_ATTRIBUTES + 1 }, (_, i) => `a${i}="1"`).join(' ')}></PartnerSubmission>`,
        'xml_too_many_attributes',
      ],
      // After the DTD nothing is read: the unclosed element and the bad entity behind it are never reported.
      [`<!DOCTYPE x [<!ENTITY e "e">]>${open}&e;<Unclosed>`, 'xml_doctype_forbidden'],
    ];
    for (const [body, code] of cases) {
      const res = await submit(body, 'application/xml');
      expect(res.statusCode, code).toBe(400);
      const codes = issuesOf(res.body).map((i) => i.code);
      // The breach is the last thing reported (unknown elements met on the way come before it); nothing after it was read.
      expect(codes.at(-1), code).toBe(code);
      expect(codes, code).not.toContain('xml_malformed');
    }
  });
});
