-- The center's configuration changed from the admin console (issue #20): each IVR line's flow (menus, hours,
-- holidays) and the intake forms with the wrap-up dispositions, as versions. Version 0 is what ships in reference/
-- (not stored); each change — an edit, or a rollback, which copies an earlier version forward — is the next version,
-- so the history only grows. The newest version is the one in use. `json`, not `jsonb`: a version keeps its keys in
-- the order it was written, for a readable diff.
CREATE TABLE config_versions (
  kind text NOT NULL CHECK (kind IN ('ivr_flow', 'intake_forms')),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 40),
  version integer NOT NULL CHECK (version >= 1),
  body json NOT NULL,
  note text NOT NULL CHECK (length(note) BETWEEN 3 AND 500),
  restored_from integer CHECK (restored_from >= 0),
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (kind, key, version)
);

INSERT INTO permissions (name, description) VALUES
  ('config:manage', 'Change the center''s configuration — IVR flows (menus, hours, holidays), intake forms and dispositions: versioned, with a diff and a rollback');
INSERT INTO role_permissions (role, permission) VALUES ('admin', 'config:manage');
