import { request } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineGeocoder } from '../../src/services/geonames.js';
import { runPartnerJobs } from '../../src/services/partner-jobs.service.js';
import { processSubmissions } from '../../src/services/partner-submission.service.js';
import { splitBatches } from '../../src/services/submission-batch.service.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitUntil } from '../support/processes.js';

/**
 * Bulk CSV uploads over real HTTP: stored before the 202, split in the
 * background into submissions and refused rows, progress and per-row results
 * readable by the agency alone, an error report to download, and the same
 * through the portal for a signed-in partner officer.
 */

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;
let base: string;
const TASK_FORCE = 'TX0312100';
const JAIL = 'TX1430300';

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  admin = await enrollAs(t, 'admin');
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

async function tokenFor(ori: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/partner-clients',
    headers: admin.headers,
    payload: { agencyOri: ori, name: 'RMS bulk', scopes: ['submissions:write'] },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  const { clientId } = res.json().client;
  const token = await fetch(`${base}/api/partner/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${res.json().clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return ((await token.json()) as { access_token: string }).access_token;
}

const HEADER = 'type,occurred_at,narrative,given_names,family_name_1,dob,nationalities,location_line1,location_zip,concern';
const good = (n: number) =>
  `location_report,2026-11-28T10:00:00-06:00,"Seen at the address, stop ${n}",Rogelio${n},Sintético,1985-04-04,MX,${100 + n} Synthetic Blvd,78520,`;
const csv = (...rows: string[]) => `${[HEADER, ...rows].join('\r\n')}\r\n`;

const upload = (token: string, body: string, headers: Record<string, string> = {}, query = '') =>
  fetch(`${base}/api/partner/v1/batches${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', ...headers },
    body,
  });
const get = async (token: string, url: string) => fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
const processAll = async () => {
  await splitBatches(db.db, t.clock.now, 'America/Chicago');
  while (
    (await processSubmissions(
      { db: db.db, routing: t.routing, geocoder: offlineGeocoder(), timeZone: 'America/Chicago' },
      t.clock.now,
      50,
    )) > 0
  );
};

/**
 * Runs `requests` while a SHARE lock on `table` holds every insert back: each request finds no earlier row with its
 * key, then waits to insert; the lock goes once as many as the pool allows are waiting, so they race for real.
 */
async function raced<T>(table: string, requests: () => Promise<T>[]): Promise<T[]> {
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${table} IN SHARE MODE`);
    const pending = Promise.all(requests());
    const contenders = Math.min(10, db.pool.options.max ?? 10);
    await waitUntil(`${contenders} inserts into ${table} waiting`, async () => {
      const { rows } = await locker.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE relation = '${table}'::regclass AND NOT granted`,
      );
      return (rows[0]?.n ?? 0) >= contenders;
    });
    await locker.query('COMMIT');
    return await pending;
  } finally {
    await locker.end();
  }
}

