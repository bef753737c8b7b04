-- The jobs table and the indexes behind every query the hosts run on it.
CREATE SCHEMA IF NOT EXISTS jobqueue;

CREATE TABLE jobqueue.jobs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue               text        NOT NULL,
    kind                text        NOT NULL,
    args                jsonb       NOT NULL DEFAULT '{}',
    priority            smallint    NOT NULL DEFAULT 0,
    -- The priority the claim orders by: it starts equal to priority and the ageing step lowers
    -- it (runs it sooner) while the job waits, so a stream of urgent jobs cannot starve it.
    effective_priority  smallint    NOT NULL DEFAULT 0,
    state               text        NOT NULL,
    -- attempt only grows, also across a retry over the API, so (id, attempt) names one attempt
    -- for ever and serves as the fencing token of every write a worker makes to a running job.
    attempt             integer     NOT NULL DEFAULT 0,
    max_attempts        integer     NOT NULL,
    timeout_ms          integer,
    tags                text[]      NOT NULL DEFAULT '{}',
    scheduled_at        timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    attempted_at        timestamptz,
    finished_at         timestamptz,
    cancel_requested_at timestamptz,
    worker_id           text,
    lease_expires_at    timestamptz,
    errors              jsonb       NOT NULL DEFAULT '[]',
    result              jsonb,

    CONSTRAINT jobs_state_valid CHECK (state IN
        ('scheduled', 'available', 'running', 'retryable', 'completed', 'cancelled', 'discarded')),
    CONSTRAINT jobs_queue_length CHECK (char_length(queue) BETWEEN 1 AND 128),
    CONSTRAINT jobs_kind_length CHECK (char_length(kind) BETWEEN 1 AND 255),
    CONSTRAINT jobs_attempts_valid CHECK (max_attempts >= 1 AND attempt >= 0),
    CONSTRAINT jobs_timeout_positive CHECK (timeout_ms IS NULL OR timeout_ms > 0),
    CONSTRAINT jobs_running_has_lease CHECK
        (state <> 'running' OR (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT jobs_final_has_finished_at CHECK
        ((state IN ('completed', 'cancelled', 'discarded')) = (finished_at IS NOT NULL))
);

-- Claim: due jobs of the given queues in priority order. Only 'available' rows are in it,
-- because a scheduler moves due 'scheduled' and 'retryable' rows there, so the claim never
-- walks past jobs that are not due yet.
CREATE INDEX jobs_claim_by_queue ON jobqueue.jobs (queue, effective_priority, scheduled_at, id)
    WHERE state = 'available';

-- Claim for pools that take any queue, or every queue but some.
CREATE INDEX jobs_claim_any_queue ON jobqueue.jobs (effective_priority, scheduled_at, id)
    WHERE state = 'available';

-- Ageing: available jobs that have waited long.
CREATE INDEX jobs_available_since ON jobqueue.jobs (scheduled_at)
    WHERE state = 'available';

-- Scheduler: 'scheduled' and 'retryable' rows whose time has come.
CREATE INDEX jobs_due ON jobqueue.jobs (scheduled_at)
    WHERE state IN ('scheduled', 'retryable');

-- Rescuer: running jobs whose lease ran out.
CREATE INDEX jobs_lease_expiry ON jobqueue.jobs (lease_expires_at)
    WHERE state = 'running';

-- Lists filtered by queue or state, newest first, and the per-queue counts. Lists filtered
-- only by kind walk the primary key, newest first.
CREATE INDEX jobs_list_by_queue_state ON jobqueue.jobs (queue, state, id);
CREATE INDEX jobs_list_by_state ON jobqueue.jobs (state, id);
CREATE INDEX jobs_tags ON jobqueue.jobs USING gin (tags);
