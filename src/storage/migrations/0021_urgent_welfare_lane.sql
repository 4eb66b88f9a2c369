-- The urgent lane for welfare checks (domain/safeguards/urgent-welfare-lane.ts): a welfare check about a child in
-- danger goes out at once and is reviewed by a legal reviewer afterwards, within 24 hours. The review's work item is
-- named here in the same transaction, so a sweep can make it again if a crash kept it from the ACD.
ALTER TABLE partner_requests
  ADD COLUMN urgent_lane boolean NOT NULL DEFAULT false,
  ADD COLUMN post_review_due_at timestamptz,
  ADD COLUMN post_review_task_id text,
  ADD COLUMN post_review_finding text CHECK (post_review_finding IN ('proper', 'improper')),
  ADD COLUMN post_review_justification text,
  ADD COLUMN post_reviewed_by uuid REFERENCES users (id),
  ADD COLUMN post_reviewed_at timestamptz,
  ADD COLUMN post_review_escalated_at timestamptz,
  ADD COLUMN post_review_escalation_task_id text,
  ADD CONSTRAINT partner_requests_urgent_lane_is_welfare CHECK (
    NOT urgent_lane OR (kind = 'welfare_check' AND post_review_due_at IS NOT NULL AND post_review_task_id IS NOT NULL)),
  ADD CONSTRAINT partner_requests_post_review_complete CHECK (
    (post_reviewed_at IS NULL) = (post_review_finding IS NULL) AND (post_reviewed_at IS NULL) = (post_reviewed_by IS NULL));
CREATE INDEX partner_requests_post_review_due ON partner_requests (post_review_due_at)
  WHERE urgent_lane AND post_reviewed_at IS NULL;

INSERT INTO permissions (name, description) VALUES
  ('partner_request:post_review', 'Review afterwards a welfare check sent at once about a child in danger');
INSERT INTO role_permissions (role, permission) VALUES ('legal_reviewer', 'partner_request:post_review');
