-- migration: no-transaction
-- Unique jobs, batches with a callback, and the SQL functions that enqueue from any language.
-- The indexes on the jobs table are built CONCURRENTLY, so this file runs statement by
-- statement; every statement can run again after an interruption.

ALTER TABLE jobqueue.jobs
    ADD COLUMN IF NOT EXISTS unique_key text,
    ADD COLUMN IF NOT EXISTS batch_id   bigint;

-- One row per batch. The counts are kept by the trigger jobs_batch_progress, which changes them
-- in the transaction that moves a member into or out of a final state, under a row lock on the
-- batch. That lock serialises the last members that finish at once, so exactly one of them sees
-- every member final, sets finished_at and enqueues the callback job.
CREATE TABLE IF NOT EXISTS jobqueue.batches (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    description     text,
    total           integer     NOT NULL,
    completed       integer     NOT NULL DEFAULT 0,
    cancelled       integer     NOT NULL DEFAULT 0,
    discarded       integer     NOT NULL DEFAULT 0,
    -- The job enqueued when every member is final, as {"kind", "queue", "args", "options"} for
    -- jobqueue.enqueue_job; its args get a "batch" member with the counts. Null: no callback.
    callback        jsonb,
    callback_url    text,
    callback_job_id bigint,
    -- Why the callback job could not be enqueued, when it could not; the batch finishes anyway.
    callback_error  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,

    CONSTRAINT batches_total_positive CHECK (total >= 1),
    CONSTRAINT batches_counts_valid CHECK
        (completed >= 0 AND cancelled >= 0 AND discarded >= 0 AND completed + cancelled + discarded <= total)
);

-- Unique enqueue looks up the newest job with a key, created within a period.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_unique_key ON jobqueue.jobs (unique_key, created_at)
    WHERE unique_key IS NOT NULL;

-- The members of a batch.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_batch ON jobqueue.jobs (batch_id)
    WHERE batch_id IS NOT NULL;

