namespace JobQueue.Storage;

/// <summary>The actions an operator applies to one job or to every job a filter matches.</summary>
public enum JobAction
{
    /// <summary>Cancel a job that has not started; ask the worker of a running job to stop it.</summary>
    Cancel,

    /// <summary>Discard a job that has not started, recording an error that says so.</summary>
    Discard,

    /// <summary>Make a job that is not running due now, with at least one attempt left.</summary>
    Retry,

    /// <summary>Make a scheduled or retryable job due now.</summary>
    Run,
}

// Statements behind the operator's actions: discard and run one job, and the bounded batches of
// the bulk actions, which share their SET lists with the single-job statements.
internal static partial class JobSql
{
    private const string DiscardSet = """
        state = 'discarded',
                finished_at = now(),
                errors = job.errors || jsonb_build_array(jsonb_build_object(
                    'attempt', job.attempt, 'at', now(), 'reason', 'discarded', 'message', 'Discarded over the API.'))
        """;

    private const string RunSet = "state = 'available', scheduled_at = now()";

    private const string RetrySet = """
        state = 'available',
                scheduled_at = now(),
                finished_at = NULL,
                cancel_requested_at = NULL,
                result = NULL,
                effective_priority = job.priority,
                max_attempts = greatest(job.max_attempts, job.attempt + 1)
        """;

    private const string CancelSet = """
        state = CASE WHEN job.state = 'running' THEN job.state ELSE 'cancelled' END,
                finished_at = CASE WHEN job.state = 'running' THEN job.finished_at ELSE now() END,
                cancel_requested_at = CASE WHEN job.state = 'running' THEN coalesce(job.cancel_requested_at, now())
                                           ELSE job.cancel_requested_at END
        """;

    /// <summary>
    /// Discards a job that has not started, with an error of reason <c>discarded</c>, and sends
    /// the finished notification. Returns the row only when it changed.
    /// </summary>
    public const string JobDiscard = $"""
        WITH changed AS (
            UPDATE jobqueue.jobs AS job
            SET {DiscardSet}
            WHERE id = $1 AND state IN ('scheduled', 'available', 'retryable')
            RETURNING {Columns}
        ),
        finished AS (
            SELECT pg_notify('{FinishedChannel}', id::text) FROM changed
        )
        SELECT changed.* FROM changed CROSS JOIN (SELECT count(*) FROM finished) AS notified
        """;

    /// <summary>
    /// Makes a scheduled or retryable job due now and wakes its queue. The attempt budget is
    /// unchanged. Returns the row only when it changed.
    /// </summary>
    public const string JobRunNow = $"""
        WITH changed AS (
            UPDATE jobqueue.jobs AS job
            SET {RunSet}
            WHERE id = $1 AND state IN ('scheduled', 'retryable')
            RETURNING {Columns}
        ),
        woken AS (
            SELECT pg_notify('{AvailableChannel}', queue) FROM changed
        )
        SELECT changed.* FROM changed CROSS JOIN (SELECT count(*) FROM woken) AS notified
        """;

    /// <summary>The condition on <c>job.state</c> that an action can change.</summary>
    public static string ActionStates(JobAction action) => action switch
    {
        JobAction.Cancel => "job.state IN ('scheduled', 'available', 'retryable', 'running')",
        JobAction.Discard => "job.state IN ('scheduled', 'available', 'retryable')",

        // An available job is already due, so a bulk retry leaves it where it is in its queue.
        JobAction.Retry => "job.state IN ('scheduled', 'retryable', 'completed', 'cancelled', 'discarded')",
        JobAction.Run => "job.state IN ('scheduled', 'retryable')",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown job action."),
    };

    /// <summary>
    /// Counts the jobs that match <paramref name="where"/> and returns the highest matching id,
    /// which bounds a bulk action to the jobs that were counted.
    /// </summary>
    public static string JobCountMatching(string where) =>
        $"SELECT count(*), max(job.id) FROM jobqueue.jobs AS job {where}";

