-- migration: no-transaction
-- Indexes on the jobs table are built CONCURRENTLY, so that enqueues and claims go on while
-- they build on a live system. That cannot run in a transaction, so each statement runs on
-- its own; IF NOT EXISTS lets a rerun after an interruption finish the work.

-- Claims count the running jobs of a key; only running rows with a key are in it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_running_by_concurrency_key ON jobqueue.jobs (concurrency_key)
    WHERE state = 'running' AND concurrency_key IS NOT NULL;

-- Retention deletes finished jobs oldest first, per final state; only finished rows are in it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_finished ON jobqueue.jobs (state, finished_at)
    WHERE state IN ('completed', 'cancelled', 'discarded');
