-- Two or more Switchboard nodes on one database (issue #17). The routing command log is the cluster's one
-- sequence: every append takes this row's lock first, so appends (and their sequence numbers) commit one at a
-- time in log order, and each node applies the log's tail to its engine before its own command — no node
-- decides on a stale engine. The row is also the leader's lease: the holder fires the engine's timers and runs
-- the background jobs until expires_at (the database's clock, the one clock every node shares). Each new holder
-- raises the epoch, a fencing token: a tick appends only when the lease row, read under its lock, still names
-- the appender and its epoch, so a leader that paused past its lease (GC, SIGSTOP, a partition) never fires a
-- timer again. Each command stores the epoch in force when it was appended and the node that appended it, so a
-- check can show that each epoch's timers were fired by one node only.
CREATE TABLE cluster_leases (
  name text PRIMARY KEY,
  holder text,
  epoch bigint NOT NULL DEFAULT 0,
  acquired_at timestamptz,
  expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO cluster_leases (name) VALUES ('routing');

ALTER TABLE routing_commands ADD COLUMN epoch bigint, ADD COLUMN node text;
