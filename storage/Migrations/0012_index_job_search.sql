-- migration: no-transaction
-- Indexes for the list filters on arguments and error text, built CONCURRENTLY so that enqueues
-- and claims go on while they build; IF NOT EXISTS lets a rerun after an interruption finish.

-- Argument search: args @> '{"customer_id": 42}'. jsonb_path_ops supports only containment and
-- is smaller and faster to update than the default operator class.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_args ON jobqueue.jobs USING gin (args jsonb_path_ops);

-- Error-text search walks only the jobs that recorded an error, newest first, and matches the
-- text on each of them. Jobs that never failed, usually the bulk of the table, are not read.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_with_errors ON jobqueue.jobs (id) WHERE errors <> '[]'::jsonb;
