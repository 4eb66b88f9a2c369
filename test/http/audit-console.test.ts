import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/services/audit.service.js';
import { type AuditExport, checkAuditExport } from '../../src/services/audit-console.service.js';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, CENTER_TIME_ZONE, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The auditor's console's API (issue #20): the log searched by who, what, which resource, purpose, outcome and a
 * range of days on the center's calendar; the refusals report; the export whose every event carries its proof.
 */

/** The built command line (npm test builds before it runs the suites). */
const CLI = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

let db: TestDatabase;
let t: TestApp;
let auditor: SignedIn;
let analyst: SignedIn;
let callTaker: SignedIn;

const get = (who: SignedIn, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const at = (iso: string) => {
  t.clock.now = new Date(iso);
};
const ctxAt = (iso: string) => ({
  actor: null,
  system: 'test',
  sourceIp: null,
  requestId: null,
  now: new Date(iso),
  timeZone: CENTER_TIME_ZONE,
});

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  at('2026-12-03T05:40:00Z');
  auditor = await enrollAs(t, 'auditor');
  analyst = await enrollAs(t, 'analyst');
  callTaker = await enrollAs(t, 'call_taker');
  // 23:50 in Nashville on 2 December is 05:50 UTC on 3 December: the refusals of that evening are the 2nd's.
  at('2026-12-03T05:50:00Z');
  expect((await get(analyst, '/api/v1/audit/events')).statusCode).toBe(403);
  expect((await get(callTaker, '/api/v1/audit/verify')).statusCode).toBe(403);
  // 00:05 on the 3rd in Nashville.
  at('2026-12-03T06:05:00Z');
  expect((await get(analyst, '/api/v1/audit/refusals')).statusCode).toBe(403);
  // Reads with a stated purpose (as a child's record is read), one of them with characters LIKE would take as wildcards.
  await recordAudit(db.db, ctxAt('2026-12-02T18:00:00Z'), {
    action: 'person.read',
    outcome: 'allowed',
    resourceType: 'person',
    resourceId: 'p-1',
    purpose: 'welfare_check: follow-up on the shelter visit',
  });
  await recordAudit(db.db, ctxAt('2026-12-02T18:05:00Z'), {
    action: 'person.read',
    outcome: 'allowed',
    resourceType: 'person',
    resourceId: 'p-2',
    purpose: 'case_work: 100% of the file_review',
  });
  await t.sealAudit();
}, 60_000);
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.close();
});

