-- Recurring schedules and the slots they handled.

CREATE TABLE jobqueue.schedules (
    name           text        PRIMARY KEY,
    cron           text        NOT NULL,
    time_zone      text        NOT NULL,
    enabled        boolean     NOT NULL DEFAULT true,
    -- The job template in its wire form (kind, queue, args, priority, max_attempts,
    -- timeout_seconds, tags), with defaults filled in when it was stored.
    job            jsonb       NOT NULL,
    missed         text        NOT NULL DEFAULT 'skip',
    catch_up_limit integer     NOT NULL DEFAULT 10,
    overlap        text        NOT NULL DEFAULT 'allow',
    source         text        NOT NULL,
    -- SHA-256 of the configuration entry a 'config' schedule was last written from. Start-up
    -- rewrites the row only when the entry changed, so an enable or disable over the API lasts
    -- until the entry itself is edited.
    config_digest  text,
    -- The earliest slot not yet handled; null while disabled or when the expression has no
    -- later time. The scheduler moves it forward under the row's lock.
    next_run_at    timestamptz,
    last_run_at    timestamptz,
    last_job_id    bigint,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT schedules_name_valid CHECK (name ~ '^[A-Za-z0-9._-]{1,100}$'),
    CONSTRAINT schedules_missed_valid CHECK (missed IN ('skip', 'once', 'catch_up')),
    CONSTRAINT schedules_catch_up_limit_valid CHECK (catch_up_limit BETWEEN 1 AND 1000),
    CONSTRAINT schedules_overlap_valid CHECK (overlap IN ('allow', 'skip')),
    CONSTRAINT schedules_source_valid CHECK (source IN ('config', 'api'))
);

-- Scheduler: enabled schedules by their next slot.
CREATE INDEX schedules_due ON jobqueue.schedules (next_run_at) WHERE enabled;

-- One row per handled slot. The primary key guarantees at most one job per slot, however many
-- workers reach the slot. Each worker inserts the row with ON CONFLICT DO NOTHING in the
-- transaction that inserts the job, and only the one whose row went in enqueues the job.
CREATE TABLE jobqueue.schedule_runs (
    schedule_name text        NOT NULL REFERENCES jobqueue.schedules (name) ON DELETE CASCADE,
    slot_at       timestamptz NOT NULL,
    -- 'enqueued' with the job's id, or 'skipped_overlap' when the previous job still ran. The
    -- job id is set in the transaction that inserts the row, after the job is inserted.
    outcome       text        NOT NULL,
    job_id        bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),

    PRIMARY KEY (schedule_name, slot_at),
    CONSTRAINT schedule_runs_outcome_valid CHECK (outcome IN ('enqueued', 'skipped_overlap')),
    CONSTRAINT schedule_runs_skipped_without_job CHECK (outcome = 'enqueued' OR job_id IS NULL)
);

-- Retention of handled slots.
CREATE INDEX schedule_runs_created ON jobqueue.schedule_runs (created_at);