-- The unique key of a job: the given key, or a SHA-256 of the kind and the canonical args (the
-- jsonb text form, which sorts members and drops whitespace). With include_queue the queue is
-- part of it; queue names cannot contain '/', so the prefixed form is unambiguous.
CREATE OR REPLACE FUNCTION jobqueue.unique_key_for(kind text, queue text, args jsonb, key text, include_queue boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN key IS NOT NULL THEN CASE WHEN include_queue THEN queue || '/' || key ELSE key END
        ELSE 'sha256:' || encode(sha256(convert_to(
            jsonb_build_array(kind, CASE WHEN include_queue THEN queue END, args)::text, 'UTF8')), 'hex')
    END
$$;

-- Raises the error every enqueue validation failure uses: SQLSTATE 22023 (invalid_parameter_value),
-- with the field's wire name in the COLUMN field and at the start of the message.
CREATE OR REPLACE FUNCTION jobqueue.enqueue_invalid(field text, message text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '22023', COLUMN = field, MESSAGE = 'jobqueue: ' || message;
END
$$;

-- True when objects and arrays in value nest deeper than max_depth levels, value itself being level 1.
CREATE OR REPLACE FUNCTION jobqueue.jsonb_nested_deeper_than(value jsonb, max_depth integer)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    WITH RECURSIVE walk(item, depth) AS (
        SELECT value, 1
        UNION ALL
        SELECT child.item, walk.depth + 1
        FROM walk
        CROSS JOIN LATERAL (
            SELECT member.value FROM jsonb_each(CASE WHEN jsonb_typeof(walk.item) = 'object' THEN walk.item END) AS member
            UNION ALL
            SELECT element FROM jsonb_array_elements(CASE WHEN jsonb_typeof(walk.item) = 'array' THEN walk.item END) AS element
        ) AS child(item)
        WHERE walk.depth <= max_depth
    )
    SELECT EXISTS (SELECT 1 FROM walk WHERE depth > max_depth AND jsonb_typeof(item) IN ('object', 'array'))
$$;

-- Reads a timestamp member of the options, which must be a string with a UTC offset.
CREATE OR REPLACE FUNCTION jobqueue.enqueue_timestamp(options jsonb, field text)
RETURNS timestamptz
LANGUAGE plpgsql
AS $$
DECLARE
    text_value text;
BEGIN
    IF options -> field IS NULL OR options -> field = 'null'::jsonb THEN
        RETURN NULL;
    END IF;

    IF jsonb_typeof(options -> field) <> 'string' THEN
        PERFORM jobqueue.enqueue_invalid(field, field || ' must be a string such as 2026-12-24T09:00:00+01:00.');
    END IF;

    text_value := options ->> field;
    IF text_value !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}(:?\d{2})?)$' THEN
        PERFORM jobqueue.enqueue_invalid(field, field || ' must be an ISO 8601 time with a UTC offset, such as ' ||
            '2026-12-24T09:00:00+01:00; it is ''' || left(text_value, 100) || '''.');
    END IF;

    BEGIN
        RETURN text_value::timestamptz;
    EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
        PERFORM jobqueue.enqueue_invalid(field, field || ' is not a valid time: ''' || left(text_value, 100) || '''.');
    END;

    RETURN NULL;
END
$$;

-- Reads a number member of an options object, or null when it is missing or null.
CREATE OR REPLACE FUNCTION jobqueue.enqueue_number(options jsonb, member text, field text)
RETURNS numeric
LANGUAGE plpgsql
AS $$
BEGIN
    IF options -> member IS NULL OR options -> member = 'null'::jsonb THEN
        RETURN NULL;
    END IF;

    IF jsonb_typeof(options -> member) <> 'number' THEN
        PERFORM jobqueue.enqueue_invalid(field, field || ' must be a number.');
    END IF;

    RETURN (options -> member)::numeric;
END
$$;

-- Checks that an options object has only the named members.
CREATE OR REPLACE FUNCTION jobqueue.enqueue_check_members(options jsonb, field text, allowed text[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    unknown text;
BEGIN
    IF jsonb_typeof(options) <> 'object' THEN
        PERFORM jobqueue.enqueue_invalid(field, field || ' must be a JSON object.');
    END IF;

    SELECT name INTO unknown FROM jsonb_object_keys(options) AS name WHERE name <> ALL(allowed) ORDER BY name LIMIT 1;
    IF unknown IS NOT NULL THEN
        PERFORM jobqueue.enqueue_invalid(field, field || ' has the unknown member ''' || left(unknown, 100) ||
            '''; the members are ' || array_to_string(allowed, ', ') || '.');
    END IF;
END
$$;

-- Enqueues one job in the caller's transaction and returns its id, with duplicate = false. With
-- options.unique, a job with the same unique key in one of the covered states (created within
-- the period, when one is given) is returned instead, with duplicate = true, and nothing is
-- inserted. The rules are those of POST /v1/jobs; a violation raises SQLSTATE 22023 naming the
-- field. A due job wakes the workers of its queue with NOTIFY when the transaction commits.
--
-- Uniqueness: a transaction-scoped advisory lock on the key serialises enqueues of that key
-- until the holder commits or rolls back, and the look-up runs as a later statement, so it sees
-- the job that the previous holder committed. Under REPEATABLE READ the look-up would use the
-- transaction's first snapshot and miss it, so a unique enqueue raises SQLSTATE 0A000 there.
CREATE OR REPLACE FUNCTION jobqueue.enqueue_job(
    kind text,
    args jsonb DEFAULT '{}',
    queue text DEFAULT 'default',
    options jsonb DEFAULT '{}',
    OUT job_id bigint,
    OUT duplicate boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_variable
DECLARE
    v_kind text := kind;
    v_args jsonb := coalesce(args, '{}'::jsonb);
    v_queue text := coalesce(queue, 'default');
    v_options jsonb := coalesce(options, '{}'::jsonb);
    v_priority numeric;
    v_max_attempts numeric;
    v_timeout numeric;
    v_delay numeric;
    v_run_at timestamptz;
    v_discard_after timestamptz;
    v_due_at timestamptz;
    v_tags text[] := '{}';
    v_tag jsonb;
    v_concurrency jsonb;
    v_concurrency_key text;
    v_concurrency_limit numeric;
    v_rate jsonb;
    v_rate_key text;
    v_rate_limit numeric;
    v_rate_period numeric;
    v_unique jsonb;
    v_unique_given_key text;
    v_unique_key text;
    v_unique_states text[] := ARRAY['scheduled', 'available', 'running', 'retryable'];
    v_unique_period numeric;
    v_include_queue boolean := false;
    v_state text;
BEGIN
    duplicate := false;

    IF v_kind IS NULL OR char_length(v_kind) = 0 THEN
        PERFORM jobqueue.enqueue_invalid('kind', 'kind is required.');
    END IF;
    IF char_length(v_kind) > 255 THEN
        PERFORM jobqueue.enqueue_invalid('kind', 'kind must be at most 255 characters.');
    END IF;
    IF v_kind ~ '[\u0001-\u001f\u007f-\u009f]' THEN
        PERFORM jobqueue.enqueue_invalid('kind', 'kind must not contain control characters.');
    END IF;

    -- Deliveries of this kind are signed with the batch callback secret. Only the batch trigger
    -- may enqueue it, because a caller could otherwise have any message signed.
    IF v_kind = 'jobqueue.batch_callback' AND pg_trigger_depth() = 0 THEN
        PERFORM jobqueue.enqueue_invalid('kind', 'kind jobqueue.batch_callback is reserved for batch callbacks.');
    END IF;

    IF char_length(v_queue) NOT BETWEEN 1 AND 128 THEN
        PERFORM jobqueue.enqueue_invalid('queue', 'queue must be 1 to 128 characters.');
    END IF;
    IF v_queue !~ '^[A-Za-z0-9._-]+$' THEN
        PERFORM jobqueue.enqueue_invalid('queue', 'queue may contain only letters A-Z and a-z, digits and . _ -');
    END IF;

    -- The API measures compact JSON; the jsonb text form has a space after each ':' and ',', so
    -- this limit is a little stricter for the same args.
    IF octet_length(v_args::text) > 262144 THEN
        PERFORM jobqueue.enqueue_invalid('args', 'args must be at most 262144 bytes as JSON text.');
    END IF;
    IF jobqueue.jsonb_nested_deeper_than(v_args, 32) THEN
        PERFORM jobqueue.enqueue_invalid('args', 'args may nest objects and arrays at most 32 levels.');
    END IF;

    PERFORM jobqueue.enqueue_check_members(v_options, 'options', ARRAY[
        'priority', 'run_at', 'delay_seconds', 'discard_after', 'max_attempts', 'timeout_seconds', 'tags',
        'concurrency', 'rate_limit', 'unique']);

    v_priority := coalesce(jobqueue.enqueue_number(v_options, 'priority', 'priority'), 0);
    IF v_priority <> trunc(v_priority) OR v_priority NOT BETWEEN -32768 AND 32767 THEN
        PERFORM jobqueue.enqueue_invalid('priority', 'priority must be an integer between -32768 and 32767; lower values run first.');
    END IF;

    v_max_attempts := coalesce(jobqueue.enqueue_number(v_options, 'max_attempts', 'max_attempts'), 20);
    IF v_max_attempts <> trunc(v_max_attempts) OR v_max_attempts NOT BETWEEN 1 AND 1000 THEN
        PERFORM jobqueue.enqueue_invalid('max_attempts', 'max_attempts must be an integer between 1 and 1000.');
    END IF;

    v_timeout := jobqueue.enqueue_number(v_options, 'timeout_seconds', 'timeout_seconds');
    IF v_timeout IS NOT NULL AND (v_timeout <= 0 OR v_timeout > 86400) THEN
        PERFORM jobqueue.enqueue_invalid('timeout_seconds', 'timeout_seconds must be greater than 0 and at most 86400 (one day).');
    END IF;

    v_delay := jobqueue.enqueue_number(v_options, 'delay_seconds', 'delay_seconds');
    IF v_delay IS NOT NULL AND (v_delay < 0 OR v_delay > 315576000) THEN
        PERFORM jobqueue.enqueue_invalid('delay_seconds', 'delay_seconds must be between 0 and 315576000 (ten years).');
    END IF;

    v_run_at := jobqueue.enqueue_timestamp(v_options, 'run_at');
    IF v_run_at IS NOT NULL AND v_delay IS NOT NULL THEN
        PERFORM jobqueue.enqueue_invalid('run_at', 'run_at and delay_seconds are mutually exclusive; send at most one of them.');
    END IF;

    v_discard_after := jobqueue.enqueue_timestamp(v_options, 'discard_after');
    IF v_discard_after IS NOT NULL AND v_run_at IS NOT NULL AND v_discard_after <= v_run_at THEN
        PERFORM jobqueue.enqueue_invalid('discard_after', 'discard_after must be later than run_at, or the job could never start.');
    END IF;

    IF v_options -> 'tags' IS NOT NULL AND v_options -> 'tags' <> 'null'::jsonb THEN
        IF jsonb_typeof(v_options -> 'tags') <> 'array' THEN
            PERFORM jobqueue.enqueue_invalid('tags', 'tags must be an array of strings.');
        END IF;
        IF jsonb_array_length(v_options -> 'tags') > 32 THEN
            PERFORM jobqueue.enqueue_invalid('tags', 'tags may hold at most 32 tags.');
        END IF;
        FOR v_tag IN SELECT element FROM jsonb_array_elements(v_options -> 'tags') AS element LOOP
            IF jsonb_typeof(v_tag) <> 'string' OR char_length(v_tag #>> '{}') NOT BETWEEN 1 AND 128 THEN
                PERFORM jobqueue.enqueue_invalid('tags', 'A tag must be a string of 1 to 128 characters.');
            END IF;
            v_tags := v_tags || (v_tag #>> '{}');
        END LOOP;
    END IF;

    v_concurrency := v_options -> 'concurrency';
    IF v_concurrency IS NOT NULL AND v_concurrency <> 'null'::jsonb THEN
        PERFORM jobqueue.enqueue_check_members(v_concurrency, 'concurrency', ARRAY['key', 'limit']);
        v_concurrency_key := v_concurrency ->> 'key';
        IF jsonb_typeof(v_concurrency -> 'key') IS DISTINCT FROM 'string'
           OR char_length(v_concurrency_key) NOT BETWEEN 1 AND 255 OR v_concurrency_key ~ '[\u0001-\u001f\u007f-\u009f]' THEN
            PERFORM jobqueue.enqueue_invalid('concurrency.key', 'concurrency.key must be 1 to 255 characters without control characters.');
        END IF;
        v_concurrency_limit := jobqueue.enqueue_number(v_concurrency, 'limit', 'concurrency.limit');
        IF v_concurrency_limit IS NULL OR v_concurrency_limit <> trunc(v_concurrency_limit)
           OR v_concurrency_limit NOT BETWEEN 1 AND 10000 THEN
            PERFORM jobqueue.enqueue_invalid('concurrency.limit', 'concurrency.limit must be an integer between 1 and 10000.');
        END IF;
    END IF;

    v_rate := v_options -> 'rate_limit';
    IF v_rate IS NOT NULL AND v_rate <> 'null'::jsonb THEN
        PERFORM jobqueue.enqueue_check_members(v_rate, 'rate_limit', ARRAY['key', 'limit', 'period_seconds']);
        v_rate_key := v_rate ->> 'key';
        IF jsonb_typeof(v_rate -> 'key') IS DISTINCT FROM 'string'
           OR char_length(v_rate_key) NOT BETWEEN 1 AND 255 OR v_rate_key ~ '[\u0001-\u001f\u007f-\u009f]' THEN
            PERFORM jobqueue.enqueue_invalid('rate_limit.key', 'rate_limit.key must be 1 to 255 characters without control characters.');
        END IF;
        v_rate_limit := jobqueue.enqueue_number(v_rate, 'limit', 'rate_limit.limit');
        IF v_rate_limit IS NULL OR v_rate_limit <> trunc(v_rate_limit) OR v_rate_limit NOT BETWEEN 1 AND 1000000 THEN
            PERFORM jobqueue.enqueue_invalid('rate_limit.limit', 'rate_limit.limit must be an integer between 1 and 1000000.');
        END IF;
        v_rate_period := jobqueue.enqueue_number(v_rate, 'period_seconds', 'rate_limit.period_seconds');
        IF v_rate_period IS NULL OR v_rate_period NOT BETWEEN 0.001 AND 86400 THEN
            PERFORM jobqueue.enqueue_invalid('rate_limit.period_seconds',
                'rate_limit.period_seconds must be between 0.001 and 86400 (one day).');
        END IF;
    END IF;

    v_unique := v_options -> 'unique';
    IF v_unique IS NOT NULL AND v_unique <> 'null'::jsonb THEN
        PERFORM jobqueue.enqueue_check_members(v_unique, 'unique', ARRAY['key', 'include_queue', 'states', 'period_seconds']);
        IF v_unique -> 'key' IS NOT NULL AND v_unique -> 'key' <> 'null'::jsonb THEN
            v_unique_given_key := v_unique ->> 'key';
            IF jsonb_typeof(v_unique -> 'key') <> 'string'
               OR char_length(v_unique_given_key) NOT BETWEEN 1 AND 255 OR v_unique_given_key ~ '[\u0001-\u001f\u007f-\u009f]' THEN
                PERFORM jobqueue.enqueue_invalid('unique.key', 'unique.key must be 1 to 255 characters without control characters.');
            END IF;
        END IF;
        IF v_unique -> 'include_queue' IS NOT NULL AND v_unique -> 'include_queue' <> 'null'::jsonb THEN
            IF jsonb_typeof(v_unique -> 'include_queue') <> 'boolean' THEN
                PERFORM jobqueue.enqueue_invalid('unique.include_queue', 'unique.include_queue must be true or false.');
            END IF;
            v_include_queue := (v_unique -> 'include_queue')::boolean;
        END IF;
        IF v_unique -> 'states' IS NOT NULL AND v_unique -> 'states' <> 'null'::jsonb THEN
            IF jsonb_typeof(v_unique -> 'states') <> 'array' OR jsonb_array_length(v_unique -> 'states') = 0
               OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_unique -> 'states') AS element
                          WHERE jsonb_typeof(element) <> 'string' OR element #>> '{}' NOT IN
                              ('scheduled', 'available', 'running', 'retryable', 'completed', 'cancelled', 'discarded')) THEN
                PERFORM jobqueue.enqueue_invalid('unique.states', 'unique.states must be a non-empty array of job states: ' ||
                    'scheduled, available, running, retryable, completed, cancelled, discarded.');
            END IF;
            v_unique_states := ARRAY(SELECT element FROM jsonb_array_elements_text(v_unique -> 'states') AS element);
        END IF;
        v_unique_period := jobqueue.enqueue_number(v_unique, 'period_seconds', 'unique.period_seconds');
        IF v_unique_period IS NOT NULL AND (v_unique_period < 0.001 OR v_unique_period > 31536000) THEN
            PERFORM jobqueue.enqueue_invalid('unique.period_seconds',
                'unique.period_seconds must be between 0.001 and 31536000 (365 days).');
        END IF;

        IF current_setting('transaction_isolation') = 'repeatable read' THEN
            RAISE EXCEPTION USING ERRCODE = '0A000',
                MESSAGE = 'jobqueue: a unique enqueue needs READ COMMITTED or SERIALIZABLE isolation, not REPEATABLE READ.',
                HINT = 'Under REPEATABLE READ the duplicate check cannot see a job that another transaction just committed.';
        END IF;

        v_unique_key := jobqueue.unique_key_for(v_kind, v_queue, v_args, v_unique_given_key, v_include_queue);

        -- Waits for any other transaction that holds the key. The seed 8 keeps these locks apart
        -- from the limit-key locks of the claim, which use seed 0.
        PERFORM pg_advisory_xact_lock(hashtextextended(v_unique_key, 8));

        -- A new statement, so in READ COMMITTED it sees what the previous holder committed.
        SELECT job.id INTO job_id
        FROM jobqueue.jobs AS job
        WHERE job.unique_key = v_unique_key
          AND job.state = ANY(v_unique_states)
          AND (v_unique_period IS NULL OR job.created_at > now() - v_unique_period * interval '1 second')
        ORDER BY job.id DESC
        LIMIT 1;

        IF job_id IS NOT NULL THEN
            duplicate := true;
            RETURN;
        END IF;
    END IF;

    v_due_at := coalesce(v_run_at, now() + coalesce(v_delay, 0) * interval '1 second');
    INSERT INTO jobqueue.jobs AS job
        (queue, kind, args, priority, effective_priority, state, max_attempts, timeout_ms, tags, scheduled_at,
         concurrency_key, concurrency_limit, rate_limit_key, rate_limit, rate_limit_period_ms, discard_after, unique_key)
    VALUES
        (v_queue, v_kind, v_args, v_priority, v_priority,
         CASE WHEN v_due_at <= now() THEN 'available' ELSE 'scheduled' END,
         v_max_attempts, ceil(v_timeout * 1000), v_tags, v_due_at,
         v_concurrency_key, v_concurrency_limit, v_rate_key, v_rate_limit, ceil(v_rate_period * 1000),
         v_discard_after, v_unique_key)
    RETURNING job.id, job.state INTO job_id, v_state;

    -- Sent at commit; PostgreSQL folds identical notifications of one transaction into one.
    IF v_state = 'available' THEN
        PERFORM pg_notify('jobqueue_available', v_queue);
    END IF;
END
$$;

-- Enqueues one job with defaults for everything else and returns its id.
CREATE OR REPLACE FUNCTION jobqueue.enqueue(kind text, args jsonb DEFAULT '{}', queue text DEFAULT 'default')
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT job_id FROM jobqueue.enqueue_job(kind, args, queue, '{}'::jsonb)
$$;

-- Enqueues one job with options, the members of an enqueue request other than kind, args and
-- queue. Returns the new job's id, or the existing job's id when options.unique found one.
CREATE OR REPLACE FUNCTION jobqueue.enqueue(kind text, args jsonb, queue text, options jsonb)
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT job_id FROM jobqueue.enqueue_job(kind, args, queue, options)
$$;

-- Keeps a batch's counts as its members move into and out of final states, and finishes the
-- batch once when the last member is final. SELECT … FOR UPDATE waits for any other transaction
-- that changes the batch and then returns the row as that transaction committed it. So the
-- counts are exact, and only one transaction sees them reach the total.
-- NOTE: one statement that finishes many members of the same batch updates the batch row once
-- per member inside one transaction, which gets slow (10,000 members in one UPDATE took about
-- 11 s on a 2-core machine). Bulk updates of batch members should run in chunks.
CREATE OR REPLACE FUNCTION jobqueue.batch_member_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    batch_row jobqueue.batches%ROWTYPE;
    v_completed integer;
    v_cancelled integer;
    v_discarded integer;
    v_callback_job bigint;
    v_callback_error text;
BEGIN
    SELECT * INTO batch_row FROM jobqueue.batches WHERE id = NEW.batch_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    v_completed := batch_row.completed + (NEW.state = 'completed')::integer - (OLD.state = 'completed')::integer;
    v_cancelled := batch_row.cancelled + (NEW.state = 'cancelled')::integer - (OLD.state = 'cancelled')::integer;
    v_discarded := batch_row.discarded + (NEW.state = 'discarded')::integer - (OLD.state = 'discarded')::integer;

    IF batch_row.finished_at IS NULL AND v_completed + v_cancelled + v_discarded = batch_row.total
       AND batch_row.callback IS NOT NULL THEN
        -- A callback that cannot be enqueued must not undo the member's final state, so its
        -- error is kept on the batch instead of raised.
        BEGIN
            SELECT job_id INTO v_callback_job
            FROM jobqueue.enqueue_job(
                batch_row.callback ->> 'kind',
                coalesce(batch_row.callback -> 'args', '{}'::jsonb) || jsonb_build_object('batch', jsonb_build_object(
                    'id', batch_row.id, 'total', batch_row.total, 'completed', v_completed,
                    'cancelled', v_cancelled, 'discarded', v_discarded)),
                batch_row.callback ->> 'queue',
                coalesce(batch_row.callback -> 'options', '{}'::jsonb));
        EXCEPTION WHEN OTHERS THEN
            v_callback_error := SQLERRM;
        END;
    END IF;

    UPDATE jobqueue.batches
    SET completed = v_completed,
        cancelled = v_cancelled,
        discarded = v_discarded,
        finished_at = CASE WHEN finished_at IS NULL AND v_completed + v_cancelled + v_discarded = total
                           THEN now() ELSE finished_at END,
        callback_job_id = coalesce(callback_job_id, v_callback_job),
        callback_error = coalesce(callback_error, v_callback_error)
    WHERE id = batch_row.id;

    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER jobs_batch_progress
    AFTER UPDATE OF state ON jobqueue.jobs
    FOR EACH ROW
    WHEN (NEW.batch_id IS NOT NULL AND OLD.state IS DISTINCT FROM NEW.state
          AND (NEW.state IN ('completed', 'cancelled', 'discarded') OR OLD.state IN ('completed', 'cancelled', 'discarded')))
    EXECUTE FUNCTION jobqueue.batch_member_changed();
