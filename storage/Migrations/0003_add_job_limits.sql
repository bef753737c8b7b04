-- Per-key concurrency and rate limits, enforced when jobs are claimed.

ALTER TABLE jobqueue.jobs
    ADD COLUMN concurrency_key     text,
    ADD COLUMN concurrency_limit   integer,
    ADD COLUMN rate_limit_key      text,
    ADD COLUMN rate_limit          integer,
    ADD COLUMN rate_limit_period_ms integer,
    ADD CONSTRAINT jobs_concurrency_complete CHECK
        ((concurrency_key IS NULL) = (concurrency_limit IS NULL) AND coalesce(concurrency_limit, 1) >= 1),
    ADD CONSTRAINT jobs_rate_limit_complete CHECK
        ((rate_limit_key IS NULL) = (rate_limit IS NULL) AND (rate_limit IS NULL) = (rate_limit_period_ms IS NULL)
         AND coalesce(rate_limit, 1) >= 1 AND coalesce(rate_limit_period_ms, 1) BETWEEN 1 AND 86400000);

-- One row per claimed attempt of a rate-limited job: a sliding log, so "at most N starts in any
-- period" holds exactly, not only per fixed window. Rows older than the longest allowed period
-- (one day) are deleted by the rescuer's maintenance step.
CREATE TABLE jobqueue.rate_limit_starts (
    key        text        NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    job_id     bigint      NOT NULL
);

CREATE INDEX rate_limit_starts_by_key ON jobqueue.rate_limit_starts (key, started_at);
CREATE INDEX rate_limit_starts_by_time ON jobqueue.rate_limit_starts (started_at);
