-- Partner exchange: submissions from partner agencies' systems, stored before
-- they are acknowledged (202) and processed after; idempotency by key per
-- agency; status webhooks to each agency's registered URL, signed, retried,
-- and kept in a dead-letter list when they cannot be delivered.
CREATE TABLE partner_submissions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agency_ori char(9) NOT NULL REFERENCES agencies (ori),
  client_id text NOT NULL REFERENCES partner_clients (client_id),
  type text NOT NULL CHECK (type IN ('location_report', 'encounter', 'uac_concern', 'hit_confirmation_request')),
  idempotency_key text CHECK (idempotency_key ~ '^[A-Za-z0-9_.:-]{8,100}$'),
  body_hash char(64) NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('received', 'processing', 'accepted', 'rejected')),
  reference text,
  case_id uuid REFERENCES cases (id),
  reasons jsonb,
  attempts integer NOT NULL DEFAULT 0,
  -- When a processor claimed it: a claim older than the lease (a crashed processor) is taken up again.
  claimed_at timestamptz,
  received_at timestamptz NOT NULL,
  processed_at timestamptz,
  UNIQUE (agency_ori, idempotency_key)
);
CREATE INDEX partner_submissions_pending ON partner_submissions (received_at) WHERE status IN ('received', 'processing');
CREATE INDEX partner_submissions_agency ON partner_submissions (agency_ori, received_at DESC);

CREATE TABLE agency_webhooks (
  agency_ori char(9) PRIMARY KEY REFERENCES agencies (ori),
  url text NOT NULL,
  secret_enc text NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agency_ori char(9) NOT NULL REFERENCES agencies (ori),
  submission_id uuid REFERENCES partner_submissions (id),
  event text NOT NULL,
  body jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_agency ON webhook_deliveries (agency_ori, status, created_at DESC);

INSERT INTO permissions (name, description) VALUES
  ('submission:create', 'Partner systems: submit reports for their own agency'),
  ('submission:read', 'Partner systems: read their own agency''s submissions, webhook settings and deliveries'),
  ('webhook:manage', 'See every agency''s webhook deliveries and redeliver dead ones');
INSERT INTO role_permissions (role, permission) VALUES ('admin', 'webhook:manage');
