-- Staffing and schedules (issue #20, WFM): a week's forecast, the agents required per 15-minute interval, the shift
-- plan that covers them (an integer program) and the schedule for named agents, saved as generated. A later plan
-- for the same week supersedes an earlier one; both are kept (who planned what, when).
INSERT INTO permissions (name, description) VALUES
  ('staffing:plan', 'Forecast contacts, generate and save a week''s shift plan and schedule, and see schedule adherence');
INSERT INTO role_permissions (role, permission) VALUES ('supervisor', 'staffing:plan'), ('admin', 'staffing:plan');

CREATE TABLE staffing_plans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The Monday the week starts, on the center's calendar (CENTER_TIME_ZONE).
  week_start date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  -- Service target, AHT, patience, shrinkage, history weeks and the model, as asked.
  parameters jsonb NOT NULL,
  -- 672 numbers each (15-minute intervals from Monday 00:00 local): calls forecast, agents required, agents planned.
  forecast jsonb NOT NULL,
  requirement jsonb NOT NULL,
  coverage jsonb NOT NULL,
  agent_hours numeric NOT NULL CHECK (agent_hours >= 0),
  lower_bound numeric NOT NULL CHECK (lower_bound >= 0),
  solve_ms integer NOT NULL CHECK (solve_ms >= 0),
  solver_status text NOT NULL,
  open_shifts integer NOT NULL CHECK (open_shifts >= 0),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  -- The order plans were saved in: two saved in the same millisecond still have a latest.
  seq bigserial NOT NULL UNIQUE
);
CREATE INDEX staffing_plans_week ON staffing_plans (week_start, created_at DESC, seq DESC);

-- The schedule: one 'shift' row per agent-shift (start to end) and one 'meal' row inside it. worker_id is the
-- agent's user id (their routing worker); null is an open shift the plan needs and nobody was free to take.
CREATE TABLE schedule_entries (
  id bigserial PRIMARY KEY,
  plan_id uuid NOT NULL REFERENCES staffing_plans (id) ON DELETE CASCADE,
  worker_id uuid REFERENCES users (id),
  shift_no integer NOT NULL,
  activity text NOT NULL CHECK (activity IN ('shift', 'meal')),
  shape text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX schedule_entries_plan ON schedule_entries (plan_id, starts_at);
CREATE INDEX schedule_entries_worker ON schedule_entries (worker_id, starts_at);
