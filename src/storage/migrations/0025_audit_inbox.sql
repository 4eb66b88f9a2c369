-- Issue #18: the audit log without a global lock. Until now every audited transaction took one advisory lock,
-- read the chain's head and appended the next link, holding the lock through its commit: audited writes (and the
-- audited reads of people) committed one at a time, across every node.
--
-- Now a transaction appends its events to audit_inbox — no sequence number, no hash, no lock — so an event
-- commits exactly when the act it records does (or not at all), and appends run in parallel with group commit.
-- One sealer (the holder of the 'audit' lease, fenced by its epoch like the routing leader) moves inbox events
-- into the hash chain in batches moments later, through audit_seal(): it gives them sequence numbers, links them
-- and records a signed head per batch (a Merkle root over the batch's event hashes, as Certificate Transparency
-- and Trillian do). The chain table keeps its rows and hashes: events sealed before this migration stay linked.
--
-- Nothing leaves the inbox except into the chain: a row of audit_inbox may be deleted only when the chain holds
-- it (a trigger checks, for the owner too), and the application's role may neither update nor delete either table
-- nor insert into the chain — it appends to the inbox and calls audit_seal(), which copies what the inbox holds.
--
-- Readers that want everything that happened read the view audit_events: the sealed chain, then the inbox's
-- pending events (seq, prev_hash and hash NULL). A snapshot sees each event exactly once (sealing moves rows
-- in one transaction).

ALTER TABLE audit_events RENAME TO audit_chain;
ALTER TABLE audit_chain
  ADD COLUMN inbox_id bigint UNIQUE,
  ADD COLUMN appended_at timestamptz,
  ADD COLUMN sealed_at timestamptz;

CREATE TABLE audit_inbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  appended_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  occurred_at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'client', 'system', 'anonymous')),
  actor_id text,
  actor_agency_ori text,
  action text NOT NULL,
  resource_type text,
  resource_id text,
  purpose text,
  outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied', 'error')),
  source_ip text,
  request_id text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_inbox_resource ON audit_inbox (resource_type, resource_id);

CREATE FUNCTION audit_inbox_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_chain WHERE inbox_id = OLD.id) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_inbox: % is not allowed (an event leaves the inbox only into the sealed chain)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_inbox_no_update_delete BEFORE UPDATE OR DELETE ON audit_inbox
  FOR EACH ROW EXECUTE FUNCTION audit_inbox_guard();
CREATE TRIGGER audit_inbox_no_truncate BEFORE TRUNCATE ON audit_inbox
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_inbox FROM PUBLIC;

-- One row per sealed batch: the chain's head after it, the batch's Merkle root, and the sealer's signature over
-- both (Ed25519, made outside the database with a key the database never sees). Published heads let someone
-- outside detect a rewrite by whoever controls the database.
CREATE TABLE audit_heads (
  batch bigint PRIMARY KEY CHECK (batch > 0),
  first_seq bigint NOT NULL,
  last_seq bigint NOT NULL UNIQUE,
  head_hash text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  merkle_root text NOT NULL CHECK (merkle_root ~ '^[0-9a-f]{64}$'),
  sealed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  holder text NOT NULL,
  epoch bigint NOT NULL,
  key_id text,
  signature text,
  CHECK (last_seq >= first_seq)
);
CREATE TRIGGER audit_heads_no_update_delete BEFORE UPDATE OR DELETE ON audit_heads
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_heads FROM PUBLIC;

INSERT INTO cluster_leases (name) VALUES ('audit');

CREATE VIEW audit_events AS
  SELECT seq, occurred_at, actor_type, actor_id, actor_agency_ori, action, resource_type, resource_id, purpose, outcome,
         source_ip, request_id, details, prev_hash, hash, inbox_id, appended_at, sealed_at
    FROM audit_chain
  UNION ALL
  SELECT NULL::bigint, occurred_at, actor_type, actor_id, actor_agency_ori, action, resource_type, resource_id, purpose,
         outcome, source_ip, request_id, details, NULL::text, NULL::text, id, appended_at, NULL::timestamptz
    FROM audit_inbox;