type Listed = {
  seq: number | null;
  action: string;
  actorUsername: string | null;
  outcome: string;
  occurredAt: string;
  purpose: string | null;
};
const events = async (query: string): Promise<Listed[]> => {
  const res = await get(auditor, `/api/v1/audit/events?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { events: Listed[] }).events;
};

describe('the auditor’s search', () => {
  it('finds by username, outcome, action and purpose words (taken literally), and shows who acted by name', async () => {
    const byAnalyst = await events(`username=${analyst.username}`);
    expect(byAnalyst.length).toBeGreaterThan(0);
    expect(new Set(byAnalyst.map((e) => e.actorUsername))).toEqual(new Set([analyst.username]));
    const refused = await events(`username=${analyst.username}&outcome=denied`);
    expect(refused.map((e) => e.action).sort()).toEqual(['GET /api/v1/audit/events', 'GET /api/v1/audit/refusals']);
    expect(
      await events(`username=${analyst.username}&outcome=denied&action=${encodeURIComponent('GET /api/v1/audit/refusals')}`),
    ).toHaveLength(1);
    expect((await events('purpose=SHELTER')).map((e) => e.purpose)).toEqual(['welfare_check: follow-up on the shelter visit']);
    // "%" and "_" are letters here, not wildcards: "0%" matches one purpose, "w_l" none (as a wildcard it would match "wel").
    expect((await events(`purpose=${encodeURIComponent('0%')}`)).map((e) => e.purpose)).toEqual(['case_work: 100% of the file_review']);
    expect(await events(`purpose=${encodeURIComponent('w_l')}`)).toEqual([]);
    expect(await events('username=nobody.at.all')).toEqual([]);
  });

  it('a range of days is the center’s calendar: the refusal at 23:50 in Nashville is the 2nd’s, though it is the 3rd in UTC', async () => {
    const second = await events(`fromDay=2026-12-02&toDay=2026-12-02&outcome=denied&username=${analyst.username}`);
    expect(second.map((e) => e.occurredAt)).toEqual(['2026-12-03T05:50:00.000Z']);
    const third = await events(`fromDay=2026-12-03&toDay=2026-12-03&outcome=denied&username=${analyst.username}`);
    expect(third.map((e) => e.occurredAt)).toEqual(['2026-12-03T06:05:00.000Z']);
    // Instants work too; a range that ends before it starts, or both forms for one end, is refused with a reason.
    expect(await events(`from=2026-12-03T05:45:00Z&to=2026-12-03T06:00:00Z&username=${analyst.username}`)).toHaveLength(1);
    for (const bad of ['fromDay=2026-12-03&toDay=2026-12-02', 'from=2026-12-03T00:00:00Z&fromDay=2026-12-03', 'fromDay=2026-13-01']) {
      const res = await get(auditor, `/api/v1/audit/events?${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error.message, bad).toBeTruthy();
    }
  });

  it('newest first, page by page, with nothing lost or repeated between pages', async () => {
    await t.sealAudit();
    const all = (await events('order=asc&limit=1000')).filter((e) => e.seq !== null).map((e) => e.seq as number);
    const seen: number[] = [];
    let before: number | undefined;
    for (let page = 0; page < 100; page++) {
      const batch = await events(`order=desc&limit=7${before ? `&beforeSeq=${before}` : ''}`);
      const sealed = batch.filter((e) => e.seq !== null).map((e) => e.seq as number);
      if (sealed.length === 0) break;
      seen.push(...sealed);
      before = sealed.at(-1);
    }
    // The pages hold every event sealed when the first was read (the reads themselves add newer ones), newest first.
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((s) => s <= (all.at(-1) as number)).sort((a, b) => a - b)).toEqual(all);
  });
});

describe('the refusals report', () => {
  it('lists each refusal with the rule that refused it, counts by rule and by who over the range, and is itself audited', async () => {
    const res = await get(auditor, '/api/v1/audit/refusals?fromDay=2026-12-02&toDay=2026-12-03');
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.total).toBe(3);
    expect(report.refusals.map((r: { username: string; rule: string }) => `${r.username} ${r.rule}`).sort()).toEqual(
      [
        `${analyst.username} permission:audit:oversight`,
        `${analyst.username} permission:audit:read`,
        `${callTaker.username} permission:audit:read`,
      ].sort(),
    );
    expect(report.byRule).toEqual([
      { rule: 'permission:audit:read', count: 2 },
      { rule: 'permission:audit:oversight', count: 1 },
    ]);
    expect(report.byActor.map((a: { username: string; count: number }) => [a.username, a.count])).toEqual([
      [analyst.username, 2],
      [callTaker.username, 1],
    ]);
    // The list is the newest `limit`; the counts stay the range's.
    const one = (await get(auditor, '/api/v1/audit/refusals?fromDay=2026-12-02&toDay=2026-12-03&limit=1')).json();
    expect(one.refusals).toHaveLength(1);
    expect(one.refusals[0].at).toBe('2026-12-03T06:05:00.000Z');
    expect(one.total).toBe(3);
    // Only the day before: none.
    expect((await get(auditor, '/api/v1/audit/refusals?fromDay=2026-12-01&toDay=2026-12-01')).json().total).toBe(0);
    expect((await events(`username=${auditor.username}&action=audit.refusals`)).length).toBe(3);
  });
});

