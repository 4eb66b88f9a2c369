// Over 500 lines: the type of every table, one place Kysely checks each query against (kept beside the migrations).
import type { ColumnType, Generated, Selectable } from 'kysely';

/** Kysely's view of the tables created by the SQL migrations. Keep in step with migrations/. */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type DateOnly = ColumnType<string, string, string>;

export type AppMetaTable = {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
};

export type FieldOfficesTable = { code: string; name: string; city: string; state: string; address: string | null };
export type AorStatesTable = { state: string; office_code: string };
export type AorCountiesTable = {
  state: string;
  county: string;
  county_key: string;
  office_code: string;
  confidence: 'confirmed' | 'inferred';
  note: string | null;
};

export type AgenciesTable = {
  ori: string;
  name: string;
  type: 'sheriff' | 'police' | 'state_police' | 'corrections' | 'other';
  state: string;
  county: string | null;
  agreement_model: 'task_force' | 'jail_enforcement' | 'warrant_service_officer';
  agreement_status: 'active' | 'suspended' | 'terminated' | 'pending';
  agreement_effective: DateOnly;
  agreement_end: DateOnly | null;
  synthetic: Generated<boolean>;
  created_at: CreatedAt;
  contacts: ColumnType<unknown, string | undefined, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
};

export type QueuesTable = {
  id: string;
  name: string;
  description: string;
  channel: 'voice' | 'work_item';
  target_expression: string;
  ordering: Generated<'fifo' | 'lifo'>;
  service_level_seconds: Generated<number>;
  service_level_target_percent: Generated<number>;
  max_wait_seconds: number | null;
  created_at: CreatedAt;
};

export type UsersTable = {
  id: Generated<string>;
  username: string;
  display_name: string;
  role: string;
  unit: string | null;
  agency_ori: string | null;
  field_office_code: string | null;
  password_hash: string | null;
  created_at: CreatedAt;
  disabled_at: Date | null;
  totp_secret_enc: string | null;
  totp_enrolled_at: Date | null;
  totp_last_step: ColumnType<string | null, number | null, number | null>;
  password_changed_at: Date | null;
  enrollment_token_hash: string | null;
  enrollment_expires_at: Date | null;
  /** Single sign-on: the identity provider's issuer and the person's subject there (both or neither). */
  sso_issuer: string | null;
  sso_subject: string | null;
  /** May sign in with password and TOTP while single sign-on is on (set by an admin). */
  break_glass: Generated<boolean>;
};

export type RolePermissionsTable = { role: string; permission: string };
export type RecoveryCodesTable = { user_id: string; code_hash: string; created_at: CreatedAt; used_at: Date | null };
export type SignInThrottleTable = {
  username_key: string;
  source_key: string;
  failures: number;
  last_failure_at: Date | null;
  locked_until: Date | null;
  updated_at: Date;
};
export type AuthChallengesTable = {
  token_hash: string;
  user_id: string;
  purpose: 'totp' | 'enroll';
  pending_secret_enc: string | null;
  created_at: CreatedAt;
  expires_at: Date;
  used_at: Date | null;
};
export type SessionsTable = {
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  source_ip: string | null;
};
export type PartnerClientsTable = {
  client_id: string;
  name: string;
  agency_ori: string;
  scopes: string[];
  secret_hash: string;
  created_at: CreatedAt;
  rotated_at: Date | null;
  revoked_at: Date | null;
  secret_generation: Generated<number>;
};
/** The fields every audit event has, pending or sealed (migration 0025). */
type AuditEventFields = {
  occurred_at: Date;
  actor_type: 'user' | 'client' | 'system' | 'anonymous';
  actor_id: string | null;
  actor_agency_ori: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  purpose: string | null;
  outcome: 'allowed' | 'denied' | 'error';
  source_ip: string | null;
  request_id: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
};

/** Events appended, not yet sealed: no sequence number, no hash, no lock. */
export type AuditInboxTable = AuditEventFields & {
  id: ColumnType<string, never, never>;
  appended_at: ColumnType<Date, never, never>;
};

/** The sealed, hash-chained log; rows arrive only through audit_seal(). */
export type AuditChainTable = AuditEventFields & {
  seq: ColumnType<string, never, never>;
  prev_hash: ColumnType<string, never, never>;
  hash: ColumnType<string, never, never>;
  inbox_id: ColumnType<string | null, never, never>;
  appended_at: ColumnType<Date | null, never, never>;
  sealed_at: ColumnType<Date | null, never, never>;
};

/** The view of everything that happened: the sealed chain, then the inbox's pending events (seq and hashes null). */
export type AuditEventsTable = {
  [K in keyof AuditEventFields]: ColumnType<Selectable<AuditEventFields>[K], never, never>;
} & {
  seq: ColumnType<string | null, never, never>;
  prev_hash: ColumnType<string | null, never, never>;
  hash: ColumnType<string | null, never, never>;
  inbox_id: ColumnType<string | null, never, never>;
  appended_at: ColumnType<Date | null, never, never>;
  sealed_at: ColumnType<Date | null, never, never>;
};

