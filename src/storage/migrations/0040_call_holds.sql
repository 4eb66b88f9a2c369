-- Hold on a call (issue #20's reports): how many times the caller was put on hold, and for how long in all, kept on
-- the call record as it happens. hold_started_at is the hold in progress; a call that ends on hold has it folded in.
ALTER TABLE calls
  ADD COLUMN holds integer NOT NULL DEFAULT 0 CHECK (holds >= 0),
  ADD COLUMN hold_seconds double precision NOT NULL DEFAULT 0 CHECK (hold_seconds >= 0),
  ADD COLUMN hold_started_at timestamptz;
