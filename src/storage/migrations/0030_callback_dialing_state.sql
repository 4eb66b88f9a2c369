-- A callback try dialed through the cloud-voice adapter (issue #19): its progress arrives as webhooks at any node,
-- so what the try needs between them — the room, the agent's and the called person's legs, the outbound call's
-- record, whether its outcome was reported — is kept with the callback while it is dialing, and cleared after.
ALTER TABLE callbacks ADD COLUMN dialing_state jsonb;
