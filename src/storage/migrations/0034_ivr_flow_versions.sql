-- IVR flows changed from the admin console (issue #20): each line's flow as versions. Version 0 is the flow shipped
-- in reference/ivr (not stored); each change — an edit, or a rollback, which copies an earlier version forward — is
-- the next version, so the history only grows. The line answers with its newest version.
CREATE TABLE ivr_flow_versions (
  line text NOT NULL CHECK (line ~ '^\+[1-9][0-9]{6,14}$'),
  version integer NOT NULL CHECK (version >= 1),
  flow json NOT NULL, -- json, not jsonb: the version keeps its keys in the order it was written, for a readable diff
  note text NOT NULL CHECK (length(note) BETWEEN 3 AND 500),
  restored_from integer CHECK (restored_from >= 0),
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (line, version)
);

INSERT INTO permissions (name, description) VALUES
  ('ivr:manage', 'Change the IVR flows (menus, hours, holidays): versioned, with a diff and a rollback');
INSERT INTO role_permissions (role, permission) VALUES ('admin', 'ivr:manage');
