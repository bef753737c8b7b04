-- GIN indexes keep every key they ever held: VACUUM empties a key's list of rows but leaves the
-- key in the index. Job arguments often carry ids that are new with every job, so jobs_args
-- grows with every job ever enqueued, not with the jobs the table holds. At 6,350 jobs/s and a
-- 1-minute retention it grew by about 11 MiB a minute while every other index stayed level.
-- Workers rebuild such an index with REINDEX CONCURRENTLY once it has grown well past the size
-- recorded here: its size after its last rebuild, or when a worker first checked it, with the
-- table's row count at that time.

CREATE TABLE jobqueue.index_sizes (
    index_name  text        PRIMARY KEY,
    size_bytes  bigint      NOT NULL,
    table_rows  bigint      NOT NULL,
    measured_at timestamptz NOT NULL,
    rebuilt     boolean     NOT NULL
);
