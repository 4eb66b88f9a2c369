-- Recordings people can play (issue #19): the conversation of a call whose caller heard the recording notice,
-- mixed from rtpengine's capture into one WAV after the call, stored by content (the attachments' store), played
-- by roles allowed with every play audited with its purpose, and purged on their own schedule.
CREATE TABLE recordings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  call_id uuid NOT NULL UNIQUE REFERENCES calls(id) ON DELETE CASCADE,
  unit text NOT NULL DEFAULT 'general' CHECK (unit IN ('general', 'uac')),
  sha256 text NOT NULL,
  size_bytes integer NOT NULL,
  duration_ms integer NOT NULL,
  -- How many parties' audio the mix holds (the caller, the agent, …).
  streams integer NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX recordings_created ON recordings (created_at);

INSERT INTO permissions (name, description) VALUES
  ('recording:play', 'Play call recordings of the units one may read (every play audited with its stated purpose)');
INSERT INTO role_permissions (role, permission) VALUES ('supervisor', 'recording:play'), ('auditor', 'recording:play');
