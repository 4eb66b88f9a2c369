import { describe, expect, it } from 'vitest';
import {
  ackDueAt,
  escalationDue,
  HANDOFF_LIFECYCLE,
  type HandoffStatus,
  OPEN_HANDOFF,
  overdue,
  waitedMinutes,
  waitingOn,
} from '../../../src/domain/safeguards/handoff-workflow.js';
import { step } from '../../../src/domain/workflow/lifecycle.js';

/** The hand-off rules (issue #22 item 4), without a database: deadlines, overdue, who must act. */

const T0 = new Date('2026-11-29T15:00:00Z');
const at = (hours: number) => new Date(T0.getTime() + hours * 3_600_000);
const hand = (
  status: HandoffStatus,
  over: Partial<{ ack_due_at: Date | null; outcome_due_at: Date | null; escalated_at: Date | null }> = {},
) => ({
  status,
  ack_due_at: at(24),
  outcome_due_at: null,
  escalated_at: null,
  ...over,
});

describe('hand-off rules', () => {
  it('a child in danger must be acknowledged sooner', () => {
    expect(ackDueAt(T0, true, { danger: 4, other: 24 })).toEqual(at(4));
    expect(ackDueAt(T0, false, { danger: 4, other: 24 })).toEqual(at(24));
  });

  it('is overdue unacknowledged at its target (not a minute before), or acknowledged without an outcome at its own', () => {
    expect(overdue(hand('sent'), new Date(at(24).getTime() - 60_000))).toBeNull();
    expect(overdue(hand('sent'), at(24))).toBe('unacknowledged');
    expect(overdue(hand('sending'), at(25))).toBe('unacknowledged');
    expect(overdue(hand('acknowledged', { outcome_due_at: at(120) }), at(119))).toBeNull();
    expect(overdue(hand('acknowledged', { outcome_due_at: at(120) }), at(120))).toBe('no_outcome');
    for (const s of ['closed', 'declined', 'refused', 'failed'] as const) expect(overdue(hand(s), at(1000))).toBeNull();
  });

  it('escalates once', () => {
    expect(escalationDue(hand('sent'), at(24))).toBe(true);
    expect(escalationDue(hand('sent', { escalated_at: at(24) }), at(48))).toBe(false);
  });

  it('who must act: the recipient while it has it; the center once refused, failed, declined or escalated; nobody when closed', () => {
    expect(waitingOn(hand('sent'))).toBe('recipient');
    expect(waitingOn(hand('acknowledged'))).toBe('recipient');
    expect(waitingOn(hand('sent', { escalated_at: at(24) }))).toBe('center');
    for (const s of ['refused', 'failed', 'declined'] as const) expect(waitingOn(hand(s))).toBe('center');
    expect(waitingOn(hand('closed'))).toBeNull();
  });

  it('waits from when it was sent, else from when it was raised', () => {
    expect(waitedMinutes({ sent_at: at(1), created_at: T0 }, at(3))).toBe(120);
    expect(waitedMinutes({ sent_at: null, created_at: T0 }, at(3))).toBe(180);
  });

  it('answers only while open; a closed hand-off cannot be declined', () => {
    expect(OPEN_HANDOFF).toEqual(['sending', 'sent', 'acknowledged']);
    expect(step(HANDOFF_LIFECYCLE, 'decline', 'closed')).toEqual({ ok: false, message: 'A hand-off that is closed cannot be declined.' });
    expect(step(HANDOFF_LIFECYCLE, 'acknowledge', 'sent')).toEqual({ ok: true, from: 'sent', to: 'acknowledged' });
  });
});
