namespace JobQueue.Storage;

/// <summary>
/// Every statement on <c>jobqueue.jobs</c>, one named member each. No other file holds SQL for
/// this table. Writes to a running job name the attempt they belong to: the attempt number is
/// the fencing token, so a worker that lost its lease cannot overwrite a newer state.
/// </summary>
internal static partial class JobSql
{
    /// <summary>Channel that carries a queue name when jobs in it become available.</summary>
    public const string AvailableChannel = "jobqueue_available";

    /// <summary>Channel that carries a job id when a cancel is requested for a running job.</summary>
    public const string CancelChannel = "jobqueue_cancel";

    /// <summary>
    /// Channel that carries the ids of jobs that reached a final state (completed, cancelled or
    /// discarded), separated by commas: one id from most statements, up to
    /// <see cref="JobFinishedListener.MaxIdsPerNotification"/> from a completion batch. API processes listen on
    /// it to end long-polling reads.
    /// </summary>
    public const string FinishedChannel = "jobqueue_finished";

    /// <summary>The columns <see cref="JobReader"/> reads, in its order, of a table aliased <c>job</c>.</summary>
    public const string Columns = """
        job.id, job.queue, job.kind, job.args, job.priority, job.state, job.attempt, job.max_attempts,
        job.timeout_ms, job.tags, job.scheduled_at, job.created_at, job.attempted_at, job.finished_at,
        job.cancel_requested_at, job.worker_id, job.lease_expires_at, job.errors, job.result,
        job.concurrency_key, job.concurrency_limit, job.rate_limit_key, job.rate_limit, job.rate_limit_period_ms,
        job.discard_after, job.unique_key, job.batch_id, job.trace_context, job.webhook_url, job.callback_url
        """;

    /// <summary>Sets the delivery URLs of a job just inserted by the SQL enqueue function. Parameters: id, webhook URL, callback URL.</summary>
    public const string JobSetUrls = "UPDATE jobqueue.jobs SET webhook_url = $2, callback_url = $3 WHERE id = $1";

    /// <summary>
    /// Inserts one row per array element, in array order, and notifies each queue that received
    /// a due job once. Parameters: queues, kinds, args (jsonb), priorities, max attempts, timeouts
    /// in ms (nullable), tags (jsonb arrays), run times (nullable), delays in ms (nullable),
    /// concurrency keys and limits, rate-limit keys, limits and periods in ms, deadlines, per-job
    /// webhook URLs and callback URLs (all nullable); then $18, the batch id of every row
    /// (nullable), and $19, the trace context of the enqueue (jsonb, nullable), which every row gets.
    /// </summary>
    public const string JobInsertMany = $"""
        WITH input AS (
            SELECT *
            FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::smallint[], $5::integer[],
                        $6::integer[], $7::jsonb[], $8::timestamptz[], $9::bigint[],
                        $10::text[], $11::integer[], $12::text[], $13::integer[], $14::integer[],
                        $15::timestamptz[], $16::text[], $17::text[])
                 WITH ORDINALITY AS i(queue, kind, args, priority, max_attempts,
                                      timeout_ms, tags, run_at, delay_ms,
                                      concurrency_key, concurrency_limit, rate_limit_key, rate_limit,
                                      rate_limit_period_ms, discard_after, webhook_url, callback_url, position)
        ),
        timed AS (
            SELECT *, coalesce(run_at, now() + coalesce(delay_ms, 0) * interval '1 millisecond') AS due_at
            FROM input
        ),
        inserted AS (
            INSERT INTO jobqueue.jobs AS job
                (queue, kind, args, priority, effective_priority, state, max_attempts, timeout_ms, tags, scheduled_at,
                 concurrency_key, concurrency_limit, rate_limit_key, rate_limit, rate_limit_period_ms, discard_after,
                 webhook_url, callback_url, batch_id, trace_context)
            SELECT queue, kind, args, priority, priority,
                   CASE WHEN due_at <= now() THEN 'available' ELSE 'scheduled' END,
                   max_attempts, timeout_ms,
                   ARRAY(SELECT jsonb_array_elements_text(tags)),
                   due_at,
                   concurrency_key, concurrency_limit, rate_limit_key, rate_limit, rate_limit_period_ms, discard_after,
                   webhook_url, callback_url, $18::bigint, $19::jsonb
            FROM timed
            ORDER BY position
            RETURNING {Columns}
        ),
        -- NOTIFY is queued inside this transaction and sent on commit, so a worker never wakes
        -- for a row it cannot see yet. One notification per queue: PostgreSQL serialises commits
        -- that notify, so fewer notifications keep bulk enqueues fast.
        woken AS (
            SELECT pg_notify('{AvailableChannel}', queue)
            FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'available') AS due_queues
        )
        -- A SELECT in a WITH clause runs only when referenced, hence the join on its count.
        SELECT inserted.*
        FROM inserted CROSS JOIN (SELECT count(*) FROM woken) AS notified
        ORDER BY id
        """;

