import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/storage/paths.js';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The intake forms and wrap-up dispositions from the admin console (issue #20): versions of one document (0 as
 * shipped), each checked by the schema the file passes and keeping the dispositions Switchboard acts on; a diff and a
 * rollback; what the agent's desktop is served changes at once.
 */

type Forms = { dispositions: { code: string; label: string }[]; forms: { id: string; fields: { id: string; label: string }[] }[] };
const shipped = () => JSON.parse(readFileSync(path.join(packageRoot(), 'reference', 'intake-forms.json'), 'utf8')) as Forms;

let db: TestDatabase;
let t: TestApp;
let admin: SignedIn;
let agent: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  admin = await enrollAs(t, 'admin');
  agent = await enrollAs(t, 'call_taker');
}, 60_000);
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.close();
});

const get = (url: string, who = admin) => t.app.inject({ method: 'GET', url, headers: who.headers });
const post = (url: string, payload: object, who = admin) => t.app.inject({ method: 'POST', url, headers: who.headers, payload });
const served = async () => (await get('/api/v1/intake/forms', agent)).json() as Forms;

describe('intake forms and dispositions in versions', () => {
  it('a new disposition and a relabelled one reach the agent’s desktop at once; the history, a diff and a rollback', async () => {
    expect((await get('/api/v1/intake/forms/in-use')).json()).toEqual({ version: 0, changedAt: null, changedBy: null });
    const changed = shipped();
    changed.dispositions.push({ code: 'safety_plan_given', label: 'Safety information given' });
    const hungUp = changed.dispositions.find((d) => d.code === 'caller_hung_up') as { label: string };
    hungUp.label = 'Caller hung up before a report';
    const saved = await post('/api/v1/intake/forms/versions', { forms: changed, note: 'A disposition for safety information' });
    expect(saved.statusCode, saved.body).toBe(201);
    expect(saved.json()).toEqual({ version: 1 });
    const now = await served();
    expect(now.dispositions.map((d) => d.code)).toContain('safety_plan_given');
    expect(now.dispositions.find((d) => d.code === 'caller_hung_up')?.label).toBe('Caller hung up before a report');
    expect((await get('/api/v1/intake/forms/in-use')).json()).toMatchObject({ version: 1, changedBy: admin.username });

    const diff = (await get('/api/v1/intake/forms/diff?from=0&to=1')).json().diff as string;
    expect(diff).toContain('+      "label": "Caller hung up before a report"');
    expect(diff).toContain('+      "code": "safety_plan_given",');

    const back = await post('/api/v1/intake/forms/rollback', { toVersion: 0, note: 'Not yet agreed with the unit' });
    expect(back.json()).toEqual({ version: 2 });
    expect((await served()).dispositions.map((d) => d.code)).toEqual(shipped().dispositions.map((d) => d.code));
    const versions = (await get('/api/v1/intake/forms/versions')).json().versions as { version: number; restoredFrom: number | null }[];
    expect(versions.map((v) => [v.version, v.restoredFrom])).toEqual([
      [2, 0],
      [1, null],
      [0, null],
    ]);
    const audited = await db.db.selectFrom('audit_events').select('action').where('resource_type', '=', 'intake_forms').execute();
    expect(audited.map((a) => a.action)).toEqual(expect.arrayContaining(['intake_forms.save', 'intake_forms.rollback']));
  });

  it('refuses a version without a disposition Switchboard acts on, with a duplicate, or that the schema refuses — and nothing changes', async () => {
    const before = await served();
    const noCallback = shipped();
    noCallback.dispositions = noCallback.dispositions.filter((d) => d.code !== 'callback_scheduled');
    const res = await post('/api/v1/intake/forms/versions', { forms: noCallback, note: 'Drop callbacks' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues.map((i: { message: string }) => i.message)).toEqual([
      '"callback_scheduled" is acted on by Switchboard: keep it (its label may change)',
    ]);
    const twice = shipped();
    twice.dispositions.push({ code: 'wrong_number', label: 'Again' });
    expect((await post('/api/v1/intake/forms/versions', { forms: twice, note: 'A duplicate' })).json().error.issues[0].message).toBe(
      '"wrong_number" is listed twice',
    );
    const badField = shipped();
    (badField.forms[0] as { fields: { id: string; label: string }[] }).fields.push({ id: 'nowhere.at.all', label: 'Bad' });
    const schema = await post('/api/v1/intake/forms/versions', { forms: badField, note: 'A field with no intake field' });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().error.issues[0].path).toMatch(/^body\.forms\.forms\.0\.fields\.\d+\.id$/);
    expect(await served()).toEqual(before);
    expect((await post('/api/v1/intake/forms/rollback', { toVersion: 99, note: 'No such version' })).statusCode).toBe(404);
  });

  it('only an admin changes them', async () => {
    const supervisor = await enrollAs(t, 'supervisor');
    expect((await get('/api/v1/intake/forms/versions', supervisor)).statusCode).toBe(403);
    expect((await post('/api/v1/intake/forms/versions', { forms: shipped(), note: 'Not mine to do' }, agent)).statusCode).toBe(403);
  });
});
