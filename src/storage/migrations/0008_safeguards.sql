-- The UAC unit's safeguards: legal protections on persons and class-wide court
-- orders as rules over person attributes; welfare screenings and the welfare
-- referrals a positive screen creates; custody decisions before an age-out;
-- legal holds; safeguard settings that change only with two people.

-- What the EOIR (immigration court) record says, and whether the person came as an unaccompanied child.
ALTER TABLE persons
  ADD COLUMN eoir_status text NOT NULL DEFAULT 'unknown'
    CHECK (eoir_status IN ('unknown', 'none', 'pending', 'final_order', 'relief_granted', 'terminated')),
  ADD COLUMN unaccompanied boolean NOT NULL DEFAULT false;

CREATE TABLE legal_protections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES persons (id),
  kind text NOT NULL CHECK (kind IN (
    'court_case_pending', 'sijs_pending', 'sijs_approved', 'asylum_pending', 't_visa_pending', 't_visa_approved',
    'u_visa_pending', 'u_visa_approved', 'orr_custody', 'tvpra_screening_pending', 'court_order')),
  source text NOT NULL,
  reference text NOT NULL,
  starts_on date NOT NULL,
  ends_on date,
  next_hearing_on date,
  verified_by uuid REFERENCES users (id),
  verified_at timestamptz,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  revoked_by uuid REFERENCES users (id),
  revoked_at timestamptz,
  revoke_reason text,
  CHECK (ends_on IS NULL OR ends_on >= starts_on),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL) AND (revoked_at IS NULL) = (revoke_reason IS NULL))
);
CREATE INDEX legal_protections_person ON legal_protections (person_id);

-- A court order entered once as a rule over person attributes; it protects every matching person, now and later.
CREATE TABLE protection_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  reference text NOT NULL,
  condition jsonb NOT NULL,
  effective_from date NOT NULL,
  effective_until date,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  revoked_by uuid REFERENCES users (id),
  revoked_at timestamptz,
  revoke_reason text,
  CHECK (effective_until IS NULL OR effective_until >= effective_from)
);

CREATE TABLE welfare_screenings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  answers jsonb NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('positive', 'negative')),
  notes text,
  completed_by uuid NOT NULL REFERENCES users (id),
  completed_at timestamptz NOT NULL
);
CREATE INDEX welfare_screenings_case ON welfare_screenings (case_id, completed_at DESC);

CREATE TABLE welfare_referrals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  screening_id uuid NOT NULL REFERENCES welfare_screenings (id),
  agency text NOT NULL CHECK (agency IN ('orr', 'cps', 'ncmec')),
  reasons text[] NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'done')),
  due_at timestamptz NOT NULL,
  task_id text NOT NULL,
  escalated_at timestamptz,
  escalation_task_id text,
  done_by uuid REFERENCES users (id),
  done_at timestamptz,
  done_note text,
  created_at timestamptz NOT NULL
);
CREATE INDEX welfare_referrals_open ON welfare_referrals (status, due_at) WHERE status = 'open';

-- The documented placement or custody decision a child needs before turning 18.
CREATE TABLE custody_decisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES persons (id),
  case_id uuid REFERENCES cases (id),
  decision text NOT NULL CHECK (decision IN ('reunified_with_sponsor', 'orr_adult_transition', 'released_on_own_recognizance', 'alternatives_to_detention', 'other')),
  notes text NOT NULL,
  decided_by uuid NOT NULL REFERENCES users (id),
  decided_at timestamptz NOT NULL
);
CREATE INDEX custody_decisions_person ON custody_decisions (person_id);

-- A legal hold keeps a case from retention purges.
ALTER TABLE cases
  ADD COLUMN legal_hold_reason text,
  ADD COLUMN legal_hold_by uuid REFERENCES users (id),
  ADD COLUMN closed_at timestamptz;
UPDATE cases SET closed_at = updated_at WHERE status = 'closed';

-- Safeguard settings (response-time targets, windows): a change is proposed by one person and takes effect only when a
-- second person of the other kind (admin ↔ legal reviewer) approves it.
CREATE TABLE safeguard_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE safeguard_setting_changes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key text NOT NULL,
  value jsonb NOT NULL,
  reason text NOT NULL,
  proposed_by uuid NOT NULL REFERENCES users (id),
  proposed_role text NOT NULL,
  proposed_at timestamptz NOT NULL,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision text CHECK (decision IN ('approved', 'rejected')),
  CHECK ((decided_at IS NULL) = (decision IS NULL))
);

INSERT INTO permissions (name, description) VALUES
  ('protection:write', 'Record, verify and revoke legal protections on persons'),
  ('protection:rules', 'Enter and revoke class-wide court orders (protection rules)'),
  ('welfare:screen', 'Complete welfare screenings and close welfare referrals'),
  ('uac:board', 'See the UAC board: screenings, welfare referrals due, age-outs'),
  ('custody:decide', 'Record placement and custody decisions before an age-out'),
  ('audit:oversight', 'Read the oversight report of reads of minors'' records'),
  ('case:hold', 'Put a case under legal hold (kept from retention purges) or lift the hold'),
  ('safeguards:configure', 'Propose or approve changes to safeguard settings');

INSERT INTO role_permissions (role, permission) VALUES
  ('uac_specialist', 'protection:write'), ('uac_specialist', 'welfare:screen'), ('uac_specialist', 'uac:board'), ('uac_specialist', 'custody:decide'),
  ('supervisor', 'uac:board'),
  ('legal_reviewer', 'protection:write'), ('legal_reviewer', 'protection:rules'), ('legal_reviewer', 'uac:board'),
  ('legal_reviewer', 'case:hold'), ('supervisor', 'case:hold'), ('legal_reviewer', 'safeguards:configure'),
  ('analyst', 'protection:write'),
  ('auditor', 'audit:oversight'),
  ('admin', 'safeguards:configure');
