-- Issue #22 item 1: who a child is with. Relationships are links between two persons (the child and a sponsor,
-- parent, sibling, caregiver or other adult) on a case, each with its provenance like a location observation:
-- where it came from (a report, ORR, a partner, a case worker), since/until as center-calendar days, and whether
-- it is verified. Rows are ended (until) or corrected by a new row, never overwritten in place: the history stays.
INSERT INTO permissions (name, description) VALUES
  ('relationship:write', 'Record a child''s relationships (sponsors, parents, siblings, caregivers) and confirm or reject suggested links'),
  ('sponsor:approve_disclosure', 'As a legal reviewer, approve naming a protected sponsor in one referral or partner request');
INSERT INTO role_permissions (role, permission) VALUES
  ('uac_specialist', 'relationship:write'),
  ('supervisor', 'relationship:write'),
  ('legal_reviewer', 'sponsor:approve_disclosure');

CREATE TABLE person_relationships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  child_person_id uuid NOT NULL REFERENCES persons (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  type text NOT NULL CHECK (type IN ('sponsor', 'parent', 'sibling', 'caregiver', 'relative', 'other_adult')),
  since date,
  until date,
  source text NOT NULL CHECK (source IN ('report', 'orr', 'partner', 'case_worker', 'suggestion')),
  report_id uuid REFERENCES reports (id),
  source_note text,
  verification text NOT NULL DEFAULT 'unverified' CHECK (verification IN ('unverified', 'verified', 'disputed')),
  verified_by uuid REFERENCES users (id),
  verified_at timestamptz,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  CONSTRAINT relationship_not_self CHECK (child_person_id <> person_id),
  CONSTRAINT relationship_dates CHECK (until IS NULL OR since IS NULL OR since <= until),
  CONSTRAINT relationship_verified_together CHECK ((verified_by IS NULL) = (verified_at IS NULL))
);
CREATE INDEX person_relationships_case ON person_relationships (case_id);
CREATE INDEX person_relationships_person ON person_relationships (person_id, type);

-- Links matching suggests (same address, same phone, named as sponsor in an intake). A case worker confirms (a
-- relationship is made) or rejects; nothing is linked by itself. One suggestion per case, pair and reason.
CREATE TABLE relationship_suggestions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  child_person_id uuid NOT NULL REFERENCES persons (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  reason text NOT NULL CHECK (reason IN ('same_address', 'same_phone', 'named_as_sponsor')),
  evidence jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'rejected')),
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_note text,
  relationship_id uuid REFERENCES person_relationships (id),
  created_at timestamptz NOT NULL,
  UNIQUE (case_id, child_person_id, person_id, reason)
);

-- A legal reviewer's approval naming one protected sponsor in one disclosure (a referral or a partner request).
-- Without one, the sponsor is kept out of that disclosure (held by the gate; withheld from packet and record).
CREATE TABLE sponsor_disclosure_approvals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sponsor_person_id uuid NOT NULL REFERENCES persons (id),
  referral_id uuid REFERENCES referrals (id),
  partner_request_id uuid REFERENCES partner_requests (id),
  justification text NOT NULL,
  approved_by uuid NOT NULL REFERENCES users (id),
  approved_at timestamptz NOT NULL,
  CONSTRAINT sponsor_approval_one_disclosure CHECK ((referral_id IS NULL) <> (partner_request_id IS NULL))
);
CREATE UNIQUE INDEX sponsor_approval_referral ON sponsor_disclosure_approvals (referral_id, sponsor_person_id) WHERE referral_id IS NOT NULL;
CREATE UNIQUE INDEX sponsor_approval_request ON sponsor_disclosure_approvals (partner_request_id, sponsor_person_id)
  WHERE partner_request_id IS NOT NULL;