/** One row per sealed batch: the chain's head after it, the batch's Merkle root, the sealer's signature. */
export type AuditHeadsTable = {
  batch: ColumnType<string, never, never>;
  first_seq: ColumnType<string, never, never>;
  last_seq: ColumnType<string, never, never>;
  head_hash: ColumnType<string, never, never>;
  merkle_root: ColumnType<string, never, never>;
  sealed_at: ColumnType<Date, never, never>;
  holder: ColumnType<string, never, never>;
  epoch: ColumnType<string, never, never>;
  key_id: ColumnType<string | null, never, never>;
  signature: ColumnType<string | null, never, never>;
};

export type PersonsTable = {
  id: Generated<string>;
  given_names: string;
  family_name_1: string;
  family_name_2: string | null;
  dob: DateOnly | null;
  dob_basis: 'exact' | 'estimated' | 'claimed' | 'unknown';
  sex: 'female' | 'male' | 'unknown';
  nationalities: Generated<string[]>;
  languages: Generated<string[]>;
  phones: Generated<string[]>;
  a_number: string | null;
  synthetic: Generated<boolean>;
  created_at: CreatedAt;
  created_by: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Set while this record is merged into another (the survivor); the record itself is kept whole. */
  merged_into: string | null;
  eoir_status: Generated<EoirStatus>;
  unaccompanied: Generated<boolean>;
  /** Folded "given family1 family2" for trigram search; computed by the application. */
  search_name: Generated<string>;
  /** Blocking keys of src/domain/matching; computed by the application. */
  match_keys: Generated<string[]>;
};

/** Every date of birth given for a person, with its source (migration 0020). Rows are added, never changed. */
export type PersonDobAssertionsTable = {
  id: Generated<string>;
  seq: Generated<string>;
  person_id: string;
  dob: DateOnly | null;
  dob_basis: 'exact' | 'estimated' | 'claimed' | 'unknown';
  report_id: string | null;
  recorded_by: string | null;
  recorded_at: ColumnType<Date, Date | string | undefined, never>;
};

/** A legal reviewer's finding of a person's date of birth (migration 0020). Rows are added, never changed. */
export type AgeDeterminationsTable = {
  id: Generated<string>;
  person_id: string;
  dob: DateOnly;
  basis: 'documents' | 'age_assessment' | 'court_finding';
  evidence: string;
  determined_by: string;
  determined_at: ColumnType<Date, Date | string, never>;
};

export type LocationObservationsTable = {
  id: Generated<string>;
  person_id: string;
  line1: string | null;
  city: string | null;
  county: string | null;
  state: string | null;
  zip: string | null;
  precision: 'rooftop' | 'zip' | 'city' | 'county' | 'state';
  source: string;
  confidence: 'low' | 'medium' | 'high';
  observed_at: ColumnType<Date, Date | string, Date | string>;
  reported_at: ColumnType<Date, Date | string, Date | string>;
  created_at: CreatedAt;
  report_id: string | null;
  latitude: number | null;
  longitude: number | null;
  geocoder: string | null;
  aor_office_code: string | null;
  verified_by: string | null;
  verified_at: Date | null;
  verification_note: string | null;
};

export type CasesTable = {
  id: Generated<string>;
  case_number: string;
  type: 'enforcement_lead' | 'uac_location' | 'uac_welfare' | 'partner_referral' | 'hit_confirmation' | 'general_tip';
  status: 'new' | 'triage' | 'active' | 'referred' | 'closed';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  unit: string;
  aor_office_code: string | null;
  summary: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  status_reason: string | null;
  assignee_id: string | null;
  aor_basis: 'location' | 'override' | null;
  created_by: string | null;
  version: Generated<number>;
  legal_hold_reason: string | null;
  legal_hold_by: string | null;
  closed_at: Date | null;
};

export type ReportSource = 'public' | 'anonymous' | 'partner_officer' | 'federal_officer' | 'web';
export type ReportsTable = {
  id: Generated<string>;
  reference: string;
  source: ReportSource;
  reporter_name: string | null;
  reporter_phone: string | null;
  reporter_email: string | null;
  reporter_agency_ori: string | null;
  reporter_badge: string | null;
  callback_code_hash: string | null;
  narrative: string;
  language: string;
  source_reliability: 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
  information_credibility: number;
  call_id: string | null;
  submission_id: string | null;
  received_at: ColumnType<Date, Date | string, never>;
  created_by: string | null;
  created_at: CreatedAt;
};

export type SubjectRole = 'subject' | 'child' | 'sponsor' | 'guardian' | 'associate';
export type ReportSubjectsTable = { report_id: string; person_id: string; role: SubjectRole };
export type CaseReportsTable = { case_id: string; report_id: string };

