/**
 * The tunable parts of the safeguards, each with a default and hard bounds no
 * configuration can cross. A change needs two people: proposed by an admin or
 * a legal reviewer, approved by someone of the other kind (services enforce
 * it, audited both times).
 */

export const SAFEGUARD_SETTINGS = {
  welfare_response_hours: { default: 24, min: 1, max: 72, meaning: 'hours to make a welfare referral before it is escalated' },
  handoff_ack_hours_danger: {
    default: 4,
    min: 1,
    max: 24,
    meaning: 'hours a receiving organisation has to acknowledge a hand-off about a child in danger before it is escalated',
  },
  handoff_ack_hours: { default: 24, min: 1, max: 72, meaning: 'hours a receiving organisation has to acknowledge any other hand-off' },
  handoff_outcome_hours: {
    default: 120,
    min: 24,
    max: 720,
    meaning: 'hours after acknowledging a hand-off by which the receiving organisation answers with its outcome, else it is escalated',
  },
  age_out_window_days: { default: 30, min: 7, max: 180, meaning: 'days ahead that persons turning 18 appear on the UAC board' },
  unsubstantiated_retention_days: {
    default: 180,
    min: 30,
    max: 3650,
    meaning: 'days after closing as unsubstantiated before a tip is purged (unless under legal hold)',
  },
  call_record_retention_days: {
    default: 365,
    min: 30,
    max: 3650,
    meaning:
      'days after a call ends before its record (the number, IVR path and outcome) and its finished callbacks are purged — never while a case it led to is under legal hold, never the UAC unit’s',
  },
  voicemail_retention_days: {
    default: 90,
    min: 7,
    max: 3650,
    meaning:
      'days after a voicemail was left before its audio is purged — never while a case it led to is under legal hold, never the UAC unit’s',
  },
  recording_retention_days: {
    default: 90,
    min: 7,
    max: 3650,
    meaning: 'days after a call before its recording is purged — never while a case it led to is under legal hold, never the UAC unit’s',
  },
  two_person_cooling_off_days: {
    default: 7,
    min: 1,
    max: 90,
    meaning:
      'days after someone creates an account or resets its password or second factor during which the two of them cannot make up a two-person approval',
  },
} as const;

export type SettingKey = keyof typeof SAFEGUARD_SETTINGS;
export const isSettingKey = (key: string): key is SettingKey => key in SAFEGUARD_SETTINGS;

export function checkSettingValue(key: SettingKey, value: number): string | undefined {
  const s = SAFEGUARD_SETTINGS[key];
  if (!Number.isInteger(value) || value < s.min || value > s.max) return `${key} must be a whole number from ${s.min} to ${s.max}`;
  return undefined;
}

/** Who may approve a change proposed by someone of `proposedRole`: the other kind, and never the proposer. */
export function mayApprove(
  change: { proposedBy: string; proposedRole: string },
  approver: { userId: string; role: string },
): string | undefined {
  if (change.proposedBy === approver.userId) return 'a change is approved by someone other than its proposer';
  if (change.proposedRole === approver.role)
    return `a change proposed by a ${change.proposedRole.replace('_', ' ')} is approved by ${change.proposedRole === 'admin' ? 'a legal reviewer' : 'an admin'}`;
  return undefined;
}
