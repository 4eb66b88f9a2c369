-- Historical reporting (issue #20): figures computed from the durable records (calls, callbacks, voicemails,
-- referrals, screenings, partner requests), never from the routing engine's memory. Reports are aggregates: no
-- caller's number leaves in them, and every read is audited.
INSERT INTO permissions (name, description) VALUES
  ('report:read', 'Run historical reports (counts and times by interval, queue, line, language, agent, disposition) and keep report definitions (audited)');
INSERT INTO role_permissions (role, permission) VALUES ('supervisor', 'report:read'), ('admin', 'report:read'), ('auditor', 'report:read');

-- A report kept to run again: what to compute (metrics, groupings, interval) and over which days relative to
-- today (range_days days ending yesterday on the center's calendar). A daily one is written as a CSV file to the
-- report drop directory each morning for the day before; last_delivered_day says which day was written last.
CREATE TABLE report_definitions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  owner_id uuid NOT NULL REFERENCES users (id),
  metrics text[] NOT NULL CHECK (cardinality(metrics) BETWEEN 1 AND 40),
  groupings text[] NOT NULL DEFAULT '{}',
  interval text NOT NULL CHECK (interval IN ('15m', 'day', 'total')),
  range_days integer NOT NULL CHECK (range_days BETWEEN 1 AND 366),
  schedule text NOT NULL DEFAULT 'none' CHECK (schedule IN ('none', 'daily')),
  last_delivered_day date,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz
);
CREATE INDEX report_definitions_daily ON report_definitions (schedule) WHERE schedule = 'daily' AND deleted_at IS NULL;

-- The calls report reads queued inbound calls by the time they entered a queue (the task's arrival).
CREATE INDEX calls_queued ON calls (queued_at) WHERE queued_at IS NOT NULL;