export type PersonNamesTable = {
  id: Generated<string>;
  person_id: string;
  kind: 'alias' | 'spelling';
  given_names: string;
  family_name_1: string;
  family_name_2: string | null;
  report_id: string | null;
  created_at: CreatedAt;
};

export type IdentifierKind = 'fbi_number' | 'state_id' | 'orr_case_number' | 'passport';
export type PersonIdentifiersTable = {
  id: Generated<string>;
  person_id: string;
  kind: IdentifierKind;
  value: string;
  issuer: string | null;
  report_id: string | null;
  created_at: CreatedAt;
};

/** Maintained by a trigger from persons.match_keys (migration 0007); the application only reads it. */
export type PersonKeysTable = { key: string; person_id: string; search_name: string };

export type CaseEventsTable = {
  id: Generated<string>;
  case_id: string;
  at: ColumnType<Date, Date, never>;
  actor_id: string | null;
  actor_system: string | null;
  kind: string;
  details: ColumnType<Record<string, unknown>, string, never>;
};

export type PersonMergesTable = {
  id: Generated<string>;
  survivor_id: string;
  merged_id: string;
  reason: string;
  evidence: ColumnType<unknown, string, never>;
  merged_by: string;
  merged_at: ColumnType<Date, Date, never>;
  undone_by: string | null;
  undone_at: Date | null;
  undo_reason: string | null;
};

export type ReferralStatus = 'draft' | 'pending_review' | 'denied' | 'sent' | 'acknowledged' | 'outcome_reported' | 'closed' | 'withdrawn';
export type ReferralsTable = {
  id: Generated<string>;
  reference: string;
  case_id: string;
  purpose: 'enforcement' | 'location_information' | 'welfare';
  field_office_code: string;
  office_basis: 'verified_location' | 'latest_location' | 'case_aor' | 'override';
  office_override_reason: string | null;
  basis_location_id: string | null;
  status: ReferralStatus;
  notes: string | null;
  gate: ColumnType<unknown, string | null, string | null>;
  outcome: 'located' | 'not_located' | 'other' | null;
  outcome_notes: string | null;
  created_by: string;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
  sent_at: Date | null;
  version: Generated<number>;
};

export type ReferralEventsTable = {
  id: Generated<string>;
  referral_id: string;
  at: ColumnType<Date, Date, never>;
  actor_id: string | null;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
};

export type AttachmentsTable = {
  id: Generated<string>;
  case_id: string;
  report_id: string | null;
  sha256: string;
  size_bytes: number;
  media_type: string;
  filename: string;
  scan_status: 'clean' | 'infected' | 'not_scanned';
  scanner: string | null;
  created_by: string;
  created_at: ColumnType<Date, Date, never>;
};

export type CaseSubjectsTable = { case_id: string; person_id: string; role: SubjectRole };

export type SchemaMigrationsTable = {
  version: string;
  name: string;
  checksum: string;
  applied_at: CreatedAt;
};

export type RoutingCommandsTable = {
  seq: Generated<string>;
  at: Date;
  at_ms: ColumnType<string, number, never>;
  command: ColumnType<unknown, string, never>;
  actor_id: string | null;
  created_at: CreatedAt;
  /** The lease epoch in force when the command was appended, and the node that appended it (null before #17). */
  epoch: ColumnType<string | null, number | null | undefined, never>;
  node: ColumnType<string | null, string | null | undefined, never>;
};

/** Leases held by one node of a cluster at a time ('routing': the engine's timers and the background jobs). */
export type ClusterLeasesTable = {
  name: string;
  holder: string | null;
  epoch: ColumnType<string, never, number>;
  acquired_at: Date | null;
  expires_at: ColumnType<Date, never, Date>;
};

/** The routing engine's state at a log position (a cache of the replay up to `seq`; the log stays the truth). */
export type RoutingSnapshotsTable = {
  seq: ColumnType<string, string, never>;
  state_version: number;
  config: ColumnType<unknown, string, never>;
  state: ColumnType<Buffer, Buffer, never>;
  created_at: Generated<Date>;
};

/** Call-control nodes' heartbeats: a node not seen for the adoption delay is dead, and its open SIP calls are adopted. */
export type CallControlNodesTable = { node: string; seen_at: Date };

export type LiveCallRequestsTable = {
  id: Generated<string>;
  node: string;
  record_id: string | null;
  act: string;
  args: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
  taken_at: Date | null;
  done_at: Date | null;
  result: ColumnType<unknown, string | null, string | null>;
  error: ColumnType<{ code: string; message: string; details?: Record<string, unknown> } | null, string | null, string | null>;
};

export type RoutingWorkersTable = {
  user_id: string;
  attributes: ColumnType<Record<string, unknown>, string, string>;
  voice_capacity: Generated<number>;
  work_item_capacity: Generated<number>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
};

