import { describe, expect, it } from 'vitest';
import { type Actor, authorize, ROLES, type Role } from '../../src/domain/access/access-control.js';

const actor = (role: Role): Actor => ({ kind: 'user', userId: 'u1', role, agencyOri: null, fieldOfficeCode: null });

describe('access control', () => {
  it('lets staff who route and triage read queues and reference data', () => {
    for (const role of ['call_taker', 'uac_specialist', 'analyst', 'supervisor', 'admin'] as const) {
      expect(authorize(actor(role), 'queue:read').allowed, role).toBe(true);
      expect(authorize(actor(role), 'reference:read').allowed, role).toBe(true);
    }
  });

  it('keeps auditors and partner officers out of operational data', () => {
    for (const role of ['auditor', 'partner_officer'] as const) {
      const decision = authorize(actor(role), 'queue:read');
      expect(decision.allowed).toBe(false);
      expect(decision.allowed ? '' : decision.reason).toContain(role);
      expect(authorize(actor(role), 'reference:read').allowed).toBe(false);
    }
  });

  it('has a decision for every role', () => {
    expect(ROLES).toHaveLength(9);
    for (const role of ROLES) expect(typeof authorize(actor(role), 'reference:read').allowed).toBe('boolean');
  });
});
