/**
 * The words server and web app share: who a user is (roles), why a child's record is read (purpose codes) and the
 * agency registry's kinds, 287(g) models and agreement statuses.
 * Declared once here; the domain (access rules, the purpose check), the request schemas and the web app's
 * pickers all read these lists, so adding a role or a purpose is one edit.
 */

export const ROLES = [
  'call_taker',
  'uac_specialist',
  'analyst',
  'supervisor',
  'legal_reviewer',
  'field_officer',
  'partner_officer',
  'auditor',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/** Purpose of use: why someone reads a child's record (or one of unknown age, or a UAC case); kept in the audit log. */
export const PURPOSE_CODES = [
  'case_work',
  'welfare_check',
  'location_follow_up',
  'referral_preparation',
  'legal_review',
  'supervision',
  'quality_review',
  'other',
] as const;
export type PurposeCode = (typeof PURPOSE_CODES)[number];

/** The shortest purpose, in characters, the server accepts in words. */
export const MIN_PURPOSE_LENGTH = 10;

/** The agency registry's words: kinds of agency, 287(g) agreement models and agreement statuses. */
export const AGENCY_TYPES = ['sheriff', 'police', 'state_police', 'corrections', 'other'] as const;
export const AGREEMENT_MODELS = ['task_force', 'jail_enforcement', 'warrant_service_officer'] as const;
export const AGREEMENT_STATUSES = ['active', 'suspended', 'terminated', 'pending'] as const;