/** An account's phone at the SIP edge (migration 0037): its SIP user and the HA1 of each credential, encrypted. */
export type PhoneBindingsTable = {
  user_id: string;
  sip_user: string;
  phone_ha1_enc: string | null;
  phone_issued_at: Date | null;
  softphone_ha1_enc: string | null;
  softphone_issued_at: Date | null;
  bound_at: Date;
  bound_by: string | null;
};

export type SimulationRunsTable = {
  id: Generated<string>;
  requested_by: string;
  params: ColumnType<Record<string, unknown>, string, string>;
  status: 'requested' | 'running' | 'stop-requested' | 'finished' | 'refused';
  reason: string | null;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  requested_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
};

export type EoirStatus = 'unknown' | 'none' | 'pending' | 'final_order' | 'relief_granted' | 'terminated';

export type LegalProtectionsTable = {
  id: Generated<string>;
  person_id: string;
  kind:
    | 'court_case_pending'
    | 'sijs_pending'
    | 'sijs_approved'
    | 'asylum_pending'
    | 't_visa_pending'
    | 't_visa_approved'
    | 'u_visa_pending'
    | 'u_visa_approved'
    | 'orr_custody'
    | 'tvpra_screening_pending'
    | 'court_order';
  source: string;
  reference: string;
  starts_on: DateOnly;
  ends_on: DateOnly | null;
  next_hearing_on: DateOnly | null;
  verified_by: string | null;
  verified_at: Date | null;
  created_by: string;
  created_at: ColumnType<Date, Date, never>;
  revoked_by: string | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
};

export type ProtectionRulesTable = {
  id: Generated<string>;
  name: string;
  reference: string;
  condition: ColumnType<unknown, string, never>;
  effective_from: DateOnly;
  effective_until: DateOnly | null;
  created_by: string;
  created_at: ColumnType<Date, Date, never>;
  revoked_by: string | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
};

export type WelfareScreeningsTable = {
  id: Generated<string>;
  case_id: string;
  person_id: string;
  answers: ColumnType<Record<string, unknown>, string, never>;
  outcome: 'positive' | 'negative';
  notes: string | null;
  completed_by: string;
  completed_at: ColumnType<Date, Date, never>;
};

export type WelfareReferralsTable = {
  id: Generated<string>;
  case_id: string;
  screening_id: string;
  agency: 'orr' | 'cps' | 'ncmec';
  reasons: string[];
  status: 'open' | 'done';
  due_at: Date;
  task_id: string;
  escalated_at: Date | null;
  escalation_task_id: string | null;
  done_by: string | null;
  done_at: Date | null;
  done_note: string | null;
  created_at: ColumnType<Date, Date, never>;
};

export type CustodyDecisionsTable = {
  id: Generated<string>;
  person_id: string;
  case_id: string | null;
  decision: 'reunified_with_sponsor' | 'orr_adult_transition' | 'released_on_own_recognizance' | 'alternatives_to_detention' | 'other';
  notes: string;
  decided_by: string;
  decided_at: ColumnType<Date, Date, never>;
};

export type SafeguardSettingsTable = {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
};

export type SafeguardSettingChangesTable = {
  id: Generated<string>;
  key: string;
  value: ColumnType<unknown, string, never>;
  reason: string;
  proposed_by: string;
  proposed_role: string;
  proposed_at: ColumnType<Date, Date, never>;
  decided_by: string | null;
  decided_at: Date | null;
  decision: 'approved' | 'rejected' | null;
};

export type IntakeDraftsTable = {
  user_id: string;
  draft_key: string;
  form: string;
  data: ColumnType<unknown, string, string>;
  version: Generated<number>;
  updated_at: Date;
};

export type ContactDispositionsTable = {
  task_id: string;
  user_id: string;
  queue_id: string;
  channel: string;
  caller_number: string | null;
  disposition: string;
  notes: string | null;
  case_id: string | null;
  report_id: string | null;
  created_at: Date;
};

export type PartnerSubmissionsTable = {
  id: Generated<string>;
  agency_ori: string;
  client_id: string | null;
  submitted_by: string | null;
  type: 'location_report' | 'encounter' | 'uac_concern' | 'hit_confirmation_request';
  idempotency_key: string | null;
  body_hash: string;
  payload: ColumnType<unknown, string, string>;
  status: 'received' | 'processing' | 'accepted' | 'rejected';
  reference: string | null;
  case_id: string | null;
  reasons: ColumnType<unknown, string | null, string | null>;
  attempts: Generated<number>;
  claimed_at: Date | null;
  received_at: Date;
  processed_at: Date | null;
  batch_id: ColumnType<string | null, string | null | undefined, string | null>;
  batch_row: ColumnType<number | null, number | null | undefined, number | null>;
  task_id: ColumnType<string | null, string | null | undefined, string | null>;
};

export type SubmissionBatchesTable = {
  id: Generated<string>;
  agency_ori: string;
  client_id: string | null;
  submitted_by: string | null;
  filename: string | null;
  idempotency_key: string | null;
  body_hash: string;
  content: string;
  status: 'received' | 'splitting' | 'split' | 'failed';
  total_rows: number | null;
  row_errors: ColumnType<unknown, string | undefined, string>;
  attempts: Generated<number>;
  claimed_at: Date | null;
  received_at: Date;
  split_at: Date | null;
};

