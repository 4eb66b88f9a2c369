-- Case management: intake reports with their reporter and grading, persons'
-- other names and identifiers, locations as observations with provenance and
-- geocode precision, cases with a timeline, merges that can be undone,
-- referrals to field offices with a timeline, and content-addressed
-- attachments. Nothing here is ever overwritten in place where history
-- matters: timelines and merges are rows, not updates.

-- Intake: what someone told us, from whom, graded.
CREATE SEQUENCE report_number_seq;
CREATE TABLE reports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reference text NOT NULL UNIQUE,
  source text NOT NULL CHECK (source IN ('public', 'anonymous', 'partner_officer', 'federal_officer', 'web')),
  -- Reporter identity: shown only to viewers with reporter:identity, never in a referral packet.
  reporter_name text,
  reporter_phone text,
  reporter_email text,
  reporter_agency_ori char(9) REFERENCES agencies (ori),
  reporter_badge text,
  -- An anonymous reporter gets a callback code to quote when calling back; we keep only its hash.
  callback_code_hash text UNIQUE,
  narrative text NOT NULL,
  language text NOT NULL,
  source_reliability char(1) NOT NULL CHECK (source_reliability IN ('A', 'B', 'C', 'D', 'E', 'F')),
  information_credibility smallint NOT NULL CHECK (information_credibility BETWEEN 1 AND 6),
  call_id text,
  submission_id text,
  received_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (source <> 'anonymous' OR (reporter_name IS NULL AND reporter_phone IS NULL AND reporter_email IS NULL)),
  CHECK (source <> 'partner_officer' OR reporter_agency_ori IS NOT NULL)
);
CREATE INDEX reports_received ON reports (received_at DESC);
CREATE INDEX reports_reporter_phone ON reports (reporter_phone) WHERE reporter_phone IS NOT NULL;

-- Persons: more than one nationality and language, phone numbers, and a merge pointer.
ALTER TABLE persons
  ADD COLUMN nationalities text[] NOT NULL DEFAULT '{}',
  ADD COLUMN languages text[] NOT NULL DEFAULT '{}',
  ADD COLUMN phones text[] NOT NULL DEFAULT '{}',
  ADD COLUMN merged_into uuid REFERENCES persons (id),
  ADD COLUMN created_by uuid REFERENCES users (id),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT persons_not_merged_into_self CHECK (merged_into IS NULL OR merged_into <> id);
UPDATE persons SET nationalities = ARRAY[nationality] WHERE nationality IS NOT NULL;
ALTER TABLE persons DROP COLUMN nationality;
CREATE INDEX persons_phones ON persons USING gin (phones);
CREATE INDEX persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;

