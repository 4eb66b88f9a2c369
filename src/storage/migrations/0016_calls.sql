-- Call records: one row per call, written as the call moves (arrived, IVR
-- done, queued, offered, answered, ended), so a crash loses at most the last
-- milestone. The caller's number is personal data: kept here for callbacks
-- and the record, never written to logs.
CREATE TABLE calls (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  adapter text NOT NULL CHECK (adapter IN ('sip', 'twilio', 'simulator')),
  external_id text NOT NULL,
  node text NOT NULL,
  line text NOT NULL,
  -- Need-to-know: calls on the UAC line, or about an unaccompanied child, are the UAC unit's (as their cases are).
  unit text NOT NULL DEFAULT 'general' CHECK (unit IN ('general', 'uac')),
  caller_number text,
  language text,
  reason text,
  interpreter boolean NOT NULL DEFAULT false,
  ivr_path jsonb NOT NULL DEFAULT '[]',
  attributes jsonb NOT NULL DEFAULT '{}',
  queue_id text,
  task_id text,
  callback_task_id text,
  agent_worker_id text,
  arrived_at timestamptz NOT NULL,
  ivr_done_at timestamptz,
  queued_at timestamptz,
  offered_at timestamptz,
  answered_at timestamptz,
  ended_at timestamptz,
  end_reason text CHECK (end_reason IN (
    'completed', 'abandoned_ivr', 'abandoned_queue', 'overflowed', 'callback', 'voicemail', 'emergency_guidance', 'closed', 'transferred', 'failed')),
  recording_ref text,
  -- Adapters that answer one webhook at a time (Twilio) keep the IVR's state here, so any node can take the next step.
  adapter_state jsonb,
  UNIQUE (adapter, external_id)
);
CREATE INDEX calls_arrived ON calls (arrived_at DESC);
CREATE INDEX calls_task ON calls (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX calls_open ON calls (node) WHERE ended_at IS NULL;

INSERT INTO permissions (name, description) VALUES ('call:read', 'Read call records (numbers, IVR path, timestamps, outcome)');
INSERT INTO role_permissions (role, permission) VALUES ('supervisor', 'call:read'), ('admin', 'call:read'), ('auditor', 'call:read');