export type PartnerRequestStatus = 'pending_review' | 'denied' | 'sent' | 'acknowledged' | 'answered' | 'closed' | 'withdrawn';
export type PartnerRequestOutcome = 'seen_well' | 'welfare_concern' | 'located' | 'not_located' | 'unable' | 'other';
export type PartnerRequestsTable = {
  id: Generated<string>;
  reference: string;
  case_id: string;
  person_id: string;
  agency_ori: string;
  agency_basis: 'jurisdiction' | 'chosen';
  chosen_reason: string | null;
  kind: 'welfare_check' | 'locate' | 'information';
  question: string;
  location_id: string | null;
  disclosed: ColumnType<unknown, string, string>;
  purpose_code: string;
  purpose_text: string;
  status: PartnerRequestStatus;
  gate: ColumnType<unknown, string, string>;
  due_at: Date;
  escalated_at: Date | null;
  answer_outcome: PartnerRequestOutcome | null;
  answer_notes: string | null;
  answer_location_id: string | null;
  answer_report_id: string | null;
  answered_at: Date | null;
  answer_task_id: ColumnType<string | null, string | null | undefined, string | null>;
  escalation_task_id: ColumnType<string | null, string | null | undefined, string | null>;
  answered_by_client: string | null;
  answered_by_user: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  /** Sent at once about a child in danger (migration 0021); reviewed afterwards by a legal reviewer. */
  urgent_lane: Generated<boolean>;
  post_review_due_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  post_review_task_id: ColumnType<string | null, string | null | undefined, string | null>;
  post_review_finding: ColumnType<'proper' | 'improper' | null, 'proper' | 'improper' | null | undefined, 'proper' | 'improper' | null>;
  post_review_justification: ColumnType<string | null, string | null | undefined, string | null>;
  post_reviewed_by: ColumnType<string | null, string | null | undefined, string | null>;
  post_reviewed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  post_review_escalated_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  post_review_escalation_task_id: ColumnType<string | null, string | null | undefined, string | null>;
};

export type PartnerRequestEventsTable = {
  id: Generated<string>;
  request_id: string;
  at: ColumnType<Date, Date, never>;
  actor_id: string | null;
  actor_client: string | null;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
};

export type PartnerClientRequestsTable = {
  id: Generated<string>;
  agency_ori: string;
  requested_by: string;
  name: string;
  scopes: string[];
  justification: string;
  status: 'pending' | 'approved' | 'refused';
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  client_id: string | null;
  secret_enc: string | null;
  secret_collected_at: Date | null;
  created_at: Date;
};

export type CallEndReason =
  | 'completed'
  | 'abandoned_ivr'
  | 'abandoned_queue'
  | 'overflowed'
  | 'callback'
  | 'voicemail'
  | 'emergency_guidance'
  | 'closed'
  | 'transferred'
  | 'failed'
  | 'no_answer'
  | 'busy';
export type CallsTable = {
  id: Generated<string>;
  adapter: 'sip' | 'twilio' | 'simulator';
  external_id: string;
  node: string;
  line: string;
  unit: ColumnType<'general' | 'uac', 'general' | 'uac' | undefined, 'general' | 'uac'>;
  caller_number: string | null;
  language: string | null;
  reason: string | null;
  interpreter: Generated<boolean>;
  ivr_path: ColumnType<string[], string | undefined, string>;
  attributes: ColumnType<Record<string, unknown>, string | undefined, string>;
  queue_id: string | null;
  task_id: string | null;
  callback_task_id: string | null;
  agent_worker_id: string | null;
  arrived_at: Date;
  ivr_done_at: Date | null;
  queued_at: Date | null;
  offered_at: Date | null;
  answered_at: Date | null;
  ended_at: Date | null;
  end_reason: CallEndReason | null;
  recording_ref: string | null;
  adapter_state: ColumnType<unknown, string | null | undefined, string | null>;
  direction: ColumnType<'inbound' | 'outbound', 'inbound' | 'outbound' | undefined, 'inbound' | 'outbound'>;
  /** Times the caller was put on hold, and their seconds on hold in all (migration 0040); the hold in progress. */
  holds: Generated<number>;
  hold_seconds: Generated<number>;
  hold_started_at: Date | null;
};

export type RecordingsTable = {
  id: Generated<string>;
  call_id: string;
  unit: 'general' | 'uac';
  sha256: string;
  size_bytes: number;
  duration_ms: number;
  streams: number;
  created_at: Date;
};

export type CallbackStatus = 'queued' | 'dialing' | 'scheduled' | 'completed' | 'exhausted' | 'closed';
export type CallbackAttemptOutcome = 'answered' | 'no_answer' | 'busy' | 'voicemail' | 'failed' | 'agent_unreachable' | 'not_allowed';