-- Other names a person is known by: aliases and other spellings, with where we heard them.
CREATE TABLE person_names (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES persons (id),
  kind text NOT NULL CHECK (kind IN ('alias', 'spelling')),
  given_names text NOT NULL,
  family_name_1 text NOT NULL,
  family_name_2 text,
  report_id uuid REFERENCES reports (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_names_person ON person_names (person_id);

-- Identifiers other than the A-number (which stays on persons, unique).
CREATE TABLE person_identifiers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES persons (id),
  kind text NOT NULL CHECK (kind IN ('fbi_number', 'state_id', 'orr_case_number', 'passport')),
  value text NOT NULL,
  -- The state of a state ID, the country of a passport.
  issuer text,
  report_id uuid REFERENCES reports (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (person_id, kind, value, issuer)
);
CREATE INDEX person_identifiers_value ON person_identifiers (kind, value);

-- Locations: provenance and geocode on every observation.
ALTER TABLE location_observations
  ADD COLUMN report_id uuid REFERENCES reports (id),
  ADD COLUMN latitude double precision CHECK (latitude BETWEEN -90 AND 90),
  ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180),
  ADD COLUMN geocoder text,
  ADD COLUMN aor_office_code text REFERENCES field_offices (code),
  ADD COLUMN verified_by uuid REFERENCES users (id),
  ADD COLUMN verified_at timestamptz,
  ADD COLUMN verification_note text,
  ADD CONSTRAINT location_verified_together CHECK ((verified_by IS NULL) = (verified_at IS NULL));
CREATE INDEX location_observations_report ON location_observations (report_id);
CREATE INDEX location_observations_zip ON location_observations (zip);
CREATE INDEX location_observations_aor ON location_observations (aor_office_code);
CREATE INDEX location_observations_line1_trgm ON location_observations USING gin (lower(line1) gin_trgm_ops);

-- Which subjects a report was about.
CREATE TABLE report_subjects (
  report_id uuid NOT NULL REFERENCES reports (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  role text NOT NULL CHECK (role IN ('subject', 'child', 'sponsor', 'guardian', 'associate')),
  PRIMARY KEY (report_id, person_id)
);
CREATE INDEX report_subjects_person ON report_subjects (person_id);

-- Cases: workflow fields, an assignee, the basis of the area of responsibility, and a version for optimistic concurrency.
CREATE SEQUENCE case_number_seq;
ALTER TABLE cases
  ADD COLUMN status_reason text,
  ADD COLUMN assignee_id uuid REFERENCES users (id),
  ADD COLUMN aor_basis text CHECK (aor_basis IN ('location', 'override')),
  ADD COLUMN created_by uuid REFERENCES users (id),
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD CONSTRAINT cases_unit_known CHECK (unit IN ('intake', 'uac', 'partner', 'enforcement')),
  ADD CONSTRAINT cases_closed_has_reason CHECK (status <> 'closed' OR status_reason IS NOT NULL);
CREATE INDEX cases_aor ON cases (aor_office_code, status);
CREATE INDEX cases_assignee ON cases (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX cases_summary_trgm ON cases USING gin (lower(summary) gin_trgm_ops);

CREATE TABLE case_reports (
  case_id uuid NOT NULL REFERENCES cases (id),
  report_id uuid NOT NULL REFERENCES reports (id),
  PRIMARY KEY (case_id, report_id)
);
CREATE INDEX case_reports_report ON case_reports (report_id);

-- A case's timeline: every event, in order, append-only.
CREATE TABLE case_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases (id),
  at timestamptz NOT NULL,
  actor_id uuid REFERENCES users (id),
  actor_system text,
  kind text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON case_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Merges: the merged record is kept whole and points at the survivor; undoing clears the pointer. Both are rows here.
CREATE TABLE person_merges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  survivor_id uuid NOT NULL REFERENCES persons (id),
  merged_id uuid NOT NULL REFERENCES persons (id),
  reason text NOT NULL,
  evidence jsonb NOT NULL DEFAULT '[]',
  merged_by uuid NOT NULL REFERENCES users (id),
  merged_at timestamptz NOT NULL,
  undone_by uuid REFERENCES users (id),
  undone_at timestamptz,
  undo_reason text,
  CHECK (survivor_id <> merged_id),
  CHECK ((undone_at IS NULL) = (undone_by IS NULL) AND (undone_at IS NULL) = (undo_reason IS NULL))
);
CREATE UNIQUE INDEX person_merges_one_active ON person_merges (merged_id) WHERE undone_at IS NULL;
CREATE INDEX person_merges_survivor ON person_merges (survivor_id);

-- Referrals from a case to a field office.
CREATE SEQUENCE referral_number_seq;
CREATE TABLE referrals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reference text NOT NULL UNIQUE,
  case_id uuid NOT NULL REFERENCES cases (id),
  purpose text NOT NULL CHECK (purpose IN ('enforcement', 'location_information', 'welfare')),
  field_office_code text NOT NULL REFERENCES field_offices (code),
  office_basis text NOT NULL CHECK (office_basis IN ('verified_location', 'latest_location', 'case_aor', 'override')),
  office_override_reason text,
  basis_location_id uuid REFERENCES location_observations (id),
  status text NOT NULL CHECK (status IN ('draft', 'pending_review', 'denied', 'sent', 'acknowledged', 'outcome_reported', 'closed', 'withdrawn')),
  notes text,
  -- The safeguard gate's last answer, with its reasons, as shown to the user.
  gate jsonb,
  outcome text CHECK (outcome IN ('located', 'not_located', 'other')),
  outcome_notes text,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  CHECK (office_basis <> 'override' OR office_override_reason IS NOT NULL),
  CHECK (status <> 'outcome_reported' OR outcome IS NOT NULL)
);
CREATE INDEX referrals_office ON referrals (field_office_code, status, updated_at DESC);
CREATE INDEX referrals_case ON referrals (case_id);

CREATE TABLE referral_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  referral_id uuid NOT NULL REFERENCES referrals (id),
  at timestamptz NOT NULL,
  actor_id uuid REFERENCES users (id),
  kind text NOT NULL,
  from_status text,
  to_status text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
CREATE TRIGGER referral_events_no_update_delete BEFORE UPDATE OR DELETE ON referral_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Attachments: content on disk under its SHA-256, metadata here.
CREATE TABLE attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  report_id uuid REFERENCES reports (id),
  sha256 char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes integer NOT NULL CHECK (size_bytes > 0),
  media_type text NOT NULL,
  filename text NOT NULL,
  scan_status text NOT NULL CHECK (scan_status IN ('clean', 'infected', 'not_scanned')),
  scanner text,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);

INSERT INTO permissions (name, description) VALUES
  ('report:create', 'Record intake: reports, their subjects and locations, opening or updating a case'),
  ('case:read', 'Read cases, their timelines, reports and attachments (UAC cases need the UAC unit)'),
  ('case:write', 'Change cases: status, assignment, locations, follow-ups, attachments'),
  ('person:merge', 'Merge duplicate persons and undo merges'),
  ('referral:create', 'Draft and submit referrals to field offices'),
  ('referral:read', 'Read referrals and their packets (field officers: their office only)'),
  ('referral:act', 'Acknowledge referrals and report their outcome (field officers: their office only)'),
  ('referral:review', 'Approve or deny referrals held for legal review');

INSERT INTO role_permissions (role, permission) VALUES
  ('call_taker', 'report:create'), ('call_taker', 'case:read'),
  ('uac_specialist', 'report:create'), ('uac_specialist', 'case:read'), ('uac_specialist', 'case:write'),
  ('uac_specialist', 'referral:create'), ('uac_specialist', 'referral:read'),
  ('analyst', 'report:create'), ('analyst', 'case:read'), ('analyst', 'case:write'), ('analyst', 'person:merge'),
  ('analyst', 'referral:create'), ('analyst', 'referral:read'),
  ('supervisor', 'report:create'), ('supervisor', 'case:read'), ('supervisor', 'case:write'), ('supervisor', 'person:merge'),
  ('supervisor', 'referral:create'), ('supervisor', 'referral:read'),
  ('legal_reviewer', 'case:read'), ('legal_reviewer', 'referral:read'), ('legal_reviewer', 'referral:review'),
  ('field_officer', 'referral:read'), ('field_officer', 'referral:act');