    public const string JobGet = $"SELECT {Columns} FROM jobqueue.jobs AS job WHERE job.id = $1";

    /// <summary>
    /// Cancels a job that has not started and flags a running one, whose worker then stops it.
    /// Final jobs are left as they are. Returns the row only when it changed.
    /// </summary>
    public const string JobCancel = $"""
        WITH changed AS (
            UPDATE jobqueue.jobs AS job
            SET state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
                finished_at = CASE WHEN state = 'running' THEN finished_at ELSE now() END,
                cancel_requested_at = CASE WHEN state = 'running' THEN coalesce(cancel_requested_at, now())
                                           ELSE cancel_requested_at END
            WHERE id = $1 AND state IN ('scheduled', 'available', 'retryable', 'running')
            RETURNING {Columns}
        ),
        told AS (
            SELECT pg_notify('{CancelChannel}', id::text) FROM changed WHERE state = 'running'
        ),
        finished AS (
            SELECT pg_notify('{FinishedChannel}', id::text) FROM changed WHERE state = 'cancelled'
        )
        SELECT changed.*
        FROM changed
        CROSS JOIN (SELECT count(*) FROM told) AS notified
        CROSS JOIN (SELECT count(*) FROM finished) AS finished_notified
        """;

    /// <summary>
    /// Makes a job that is not running due now, keeping its errors. A job with no attempts left
    /// gets exactly one more, and the attempt counter keeps growing, so fencing stays valid.
    /// </summary>
    public const string JobRetry = $"""
        WITH changed AS (
            UPDATE jobqueue.jobs AS job
            SET state = 'available',
                scheduled_at = now(),
                finished_at = NULL,
                cancel_requested_at = NULL,
                result = NULL,
                effective_priority = priority,
                max_attempts = greatest(max_attempts, attempt + 1)
            WHERE id = $1 AND state <> 'running'
            RETURNING {Columns}
        ),
        woken AS (
            SELECT pg_notify('{AvailableChannel}', queue) FROM changed
        )
        SELECT changed.* FROM changed CROSS JOIN (SELECT count(*) FROM woken) AS notified
        """;

    /// <summary>
    /// Counts jobs by queue and state, with each queue's pause time. A paused queue without jobs
    /// comes back as one row with a null state.
    /// </summary>
    public const string JobCountByQueueAndState = """
        SELECT coalesce(counted.queue, settings.name), counted.state, coalesce(counted.count, 0), settings.paused_at
        FROM (SELECT queue, state, count(*) AS count FROM jobqueue.jobs GROUP BY queue, state) AS counted
        FULL JOIN (SELECT name, paused_at FROM jobqueue.queues WHERE paused_at IS NOT NULL) AS settings
            ON settings.name = counted.queue
        ORDER BY 1, 2
        """;

