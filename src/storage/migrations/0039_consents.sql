-- Issue #22 item 2: what the child (or a guardian) agreed may be shared with whom — Primero's consent_for_services
-- and disclosure_other_orgs. Each row is one decision (granted or refused) with its day on the center's calendar,
-- basis and recorder; a withdrawal is written on the row (who, when, why), never a deletion.
INSERT INTO permissions (name, description) VALUES
  ('consent:write', 'Record a child''s or guardian''s consent to share information, and its withdrawal');
INSERT INTO role_permissions (role, permission) VALUES ('uac_specialist', 'consent:write'), ('supervisor', 'consent:write');

CREATE TABLE consents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  -- services: service providers (legal aid, shelter, medical); other_orgs: other organisations and agencies.
  scope text NOT NULL CHECK (scope IN ('services', 'other_orgs')),
  -- Which recipients: every one of the scope, one kind of recipient, or one named organisation.
  recipient_kind text,
  recipient_name text,
  decision text NOT NULL CHECK (decision IN ('granted', 'refused')),
  given_by text NOT NULL CHECK (given_by IN ('child', 'guardian')),
  guardian_name text,
  given_on date NOT NULL,
  basis text NOT NULL,
  recorded_by uuid NOT NULL REFERENCES users (id),
  recorded_at timestamptz NOT NULL,
  withdrawn_on date,
  withdrawn_by uuid REFERENCES users (id),
  withdrawn_at timestamptz,
  withdrawal_reason text,
  CONSTRAINT consent_guardian_named CHECK (given_by = 'child' OR guardian_name IS NOT NULL),
  CONSTRAINT consent_withdrawn_together CHECK ((withdrawn_by IS NULL) = (withdrawn_at IS NULL) AND (withdrawn_on IS NULL) = (withdrawn_at IS NULL))
);
CREATE INDEX consents_case_person ON consents (case_id, person_id);
