-- Retention: timelines stay append-only for the application, but the owner
-- role may delete the timeline of a record that a retention purge removes —
-- only inside a transaction that declares itself a purge
-- (SET LOCAL switchboard.purge = 'on'). The application's role is not the
-- owner, so it cannot purge even if it set the flag; audit_events keep their
-- stricter trigger and are never purged by Switchboard.
CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     AND current_setting('switchboard.purge', true) = 'on'
     AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: rows are never changed or deleted (retention purges excepted)', TG_TABLE_NAME;
END $$;

DROP TRIGGER case_events_no_update_delete ON case_events;
CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON case_events
  FOR EACH ROW EXECUTE FUNCTION timeline_append_only();
DROP TRIGGER referral_events_no_update_delete ON referral_events;
CREATE TRIGGER referral_events_no_update_delete BEFORE UPDATE OR DELETE ON referral_events
  FOR EACH ROW EXECUTE FUNCTION timeline_append_only();

CREATE INDEX cases_retention ON cases (status_reason, closed_at) WHERE status = 'closed';