    /// <summary>
    /// Counts the jobs of every queue in each state that is not final, with the age in seconds of
    /// the oldest job that is due (available, or scheduled or retryable past its time) per queue
    /// and state. Final states are left out: they make up most of the table, and counting them
    /// would read every row that retention keeps. The cost grows with the number of jobs that
    /// are not final, read through the partial indexes of those states.
    /// </summary>
    public const string JobDepthByQueueAndState = """
        SELECT queue, state, count(*),
               coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (
                   WHERE state <> 'running' AND scheduled_at <= now())), 0)::float8
        FROM jobqueue.jobs
        WHERE state IN ('scheduled', 'available', 'running', 'retryable')
        GROUP BY queue, state
        """;

    // The claim is one statement. It locks due rows (SKIP LOCKED, so workers claim at once
    // without waiting on each other), marks those without a limit key running, and returns the
    // ones with a key unclaimed, for a short transaction that locks their keys and counts again.
    // The statements differ in how they find due rows, each in the order of the index that
    // serves it. Rows of paused queues, and rows whose key is at its limit by this statement's
    // snapshot, are passed over, so a key at its limit does not block the jobs queued behind it.
    private const string CandidateColumns = """
        job.id, job.concurrency_key, job.rate_limit_key, coalesce(job.discard_after <= now(), false) AS expired
        """;

    private const string Claimable = """
        NOT EXISTS (SELECT 1 FROM jobqueue.queues AS q WHERE q.name = job.queue AND q.paused_at IS NOT NULL)
        AND (job.concurrency_key IS NULL OR job.concurrency_limit > (
            SELECT count(*) FROM jobqueue.jobs AS busy
            WHERE busy.state = 'running' AND busy.concurrency_key = job.concurrency_key))
        AND (job.rate_limit_key IS NULL OR job.rate_limit > (
            SELECT count(*) FROM jobqueue.rate_limit_starts AS start
            WHERE start.key = job.rate_limit_key
              AND start.started_at > now() - job.rate_limit_period_ms * interval '1 millisecond'))
        """;

    // The SET list that starts a new attempt of a job: running, the next attempt number as its
    // fencing token, and a lease for the worker whose id is parameter 'worker', lasting the
    // milliseconds in parameter 'leaseMs'. Every claim statement uses it.
    private static string StartAttempt(string worker, string leaseMs) => $"""
        state = 'running',
                attempt = job.attempt + 1,
                attempted_at = now(),
                worker_id = {worker},
                lease_expires_at = now() + {leaseMs} * interval '1 millisecond'
        """;

    // Claims the unkeyed rows of 'due' for worker $3 with a lease of $4 ms. Returns a flag, true
    // for a claimed row and false for a due row with a limit key, then the job's columns. A due
    // row whose discard_after passed is discarded instead of started, without using an attempt;
    // it is not returned.
    private static string ClaimDue(string due) => $"""
        WITH due AS (
        {due}
        ),
        -- A data-modifying WITH query always runs to completion, and its RETURNING list is
        -- evaluated per row, so each discarded job sends its notification although nothing reads it.
        past_deadline AS (
            UPDATE jobqueue.jobs AS job
            SET state = 'discarded',
                finished_at = now(),
                errors = job.errors || jsonb_build_array(jsonb_build_object(
                    'attempt', job.attempt, 'at', now(), 'reason', 'deadline_passed',
                    'message', format('The job was not started because its discard_after time %s passed.',
                                      job.discard_after)))
            FROM due
            WHERE job.id = due.id AND due.expired
            RETURNING job.id, pg_notify('{FinishedChannel}', job.id::text)
        ),
        claimed AS (
            UPDATE jobqueue.jobs AS job
            SET {StartAttempt("$3", "$4")}
            FROM due
            WHERE job.id = due.id AND NOT due.expired AND due.concurrency_key IS NULL AND due.rate_limit_key IS NULL
            RETURNING {Columns}
        )
        SELECT true, claimed.* FROM claimed
        UNION ALL
        SELECT false, {Columns}
        FROM jobqueue.jobs AS job JOIN due ON due.id = job.id
        WHERE NOT due.expired AND (due.concurrency_key IS NOT NULL OR due.rate_limit_key IS NOT NULL)
        """;

