-- The agency registry: contacts on each agency, and a permission to manage it.
ALTER TABLE agencies
  ADD COLUMN contacts jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

INSERT INTO permissions (name, description) VALUES ('agency:manage', 'Add, change and import partner agencies and their 287(g) agreements');
INSERT INTO role_permissions (role, permission) VALUES ('admin', 'agency:manage');
