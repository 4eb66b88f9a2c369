import { defineLifecycle, step } from '../workflow/lifecycle.js';

/**
 * A legal protection (a T/U visa, a VAWA self-petition, a court order, an active court case) on a person, or a
 * class-wide order: recorded in force, and revoked in writing by a legal reviewer. A revoked protection is kept
 * (the gate's past answers name it) and never comes back in force: a new one is recorded instead.
 */
export const PROTECTION_STATUSES = ['in_force', 'revoked'] as const;
export type ProtectionStatus = (typeof PROTECTION_STATUSES)[number];

export const PROTECTION_LIFECYCLE = defineLifecycle({
  noun: 'protection',
  statuses: PROTECTION_STATUSES,
  transitions: { revoke: { from: ['in_force'], to: 'revoked', verb: 'revoked' } },
});

export const protectionStatus = (row: { revoked_at: Date | null }): ProtectionStatus => (row.revoked_at ? 'revoked' : 'in_force');

export const revokeStep = (row: { revoked_at: Date | null }) => step(PROTECTION_LIFECYCLE, 'revoke', protectionStatus(row));
