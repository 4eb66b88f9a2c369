import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '../../src/domain/ivr/flow.js';
import { IvrFlows } from '../../src/services/ivr-flow.service.js';
import { packageRoot } from '../../src/storage/paths.js';
import { loadFlows } from '../../src/telephony/ivr-flows.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The IVR flows from the admin console (issue #20): a line's flow in versions (0 as shipped), each new one checked by
 * the flow schema, a diff between any two, a rollback that copies an earlier one forward — each audited, and the
 * flow map a call control reads changed in place: on this node at once, on another at its next read.
 */

const PUBLIC = '+16155550100';
const LINE = encodeURIComponent(PUBLIC);
const dir = path.join(packageRoot(), 'reference', 'ivr');
const shippedJson = () => JSON.parse(readFileSync(path.join(dir, 'public-line.json'), 'utf8')) as Record<string, unknown>;

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;
let supervisor: SignedIn;
/** The flow map this node's call control reads, and another node's. */
const here = loadFlows(dir).flows;
const there = loadFlows(dir).flows;
let otherNode: IvrFlows;

beforeAll(async () => {
  db = await createTestDatabase();
  const ivrFlows = new IvrFlows({ db: db.db, shipped: loadFlows(dir) });
  await ivrFlows.attach(here);
  otherNode = new IvrFlows({ db: db.db, shipped: loadFlows(dir) });
  await otherNode.attach(there);
  t = await buildTestApp(db, { ivrFlows });
  admin = await enrollAs(t, 'admin');
  supervisor = await enrollAs(t, 'supervisor');
}, 60_000);
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.close();
});

const get = (url: string, who = admin) => t.app.inject({ method: 'GET', url, headers: who.headers });
const post = (url: string, payload: object, who = admin) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });

