-- Promises kept to callers (issue #19). A callback is a promise: the center tries the caller's number until it
-- reaches them, inside calling hours, up to a limit, then puts it on a supervisor's list; each try is an ACD task
-- an agent accepts, and a row in callback_attempts with how it ended. A voicemail is work: its audio (stored by
-- content, like attachments) and a task in the queue of the line and language it came from.
-- Outbound calls are call records too (direction 'outbound'), so reports count them with the rest.

ALTER TABLE calls ADD COLUMN direction text NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound'));
ALTER TABLE calls DROP CONSTRAINT calls_end_reason_check;
ALTER TABLE calls ADD CONSTRAINT calls_end_reason_check CHECK (end_reason IN (
  'completed', 'abandoned_ivr', 'abandoned_queue', 'overflowed', 'callback', 'voicemail', 'emergency_guidance', 'closed',
  'transferred', 'failed', 'no_answer', 'busy'));

CREATE TABLE callbacks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The call that asked for it (the IVR's key 1, an overflow) or whose agent scheduled it.
  call_id uuid REFERENCES calls(id) ON DELETE SET NULL,
  -- The number to call: personal data, never logged, shown to agents masked (the center dials, not the agent).
  number text NOT NULL,
  line text NOT NULL,
  unit text NOT NULL DEFAULT 'general' CHECK (unit IN ('general', 'uac')),
  language text NOT NULL DEFAULT 'en',
  -- The IVR's variables of the call: the workflow routes each try to the queue the call went to.
  attributes jsonb NOT NULL DEFAULT '{}',
  -- The caller's time zone when known (calling hours are theirs), else null: the center's.
  time_zone text,
  origin text NOT NULL CHECK (origin IN ('ivr', 'overflow', 'scheduled')),
  status text NOT NULL CHECK (status IN ('queued', 'dialing', 'scheduled', 'completed', 'exhausted', 'closed')),
  -- The ACD task of the current try (queued, dialing).
  task_id text,
  -- Tries that reached the caller's number (an agent who did not pick up is not a try).
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  -- When the ACD releases it (scheduled).
  next_attempt_at timestamptz,
  priority integer NOT NULL DEFAULT 0,
  -- The node dialing it, and since when: a node that dies mid-try leaves a row a sweep gives back.
  dialing_node text,
  dialing_since timestamptz,
  last_outcome text,
  closed_by uuid REFERENCES users(id),
  closed_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX callbacks_task ON callbacks (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE status = 'scheduled';
CREATE INDEX callbacks_status ON callbacks (status, updated_at DESC);

CREATE TABLE callback_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  callback_id uuid NOT NULL REFERENCES callbacks(id) ON DELETE CASCADE,
  task_id text NOT NULL,
  worker_id text,
  -- The outbound call's record (none when the caller's number was never dialed).
  call_id uuid REFERENCES calls(id) ON DELETE SET NULL,
  outcome text NOT NULL CHECK (outcome IN ('answered', 'no_answer', 'busy', 'voicemail', 'failed', 'agent_unreachable', 'not_allowed')),
  sip_status integer,
  counted boolean NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL
);
CREATE INDEX callback_attempts_of ON callback_attempts (callback_id, started_at);

CREATE TABLE voicemails (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  call_id uuid NOT NULL UNIQUE REFERENCES calls(id) ON DELETE CASCADE,
  line text NOT NULL,
  unit text NOT NULL DEFAULT 'general' CHECK (unit IN ('general', 'uac')),
  language text NOT NULL DEFAULT 'en',
  -- The audio: a WAV stored by its SHA-256 (the attachments' store), checked on every play.
  sha256 text NOT NULL,
  size_bytes integer NOT NULL,
  duration_ms integer NOT NULL,
  task_id text UNIQUE,
  status text NOT NULL CHECK (status IN ('new', 'worked')),
  case_id uuid REFERENCES cases(id) ON DELETE SET NULL,
  worked_by uuid REFERENCES users(id),
  worked_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX voicemails_created ON voicemails (created_at);

INSERT INTO permissions (name, description) VALUES
  ('callback:manage', 'See the callbacks the center owes (numbers masked) and the tries made; retry or close those whose tries ran out'),
  ('voicemail:play', 'Play voicemails of the units one may read (every play audited with its purpose)');
INSERT INTO role_permissions (role, permission) VALUES
  ('supervisor', 'callback:manage'), ('admin', 'callback:manage'),
  ('call_taker', 'voicemail:play'), ('uac_specialist', 'voicemail:play'), ('supervisor', 'voicemail:play');
