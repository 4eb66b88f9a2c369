import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let t: TestApp;
let base: string;
let supervisor: SignedIn;
let agent: SignedIn;

type Message = { type: string; at: string; data: Record<string, unknown> };

/** A connected client that collects messages; `next(type)` waits (bounded) for the next one of that type. */
function connect(who: SignedIn | undefined, origin?: string) {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/realtime`, {
    headers: { ...(who ? { cookie: who.cookie } : {}), ...(origin ? { origin } : {}) },
  });
  const messages: Message[] = [];
  const waiters: { type: string; resolve: (m: Message) => void }[] = [];
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as Message;
    messages.push(message);
    const i = waiters.findIndex((w) => w.type === message.type);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(message);
  });
  const next = (type: string) =>
    new Promise<Message>((resolve, reject) => {
      const seen = messages.findIndex((m) => m.type === type);
      if (seen >= 0) return resolve(messages.splice(seen, 1)[0] as Message);
      const timer = setTimeout(() => reject(new Error(`no ${type} message within 5 s`)), 5_000);
      waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          messages.splice(messages.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    socket.on('open', () => resolve());
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', reject);
  });
  return { socket, next, closed, opened };
}

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  supervisor = await enrollAs(t, 'supervisor');
  agent = await enrollAs(t, 'analyst');
  await t.app.inject({
    method: 'PUT',
    url: `/api/v1/routing/workers/${agent.userId}`,
    headers: supervisor.headers,
    payload: { attributes: { skills: ['analysis'] } },
  });
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe('the realtime connection', () => {
  it('refuses a connection without a session', async () => {
    const anonymous = connect(undefined);
    await expect(anonymous.opened).rejects.toThrow(/HTTP 401/);
  });

  it('refuses a page from another site riding the cookie', async () => {
    const foreign = connect(agent, 'https://evil.example');
    await foreign.opened;
    expect((await foreign.closed).code).toBe(1008);
  });

  it('tells an agent of their own offer at once, and a supervisor of the task and the queues', async () => {
    const agentLine = connect(agent);
    const supervisorLine = connect(supervisor);
    await Promise.all([agentLine.opened, supervisorLine.opened]);
    expect((await agentLine.next('hello')).data).toMatchObject({ userId: agent.userId, supervisor: false });
    expect((await supervisorLine.next('hello')).data).toMatchObject({ supervisor: true });
    await t.app.inject({ method: 'PUT', url: '/api/v1/routing/me/activity', headers: agent.headers, payload: { activity: 'Available' } });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/routing/tasks',
      headers: supervisor.headers,
      payload: { attributes: { note: 'private detail' } },
    });
    const taskId = created.json().id;
    const offer = await agentLine.next('routing.offer');
    expect(offer.data).toMatchObject({ taskId });
    const task = await supervisorLine.next('routing.task');
    expect(task.data).toMatchObject({ taskId, status: 'created', queueId: 'analysis' });
    // Payloads carry ids and states, never a task's attributes.
    expect(JSON.stringify(offer)).not.toContain('private detail');
    expect(JSON.stringify(task)).not.toContain('private detail');
    const stats = await supervisorLine.next('queues.stats');
    expect(stats.data).toHaveProperty('overall');
    agentLine.socket.close();
    supervisorLine.socket.close();
  });

  it('answers a plain HTTP request with 426', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/realtime', headers: { cookie: agent.cookie } });
    expect(res.statusCode).toBe(426);
    expect(res.json().error.code).toBe('upgrade_required');
  });
});