    /// <summary>Claims up to $2 due jobs of every queue; see <see cref="ClaimDue"/>. $1 is unused.</summary>
    public static readonly string JobClaimAny = ClaimDue($"""
            SELECT {CandidateColumns}
            FROM jobqueue.jobs AS job
            WHERE job.state = 'available' AND {Claimable}
            ORDER BY job.effective_priority, job.scheduled_at, job.id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        """);

    /// <summary>
    /// Claims up to $2 due jobs of the queues in $1. Each queue is searched on its own, in index
    /// order, and the best $2 of them are kept; one scan over all the queues would have to sort
    /// every available row of them instead.
    /// </summary>
    public static readonly string JobClaimInQueues = ClaimDue($"""
            SELECT candidate.id, candidate.concurrency_key, candidate.rate_limit_key, candidate.expired
            FROM unnest($1::text[]) AS wanted(queue)
            CROSS JOIN LATERAL (
                SELECT {CandidateColumns}, job.effective_priority, job.scheduled_at
                FROM jobqueue.jobs AS job
                WHERE job.state = 'available' AND job.queue = wanted.queue AND {Claimable}
                ORDER BY job.effective_priority, job.scheduled_at, job.id
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ) AS candidate
            ORDER BY candidate.effective_priority, candidate.scheduled_at, candidate.id
            LIMIT $2
        """);

    /// <summary>Claims up to $2 due jobs of every queue except those in $1.</summary>
    public static readonly string JobClaimExceptQueues = ClaimDue($"""
            SELECT {CandidateColumns}
            FROM jobqueue.jobs AS job
            WHERE job.state = 'available' AND job.queue <> ALL($1::text[]) AND {Claimable}
            ORDER BY job.effective_priority, job.scheduled_at, job.id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        """);

    /// <summary>
    /// Takes a transaction-scoped advisory lock per limit key in $1, in sorted order so that two
    /// claims never wait on each other in a cycle. A later statement of the same transaction then
    /// sees every claim that held a key before, because it takes a new snapshot.
    /// </summary>
    public const string LimitKeysLock = """
        SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0)))
        FROM (SELECT DISTINCT key FROM unnest($1::text[]) AS keys(key) ORDER BY key) AS sorted
        """;

    /// <summary>
    /// Returns, per concurrency key in $1, its running jobs, and per rate-limit key and period
    /// in ms ($2, $3), its starts within the period.
    /// </summary>
    public const string LimitKeysCount = """
        SELECT 'concurrency', k.key, 0, (
            SELECT count(*) FROM jobqueue.jobs AS busy WHERE busy.state = 'running' AND busy.concurrency_key = k.key)
        FROM unnest($1::text[]) AS k(key)
        UNION ALL
        SELECT 'rate', r.key, r.period_ms, (
            SELECT count(*) FROM jobqueue.rate_limit_starts AS start
            WHERE start.key = r.key AND start.started_at > now() - r.period_ms * interval '1 millisecond')
        FROM unnest($2::text[], $3::integer[]) AS r(key, period_ms)
        """;

    /// <summary>Marks the jobs $1 that are still available running for worker $2, each leased for $3 ms.</summary>
    public static readonly string JobClaimLocked = $"""
        UPDATE jobqueue.jobs AS job
        SET {StartAttempt("$2", "$3")}
        WHERE job.id = ANY($1::bigint[]) AND job.state = 'available'
          AND (job.discard_after IS NULL OR job.discard_after > now())
        RETURNING {Columns}
        """;

