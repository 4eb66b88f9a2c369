-- Partner officers submit through the portal with their staff session: a
-- submission comes from a machine client or from a signed-in officer.
ALTER TABLE partner_submissions
  ALTER COLUMN client_id DROP NOT NULL,
  ADD COLUMN submitted_by uuid REFERENCES users (id),
  ADD CONSTRAINT partner_submissions_has_sender CHECK (client_id IS NOT NULL OR submitted_by IS NOT NULL);

INSERT INTO role_permissions (role, permission) VALUES ('partner_officer', 'submission:create'), ('partner_officer', 'submission:read');