export type CallbacksTable = {
  id: Generated<string>;
  call_id: string | null;
  number: string;
  line: string;
  unit: 'general' | 'uac';
  language: string;
  attributes: ColumnType<Record<string, unknown>, string | undefined, string>;
  time_zone: string | null;
  origin: 'ivr' | 'overflow' | 'scheduled';
  status: CallbackStatus;
  task_id: string | null;
  attempts: Generated<number>;
  max_attempts: number;
  next_attempt_at: Date | null;
  priority: Generated<number>;
  dialing_node: string | null;
  dialing_since: Date | null;
  dialing_state: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  last_outcome: CallbackAttemptOutcome | null;
  closed_by: string | null;
  closed_reason: string | null;
  created_at: Date;
  updated_at: Date;
};

export type CallbackAttemptsTable = {
  id: Generated<string>;
  callback_id: string;
  task_id: string;
  worker_id: string | null;
  call_id: string | null;
  outcome: CallbackAttemptOutcome;
  sip_status: number | null;
  counted: boolean;
  started_at: Date;
  ended_at: Date;
};

export type VoicemailsTable = {
  id: Generated<string>;
  call_id: string;
  line: string;
  unit: 'general' | 'uac';
  language: string;
  sha256: string;
  size_bytes: number;
  duration_ms: number;
  task_id: string | null;
  status: 'new' | 'worked';
  case_id: string | null;
  worked_by: string | null;
  worked_at: Date | null;
  created_at: Date;
};

/** Saved report definitions (migration 0032); a daily one is written to the report drop each day. */
export type ReportDefinitionsTable = {
  id: Generated<string>;
  name: string;
  owner_id: string;
  metrics: string[];
  groupings: string[];
  interval: '15m' | 'day' | 'total';
  range_days: number;
  schedule: 'none' | 'daily';
  last_delivered_day: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
};

export type AgencyWebhooksTable = { agency_ori: string; url: string; secret_enc: string; updated_at: Date };

export type WebhookDeliveriesTable = {
  id: Generated<string>;
  /** A partner agency's delivery; null for a hand-off's (organisation_id set instead, migration 0042). */
  agency_ori: string | null;
  handoff_id: ColumnType<string | null, string | null | undefined, string | null>;
  organisation_id: ColumnType<string | null, string | null | undefined, string | null>;
  submission_id: string | null;
  request_id: ColumnType<string | null, string | null | undefined, string | null>;
  event: string;
  body: ColumnType<unknown, string, string>;
  status: 'pending' | 'delivered' | 'dead';
  attempts: Generated<number>;
  next_attempt_at: Date;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
};

/** Staffing (migration 0033): a week's saved plan; the 672-interval series are JSON arrays. */
export type StaffingPlansTable = {
  id: Generated<string>;
  week_start: ColumnType<string, string, never>;
  parameters: ColumnType<unknown, string, never>;
  forecast: ColumnType<number[], string, never>;
  requirement: ColumnType<number[], string, never>;
  coverage: ColumnType<number[], string, never>;
  agent_hours: ColumnType<string, number, never>;
  lower_bound: ColumnType<string, number, never>;
  solve_ms: number;
  solver_status: string;
  open_shifts: number;
  created_by: string;
  created_at: Date;
  seq: Generated<string>;
};
export type ScheduleEntriesTable = {
  id: Generated<string>;
  plan_id: string;
  worker_id: string | null;
  shift_no: number;
  activity: 'shift' | 'meal';
  shape: string;
  starts_at: Date;
  ends_at: Date;
};

/** The center's configuration in versions (migration 0034): version 0, what ships in reference/, is not stored. */
export type ConfigVersionsTable = {
  kind: 'ivr_flow' | 'intake_forms';
  key: string;
  version: number;
  body: ColumnType<unknown, string, string>;
  note: string;
  restored_from: number | null;
  created_by: string | null;
  created_at: Date;
};

/** A link between a child and another person on a case, with its provenance (migration 0038). */
export type PersonRelationshipsTable = {
  id: Generated<string>;
  case_id: string;
  child_person_id: string;
  person_id: string;
  type: 'sponsor' | 'parent' | 'sibling' | 'caregiver' | 'relative' | 'other_adult';
  since: DateOnly | null;
  until: DateOnly | null;
  source: 'report' | 'orr' | 'partner' | 'case_worker' | 'suggestion';
  report_id: string | null;
  source_note: string | null;
  verification: Generated<'unverified' | 'verified' | 'disputed'>;
  verified_by: string | null;
  verified_at: Date | null;
  created_by: string;
  created_at: Date;
};

/** A link matching suggests; a case worker confirms or rejects it (migration 0038). */
export type RelationshipSuggestionsTable = {
  id: Generated<string>;
  case_id: string;
  child_person_id: string;
  person_id: string;
  reason: 'same_address' | 'same_phone' | 'named_as_sponsor';
  evidence: ColumnType<unknown, string, string>;
  status: Generated<'pending' | 'confirmed' | 'rejected'>;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  relationship_id: string | null;
  created_at: Date;
};

