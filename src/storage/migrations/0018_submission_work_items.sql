-- The ACD work item an accepted partner submission creates: named here in the
-- same transaction as the status, so the processor's sweep can make any that a
-- crash between that commit and the routing log kept from being created.
ALTER TABLE partner_submissions ADD COLUMN task_id text;

-- Submissions accepted before this column: the work item their processing
-- created, as the routing log has it …
UPDATE partner_submissions s
SET task_id = c.command -> 'task' ->> 'id'
FROM routing_commands c
WHERE s.status = 'accepted'
  AND c.command ->> 'type' = 'createTask'
  AND c.command -> 'task' -> 'attributes' ->> 'submissionId' = s.id::text;
-- … or, where none was ever created, a new name for the sweep to make (it
-- looks back a day, as it does for the work items of partner requests).
UPDATE partner_submissions SET task_id = gen_random_uuid()::text WHERE status = 'accepted' AND task_id IS NULL;

-- What the sweep reads: accepted submissions of the last day that name a work item.
CREATE INDEX partner_submissions_task ON partner_submissions (processed_at) WHERE task_id IS NOT NULL;

-- The processor looks up the report a submission already became (a crash between the intake and the status):
-- without this index that is a scan of every report, once per submission.
CREATE INDEX reports_submission ON reports (submission_id) WHERE submission_id IS NOT NULL;