    /// <summary>
    /// Claims the named jobs $1 that are available, for worker $2 with a lease of $3 ms, skipping
    /// rows another worker has locked. Inline execution uses it; limits do not apply there.
    /// </summary>
    public static readonly string JobClaimByIds = $"""
        WITH due AS (
            SELECT id FROM jobqueue.jobs
            WHERE id = ANY($1::bigint[]) AND state = 'available'
              -- NOTE: inline execution leaves a job whose deadline passed available; the next
              -- worker claim discards it.
              AND (discard_after IS NULL OR discard_after > now())
            ORDER BY id
            FOR UPDATE SKIP LOCKED
        )
        UPDATE jobqueue.jobs AS job
        SET {StartAttempt("$2", "$3")}
        FROM due
        WHERE job.id = due.id
        RETURNING {Columns}
        """;

    /// <summary>Records the starts of rate-limited jobs: keys $1, job ids $2.</summary>
    public const string RateLimitStartsInsert = """
        INSERT INTO jobqueue.rate_limit_starts (key, job_id) SELECT * FROM unnest($1::text[], $2::bigint[])
        """;

    /// <summary>Deletes starts older than one day, the longest rate-limit period.</summary>
    public const string RateLimitStartsPrune = """
        DELETE FROM jobqueue.rate_limit_starts WHERE started_at < now() - interval '1 day'
        """;

    /// <summary>
    /// Releases attempt $2 of job $1 without counting it, because the worker stopped it for
    /// shutdown or did not start it (an open circuit): the job is due again after $4 ms and gets
    /// one more attempt in its budget. Error $3 is recorded. Returns the queue.
    /// </summary>
    public const string JobReleaseIfRunning = $"""
        WITH released AS (
            UPDATE jobqueue.jobs
            SET state = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                             WHEN $4 > 0 THEN 'scheduled'
                             ELSE 'available' END,
                finished_at = CASE WHEN cancel_requested_at IS NOT NULL THEN now() END,
                scheduled_at = now() + $4 * interval '1 millisecond',
                max_attempts = max_attempts + 1,
                errors = errors || jsonb_build_array($3::jsonb || jsonb_build_object('attempt', $2, 'at', now())),
                worker_id = NULL,
                lease_expires_at = NULL
            WHERE id = $1 AND attempt = $2 AND state = 'running'
            RETURNING id, queue, state
        ),
        woken AS (
            SELECT pg_notify('{AvailableChannel}', queue) FROM released WHERE state = 'available'
        ),
        finished AS (
            SELECT pg_notify('{FinishedChannel}', id::text) FROM released WHERE state = 'cancelled'
        )
        SELECT released.queue
        FROM released
        CROSS JOIN (SELECT count(*) FROM woken) AS notified
        CROSS JOIN (SELECT count(*) FROM finished) AS finished_notified
        """;

    /// <summary>
    /// Retention: deletes up to $3 jobs in final state $1 that finished more than $2 ms ago,
    /// oldest first. SKIP LOCKED keeps it off rows that an API request is changing.
    /// </summary>
    public const string JobDeleteFinished = """
        DELETE FROM jobqueue.jobs
        WHERE id IN (
            SELECT id FROM jobqueue.jobs
            WHERE state = $1 AND finished_at < now() - $2 * interval '1 millisecond'
            ORDER BY finished_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED
        )
        """;

    /// <summary>
    /// Ageing: lowers by one the effective priority of up to $2 available jobs that have been due
    /// for longer than $1 ms per step already taken, so a job n levels behind a steady stream of
    /// more urgent jobs is claimed after at most about n × $1 ms. Returns the number changed.
    /// </summary>
    public const string JobAgePriorities = """
        WITH aged AS (
            SELECT id FROM jobqueue.jobs
            WHERE state = 'available'
              AND scheduled_at < now() - $1 * interval '1 millisecond'
              AND effective_priority > -32768
              AND scheduled_at < now() - $1 * interval '1 millisecond' * (priority - effective_priority + 1)
            ORDER BY scheduled_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        ),
        changed AS (
            UPDATE jobqueue.jobs AS job SET effective_priority = job.effective_priority - 1
            FROM aged WHERE job.id = aged.id
            RETURNING job.id
        )
        SELECT count(*) FROM changed
        """;

