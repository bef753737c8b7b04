-- Per-queue settings and the registry of live worker processes.

-- A queue has a row here only once an operator changed a setting of it; a queue without a
-- row is not paused.
CREATE TABLE jobqueue.queues (
    name       text        PRIMARY KEY,
    paused_at  timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT queues_name_length CHECK (char_length(name) BETWEEN 1 AND 128)
);

-- One row per running worker process, written at start, refreshed by its heartbeat and
-- deleted when it stops. A row whose heartbeat is old belongs to a process that died; the
-- maintenance step of any worker deletes it.
CREATE TABLE jobqueue.processes (
    id           text        PRIMARY KEY,
    host         text        NOT NULL,
    pid          integer     NOT NULL,
    queues       text        NOT NULL,
    pools        jsonb       NOT NULL DEFAULT '[]',
    kinds        text[]      NOT NULL DEFAULT '{}',
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
