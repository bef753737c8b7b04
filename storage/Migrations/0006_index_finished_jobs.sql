-- Retention deletes finished jobs oldest first, per final state; only finished rows are in it.
CREATE INDEX jobs_finished ON jobqueue.jobs (state, finished_at)
    WHERE state IN ('completed', 'cancelled', 'discarded');
