-- Requests to run synthetic live traffic through a running server (demo
-- databases only): `switchboard simulate --live` writes a request, the server
-- that owns the routing engine picks it up, runs it and reports progress here.
CREATE TABLE simulation_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  requested_by text NOT NULL,
  params jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('requested', 'running', 'stop-requested', 'finished', 'refused')),
  reason text,
  progress jsonb NOT NULL DEFAULT '{}',
  requested_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulation_runs_open ON simulation_runs (status) WHERE status IN ('requested', 'running', 'stop-requested');
