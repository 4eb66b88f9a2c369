-- Hand-offs (issue #22 item 4): a welfare referral sent to the receiving organisation configured for its type
-- (ORR, CPS, NCMEC), with the minimal snapshot and the disclosure basis that allowed it; acknowledged and answered
-- by the organisation through its own API; escalated once when overdue.

INSERT INTO permissions (name, description) VALUES
  ('handoff:configure', 'Configure the organisations welfare referrals are handed off to, their webhooks and credentials'),
  ('handoff:send', 'Send a welfare referral to its receiving organisation and follow the hand-offs'),
  ('handoff:answer', 'Receiving organisations: read, acknowledge and answer hand-offs addressed to them');
INSERT INTO role_permissions (role, permission) VALUES
  ('admin', 'handoff:configure'),
  ('uac_specialist', 'handoff:send'),
  ('supervisor', 'handoff:send');

-- One receiving organisation per welfare-referral type. The webhook is optional (without one, hand-offs wait in
-- the organisation's inbox, the portal way); its secret is encrypted like partner webhooks'. The organisation's API
-- credential is stored as a SHA-256 digest only.
CREATE TABLE handoff_organisations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  referral_type text NOT NULL UNIQUE CHECK (referral_type IN ('orr', 'cps', 'ncmec')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text NOT NULL,
  webhook_url text,
  secret_enc text,
  credential_digest text UNIQUE,
  credential_issued_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT handoff_org_webhook_secret CHECK ((webhook_url IS NULL) = (secret_enc IS NULL))
);

CREATE TABLE handoffs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  welfare_referral_id uuid NOT NULL REFERENCES welfare_referrals (id),
  case_id uuid NOT NULL REFERENCES cases (id),
  organisation_id uuid NOT NULL REFERENCES handoff_organisations (id),
  -- The recipient as it was when sent (the organisation's configuration may change later).
  recipient_kind text NOT NULL,
  recipient_name text NOT NULL,
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'acknowledged', 'closed', 'declined', 'refused', 'failed')),
  child_in_danger boolean NOT NULL,
  -- The disclosure check's answer: the basis that allowed it (and the consent), or the rule that refused it.
  basis text CHECK (basis IN ('consent', 'child_in_danger', 'safeguard_gate')),
  consent_id uuid REFERENCES consents (id),
  refusal text,
  -- Exactly what left, and the sponsors a legal reviewer approved naming in it.
  snapshot jsonb,
  sponsors_named uuid[] NOT NULL DEFAULT '{}',
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  ack_due_at timestamptz,
  acknowledged_at timestamptz,
  outcome_due_at timestamptz,
  closed_at timestamptz,
  outcome text,
  failure text,
  escalated_at timestamptz,
  escalation_task_id text,
  CONSTRAINT handoff_basis_or_refusal CHECK ((status = 'refused') = (basis IS NULL)),
  CONSTRAINT handoff_snapshot CHECK (status = 'refused' OR snapshot IS NOT NULL)
);
-- One hand-off in flight per welfare referral.
CREATE UNIQUE INDEX handoffs_one_open ON handoffs (welfare_referral_id) WHERE status IN ('sending', 'sent', 'acknowledged');
CREATE INDEX handoffs_case ON handoffs (case_id, created_at);
CREATE INDEX handoffs_open ON handoffs (status, ack_due_at) WHERE status IN ('sending', 'sent', 'acknowledged');

-- Webhook deliveries serve hand-offs too: a delivery goes to a partner agency or to a receiving organisation.
ALTER TABLE webhook_deliveries
  ALTER COLUMN agency_ori DROP NOT NULL,
  ADD COLUMN handoff_id uuid REFERENCES handoffs (id),
  ADD COLUMN organisation_id uuid REFERENCES handoff_organisations (id),
  ADD CONSTRAINT webhook_delivery_one_recipient CHECK ((agency_ori IS NULL) <> (organisation_id IS NULL));

-- A legal reviewer's approval naming a sponsor may be given for a welfare referral's hand-off.
ALTER TABLE sponsor_disclosure_approvals
  ADD COLUMN welfare_referral_id uuid REFERENCES welfare_referrals (id),
  DROP CONSTRAINT sponsor_approval_one_disclosure,
  ADD CONSTRAINT sponsor_approval_one_disclosure CHECK (
    (referral_id IS NOT NULL)::int + (partner_request_id IS NOT NULL)::int + (welfare_referral_id IS NOT NULL)::int = 1
  );
CREATE UNIQUE INDEX sponsor_approval_welfare ON sponsor_disclosure_approvals (welfare_referral_id, sponsor_person_id)
  WHERE welfare_referral_id IS NOT NULL;
