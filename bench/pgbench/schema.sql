-- A table shaped like a job table, for the ceiling measurements: what PostgreSQL itself
-- sustains on this machine for the statements a job queue needs.
CREATE TABLE ceiling_jobs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue      text        NOT NULL DEFAULT 'default',
    args       jsonb       NOT NULL DEFAULT '{}',
    state      text        NOT NULL DEFAULT 'available',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ceiling_jobs_available ON ceiling_jobs (id) WHERE state = 'available';