-- Seals one batch: p_links names inbox events in chain order with the sequence number, previous hash and hash
-- the sealer computed; p_head carries the batch's Merkle root and signature. Refused (nothing written) when the
-- caller does not hold the 'audit' lease under p_epoch (SBA01: fenced), when the batch does not continue the
-- chain's current head (SBA02: another seal came first), or when a named event is not in the inbox (SBA03).
-- Hashes are the sealer's: `audit verify` recomputes every one.
CREATE FUNCTION audit_seal(p_holder text, p_epoch bigint, p_links jsonb, p_head jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  lease record;
  tail record;
  link record;
  expected_seq bigint;
  expected_prev text;
  v_first_seq bigint;
  moved bigint;
  n bigint := jsonb_array_length(p_links);
BEGIN
  IF n = 0 THEN
    RETURN 0;
  END IF;
  SELECT holder, epoch, expires_at > clock_timestamp() AS live INTO lease FROM cluster_leases WHERE name = 'audit' FOR UPDATE;
  IF lease.holder IS DISTINCT FROM p_holder OR lease.epoch <> p_epoch OR NOT lease.live THEN
    RAISE EXCEPTION 'the audit sealer % (epoch %) does not hold the sealing lease', p_holder, p_epoch USING ERRCODE = 'SBA01';
  END IF;
  SELECT seq, hash INTO tail FROM audit_chain ORDER BY seq DESC LIMIT 1;
  expected_seq := coalesce(tail.seq, 0) + 1;
  expected_prev := coalesce(tail.hash, repeat('0', 64));
  v_first_seq := expected_seq;
  FOR link IN SELECT (e.value->>'seq')::bigint AS seq, e.value->>'prev_hash' AS prev_hash, e.value->>'hash' AS hash
                FROM jsonb_array_elements(p_links) WITH ORDINALITY AS e(value, ord) ORDER BY e.ord LOOP
    IF link.seq IS DISTINCT FROM expected_seq OR link.prev_hash IS DISTINCT FROM expected_prev THEN
      RAISE EXCEPTION 'the batch does not continue the chain at sequence %', expected_seq USING ERRCODE = 'SBA02';
    END IF;
    expected_seq := expected_seq + 1;
    expected_prev := link.hash;
  END LOOP;
  INSERT INTO audit_chain (seq, occurred_at, actor_type, actor_id, actor_agency_ori, action, resource_type, resource_id,
                           purpose, outcome, source_ip, request_id, details, prev_hash, hash, inbox_id, appended_at, sealed_at)
    SELECT l.seq, i.occurred_at, i.actor_type, i.actor_id, i.actor_agency_ori, i.action, i.resource_type, i.resource_id,
           i.purpose, i.outcome, i.source_ip, i.request_id, i.details, l.prev_hash, l.hash, i.id, i.appended_at, clock_timestamp()
      FROM jsonb_to_recordset(p_links) AS l(inbox_id bigint, seq bigint, prev_hash text, hash text)
      JOIN audit_inbox i ON i.id = l.inbox_id
     ORDER BY l.seq;
  GET DIAGNOSTICS moved = ROW_COUNT;
  IF moved <> n THEN
    RAISE EXCEPTION 'the batch names % events the inbox does not hold', n - moved USING ERRCODE = 'SBA03';
  END IF;
  DELETE FROM audit_inbox i USING jsonb_to_recordset(p_links) AS l(inbox_id bigint) WHERE i.id = l.inbox_id;
  IF (p_head->>'lastSeq')::bigint IS DISTINCT FROM expected_seq - 1 OR (p_head->>'firstSeq')::bigint IS DISTINCT FROM v_first_seq
     OR p_head->>'headHash' IS DISTINCT FROM expected_prev THEN
    RAISE EXCEPTION 'the batch head does not describe the batch' USING ERRCODE = 'SBA02';
  END IF;
  INSERT INTO audit_heads (batch, first_seq, last_seq, head_hash, merkle_root, holder, epoch, key_id, signature)
    SELECT coalesce(max(batch), 0) + 1, v_first_seq, expected_seq - 1, expected_prev, p_head->>'merkleRoot', p_holder, p_epoch,
           p_head->>'keyId', p_head->>'signature'
      FROM audit_heads;
  RETURN n;
END;
$$;
REVOKE ALL ON FUNCTION audit_seal(text, bigint, jsonb, jsonb) FROM PUBLIC;