    /// <summary>
    /// One batch of a bulk action: changes up to $(limit) jobs that match <paramref name="conditions"/>
    /// with ids up to $(upper), highest first. Rows that another transaction has locked, such as a
    /// job a worker is claiming, are skipped. Returns the number of rows in the batch, the lowest id
    /// of the batch, from which the next batch continues downwards (null when none matched), and the
    /// number changed.
    /// </summary>
    public static string JobBulkBatch(JobAction action, IReadOnlyCollection<string> conditions, int upper, int limit)
    {
        var states = ActionStates(action);
        var where = string.Join(" AND ", conditions.Append(states).Append($"job.id <= ${upper}"));
        var (set, notify) = action switch
        {
            JobAction.Cancel => (CancelSet, $"""
                SELECT pg_notify('{CancelChannel}', id::text) FROM changed WHERE state = 'running'
                UNION ALL
                SELECT pg_notify('{FinishedChannel}', id::text) FROM changed WHERE state = 'cancelled'
                """),
            JobAction.Discard => (DiscardSet, $"SELECT pg_notify('{FinishedChannel}', id::text) FROM changed"),
            JobAction.Retry => (RetrySet,
                $"SELECT pg_notify('{AvailableChannel}', queue) FROM (SELECT DISTINCT queue FROM changed) AS due_queues"),
            JobAction.Run => (RunSet,
                $"SELECT pg_notify('{AvailableChannel}', queue) FROM (SELECT DISTINCT queue FROM changed) AS due_queues"),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown job action."),
        };

        return $"""
            WITH batch AS (
                SELECT job.id FROM jobqueue.jobs AS job
                WHERE {where}
                ORDER BY job.id DESC
                LIMIT ${limit}
                FOR UPDATE SKIP LOCKED
            ),
            changed AS (
                UPDATE jobqueue.jobs AS job
                SET {set}
                FROM batch
                WHERE job.id = batch.id AND {states}
                RETURNING job.id, job.queue, job.state
            ),
            notified AS (
                {notify}
            )
            SELECT (SELECT count(*) FROM batch), (SELECT min(id) FROM batch),
                   (SELECT count(*) FROM changed) + 0 * (SELECT count(*) FROM notified)
            """;
    }

    /// <summary>
    /// Returns, per queue with available jobs, the time the longest-waiting one became due. The
    /// age of that job is the queue's latency.
    /// </summary>
    public const string JobOldestAvailableByQueue = """
        SELECT queue, min(scheduled_at) FROM jobqueue.jobs WHERE state = 'available' GROUP BY queue
        """;

    /// <summary>
    /// Counts jobs that reached each final state per time bucket of $1 seconds, for those that
    /// finished at $2 or later. Buckets start at multiples of $1 seconds since the Unix epoch;
    /// buckets without jobs are absent. The index jobs_finished serves the range per state.
    /// </summary>
    public const string JobFinishedPerBucket = """
        SELECT to_timestamp(floor(extract(epoch FROM finished_at) / $1) * $1) AS bucket, state, count(*)
        FROM jobqueue.jobs
        WHERE state IN ('completed', 'cancelled', 'discarded') AND finished_at >= $2
        GROUP BY 1, 2
        ORDER BY 1, 2
        """;

    /// <summary>The planner's estimate of the rows in the jobs table, kept by VACUUM and ANALYZE.</summary>
    public const string JobTableRowEstimate =
        "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'jobqueue.jobs'::regclass";

    /// <summary>
    /// Like <see cref="JobCountByQueueAndState"/>, but cheap on a large table: the unfinished states
    /// are counted exactly through the state index, and the final states are estimated from a
    /// sample of 1% of the table's pages, multiplied by 100. A queue with few finished jobs and no
    /// unfinished ones may be missing from the sample.
    /// </summary>
    public const string JobEstimateByQueueAndState = """
        SELECT coalesce(counted.queue, settings.name), counted.state, coalesce(counted.count, 0), settings.paused_at
        FROM (
            SELECT queue, state, count(*) AS count FROM jobqueue.jobs
            WHERE state IN ('scheduled', 'available', 'running', 'retryable')
            GROUP BY queue, state
            UNION ALL
            SELECT queue, state, count(*) * 100 FROM jobqueue.jobs TABLESAMPLE SYSTEM (1)
            WHERE state IN ('completed', 'cancelled', 'discarded')
            GROUP BY queue, state
        ) AS counted
        FULL JOIN (SELECT name, paused_at FROM jobqueue.queues WHERE paused_at IS NOT NULL) AS settings
            ON settings.name = counted.queue
        ORDER BY 1, 2
        """;

    /// <summary>
    /// Like <see cref="JobFinishedPerBucket"/>, but estimated from a sample of 1% of the table's
    /// pages, multiplied by 100, for long windows over a large table.
    /// </summary>
    public const string JobFinishedPerBucketEstimate = """
        SELECT to_timestamp(floor(extract(epoch FROM finished_at) / $1) * $1) AS bucket, state, count(*) * 100
        FROM jobqueue.jobs TABLESAMPLE SYSTEM (1)
        WHERE state IN ('completed', 'cancelled', 'discarded') AND finished_at >= $2
        GROUP BY 1, 2
        ORDER BY 1, 2
        """;

    /// <summary>The last id handed out; a cheap way to see that jobs were enqueued.</summary>
    public const string JobLastId = "SELECT coalesce(max(id), 0) FROM jobqueue.jobs";
}
