-- Agents' phones authenticate (issue #21, item 2). An account is bound to one SIP user (its address of record at the
-- edge); two digest credentials may register there: the desk phone's, issued by an admin and shown once, and the
-- agent desktop's softphone's, issued to the signed-in agent's browser. Kamailio checks digest responses against the
-- HA1 (MD5 of user:realm:password), so Switchboard keeps the HA1 — never the password — encrypted at rest with the
-- server's key (as TOTP seeds are), and hands it to the edge's memory (htable) alone.
CREATE TABLE phone_bindings (
  user_id uuid PRIMARY KEY REFERENCES users (id),
  sip_user text NOT NULL UNIQUE CHECK (sip_user ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  phone_ha1_enc text,
  phone_issued_at timestamptz,
  softphone_ha1_enc text,
  softphone_issued_at timestamptz,
  bound_at timestamptz NOT NULL,
  bound_by uuid REFERENCES users (id)
);

INSERT INTO permissions (name, description) VALUES
  ('phone:manage', 'Bind an agent''s phone to their account and issue or rotate its SIP password (shown once)');
INSERT INTO role_permissions (role, permission) VALUES ('admin', 'phone:manage');
