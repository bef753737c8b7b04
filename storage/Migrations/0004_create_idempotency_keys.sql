-- Stored responses of enqueue requests sent with an Idempotency-Key header.

-- One row per key and endpoint. A request first inserts its key as 'in_flight' in a short
-- transaction of its own, then stores its jobs and completes the key in one transaction, so a
-- committed job always has its stored response. request_token identifies the request that owns
-- the key. A request whose in-flight marker was taken over after it went stale cannot complete
-- the key any more, so its jobs are rolled back.
CREATE TABLE jobqueue.idempotency_keys (
    endpoint      text        NOT NULL,
    key           text        NOT NULL,
    -- SHA-256 of the canonical request body.
    fingerprint   bytea       NOT NULL,
    state         text        NOT NULL,
    request_token uuid        NOT NULL,
    status_code   integer,
    response_body text,
    location      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- When the current owner took the key. An in-flight marker older than the setting
    -- Api:IdempotencyInFlightTimeout belongs to a request that died, so it may be taken over.
    locked_at     timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,

    PRIMARY KEY (endpoint, key),
    CONSTRAINT idempotency_keys_state_valid CHECK (state IN ('in_flight', 'completed')),
    CONSTRAINT idempotency_keys_key_length CHECK (char_length(key) BETWEEN 1 AND 255),
    CONSTRAINT idempotency_keys_completed_has_response CHECK
        ((state = 'completed') = (status_code IS NOT NULL AND response_body IS NOT NULL))
);

-- Clean-up: keys whose time is over.
CREATE INDEX idempotency_keys_expiry ON jobqueue.idempotency_keys (expires_at);