    /// <summary>
    /// Completes attempt $2 of job $1 with result $3 if that attempt still runs. The notification
    /// in RETURNING is sent on commit, once per changed row.
    /// </summary>
    public const string JobCompleteIfRunning = $"""
        UPDATE jobqueue.jobs
        SET state = 'completed', finished_at = now(), result = $3, worker_id = NULL, lease_expires_at = NULL
        WHERE id = $1 AND attempt = $2 AND state = 'running'
        RETURNING pg_notify('{FinishedChannel}', id::text)
        """;

    /// <summary>
    /// Records failure $3 (a jsonb object) of attempt $2 of job $1 if that attempt still runs.
    /// The job is retried after $4 ms when $5 allows it and attempts remain, cancelled when a
    /// cancel was requested, and discarded otherwise. Returns the new state.
    /// </summary>
    public const string JobFailIfRunning = $"""
        WITH changed AS (
            UPDATE jobqueue.jobs
            SET state = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                             WHEN $5 AND attempt < max_attempts THEN 'retryable'
                             ELSE 'discarded' END,
                scheduled_at = CASE WHEN cancel_requested_at IS NULL AND $5 AND attempt < max_attempts
                                    THEN now() + $4 * interval '1 millisecond' ELSE scheduled_at END,
                finished_at = CASE WHEN cancel_requested_at IS NULL AND $5 AND attempt < max_attempts
                                   THEN NULL ELSE now() END,
                errors = errors || jsonb_build_array($3::jsonb || jsonb_build_object('attempt', $2, 'at', now())),
                worker_id = NULL,
                lease_expires_at = NULL
            WHERE id = $1 AND attempt = $2 AND state = 'running'
            RETURNING id, state
        ),
        finished AS (
            SELECT pg_notify('{FinishedChannel}', id::text) FROM changed WHERE state <> 'retryable'
        )
        SELECT changed.state FROM changed CROSS JOIN (SELECT count(*) FROM finished) AS notified
        """;

    /// <summary>Cancels attempt $2 of job $1, whose worker stopped it on request, if it still runs.</summary>
    public const string JobCancelIfRunning = $"""
        UPDATE jobqueue.jobs
        SET state = 'cancelled', finished_at = now(), worker_id = NULL, lease_expires_at = NULL,
            errors = errors || jsonb_build_array(jsonb_build_object(
                'attempt', $2, 'at', now(), 'reason', 'cancelled', 'message', 'Cancelled over the API while running.'))
        WHERE id = $1 AND attempt = $2 AND state = 'running'
        RETURNING pg_notify('{FinishedChannel}', id::text)
        """;

    /// <summary>
    /// Extends the leases of worker $1's running attempts (ids $2, attempts $3) by $4 ms and
    /// returns each id still held with whether a cancel is pending, which covers a cancel
    /// notification the worker missed.
    /// </summary>
    /// <remarks>
    /// The rows are locked one by one in id order, as <see cref="JobCompleteManyIfRunning"/> locks
    /// them. A plain UPDATE joined with the array locked them in the join's order. A renewal and a
    /// completion batch that met on two rows in opposite orders then deadlocked. In a soak at 7,500
    /// jobs/s, PostgreSQL logged "deadlock detected" for completions, which had first waited out
    /// its deadlock_timeout. OFFSET 0 keeps the tests on state and worker out of the lookup, so
    /// that it stays on the primary key whatever the statistics, as in the completion.
    /// </remarks>
    public const string JobRenewLeases = """
        WITH locked AS (
            SELECT job.id
            FROM (SELECT id, attempt FROM unnest($2::bigint[], $3::integer[]) AS held(id, attempt) ORDER BY id) AS held
            CROSS JOIN LATERAL (
                SELECT job.id, job.attempt, job.state, job.worker_id FROM jobqueue.jobs AS job WHERE job.id = held.id FOR UPDATE OFFSET 0
            ) AS job
            WHERE job.attempt = held.attempt AND job.state = 'running' AND job.worker_id = $1
        )
        UPDATE jobqueue.jobs AS job
        SET lease_expires_at = now() + $4 * interval '1 millisecond'
        FROM locked
        WHERE job.id = locked.id
        RETURNING job.id, job.cancel_requested_at IS NOT NULL
        """;

