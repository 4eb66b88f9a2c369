-- Partner exchange, second part: bulk CSV uploads, requests from the center
-- to partner agencies (the other direction), and API clients that a partner
-- officer asks for and an admin approves.

-- A bulk upload is stored whole before it is acknowledged (202), then split by
-- a background job into one submission per valid row; rows refused at
-- validation are kept with their reasons for the error report.
CREATE TABLE submission_batches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agency_ori char(9) NOT NULL REFERENCES agencies (ori),
  client_id text REFERENCES partner_clients (client_id),
  submitted_by uuid REFERENCES users (id),
  filename text,
  idempotency_key text CHECK (idempotency_key ~ '^[A-Za-z0-9_.:-]{8,100}$'),
  body_hash char(64) NOT NULL,
  content text NOT NULL,
  -- failed: the job could not split it in five attempts (a bug or a broken file the checks let through); the partner sees it.
  status text NOT NULL CHECK (status IN ('received', 'splitting', 'split', 'failed')),
  total_rows integer,
  -- [{row, column, code, message}] for rows that never became submissions.
  row_errors jsonb NOT NULL DEFAULT '[]',
  attempts integer NOT NULL DEFAULT 0,
  claimed_at timestamptz,
  received_at timestamptz NOT NULL,
  split_at timestamptz,
  CONSTRAINT submission_batches_has_sender CHECK (client_id IS NOT NULL OR submitted_by IS NOT NULL),
  UNIQUE (agency_ori, idempotency_key)
);
CREATE INDEX submission_batches_pending ON submission_batches (received_at) WHERE status IN ('received', 'splitting');
CREATE INDEX submission_batches_agency ON submission_batches (agency_ori, received_at DESC);

ALTER TABLE partner_submissions
  ADD COLUMN batch_id uuid REFERENCES submission_batches (id),
  ADD COLUMN batch_row integer,
  ADD CONSTRAINT partner_submissions_batch_row UNIQUE (batch_id, batch_row),
  ADD CONSTRAINT partner_submissions_batch_row_together CHECK ((batch_id IS NULL) = (batch_row IS NULL));

-- Requests to partner agencies: a welfare check, help locating someone, or a
-- question. Each passes the safeguard gate (held for legal review when it is
-- about a child or a protected person) and discloses only the snapshot in
-- `disclosed` — what the agency needs, never the case file.
CREATE SEQUENCE partner_request_number_seq;
CREATE TABLE partner_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reference text NOT NULL UNIQUE,
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  agency_ori char(9) NOT NULL REFERENCES agencies (ori),
  agency_basis text NOT NULL CHECK (agency_basis IN ('jurisdiction', 'chosen')),
  chosen_reason text,
  kind text NOT NULL CHECK (kind IN ('welfare_check', 'locate', 'information')),
  question text NOT NULL,
  location_id uuid REFERENCES location_observations (id),
  disclosed jsonb NOT NULL,
  purpose_code text NOT NULL,
  purpose_text text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending_review', 'denied', 'sent', 'acknowledged', 'answered', 'closed', 'withdrawn')),
  gate jsonb NOT NULL,
  due_at timestamptz NOT NULL,
  escalated_at timestamptz,
  answer_outcome text CHECK (answer_outcome IN ('seen_well', 'welfare_concern', 'located', 'not_located', 'unable', 'other')),
  answer_notes text,
  answer_location_id uuid REFERENCES location_observations (id),
  answer_report_id uuid REFERENCES reports (id),
  answered_at timestamptz,
  -- The ACD work items an answer and an escalation create: named here in the same transaction, so a sweep can make
  -- any that a crash kept from being created.
  answer_task_id text,
  escalation_task_id text,
  answered_by_client text REFERENCES partner_clients (client_id),
  answered_by_user uuid REFERENCES users (id),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz,
  CHECK (agency_basis <> 'chosen' OR chosen_reason IS NOT NULL),
  CHECK (status <> 'answered' OR answer_outcome IS NOT NULL)
);
CREATE INDEX partner_requests_agency ON partner_requests (agency_ori, status, due_at);
CREATE INDEX partner_requests_case ON partner_requests (case_id);
CREATE INDEX partner_requests_due ON partner_requests (due_at) WHERE status IN ('sent', 'acknowledged') AND escalated_at IS NULL;

CREATE TABLE partner_request_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id uuid NOT NULL REFERENCES partner_requests (id),
  at timestamptz NOT NULL,
  actor_id uuid REFERENCES users (id),
  actor_client text,
  kind text NOT NULL,
  from_status text,
  to_status text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX partner_request_events_request ON partner_request_events (request_id, id);
CREATE TRIGGER partner_request_events_no_update_delete BEFORE UPDATE OR DELETE ON partner_request_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Webhook deliveries may be about a request as well as a submission.
ALTER TABLE webhook_deliveries ADD COLUMN request_id uuid REFERENCES partner_requests (id);

-- API clients a partner officer asks for; an admin approves (the client is made) or refuses.
CREATE TABLE partner_client_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agency_ori char(9) NOT NULL REFERENCES agencies (ori),
  requested_by uuid NOT NULL REFERENCES users (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  scopes text[] NOT NULL,
  justification text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_note text,
  client_id text REFERENCES partner_clients (client_id),
  -- The new client's secret, encrypted, until the requesting officer collects it once.
  secret_enc text,
  secret_collected_at timestamptz,
  created_at timestamptz NOT NULL,
  CHECK (status <> 'approved' OR client_id IS NOT NULL)
);
CREATE INDEX partner_client_requests_agency ON partner_client_requests (agency_ori, created_at DESC);

INSERT INTO permissions (name, description) VALUES
  ('partner_request:create', 'Ask a partner agency for help (a welfare check, locating someone) about a case'),
  ('partner_request:respond', 'Partner officers and systems: read and answer requests addressed to their own agency'),
  ('client:request', 'Partner officers: ask for an API client for their own agency');
INSERT INTO role_permissions (role, permission) VALUES
  ('uac_specialist', 'partner_request:create'),
  ('analyst', 'partner_request:create'),
  ('partner_officer', 'partner_request:respond'),
  ('partner_officer', 'client:request');
