-- Identity and accountability: roles and permissions as data, staff sign-in
-- with a mandatory second factor, server-side sessions, partner machine
-- clients, and the append-only, hash-chained audit log.

-- Roles and permissions are data: the permission table below is what
-- authorize() enforces; need-to-know scopes (agency, field office) are rules in
-- the domain code on top of it.
CREATE TABLE roles (
  name text PRIMARY KEY,
  description text NOT NULL
);

CREATE TABLE permissions (
  name text PRIMARY KEY CHECK (name ~ '^[a-z_]+:[a-z_]+$'),
  description text NOT NULL
);

CREATE TABLE role_permissions (
  role text NOT NULL REFERENCES roles (name),
  permission text NOT NULL REFERENCES permissions (name),
  PRIMARY KEY (role, permission)
);

INSERT INTO roles (name, description) VALUES
  ('call_taker', 'Answers the public and partner lines and records intake'),
  ('uac_specialist', 'Works unaccompanied-children cases'),
  ('analyst', 'Triages, matches and refers cases'),
  ('supervisor', 'Runs the floor: queues, staffing, quality'),
  ('legal_reviewer', 'Approves or denies referrals held by the safeguards'),
  ('field_officer', 'Receives referrals for their field office'),
  ('partner_officer', 'Officer of a partner agency: their own agency''s submissions'),
  ('auditor', 'Reads the audit log; no case content'),
  ('admin', 'Manages accounts, clients and reference data');

INSERT INTO permissions (name, description) VALUES
  ('reference:read', 'Read field offices, areas of responsibility and queues'),
  ('queue:read', 'Read queues'),
  ('person:read', 'Read persons and their location observations'),
  ('person:identifiers', 'See identifiers (A-number, FBI number, state ID) on persons'),
  ('reporter:identity', 'See who reported something (need-to-know)'),
  ('agency:read', 'Read partner agencies'),
  ('user:read', 'List staff accounts'),
  ('user:manage', 'Add, disable and reset staff accounts'),
  ('client:manage', 'Add, rotate and revoke partner machine clients'),
  ('audit:read', 'Read and verify the audit log');

INSERT INTO role_permissions (role, permission) VALUES
  ('call_taker', 'reference:read'), ('call_taker', 'queue:read'), ('call_taker', 'person:read'), ('call_taker', 'reporter:identity'),
  ('uac_specialist', 'reference:read'), ('uac_specialist', 'queue:read'), ('uac_specialist', 'person:read'), ('uac_specialist', 'person:identifiers'), ('uac_specialist', 'reporter:identity'),
  ('analyst', 'reference:read'), ('analyst', 'queue:read'), ('analyst', 'person:read'), ('analyst', 'person:identifiers'), ('analyst', 'agency:read'),
  ('supervisor', 'reference:read'), ('supervisor', 'queue:read'), ('supervisor', 'person:read'), ('supervisor', 'person:identifiers'), ('supervisor', 'reporter:identity'), ('supervisor', 'agency:read'), ('supervisor', 'user:read'),
  ('legal_reviewer', 'reference:read'), ('legal_reviewer', 'person:read'), ('legal_reviewer', 'person:identifiers'),
  ('field_officer', 'reference:read'), ('field_officer', 'person:read'), ('field_officer', 'person:identifiers'),
  ('partner_officer', 'agency:read'),
  ('auditor', 'audit:read'),
  ('admin', 'reference:read'), ('admin', 'queue:read'), ('admin', 'agency:read'), ('admin', 'user:read'), ('admin', 'user:manage'), ('admin', 'client:manage');

ALTER TABLE users
  ADD CONSTRAINT users_role_fkey FOREIGN KEY (role) REFERENCES roles (name),
  ALTER COLUMN password_hash DROP NOT NULL,
  ADD COLUMN totp_secret_enc text,
  ADD COLUMN totp_enrolled_at timestamptz,
  ADD COLUMN totp_last_step bigint,
  ADD COLUMN password_changed_at timestamptz,
  ADD COLUMN enrollment_token_hash text UNIQUE,
  ADD COLUMN enrollment_expires_at timestamptz,
  ADD CONSTRAINT users_enrolled_has_secret CHECK (totp_enrolled_at IS NULL OR totp_secret_enc IS NOT NULL);

CREATE TABLE user_recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id),
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Failed sign-ins by the name typed, whether or not such an account exists, so
-- that the lockout says nothing about which accounts exist.
CREATE TABLE sign_in_throttle (
  username_key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Between the password and the second factor: a short-lived challenge.
CREATE TABLE auth_challenges (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  purpose text NOT NULL CHECK (purpose IN ('totp', 'enroll')),
  pending_secret_enc text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (purpose <> 'enroll' OR pending_secret_enc IS NOT NULL)
);

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash text NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  source_ip text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE partner_clients (
  client_id text PRIMARY KEY CHECK (client_id ~ '^pc_[a-z0-9]{20}$'),
  name text NOT NULL,
  agency_ori char(9) NOT NULL REFERENCES agencies (ori),
  scopes text[] NOT NULL,
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz,
  revoked_at timestamptz
);

-- The audit log: append-only and hash-chained. Each row's hash covers a
-- canonical serialisation of its fields and the previous row's hash, so any
-- change, deletion or insertion in the middle breaks the chain at that row.
CREATE TABLE audit_events (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  occurred_at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'client', 'system', 'anonymous')),
  actor_id text,
  actor_agency_ori text,
  action text NOT NULL,
  resource_type text,
  resource_id text,
  purpose text,
  outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied', 'error')),
  source_ip text,
  request_id text,
  details jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_events_resource ON audit_events (resource_type, resource_id, occurred_at);
CREATE INDEX audit_events_actor ON audit_events (actor_type, actor_id, occurred_at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