describe('the export with the chain proof', () => {
  it('carries each event with its audit path and signed head: it checks with the published key and nothing else; a changed event or another key fails', async () => {
    await t.sealAudit();
    const res = await get(auditor, `/api/v1/audit/export?username=${analyst.username}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-export-\d{4}-\d{2}-\d{2}\.json"$/);
    const file = res.json() as AuditExport;
    expect(file).toMatchObject({ format: 'switchboard.audit-export.v1', exportedBy: auditor.username, unprovable: 0, truncated: false });
    expect(file.filter).toEqual({ username: analyst.username });
    expect(file.events.length).toBe((await events(`username=${analyst.username}`)).length);
    expect(file.events.every((e) => e.event.actorId === analyst.userId)).toBe(true);
    // The key as published (GET /audit/key, `switchboard audit key`), not the copy in the file.
    const published = createPublicKey((await get(auditor, '/api/v1/audit/key')).json().publicKeyPem);
    expect(checkAuditExport(file, published)).toMatchObject({ valid: file.events.length, failures: [] });
    // One event's action changed after the export: that event fails, the others hold.
    const changed = structuredClone(file);
    const victim = changed.events[0] as AuditExport['events'][number];
    victim.event.action = 'person.read';
    const check = checkAuditExport(changed, published);
    expect(check.valid).toBe(file.events.length - 1);
    expect(check.failures).toEqual([{ seq: victim.event.seq, reason: 'the event does not match its hash' }]);
    // A file re-signed by someone else's key does not check with the published one.
    const other = generateKeyPairSync('ed25519').publicKey;
    const withOther = checkAuditExport(file, other);
    expect(withOther.valid).toBe(0);
    expect(withOther.failures[0]?.reason).toMatch(/names key .* not the key given/);
    // The command an outside auditor runs (the build's CLI): exit 0 for the file as exported, 1 naming the changed event.
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-audit-export-'));
    writeFileSync(path.join(dir, 'key.pem'), (await get(auditor, '/api/v1/audit/key')).json().publicKeyPem);
    writeFileSync(path.join(dir, 'export.json'), JSON.stringify(file));
    writeFileSync(path.join(dir, 'changed.json'), JSON.stringify(changed));
    const cli = (name: string) =>
      spawnSync(process.execPath, [CLI, 'audit', 'check-export', path.join(dir, name), '--key', path.join(dir, 'key.pem')], {
        encoding: 'utf8',
      });
    const good = cli('export.json');
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toContain(`audit export: ${file.events.length} events proved with key`);
    const bad = cli('changed.json');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`event ${victim.event.seq}: the event does not match its hash`);
    expect(checkAuditExport({ format: 'something else' }, published).failures).toEqual([
      { seq: null, reason: 'not a switchboard.audit-export.v1 file' },
    ]);
    // The export is audited with its filter and count; an analyst may not export.
    const [exported] = await events(`username=${auditor.username}&action=audit.export&order=desc`);
    expect(exported).toBeDefined();
    expect((await get(analyst, '/api/v1/audit/export')).statusCode).toBe(403);
  });

  it('an event not sealed yet is counted as unprovable, not left out in silence', async () => {
    await recordAudit(db.db, ctxAt('2026-12-04T12:00:00Z'), {
      action: 'case.read',
      outcome: 'allowed',
      resourceType: 'case',
      resourceId: 'c-9',
    });
    const file = (await get(auditor, '/api/v1/audit/export?resourceId=c-9')).json() as AuditExport;
    expect(file).toMatchObject({ events: [], unprovable: 1 });
    await t.sealAudit();
    const sealed = (await get(auditor, '/api/v1/audit/export?resourceId=c-9')).json() as AuditExport;
    expect(sealed.unprovable).toBe(0);
    expect(sealed.events.map((e) => e.event.resourceId)).toEqual(['c-9']);
  });
});
