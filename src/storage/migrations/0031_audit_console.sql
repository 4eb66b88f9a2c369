-- The auditor's console (issue #20): the audit log searched by time range. The chain had indexes by actor and by
-- resource only; a search by day (with or without other filters) and the refusals report read by occurred_at.
CREATE INDEX audit_chain_occurred ON audit_chain (occurred_at);
CREATE INDEX audit_inbox_occurred ON audit_inbox (occurred_at);
