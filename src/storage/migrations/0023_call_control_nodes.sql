-- Calls that outlive the node holding them (issue #17). Each call-control node beats here every second (the
-- database's clock, the one every node shares); a node whose beat is older than the adoption delay is dead, and
-- any live node adopts its open SIP calls: `calls.node` moves to the adopter (one UPDATE, so two survivors never
-- both adopt a call) and `calls.adapter_state` holds what the adopter needs to carry the call on — both SIP
-- dialogs (Call-ID, tags, route set, remote target, CSeq), the rtpengine call and tags, the phase, the task and
-- the IVR's variables — written by the holder as the call changes and cleared when it ends.
-- (The open calls of a node are found through calls_open, made with the calls table.)
CREATE TABLE call_control_nodes (
  node text PRIMARY KEY,
  seen_at timestamptz NOT NULL
);

