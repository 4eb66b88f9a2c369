-- Issue #22 item 3: a child's services and case plan (as Primero/CPIMS+ case plans): needs assessed on the case,
-- services planned against them (provider, due day, status, outcome), the plan approved by a supervisor, and
-- closing a UAC case only on a supervisor's approval of a closure request. Status changes are rows, never
-- overwritten history; an overdue service is alerted once (overdue_alerted_at, a work item in the UAC queue).
INSERT INTO permissions (name, description) VALUES
  ('plan:write', 'Assess a child''s needs, plan and follow services, submit the case plan and request the case''s closure'),
  ('plan:approve', 'As a supervisor, approve or return a child''s case plan and approve or refuse the closure of the case');
INSERT INTO role_permissions (role, permission) VALUES
  ('uac_specialist', 'plan:write'),
  ('supervisor', 'plan:write'),
  ('supervisor', 'plan:approve');

-- One plan per case: its approval state. Needs and services hang off the case.
CREATE TABLE case_plans (
  case_id uuid PRIMARY KEY REFERENCES cases (id),
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'approved', 'returned')),
  submitted_by uuid REFERENCES users (id),
  submitted_at timestamptz,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  note text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT case_plan_submitted_together CHECK ((submitted_by IS NULL) = (submitted_at IS NULL)),
  CONSTRAINT case_plan_decided_together CHECK ((decided_by IS NULL) = (decided_at IS NULL))
);

CREATE TABLE case_needs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  need text NOT NULL CHECK (need IN ('legal', 'shelter', 'medical', 'mental_health', 'education', 'family_reunification', 'safety', 'other')),
  assessed_on date NOT NULL,
  notes text,
  assessed_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);
CREATE INDEX case_needs_case ON case_needs (case_id);

CREATE TABLE case_services (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  need_id uuid NOT NULL REFERENCES case_needs (id),
  type text NOT NULL CHECK (type IN ('legal_aid', 'shelter', 'medical', 'mental_health', 'education', 'family_reunification', 'other')),
  provider text NOT NULL,
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'delivered', 'not_delivered', 'cancelled')),
  outcome text,
  overdue_alerted_at timestamptz,
  alert_task_id uuid,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT case_service_outcome CHECK (status IN ('planned', 'in_progress') OR outcome IS NOT NULL)
);
CREATE INDEX case_services_case ON case_services (case_id);
CREATE INDEX case_services_open ON case_services (due_on) WHERE status IN ('planned', 'in_progress') AND overdue_alerted_at IS NULL;

-- Each change of a service's status: who, when, from what to what, with the outcome given.
CREATE TABLE case_service_status_changes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The order they were written in (instants can tie).
  seq bigint GENERATED ALWAYS AS IDENTITY,
  service_id uuid NOT NULL REFERENCES case_services (id),
  from_status text,
  to_status text NOT NULL,
  outcome text,
  changed_by uuid NOT NULL REFERENCES users (id),
  changed_at timestamptz NOT NULL
);
CREATE INDEX case_service_status_changes_service ON case_service_status_changes (service_id);

-- A request to close a UAC case, decided by a supervisor other than the requester.
CREATE TABLE case_closure_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The order they were made in (instants can tie): the latest is the one the case shows.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  case_id uuid NOT NULL REFERENCES cases (id),
  status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'refused')),
  close_reason text NOT NULL,
  note text NOT NULL,
  requested_by uuid NOT NULL REFERENCES users (id),
  requested_at timestamptz NOT NULL,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  refusal_reason text,
  CONSTRAINT closure_decided_together CHECK ((decided_by IS NULL) = (decided_at IS NULL)),
  CONSTRAINT closure_refusal_reason CHECK (status <> 'refused' OR refusal_reason IS NOT NULL)
);
CREATE UNIQUE INDEX case_closure_one_open ON case_closure_requests (case_id) WHERE status = 'requested';
CREATE INDEX case_closure_requests_case ON case_closure_requests (case_id, seq);