describe('IVR flow versions', () => {
  it('lists each line at version 0 (as shipped) until it is changed', async () => {
    const res = await get('/api/v1/ivr/flows');
    expect(res.statusCode, res.body).toBe(200);
    const flows = res.json().flows as { line: string; version: number; name: string }[];
    expect(flows.map((f) => f.line).sort()).toEqual([...loadFlows(dir).flows.keys()].sort());
    expect(flows.every((f) => f.version === 0)).toBe(true);
    expect((await get(`/api/v1/ivr/flows/${LINE}/versions`)).json().versions).toEqual([
      { version: 0, note: 'as shipped (reference/)', restoredFrom: null, createdBy: null, createdAt: null },
    ]);
  });

  it('a new version (a holiday, a new name) is checked, audited, and the line answers with it at once; another node at its next read', async () => {
    const flow = shippedJson();
    flow.name = 'Public line (holiday hours)';
    flow.hours = { timeZone: 'America/Chicago', weekly: 'always', holidays: ['2026-12-25'] };
    const saved = await post(`/api/v1/ivr/flows/${LINE}/versions`, { flow, note: 'Closed on Christmas Day' });
    expect(saved.statusCode, saved.body).toBe(201);
    expect(saved.json()).toEqual({ version: 1 });
    expect(here.get(PUBLIC)?.hours.holidays).toEqual(['2026-12-25']);
    expect(there.get(PUBLIC)?.hours.holidays).toEqual([]);
    await otherNode.refresh();
    expect(there.get(PUBLIC)?.name).toBe('Public line (holiday hours)');
    // The other lines are untouched.
    const listed = (await get('/api/v1/ivr/flows')).json().flows as { line: string; version: number; changedBy: string | null }[];
    expect(listed.find((f) => f.line === PUBLIC)).toMatchObject({ version: 1, changedBy: admin.username });
    expect(listed.filter((f) => f.line !== PUBLIC).every((f) => f.version === 0)).toBe(true);
    const audit = await db.db
      .selectFrom('audit_events')
      .select(['actor_id', 'resource_id', 'details'])
      .where('action', '=', 'ivr_flow.save')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_id: admin.userId, resource_id: PUBLIC, details: { version: 1 } });
  });

  it('a flow the schema refuses is not saved, and says each problem with its path', async () => {
    const broken = shippedJson();
    (broken.nodes as Record<string, Record<string, unknown>>).notice = { type: 'play', prompt: 'no-such-prompt', next: 'nowhere' };
    const res = await post(`/api/v1/ivr/flows/${LINE}/versions`, { flow: broken, note: 'A broken change' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues.map((i: { message: string }) => i.message)).toEqual(['nodes.notice.next: unknown node "nowhere"']);
    const badPrompt = shippedJson();
    (badPrompt.nodes as Record<string, Record<string, unknown>>).notice = { type: 'play', prompt: 'no-such-prompt', next: 'reason' };
    const prompt = await post(`/api/v1/ivr/flows/${LINE}/versions`, { flow: badPrompt, note: 'A broken prompt' });
    expect(prompt.json().error.issues.map((i: { message: string }) => i.message)).toEqual([
      'nodes.notice.prompt: unknown prompt "no-such-prompt"',
    ]);
    const moved = { ...shippedJson(), line: '+16155550199' };
    const other = await post(`/api/v1/ivr/flows/${LINE}/versions`, { flow: moved, note: 'Move the number' });
    expect(other.statusCode).toBe(400);
    expect(other.json().error.message).toContain('its "line" cannot change');
    expect((await post(`/api/v1/ivr/flows/${LINE}/versions`, { flow: shippedJson(), note: '' })).statusCode).toBe(400);
    expect(
      (await post(`/api/v1/ivr/flows/${encodeURIComponent('+18005550000')}/versions`, { flow: shippedJson(), note: 'No such line' }))
        .statusCode,
    ).toBe(404);
    // Nothing was saved: the line still answers with version 1.
    expect((await get(`/api/v1/ivr/flows/${LINE}/versions`)).json().versions.map((v: { version: number }) => v.version)).toEqual([1, 0]);
    expect(here.get(PUBLIC)?.hours.holidays).toEqual(['2026-12-25']);
  });

  it('a diff between two versions, and a rollback that copies version 0 forward (the history keeps what was undone)', async () => {
    const diff = (await get(`/api/v1/ivr/flows/${LINE}/diff?from=0&to=1`)).json().diff as string;
    expect(diff).toContain('--- IVR flow for +16155550100, version 0');
    expect(diff).toContain('+++ IVR flow for +16155550100, version 1');
    expect(diff).toContain('-  "name": "Public line",');
    expect(diff).toContain('+  "name": "Public line (holiday hours)",');
    expect(diff).toContain('+      "2026-12-25"');
    const back = await post(`/api/v1/ivr/flows/${LINE}/rollback`, { toVersion: 0, note: 'Christmas is over' });
    expect(back.statusCode, back.body).toBe(201);
    expect(back.json()).toEqual({ version: 2 });
    expect(here.get(PUBLIC)).toEqual(loadFlows(dir).flows.get(PUBLIC) as Flow);
    const versions = (await get(`/api/v1/ivr/flows/${LINE}/versions`)).json().versions;
    expect(versions.map((v: { version: number; restoredFrom: number | null }) => [v.version, v.restoredFrom])).toEqual([
      [2, 0],
      [1, null],
      [0, null],
    ]);
    expect((await get(`/api/v1/ivr/flows/${LINE}/diff?from=0&to=2`)).json().diff).not.toMatch(/^[+-] /m);
    expect((await get(`/api/v1/ivr/flows/${LINE}/versions/1`)).json().flow.name).toBe('Public line (holiday hours)');
    expect((await get(`/api/v1/ivr/flows/${LINE}/versions/9`)).statusCode).toBe(404);
    expect((await post(`/api/v1/ivr/flows/${LINE}/rollback`, { toVersion: 9, note: 'No such version' })).statusCode).toBe(404);
  });

  it('only an admin changes or reads the flows here', async () => {
    expect((await get('/api/v1/ivr/flows', supervisor)).statusCode).toBe(403);
    expect((await post(`/api/v1/ivr/flows/${LINE}/rollback`, { toVersion: 1, note: 'Not mine to do' }, supervisor)).statusCode).toBe(403);
  });
});