/** A legal reviewer's approval naming one sponsor in one referral or partner request (migration 0038). */
export type SponsorDisclosureApprovalsTable = {
  id: Generated<string>;
  sponsor_person_id: string;
  referral_id: string | null;
  partner_request_id: string | null;
  /** Naming the sponsor in a welfare referral's hand-off (migration 0042). */
  welfare_referral_id: ColumnType<string | null, string | null | undefined, string | null>;
  justification: string;
  approved_by: string;
  approved_at: Date;
};

/** A receiving organisation of welfare referrals of one type (migration 0042). */
export type HandoffOrganisationsTable = {
  id: Generated<string>;
  referral_type: 'orr' | 'cps' | 'ncmec';
  name: string;
  kind: string;
  webhook_url: string | null;
  secret_enc: string | null;
  credential_digest: string | null;
  credential_issued_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export type HandoffStatus = 'sending' | 'sent' | 'acknowledged' | 'closed' | 'declined' | 'refused' | 'failed';

/** A welfare referral handed off to its receiving organisation (migration 0042). */
export type HandoffsTable = {
  id: Generated<string>;
  welfare_referral_id: string;
  case_id: string;
  organisation_id: string;
  recipient_kind: string;
  recipient_name: string;
  status: HandoffStatus;
  child_in_danger: boolean;
  basis: 'consent' | 'child_in_danger' | 'safeguard_gate' | null;
  consent_id: string | null;
  refusal: string | null;
  snapshot: ColumnType<unknown, string | null, never>;
  sponsors_named: ColumnType<string[], string[] | undefined, never>;
  created_by: string;
  created_at: Date;
  sent_at: Date | null;
  ack_due_at: Date | null;
  acknowledged_at: Date | null;
  outcome_due_at: Date | null;
  closed_at: Date | null;
  outcome: string | null;
  failure: string | null;
  escalated_at: Date | null;
  escalation_task_id: string | null;
};

/** One consent decision of a child or guardian, and its withdrawal (migration 0039). */
export type ConsentsTable = {
  id: Generated<string>;
  case_id: string;
  person_id: string;
  scope: 'services' | 'other_orgs';
  recipient_kind: string | null;
  recipient_name: string | null;
  decision: 'granted' | 'refused';
  given_by: 'child' | 'guardian';
  guardian_name: string | null;
  given_on: DateOnly;
  basis: string;
  recorded_by: string;
  recorded_at: Date;
  withdrawn_on: DateOnly | null;
  withdrawn_by: string | null;
  withdrawn_at: Date | null;
  withdrawal_reason: string | null;
};

/** What a child says they want, in their own words or through an interpreter; history, never changed (migration 0043). */
export type ChildWishesTable = {
  id: Generated<string>;
  case_id: string;
  person_id: string;
  topic: 'where_to_live' | 'family_contact' | 'school' | 'health' | 'faith_and_culture' | 'other';
  wish: string;
  expressed_on: DateOnly;
  voice: 'child_own_words' | 'through_interpreter';
  interpreter: string | null;
  recorded_by: string;
  recorded_at: Date;
};

/** Who a child lives with from a day (migration 0043). */
export type CareArrangementsTable = {
  id: Generated<string>;
  case_id: string;
  person_id: string;
  type: 'with_sponsor' | 'with_parent' | 'with_relative' | 'foster_care' | 'orr_shelter' | 'unaccompanied_no_care' | 'other';
  caregiver_relationship_id: string | null;
  from_day: DateOnly;
  until_day: DateOnly | null;
  notes: string | null;
  recorded_by: string;
  recorded_at: Date;
};

/** A risk factor a case worker recorded for a child (migration 0043). */
export type RiskFactorsTable = {
  id: Generated<string>;
  case_id: string;
  person_id: string;
  kind: 'trafficking_indicator' | 'abuse' | 'neglect' | 'exploitation' | 'missing' | 'medical' | 'mental_health' | 'other';
  level: 'low' | 'medium' | 'high';
  noted_on: DateOnly;
  notes: string | null;
  recorded_by: string;
  recorded_at: Date;
};

/** A child's case plan: its approval state (migration 0041). */
export type CasePlansTable = {
  case_id: string;
  status: 'draft' | 'submitted' | 'approved' | 'returned';
  submitted_by: string | null;
  submitted_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  note: string | null;
  created_at: Date;
  updated_at: Date;
};

/** A need assessed on a child's case (migration 0041). */
export type CaseNeedsTable = {
  id: Generated<string>;
  case_id: string;
  need: 'legal' | 'shelter' | 'medical' | 'mental_health' | 'education' | 'family_reunification' | 'safety' | 'other';
  assessed_on: DateOnly;
  notes: string | null;
  assessed_by: string;
  created_at: Date;
};

/** A service planned against a need (migration 0041). */
export type CaseServicesTable = {
  id: Generated<string>;
  case_id: string;
  need_id: string;
  type: 'legal_aid' | 'shelter' | 'medical' | 'mental_health' | 'education' | 'family_reunification' | 'other';
  provider: string;
  due_on: DateOnly;
  status: 'planned' | 'in_progress' | 'delivered' | 'not_delivered' | 'cancelled';
  outcome: string | null;
  overdue_alerted_at: Date | null;
  alert_task_id: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
};

/** Each change of a service's status (migration 0041). */
export type CaseServiceStatusChangesTable = {
  id: Generated<string>;
  seq: Generated<string>;
  service_id: string;
  from_status: string | null;
  to_status: string;
  outcome: string | null;
  changed_by: string;
  changed_at: Date;
};

/** A request to close a UAC case, decided by a supervisor (migration 0041). */
export type CaseClosureRequestsTable = {
  id: Generated<string>;
  seq: Generated<string>;
  case_id: string;
  status: 'requested' | 'approved' | 'refused';
  close_reason: string;
  note: string;
  requested_by: string;
  requested_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  refusal_reason: string | null;
};

export type Database = {
  person_relationships: PersonRelationshipsTable;
  relationship_suggestions: RelationshipSuggestionsTable;
  sponsor_disclosure_approvals: SponsorDisclosureApprovalsTable;
  consents: ConsentsTable;
  child_wishes: ChildWishesTable;
  care_arrangements: CareArrangementsTable;
  risk_factors: RiskFactorsTable;
  case_plans: CasePlansTable;
  case_needs: CaseNeedsTable;
  case_services: CaseServicesTable;
  case_service_status_changes: CaseServiceStatusChangesTable;
  case_closure_requests: CaseClosureRequestsTable;
  handoff_organisations: HandoffOrganisationsTable;
  handoffs: HandoffsTable;
  app_meta: AppMetaTable;
  field_offices: FieldOfficesTable;
  aor_states: AorStatesTable;
  aor_counties: AorCountiesTable;
  agencies: AgenciesTable;
  queues: QueuesTable;
  users: UsersTable;
  persons: PersonsTable;
  person_dob_assertions: PersonDobAssertionsTable;
  age_determinations: AgeDeterminationsTable;
  location_observations: LocationObservationsTable;
  cases: CasesTable;
  case_subjects: CaseSubjectsTable;
  reports: ReportsTable;
  report_subjects: ReportSubjectsTable;
  case_reports: CaseReportsTable;
  person_names: PersonNamesTable;
  person_identifiers: PersonIdentifiersTable;
  person_keys: PersonKeysTable;
  case_events: CaseEventsTable;
  person_merges: PersonMergesTable;
  referrals: ReferralsTable;
  referral_events: ReferralEventsTable;
  attachments: AttachmentsTable;
  legal_protections: LegalProtectionsTable;
  protection_rules: ProtectionRulesTable;
  welfare_screenings: WelfareScreeningsTable;
  welfare_referrals: WelfareReferralsTable;
  custody_decisions: CustodyDecisionsTable;
  safeguard_settings: SafeguardSettingsTable;
  safeguard_setting_changes: SafeguardSettingChangesTable;
  intake_drafts: IntakeDraftsTable;
  contact_dispositions: ContactDispositionsTable;
  partner_submissions: PartnerSubmissionsTable;
  calls: CallsTable;
  callbacks: CallbacksTable;
  callback_attempts: CallbackAttemptsTable;
  voicemails: VoicemailsTable;
  recordings: RecordingsTable;
  submission_batches: SubmissionBatchesTable;
  partner_requests: PartnerRequestsTable;
  partner_request_events: PartnerRequestEventsTable;
  partner_client_requests: PartnerClientRequestsTable;
  agency_webhooks: AgencyWebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  config_versions: ConfigVersionsTable;
  report_definitions: ReportDefinitionsTable;
  staffing_plans: StaffingPlansTable;
  schedule_entries: ScheduleEntriesTable;
  schema_migrations: SchemaMigrationsTable;
  role_permissions: RolePermissionsTable;
  user_recovery_codes: RecoveryCodesTable;
  sign_in_throttle: SignInThrottleTable;
  auth_challenges: AuthChallengesTable;
  sessions: SessionsTable;
  partner_clients: PartnerClientsTable;
  audit_events: AuditEventsTable;
  audit_inbox: AuditInboxTable;
  audit_chain: AuditChainTable;
  audit_heads: AuditHeadsTable;
  routing_commands: RoutingCommandsTable;
  cluster_leases: ClusterLeasesTable;
  call_control_nodes: CallControlNodesTable;
  live_call_requests: LiveCallRequestsTable;
  routing_snapshots: RoutingSnapshotsTable;
  routing_workers: RoutingWorkersTable;
  phone_bindings: PhoneBindingsTable;
  simulation_runs: SimulationRunsTable;
};
