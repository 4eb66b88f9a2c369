import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, enrollAs, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Every answer carries the server's clock (x-server-time): the web app counts deadlines and countdowns on it, not on
 * the browser's clock (web/src/server-clock.ts). The header follows the app's injected clock, on any kind of answer.
 */

let db: TestDatabase;
let t: TestApp;
let analyst: SignedIn;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  analyst = await enrollAs(t, 'analyst');
});
afterAll(async () => {
  await t.routing.stop();
  await t.app.close();
  await db.drop();
});

describe("the server's clock on every answer", () => {
  it('is the injected clock on API answers, refusals, errors and the web app itself, and moves with it', async () => {
    const answers = [
      await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: analyst.cookie } }),
      await t.app.inject({ method: 'GET', url: '/api/v1/cases' }),
      await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' }),
      await t.app.inject({ method: 'GET', url: '/healthz' }),
      await t.app.inject({ method: 'GET', url: '/some/client/route' }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 404, 200, 200]);
    expect(answers.map((a) => a.headers['x-server-time'])).toEqual(answers.map(() => t.clock.now.toISOString()));

    t.clock.advance(90 * 60_000);
    const later = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(later.headers['x-server-time']).toBe(t.clock.now.toISOString());
    expect(Date.parse(String(later.headers['x-server-time'])) - Date.parse(String(answers[0]?.headers['x-server-time']))).toBe(90 * 60_000);
  });
});