describe('bulk CSV uploads', () => {
  let token: string;
  beforeAll(async () => {
    token = await tokenFor(TASK_FORCE);
  });

  it('stores the file before the 202, then splits it: good rows become submissions, bad rows are reported by row and column', async () => {
    const body = csv(
      good(1),
      good(2),
      // Row 4: a bad date and an unknown country code; row 5: a type the agency may not send is fine (task force) but the narrative is missing.
      'location_report,yesterday,Seen,Ana,Sintética,1990-01-01,Mexico,1 Synthetic St,78520,',
      'location_report,2026-11-28T10:00:00-06:00,,Ana,Sintética,,,,78520,',
      // Row 6: valid, but the ZIP does not exist: accepted at validation, rejected in processing.
      'location_report,2026-11-28T10:00:00-06:00,Seen nearby,Lupe,Sintética,,,,00000,',
      good(3),
    );
    const res = await upload(token, body, { 'idempotency-key': 'bulk-2026-11-29-a' }, '?filename=week48.csv');
    expect(res.status).toBe(202);
    const ack = (await res.json()) as { id: string; rows: number; statusUrl: string };
    expect(ack.rows).toBe(6);
    // Stored, not yet split: nothing has become a submission.
    const stored = await db.db.selectFrom('submission_batches').selectAll().where('id', '=', ack.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'received', content: body, filename: 'week48.csv' });
    expect(await db.db.selectFrom('partner_submissions').select('id').where('batch_id', '=', ack.id).execute()).toHaveLength(0);

    // The same key and file: the same upload; the same key with another file: 409.
    const again = await upload(token, body, { 'idempotency-key': 'bulk-2026-11-29-a' });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe(ack.id);
    expect((await upload(token, csv(good(9)), { 'idempotency-key': 'bulk-2026-11-29-a' })).status).toBe(409);

    const before = (await (await get(token, ack.statusUrl)).json()) as { status: string; done: boolean };
    expect(before).toMatchObject({ status: 'received', done: false });
    await processAll();
    const progress = await (await get(token, ack.statusUrl)).json();
    expect(progress).toMatchObject({
      status: 'split',
      totalRows: 6,
      refusedRows: 2,
      submissions: { received: 0, processing: 0, accepted: 3, rejected: 1 },
      done: true,
    });

    const rows = ((await (await get(token, `${ack.statusUrl}/rows`)).json()) as { rows: Record<string, unknown>[] }).rows;
    expect(rows.map((r) => [r.row, r.result])).toEqual([
      [2, 'accepted'],
      [3, 'accepted'],
      [4, 'refused'],
      [5, 'refused'],
      [6, 'rejected'],
      [7, 'accepted'],
    ]);
    expect(rows[0]?.reference).toMatch(/^C-2026-\d{6}$/);
    const row4 = rows[2] as { issues: { column: string; code: string }[] };
    expect(row4.issues.map((i) => i.column).sort()).toEqual(['nationalities', 'occurred_at']);
    expect((rows[3] as { issues: { column: string }[] }).issues.map((i) => i.column)).toEqual(['narrative']);
    expect((rows[4] as { issues: { column: string }[] }).issues.map((i) => i.column)).toContain('location_zip');

    const report = await get(token, `${ack.statusUrl}/errors.csv`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await report.text()).trim().split('\r\n');
    expect(lines[0]).toBe('row,column,code,message');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(
      expect.arrayContaining(['4,occurred_at', '4,nationalities', '5,narrative', '6,location_zip']),
    );
    // Each accepted row is a case with a report from the agency, arrived when the file did.
    const subs = await db.db.selectFrom('partner_submissions').selectAll().where('batch_id', '=', ack.id).execute();
    expect(subs.every((s) => s.received_at.getTime() === stored.received_at.getTime())).toBe(true);
    const reports = await db.db
      .selectFrom('reports')
      .select(['reporter_agency_ori'])
      .where(
        'submission_id',
        'in',
        subs.map((s) => s.id),
      )
      .execute();
    expect(reports).toHaveLength(3);
    expect(reports.every((r) => r.reporter_agency_ori === TASK_FORCE)).toBe(true);
  });

  it('refuses a file whose header is wrong, empty or too long, saying why, and stores nothing', async () => {
    const count = async () =>
      Number(
        (
          await db.db
            .selectFrom('submission_batches')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const n = await count();
    const bad = await upload(token, 'type,occurred_at,narrative,given_names,surname\r\nx,y,z,a,b\r\n');
    expect(bad.status).toBe(400);
    const problem = ((await bad.json()) as { error: { code: string; issues: { code: string; message: string }[] } }).error;
    expect(problem.code).toBe('validation_failed');
    expect(problem.issues.map((i) => i.code).sort()).toEqual(['missing_column', 'unknown_column']);
    expect((await upload(token, `${HEADER}\r\n`)).status).toBe(400);
    expect((await upload(token, '')).status).toBe(400);
    const tooMany = csv(...Array.from({ length: 5_001 }, (_, i) => good(i)));
    const big = await upload(token, tooMany);
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { issues: { code: string }[] } }).error.issues[0]?.code).toBe('too_many_rows');
    expect(await count()).toBe(n);
  });

  it('checks each row against the agreement: a jail-enforcement agency cannot send location reports, row by row', async () => {
    const jail = await tokenFor(JAIL);
    const res = await upload(
      jail,
      csv(
        good(1),
        'uac_concern,2026-11-28T10:00:00-06:00,Child alone at the bus station,Niña,Sintética,2014-02-02,GT,1 Depot St,78501,welfare',
      ),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await processAll();
    const rows = (
      (await (await get(jail, `/api/partner/v1/batches/${id}/rows`)).json()) as {
        rows: { row: number; result: string; issues: { code: string }[] }[];
      }
    ).rows;
    expect(rows.map((r) => [r.row, r.result])).toEqual([
      [2, 'refused'],
      [3, 'accepted'],
    ]);
    expect(rows[0]?.issues[0]?.code).toBe('out_of_scope');
    // Another agency's upload does not exist for this one.
    const other = await get(token, `/api/partner/v1/batches/${id}`);
    expect(other.status).toBe(404);
    expect((await get(token, `/api/partner/v1/batches/${id}/errors.csv`)).status).toBe(404);
  });

  it('formula-looking cells in the error report are neutralised for spreadsheets', async () => {
    const res = await upload(token, csv('location_report,=HYPERLINK("x"),Seen,A,B,,,,78520,'));
    const { id } = (await res.json()) as { id: string };
    await processAll();
    const text = await (await get(token, `/api/partner/v1/batches/${id}/errors.csv`)).text();
    expect(text).toContain('2,occurred_at');
    expect(text).not.toMatch(/(^|,)=/m);
  });

  it('ten uploads at once with one Idempotency-Key all get the same 202: one stored, nine replays', async () => {
    const body = csv(good(21), good(22));
    const answers = await raced('submission_batches', () =>
      Array.from({ length: 10 }, () => upload(token, body, { 'idempotency-key': 'bulk-race-2026-0001' })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 10 }, () => 202));
    const ids = new Set(((await Promise.all(answers.map((a) => a.json()))) as { id: string }[]).map((b) => b.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    const stored = await db.db.selectFrom('submission_batches').select('id').where('idempotency_key', '=', 'bulk-race-2026-0001').execute();
    expect(stored.map((b) => b.id)).toEqual([...ids]);
  });

  it('reads the upload as a stream: blank lines, a header of thousands of columns, a quote never closed and too many bytes are refused', async () => {
    const count = async () =>
      Number(
        (
          await db.db
            .selectFrom('submission_batches')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const n = await count();
    const blank = await upload(token, '\r\n'.repeat(2_000_000));
    expect(blank.status).toBe(400);
    expect(((await blank.json()) as { error: { issues: { code: string }[] } }).error.issues).toEqual([
      expect.objectContaining({ code: 'empty' }),
    ]);
    const wide = await upload(token, `${'x,'.repeat(50_000)}\r\n${good(1)}\r\n`);
    expect(wide.status).toBe(400);
    expect(((await wide.json()) as { error: { issues: { code: string }[] } }).error.issues).toEqual([
      expect.objectContaining({ code: 'too_many_columns' }),
    ]);
    const unclosed = await upload(token, csv(good(1), 'location_report,"2026-11-28T10:00:00-06:00,Seen,A,B,,,,78520,'));
    expect(unclosed.status).toBe(400);
    expect(((await unclosed.json()) as { error: { issues: { code: string }[] } }).error.issues[0]?.code).toBe('csv_malformed');
    // Sent in chunks with no length announced: refused once the excess arrives, not after reading it all.
    const refused = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      const chunk = `${good(1)}\r\n`.repeat(2_000);
      let sent = 0;
      const req = request(`${base}/api/partner/v1/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
      });
      // The server may close the connection while the rest is still being written: expected once it has answered.
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      req.write(`${HEADER}\r\n`);
      const more = () => {
        // Bounded: 40 MB at most, eight times the limit.
        while (!answered && sent < 40_000_000) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', more);
            return;
          }
        }
        if (!answered) req.end();
      };
      more();
    });
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).error.code).toBe('payload_too_large');
    expect(refused.sent).toBeLessThan(40_000_000);
    // Without a token: refused as ever.
    expect(
      (await fetch(`${base}/api/partner/v1/batches`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv(good(1)) }))
        .status,
    ).toBe(401);
    expect(await count()).toBe(n);
  });

  it('the job processes a whole upload in one run, not one claim a run; every accepted row has one work item', async () => {
    const res = await upload(token, csv(...Array.from({ length: 45 }, (_, i) => good(100 + i))));
    const { id } = (await res.json()) as { id: string };
    const failures: unknown[] = [];
    await runPartnerJobs(
      {
        db: db.db,
        routing: t.routing,
        geocoder: offlineGeocoder(),
        keys: t.identity.keys,
        allowLoopback: true,
        timeZone: 'America/Chicago',
      },
      () => t.clock.now,
      (_job, error) => failures.push(error),
      60_000,
    );
    expect(failures).toEqual([]);
    const progress = (await (await get(token, `/api/partner/v1/batches/${id}`)).json()) as {
      submissions: { accepted: number };
      done: boolean;
    };
    expect(progress).toMatchObject({ done: true, submissions: { accepted: 45 } });
    const subs = await db.db.selectFrom('partner_submissions').select(['id', 'task_id']).where('batch_id', '=', id).execute();
    const tasks = [...t.routing.engine.allTasks()].filter((x) => subs.some((s) => s.id === x.attributes.submissionId));
    expect(tasks).toHaveLength(45);
    expect(new Set(tasks.map((x) => x.id))).toEqual(new Set(subs.map((s) => s.task_id)));
  });

  it('the portal: a partner officer uploads for their agency and sees the progress', async () => {
    const officer = await enrollAs(t, 'partner_officer', { agencyOri: TASK_FORCE });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/batches?filename=portal.csv',
      headers: { ...officer.headers, 'content-type': 'text/csv' },
      payload: csv(good(11), good(12)),
    });
    expect(res.statusCode).toBe(202);
    await processAll();
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/portal/batches', headers: officer.headers });
    expect(list.statusCode).toBe(200);
    const mine = (list.json().batches as { id: string; filename: string; submissions: { accepted: number } }[]).find(
      (b) => b.id === res.json().id,
    );
    expect(mine).toMatchObject({ filename: 'portal.csv', submissions: { accepted: 2 } });
    const sub = await db.db
      .selectFrom('partner_submissions')
      .select('submitted_by')
      .where('batch_id', '=', res.json().id)
      .executeTakeFirstOrThrow();
    expect(sub.submitted_by).toBe(officer.userId);
    // Staff who are not partner officers have no portal uploads.
    const taker = await enrollAs(t, 'call_taker');
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/batches',
      headers: { ...taker.headers, 'content-type': 'text/csv' },
      payload: csv(good(13)),
    });
    expect(refused.statusCode).toBe(403);
  });
});