    /// <summary>
    /// Moves up to $1 scheduled or retryable jobs whose time has come to available, and wakes
    /// each queue that received one. Returns the number moved.
    /// </summary>
    public const string JobPromoteDue = $"""
        WITH due AS (
            SELECT id FROM jobqueue.jobs
            WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= now()
            ORDER BY scheduled_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ),
        promoted AS (
            UPDATE jobqueue.jobs AS job SET state = 'available'
            FROM due WHERE job.id = due.id
            RETURNING job.queue
        ),
        woken AS (
            SELECT pg_notify('{AvailableChannel}', queue) FROM (SELECT DISTINCT queue FROM promoted) AS due_queues
        )
        SELECT (SELECT count(*) FROM promoted) + 0 * (SELECT count(*) FROM woken)
        """;

    /// <summary>
    /// Ends up to $1 running attempts whose lease expired: the worker holding them crashed, hung or
    /// lost its database connection. Each goes back to retryable while attempts remain, else it is
    /// discarded; one with a pending cancel is cancelled. A job that finished meanwhile is no
    /// longer 'running', so it is never touched. Returns id, queue, attempt and new state.
    /// </summary>
    public const string JobRescueExpiredLeases = $"""
        WITH expired AS (
            SELECT id FROM jobqueue.jobs
            WHERE state = 'running' AND lease_expires_at < now()
            ORDER BY lease_expires_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ),
        rescued AS (
            UPDATE jobqueue.jobs AS job
            SET state = CASE WHEN job.cancel_requested_at IS NOT NULL THEN 'cancelled'
                             WHEN job.attempt < job.max_attempts THEN 'retryable'
                             ELSE 'discarded' END,
                scheduled_at = now(),
                finished_at = CASE WHEN job.cancel_requested_at IS NULL AND job.attempt < job.max_attempts
                                   THEN NULL ELSE now() END,
                errors = job.errors || jsonb_build_array(jsonb_build_object(
                    'attempt', job.attempt, 'at', now(), 'reason', 'lease_expired',
                    'message', format('The lease of worker %s expired at %s before the attempt finished.',
                                      job.worker_id, job.lease_expires_at))),
                worker_id = NULL,
                lease_expires_at = NULL
            FROM expired
            WHERE job.id = expired.id
            RETURNING job.id, job.queue, job.attempt, job.state
        ),
        finished AS (
            SELECT pg_notify('{FinishedChannel}', id::text) FROM rescued WHERE state IN ('cancelled', 'discarded')
        )
        SELECT rescued.* FROM rescued CROSS JOIN (SELECT count(*) FROM finished) AS notified
        """;

