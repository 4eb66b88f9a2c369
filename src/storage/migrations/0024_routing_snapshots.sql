-- Engine snapshots (issue #17): the routing log grows by about 40,000 commands a day, and a node starting (or one
-- taking over after a restart) replays it. Every few thousand commands the leader stores its engine's state at a
-- log position; a starting node restores the latest snapshot it can read (same state version) and replays only the
-- commands after it. The log stays whole and remains the truth: a snapshot is a cache of a replay, and can be
-- deleted at any time.
CREATE TABLE routing_snapshots (
  seq bigint PRIMARY KEY,
  state_version integer NOT NULL,
  config jsonb NOT NULL,
  state bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
