-- API keys and the audit log of operator actions.

-- One row per API key. A key is sent as jq_<id>_<secret>; only the SHA-256 of the secret is
-- stored, so the database never holds a usable key. A revoked key keeps its row, so the audit
-- log can still name it.
CREATE TABLE jobqueue.api_keys (
    id                    text        PRIMARY KEY,
    name                  text        NOT NULL,
    secret_sha256         bytea       NOT NULL,
    scopes                text[]      NOT NULL,
    -- Queues the key may enqueue to and read; NULL for every queue.
    queues                text[],
    -- Requests per second this key may send to one API process; NULL for the server's default.
    rate_limit_per_second integer,
    -- Id of the key that created this one; NULL when the admin command created it.
    created_by            text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz,
    revoked_at            timestamptz,
    -- Updated at most about once a minute per API process, so it is approximate.
    last_used_at          timestamptz,

    CONSTRAINT api_keys_id_format CHECK (id ~ '^[a-z2-7]{12}$'),
    CONSTRAINT api_keys_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT api_keys_secret_sha256_length CHECK (octet_length(secret_sha256) = 32),
    CONSTRAINT api_keys_scopes_valid CHECK
        (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'enqueue', 'admin']::text[]),
    -- Admin routes cannot all be checked against a queue list, so an admin key covers every queue.
    CONSTRAINT api_keys_queue_limited_not_admin CHECK (queues IS NULL OR NOT ('admin' = ANY (scopes))),
    CONSTRAINT api_keys_queues_not_empty CHECK (queues IS NULL OR cardinality(queues) > 0),
    CONSTRAINT api_keys_rate_limit_positive CHECK (rate_limit_per_second IS NULL OR rate_limit_per_second > 0)
);

-- One row per audited request or admin command: who, what, when, from where and the outcome.
CREATE TABLE jobqueue.audit_log (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    -- The key that made the request; NULL for the admin command, keyless mode and failed authentication.
    key_id         text,
    key_name       text,
    -- 'POST /v1/jobs/{id}/cancel' for a request (the route's pattern), 'keys create' for the command.
    action         text        NOT NULL,
    -- The route values (id=42) or the object the action created.
    target         text,
    -- HTTP status of the response; 0 for the admin command.
    status         integer     NOT NULL,
    client_address text,
    detail         text
);

-- Retention deletes the oldest rows first.
CREATE INDEX audit_log_occurred_at ON jobqueue.audit_log (occurred_at);

-- GET /v1/audit?key_id=... pages newest first through one key's rows.
CREATE INDEX audit_log_key_id ON jobqueue.audit_log (key_id, id) WHERE key_id IS NOT NULL;
