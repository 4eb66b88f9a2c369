-- Help on a live SIP call that another node holds (issue #19): a SIP call's media is on the node that holds it
-- (calls.node), so the node serving a supervisor's or agent's request writes the act here and the holder — woken by
-- NOTIFY live_call_requests, or its one-second poll — takes it (one UPDATE … SKIP LOCKED), carries it out on the
-- call's media and writes the answer, which the asker reads and then deletes. A row lives for one request; the
-- audit keeps who asked for what and why.
CREATE TABLE live_call_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  node text NOT NULL,
  record_id uuid,
  act text NOT NULL CHECK (act IN ('list', 'supervise', 'leave', 'interpreter', 'drop_interpreter', 'consult',
    'consult_conference', 'consult_transfer', 'consult_cancel')),
  args jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  taken_at timestamptz,
  done_at timestamptz,
  result jsonb,
  error jsonb
);
CREATE INDEX live_call_requests_waiting ON live_call_requests (node, created_at) WHERE taken_at IS NULL;
