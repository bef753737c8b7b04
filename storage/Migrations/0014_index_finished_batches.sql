-- migration: no-transaction
-- Retention deletes a finished batch once retention has deleted every one of its jobs. This index
-- lets it find finished batches oldest first without reading the unfinished ones. Built
-- CONCURRENTLY, so enqueues go on; the statement can run again after an interruption.

CREATE INDEX CONCURRENTLY IF NOT EXISTS batches_finished ON jobqueue.batches (finished_at) WHERE finished_at IS NOT NULL;
