import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let agent: SignedIn;
let other: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  agent = await enrollAs(t, 'call_taker');
  other = await enrollAs(t, 'call_taker');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

const put = (who: SignedIn, key: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'PUT', url: `/api/v1/intake/drafts/${key}`, headers: who.headers, payload });

describe('intake drafts and dispositions', () => {
  it('serves the configured forms and dispositions', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/intake/forms', headers: { cookie: agent.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json().forms.map((f: { id: string }) => f.id)).toEqual(['public_tip', 'partner_officer', 'uac_unit']);
    expect(res.json().dispositions.length).toBeGreaterThan(3);
  });

  it('keeps drafts per person, refuses a stale version, and audits saves without their content', async () => {
    const first = await put(agent, 'task-1', { form: 'public_tip', data: { narrative: 'first words' }, version: null });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().version).toBe(1);
    const second = await put(agent, 'task-1', { form: 'public_tip', data: { narrative: 'more words' }, version: 1 });
    expect(second.json().version).toBe(2);
    const stale = await put(agent, 'task-1', { form: 'public_tip', data: { narrative: 'old tab' }, version: 1 });
    expect(stale.statusCode).toBe(409);
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/intake/drafts/task-1', headers: { cookie: agent.cookie } });
    expect(read.json().data).toEqual({ narrative: 'more words' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/intake/drafts/task-1', headers: { cookie: other.cookie } })).statusCode).toBe(
      404,
    );
    expect((await put(agent, 'task-1', { form: 'no_such_form', data: {}, version: 2 })).statusCode).toBe(400);
    const audit = await db.db.selectFrom('audit_events').select('details').where('action', '=', 'intake.draft_save').execute();
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain('words');
    const gone = await t.app.inject({ method: 'DELETE', url: '/api/v1/intake/drafts/task-1', headers: agent.headers });
    expect(gone.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/intake/drafts/task-1', headers: { cookie: agent.cookie } })).statusCode).toBe(
      404,
    );
  });

  it('a disposition is only for a contact in my hands, with a configured code', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/routing/tasks/nope/disposition',
      headers: agent.headers,
      payload: { disposition: 'report_taken' },
    });
    expect(res.statusCode).toBe(404);
    const history = await t.app.inject({ method: 'GET', url: '/api/v1/contacts/history?number=abc', headers: { cookie: agent.cookie } });
    expect(history.statusCode).toBe(400);
    const empty = await t.app.inject({
      method: 'GET',
      url: '/api/v1/contacts/history?number=6155550100',
      headers: { cookie: agent.cookie },
    });
    expect(empty.json()).toEqual({ number: '+16155550100', total: 0, contacts: [] });
  });
});

describe('transfer to a supervisor', () => {
  it('an agent hands a contact in hand to the supervisors queue, where a supervisor is offered it', async () => {
    const supervisor = await enrollAs(t, 'supervisor');
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/routing/workers/${agent.userId}`,
      headers: supervisor.headers,
      payload: { attributes: { skills: ['analysis'], languages: ['en'] } },
    });
    for (const who of [agent, supervisor]) {
      const res = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/routing/me/activity',
        headers: who.headers,
        payload: { activity: 'Available' },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const task = await t.app.inject({
      method: 'POST',
      url: '/api/v1/routing/tasks',
      headers: supervisor.headers,
      payload: { attributes: { language: 'en' } },
    });
    expect(task.statusCode, task.body).toBe(201);
    const me = (await t.app.inject({ method: 'GET', url: '/api/v1/routing/me', headers: { cookie: agent.cookie } })).json();
    const offer = me.offers[0];
    expect(offer).toBeDefined();
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/routing/reservations/${offer.id}/accept`, headers: agent.headers })).statusCode,
    ).toBe(200);
    const moved = await t.app.inject({
      method: 'POST',
      url: `/api/v1/routing/tasks/${offer.taskId}/transfer`,
      headers: agent.headers,
      payload: { queueId: 'supervisors' },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const supervisorState = (
      await t.app.inject({ method: 'GET', url: '/api/v1/routing/me', headers: { cookie: supervisor.cookie } })
    ).json();
    expect(supervisorState.offers.map((o: { taskId: string }) => o.taskId)).toContain(moved.json().id);
    expect(supervisorState.queues).toContain('supervisors');
  });
});
