import { describe, expect, it } from 'vitest';
import { type Actor, authorize, buildPermissionTable, ROLES, type Role } from '../../src/domain/access/access-control.js';

const table = buildPermissionTable([
  { role: 'analyst', permission: 'person:read' },
  { role: 'analyst', permission: 'agency:read' },
  { role: 'partner_officer', permission: 'agency:read' },
  { role: 'field_officer', permission: 'person:read' },
  { role: 'auditor', permission: 'audit:read' },
  { role: 'nobody', permission: 'person:read' },
  { role: 'analyst', permission: 'no:such' },
]);

const user = (role: Role, extra: Partial<Actor> = {}): Actor =>
  ({ kind: 'user', userId: 'u1', username: 'u', role, agencyOri: null, fieldOfficeCode: null, sessionId: 's1', ...extra }) as Actor;

describe('authorize', () => {
  it('follows the permission table and ignores rows naming unknown roles or permissions', () => {
    expect(authorize(table, user('analyst'), 'person:read').allowed).toBe(true);
    expect(authorize(table, user('auditor'), 'person:read').allowed).toBe(false);
    expect(authorize(table, user('auditor'), 'audit:read').allowed).toBe(true);
    expect(table.size).toBe(ROLES.length);
  });

  it('lets every role manage its own session and nothing it was not given', () => {
    for (const role of ROLES) {
      expect(authorize(table, user(role), 'session:own').allowed, role).toBe(true);
      expect(authorize(table, user(role), 'user:manage').allowed, role).toBe(false);
    }
  });

  it('keeps partners to their own agency, and says why when it refuses', () => {
    const partner = user('partner_officer', { agencyOri: 'TX1430300' });
    expect(authorize(table, partner, 'agency:read', { type: 'agency', ori: 'TX1430300' }).allowed).toBe(true);
    const other = authorize(table, partner, 'agency:read', { type: 'agency', ori: 'FL0010100' });
    expect(other).toEqual({ allowed: false, reason: 'partners see only their own agency' });
    const client: Actor = { kind: 'client', clientId: 'pc_x', agencyOri: 'TX1430300', scopes: ['agency:read'] };
    expect(authorize(table, client, 'agency:read', { type: 'agency', ori: 'TX1430300' }).allowed).toBe(true);
    expect(authorize(table, client, 'agency:read', { type: 'agency', ori: 'FL0010100' }).allowed).toBe(false);
    expect(authorize(table, client, 'person:read').allowed).toBe(false);
    expect(authorize(table, { ...client, scopes: [] }, 'agency:read', { type: 'agency', ori: 'TX1430300' }).allowed).toBe(false);
    expect(authorize(table, partner, 'agency:read', { type: 'submission', agencyOri: 'FL0010100' }).allowed).toBe(false);
    // Staff with the permission are not limited to one agency.
    expect(authorize(table, user('analyst'), 'agency:read', { type: 'agency', ori: 'FL0010100' }).allowed).toBe(true);
  });

  it('keeps field officers to referrals sent to their own field office', () => {
    const officer = user('field_officer', { fieldOfficeCode: 'NOL' });
    expect(authorize(table, officer, 'person:read', { type: 'referral', fieldOfficeCode: 'NOL' }).allowed).toBe(true);
    expect(authorize(table, officer, 'person:read', { type: 'referral', fieldOfficeCode: 'HOU' }).allowed).toBe(false);
    expect(authorize(table, user('analyst'), 'person:read', { type: 'referral', fieldOfficeCode: 'HOU' }).allowed).toBe(true);
  });
});

describe('contracts and the domain agree', () => {
  it('the add-user request offers exactly the domain roles', async () => {
    const { ZAddUserRequest } = await import('../../src/contracts/identity.js');
    expect([...ZAddUserRequest.shape.role.options].sort()).toEqual([...ROLES].sort());
  });
});
