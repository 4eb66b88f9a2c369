-- The routing engine's durable state: the log of the commands it applied, in
-- order, each with the time it happened. The engine is deterministic, so
-- replaying the log rebuilds exactly the state it had: waiting tasks keep their
-- place and arrival time, agents their activity, accepted tasks their agent.
CREATE TABLE routing_commands (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  at_ms bigint NOT NULL,
  command jsonb NOT NULL,
  actor_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER routing_commands_no_update_delete BEFORE UPDATE OR DELETE ON routing_commands
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- What routing knows of a staff member as an agent: attributes for target
-- expressions (skills, languages, unit, level) and capacity per channel.
CREATE TABLE routing_workers (
  user_id uuid PRIMARY KEY REFERENCES users (id),
  attributes jsonb NOT NULL DEFAULT '{}',
  voice_capacity integer NOT NULL DEFAULT 1 CHECK (voice_capacity BETWEEN 0 AND 1),
  work_item_capacity integer NOT NULL DEFAULT 3 CHECK (work_item_capacity BETWEEN 0 AND 20),
  updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO permissions (name, description) VALUES
  ('routing:work', 'Take work as an agent: set own activity, accept and finish offered tasks'),
  ('routing:supervise', 'See every queue and task, move and cancel tasks, set agents'' routing attributes'),
  ('task:create', 'Create work items (follow-ups, callbacks) for the queues');

INSERT INTO role_permissions (role, permission) VALUES
  ('call_taker', 'routing:work'), ('uac_specialist', 'routing:work'), ('analyst', 'routing:work'), ('supervisor', 'routing:work'),
  ('supervisor', 'routing:supervise'), ('admin', 'routing:supervise'),
  ('call_taker', 'task:create'), ('uac_specialist', 'task:create'), ('analyst', 'task:create'), ('supervisor', 'task:create');