    /// <summary>
    /// Completes each attempt ($1 ids, $2 attempts, $3 results as jsonb, nullable) that still runs,
    /// and returns the ids it completed. An id missing from the result was fenced off. The rows are
    /// locked in id order, so two completion batches never wait on each other in a cycle.
    /// </summary>
    public static readonly string JobCompleteManyIfRunning = $"""
        WITH input AS (
            SELECT * FROM unnest($1::bigint[], $2::integer[], $3::jsonb[]) AS i(id, attempt, result)
        ),
        -- Each row is looked up and locked by its primary key, in id order so that two completion
        -- batches never wait on each other in a cycle, and filtered after the lock. OFFSET 0 keeps
        -- the test on state out of the lookup: pushed into it, it let the planner, with statistics
        -- taken while few jobs ran, walk every running job once per input row through an index on
        -- running jobs, 150 to 400 ms instead of a few ms for 500 completions, until the next
        -- ANALYZE.
        locked AS (
            SELECT job.id, wanted.result
            FROM (SELECT id, attempt, result FROM input ORDER BY id) AS wanted
            CROSS JOIN LATERAL (
                SELECT job.id, job.attempt, job.state FROM jobqueue.jobs AS job WHERE job.id = wanted.id FOR UPDATE OFFSET 0
            ) AS job
            WHERE job.attempt = wanted.attempt AND job.state = 'running'
        ),
        -- The rows in 'locked' are running in the wanted attempt and stay locked until commit.
        completed AS (
            UPDATE jobqueue.jobs AS job
            SET state = 'completed', finished_at = now(), result = locked.result, worker_id = NULL, lease_expires_at = NULL
            FROM locked
            WHERE job.id = locked.id
            RETURNING job.id
        ),
        -- One notification per 300 completed jobs rather than one per job: each notification is
        -- an entry that every listening session reads, and per job they cost a drain about 7%.
        notified AS (
            SELECT pg_notify('{FinishedChannel}', string_agg(id::text, ','))
            FROM (SELECT id, (row_number() OVER () - 1) / {JobFinishedListener.MaxIdsPerNotification} AS chunk FROM completed) AS numbered
            GROUP BY chunk
        )
        -- A SELECT in a WITH clause runs only when referenced, hence the join on its count.
        SELECT id FROM completed CROSS JOIN (SELECT count(*) FROM notified) AS sent
        """;

    /// <summary>
    /// Settings for the claim statements that walk one index in order (every queue, or every
    /// queue but some), each scoped to the claim's transaction: no JIT as in
    /// <see cref="ClaimSettingsInQueues"/>, no bitmap scans, no sorts and one generic plan.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Right after a burst of enqueues the table's statistics still show few available rows, and
    /// the planner then reads every available row and sorts them, which costs each claim time in
    /// proportion to the backlog. Without bitmap scans and sorts it walks the claim index in order
    /// and stops at the limit, whatever the statistics estimate. With those two off, that walk is
    /// the plan for any limit, so the claim keeps one generic plan rather than planning again at
    /// every execution, which took 0.6 ms of a 0.9 ms claim.
    /// </para>
    /// <para>
    /// The settings are <c>set_config</c> calls with is_local true rather than <c>SET LOCAL</c>,
    /// because the claim runs without BEGIN and COMMIT: the settings and the claim go in one
    /// batch, which PostgreSQL runs as one implicit transaction that ends at the batch's end.
    /// <c>SET LOCAL</c> outside an explicit transaction logs a warning on every claim.
    /// </para>
    /// </remarks>
    public const string ClaimSettingsAnyQueue = """
        SELECT set_config('jit', 'off', true), set_config('enable_bitmapscan', 'off', true),
               set_config('enable_sort', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)
        """;

    /// <summary>
    /// Settings for the per-queue claim's transaction: no JIT compilation. The per-queue claim
    /// keeps the planner's other choices: its outer ORDER BY always sorts, and with sorts disabled
    /// the planner picked plans that took seconds.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The claim runs as a prepared statement whose generic plan cannot know its LIMIT, so the
    /// planner's cost estimate passes <c>jit_above_cost</c> although the claim reads a few index
    /// pages. Compiling its expressions then took about 40 ms per claim, twenty times the claim
    /// itself, and cut the drain rate by a factor of five.
    /// </para>
    /// <para>
    /// The claim's commit waits for the WAL flush like every other write. Without the wait, a
    /// claim lost in a crash of PostgreSQL would leave its job available under its previous
    /// attempt number. The next claim would then reuse that attempt number while the first
    /// worker still ran the job, and either attempt could store the outcome.
    /// </para>
    /// </remarks>
    public const string ClaimSettingsInQueues = "SELECT set_config('jit', 'off', true)";
}
