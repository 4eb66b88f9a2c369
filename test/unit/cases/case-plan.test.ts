import { describe, expect, it } from 'vitest';
import { isOverdue, OPEN_SERVICE, outcomeRequired, PLAN_LIFECYCLE, SERVICE_LIFECYCLE } from '../../../src/domain/cases/case-plan.js';
import { closesOnApprovalOnly } from '../../../src/domain/cases/case-workflow.js';
import { can, step } from '../../../src/domain/workflow/lifecycle.js';

describe('case plan rules', () => {
  it('a service is overdue only while open and only once its due day has passed', () => {
    expect(isOverdue({ status: 'planned', dueOn: '2026-11-29' }, '2026-11-29')).toBe(false);
    expect(isOverdue({ status: 'planned', dueOn: '2026-11-29' }, '2026-11-30')).toBe(true);
    expect(isOverdue({ status: 'in_progress', dueOn: '2026-11-01' }, '2026-11-30')).toBe(true);
    expect(isOverdue({ status: 'delivered', dueOn: '2026-11-01' }, '2026-11-30')).toBe(false);
  });

  it('services end once, with an outcome; plans are approved only when submitted and reopen on a change', () => {
    expect(OPEN_SERVICE).toEqual(['planned', 'in_progress']);
    expect((['delivered', 'not_delivered', 'cancelled'] as const).every((s) => outcomeRequired(s))).toBe(true);
    expect(outcomeRequired('in_progress')).toBe(false);
    expect(step(SERVICE_LIFECYCLE, 'start', 'in_progress')).toEqual({
      ok: false,
      message: 'A service that is in progress cannot be started.',
    });
    expect(can(SERVICE_LIFECYCLE, 'cancel', 'delivered')).toBe(false);
    expect(can(PLAN_LIFECYCLE, 'approve', 'draft')).toBe(false);
    expect(step(PLAN_LIFECYCLE, 'change', 'approved')).toEqual({ ok: true, from: 'approved', to: 'draft' });
    expect(can(PLAN_LIFECYCLE, 'change', 'draft')).toBe(false);
  });

  it('only a UAC case closes by approval', () => {
    expect(closesOnApprovalOnly('uac_welfare')).toBe(true);
    expect(closesOnApprovalOnly('uac_location')).toBe(true);
    expect(closesOnApprovalOnly('general_tip')).toBe(false);
  });
});
