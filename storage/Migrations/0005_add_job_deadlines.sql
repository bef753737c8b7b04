-- Deadlines: a job is not started after its discard_after time. The claim statement discards a
-- due job whose deadline passed instead of starting it, so the claim indexes need no change.
ALTER TABLE jobqueue.jobs ADD COLUMN discard_after timestamptz;
