-- Webhook endpoints managed over the API, per-job delivery URLs, completion callbacks and a
-- record of every webhook attempt.

CREATE TABLE jobqueue.webhook_endpoints (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url                         text        NOT NULL,
    kinds                       text[]      NOT NULL,
    headers                     jsonb       NOT NULL DEFAULT '{}',
    timeout_ms                  integer     NOT NULL,
    connect_timeout_ms          integer     NOT NULL,
    response_headers_timeout_ms integer,
    body_read_timeout_ms        integer     NOT NULL,
    max_attempts                integer,
    retry_statuses              integer[]   NOT NULL DEFAULT '{}',
    concurrency_limit           integer,
    rate_limit                  integer,
    rate_limit_period_ms        integer,
    enabled                     boolean     NOT NULL DEFAULT true,
    disabled_reason             text,
    disabled_at                 timestamptz,
    -- Signing secrets in the whsec_ form. The worker needs the key itself to compute the HMAC,
    -- so they are stored as they are; the API never returns them after create and rotate.
    secret                      text        NOT NULL,
    previous_secret             text,
    previous_secret_expires_at  timestamptz,
    secret_rotated_at           timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT webhook_endpoints_kinds_present CHECK (cardinality(kinds) >= 1),
    CONSTRAINT webhook_endpoints_rate_limit_complete CHECK ((rate_limit IS NULL) = (rate_limit_period_ms IS NULL)),
    CONSTRAINT webhook_endpoints_disabled_has_reason CHECK (enabled OR disabled_at IS NOT NULL)
);

-- Workers look endpoints up by kind, and enqueues join inserted jobs to them by kind.
CREATE INDEX webhook_endpoints_kinds ON jobqueue.webhook_endpoints USING gin (kinds);

-- A job may name its own delivery URL and a URL that receives its final state. Both columns are
-- null for nearly every job, so adding them rewrites nothing.
ALTER TABLE jobqueue.jobs
    ADD COLUMN webhook_url  text,
    ADD COLUMN callback_url text;

-- One row per webhook attempt: what the target answered, or why there was no answer.
CREATE TABLE jobqueue.job_attempts (
    job_id           bigint      NOT NULL REFERENCES jobqueue.jobs (id) ON DELETE CASCADE,
    attempt          integer     NOT NULL,
    started_at       timestamptz NOT NULL,
    latency_ms       double precision NOT NULL,
    url              text        NOT NULL,
    endpoint_id      bigint,
    status_code      integer,
    response_headers jsonb       NOT NULL DEFAULT '{}',
    response_body    text,
    error            text,
    PRIMARY KEY (job_id, attempt)
);

-- Completion callbacks. A job that names a callback_url gets an internal delivery job in the same
-- statement that moves it to a final state, because a trigger runs inside that statement. Every
-- path to a final state (worker outcomes, the rescuer, cancels over the API, deadline discards)
-- is covered without each statement knowing about callbacks. The callback carries a snapshot of
-- the final state, so a later retry of the job does not change what it reports.
CREATE FUNCTION jobqueue.enqueue_completion_callback() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobqueue.jobs
        (queue, kind, args, priority, effective_priority, state, max_attempts, tags, scheduled_at, webhook_url)
    VALUES (
        NEW.queue,
        'jobqueue.callback',
        jsonb_build_object(
            'job_id', NEW.id,
            'kind', NEW.kind,
            'queue', NEW.queue,
            'state', NEW.state,
            'attempt', NEW.attempt,
            'max_attempts', NEW.max_attempts,
            'tags', to_jsonb(NEW.tags),
            'result', NEW.result,
            'last_error', NEW.errors -> -1,
            'created_at', NEW.created_at,
            'finished_at', NEW.finished_at),
        NEW.priority,
        NEW.priority,
        'available',
        20,
        ARRAY['callback'],
        now(),
        NEW.callback_url);
    PERFORM pg_notify('jobqueue_available', NEW.queue);
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_completion_callback
    AFTER UPDATE OF state ON jobqueue.jobs
    FOR EACH ROW
    WHEN (NEW.callback_url IS NOT NULL
          AND NEW.state IN ('completed', 'cancelled', 'discarded')
          AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION jobqueue.enqueue_completion_callback();

-- Endpoint limits. Jobs of a kind that an enabled endpoint with limits serves get the endpoint's
-- concurrency and rate-limit keys when they are inserted, unless they carry keys of their own, so
-- the claim enforces them across every worker like any other key. A statement-level trigger
-- covers every way of inserting jobs and costs one join per insert statement.
CREATE FUNCTION jobqueue.apply_endpoint_limits() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM jobqueue.webhook_endpoints
                   WHERE concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL) THEN
        RETURN NULL;
    END IF;

    UPDATE jobqueue.jobs AS job
    SET concurrency_key = CASE WHEN job.concurrency_key IS NULL AND endpoint.concurrency_limit IS NOT NULL
                               THEN 'endpoint:' || endpoint.id ELSE job.concurrency_key END,
        concurrency_limit = CASE WHEN job.concurrency_key IS NULL AND endpoint.concurrency_limit IS NOT NULL
                                 THEN endpoint.concurrency_limit ELSE job.concurrency_limit END,
        rate_limit_key = CASE WHEN job.rate_limit_key IS NULL AND endpoint.rate_limit IS NOT NULL
                              THEN 'endpoint:' || endpoint.id ELSE job.rate_limit_key END,
        rate_limit = CASE WHEN job.rate_limit_key IS NULL AND endpoint.rate_limit IS NOT NULL
                          THEN endpoint.rate_limit ELSE job.rate_limit END,
        rate_limit_period_ms = CASE WHEN job.rate_limit_key IS NULL AND endpoint.rate_limit IS NOT NULL
                                    THEN endpoint.rate_limit_period_ms ELSE job.rate_limit_period_ms END
    FROM inserted
    JOIN jobqueue.webhook_endpoints AS endpoint
        ON inserted.kind = ANY (endpoint.kinds)
       AND (endpoint.concurrency_limit IS NOT NULL OR endpoint.rate_limit IS NOT NULL)
    WHERE job.id = inserted.id
      AND inserted.webhook_url IS NULL
      AND ((inserted.concurrency_key IS NULL AND endpoint.concurrency_limit IS NOT NULL)
           OR (inserted.rate_limit_key IS NULL AND endpoint.rate_limit IS NOT NULL));
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_endpoint_limits
    AFTER INSERT ON jobqueue.jobs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT
    EXECUTE FUNCTION jobqueue.apply_endpoint_limits();
