-- The agent desktop: intake drafts saved continuously to the server (closing
-- the browser mid-call loses nothing), and the disposition of each contact —
-- the history a screen-pop shows for a caller's number.
CREATE TABLE intake_drafts (
  user_id uuid NOT NULL REFERENCES users (id),
  draft_key text NOT NULL CHECK (draft_key ~ '^[A-Za-z0-9_.:-]{1,100}$'),
  form text NOT NULL,
  data jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, draft_key)
);

CREATE TABLE contact_dispositions (
  task_id text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  queue_id text NOT NULL,
  channel text NOT NULL,
  caller_number text,
  disposition text NOT NULL,
  notes text,
  case_id uuid REFERENCES cases (id),
  report_id uuid REFERENCES reports (id),
  created_at timestamptz NOT NULL
);
CREATE INDEX contact_dispositions_caller ON contact_dispositions (caller_number, created_at DESC) WHERE caller_number IS NOT NULL;
