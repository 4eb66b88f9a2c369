import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, ROLES, type Role } from '../../src/domain/access/access-control.js';
import type { AnyRoute } from '../../src/http/route.js';
import { buildTestApp, enrollAs, loadTestAgencies, type SignedIn, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Every staff route × every role: the answer is 403 exactly when the role's
 * permissions (the table in the database) lack the route's permission, and
 * never 401 for a signed-in user. Inputs are chosen so that allowed calls fail
 * validation or find nothing rather than change anything.
 */

let db: TestDatabase;
let t: TestApp;
const people = new Map<Role, SignedIn>();

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildTestApp(db);
  await loadTestAgencies(db);
  for (const role of ROLES) people.set(role, await enrollAs(t, role));
});
afterAll(async () => {
  await t.app.close();
  await db.drop();
});

const sample = (url: string) =>
  url
    .replace(':username', 'nobody.here')
    .replace(':clientId', `pc_${'a'.repeat(20)}`)
    .replace(':id', '00000000-0000-4000-8000-000000000000')
    .replace(':ori', 'TX1430300');

/** A body each route rejects after authorisation (400), so allowed calls change nothing. */
const harmlessBody = (route: AnyRoute) => (route.method === 'GET' ? undefined : { unexpectedField: true });

describe('route × role matrix', () => {
  it('covers every staff route', () => {
    // Staff routes: a session proves who calls (partner systems and receiving organisations have their own credentials).
    const staff = t.routes.filter((r) => 'permission' in r.access && (r.access.via ?? 'session') === 'session');
    expect(staff.length).toBeGreaterThanOrEqual(12);
  });

  for (const role of ROLES) {
    it(`${role}: allowed exactly where the permission table says`, async () => {
      const person = people.get(role);
      if (!person) throw new Error('not enrolled');
      // Staff routes: a session proves who calls (partner systems and receiving organisations have their own credentials).
      const staff = t.routes.filter((r) => 'permission' in r.access && (r.access.via ?? 'session') === 'session');
      const mismatches: string[] = [];
      for (const route of staff) {
        if (!('permission' in route.access)) continue;
        const expected = authorize(
          t.identity.permissions,
          { kind: 'user', userId: person.userId, username: person.username, role, agencyOri: null, fieldOfficeCode: null, sessionId: null },
          route.access.permission,
        ).allowed;
        const body = harmlessBody(route);
        const res = await t.app.inject({
          method: route.method,
          url: sample(route.url),
          headers: person.headers,
          ...(body ? { payload: body } : {}),
        });
        const got = res.statusCode === 403 ? 'refused' : res.statusCode === 401 ? 'unauthenticated' : 'allowed';
        if (got !== (expected ? 'allowed' : 'refused'))
          mismatches.push(`${route.method} ${route.url} → ${res.statusCode} (${res.json().error?.code ?? ''})`);
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('partner routes take only partner tokens, never a staff session', async () => {
    const partnerRoutes = t.routes.filter((r) => 'permission' in r.access && r.access.via === 'client');
    expect(partnerRoutes.length).toBeGreaterThan(0);
    for (const route of partnerRoutes) {
      const res = await t.app.inject({ method: route.method, url: sample(route.url), headers: people.get('admin')?.headers ?? {} });
      expect(res.statusCode, route.url).toBe(401);
    }
  });
});
