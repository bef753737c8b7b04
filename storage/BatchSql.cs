namespace JobQueue.Storage;

/// <summary>
/// Statements on <c>jobqueue.batches</c> and the enqueue statements that go through the SQL
/// function <c>jobqueue.enqueue_job</c>. The counts of a batch are kept by the trigger
/// <c>jobs_batch_progress</c> (migration 0008), never by these statements.
/// </summary>
internal static class BatchSql
{
    /// <summary>The columns <see cref="BatchStore"/> reads, in its order, of a table aliased <c>batch</c>.</summary>
    public const string Columns = """
        batch.id, batch.description, batch.total, batch.completed, batch.cancelled, batch.discarded,
        batch.callback ->> 'kind', batch.callback_url, batch.callback_job_id, batch.callback_error,
        batch.created_at, batch.finished_at
        """;

    /// <summary>
    /// Inserts a batch: description $1, number of jobs $2, callback job $3 (jsonb for
    /// <c>jobqueue.enqueue_job</c>: kind, queue, args, options) and callback URL $4, both nullable.
    /// </summary>
    public const string BatchInsert = $"""
        INSERT INTO jobqueue.batches AS batch (description, total, callback, callback_url)
        VALUES ($1, $2, $3::jsonb, $4)
        RETURNING {Columns}
        """;

    public const string BatchGet = $"SELECT {Columns} FROM jobqueue.batches AS batch WHERE batch.id = $1";

    /// <summary>
    /// Retention: deletes up to $2 batches that finished more than $1 ms ago and have no job
    /// left, oldest first. A finished batch gains no member, so one whose jobs are all gone stays
    /// empty. Batches whose jobs are kept are passed over, not counted against the limit.
    /// </summary>
    public const string BatchDeleteFinished = """
        DELETE FROM jobqueue.batches
        WHERE id IN (
            SELECT batch.id FROM jobqueue.batches AS batch
            WHERE batch.finished_at < now() - $1 * interval '1 millisecond'
              AND NOT EXISTS (SELECT 1 FROM jobqueue.jobs AS job WHERE job.batch_id = batch.id)
            ORDER BY batch.finished_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        """;

    /// <summary>
    /// Takes the advisory lock of each unique key that the arrays of kinds $1, queues $2, args $3,
    /// given keys $4 and include-queue flags $5 derive. The keys are locked in sorted order, so two
    /// requests with several keys never wait on each other in a cycle. <c>jobqueue.enqueue_job</c>
    /// takes the same locks again, which a transaction that holds them passes at once.
    /// </summary>
    public const string UniqueKeysLock = """
        SELECT count(pg_advisory_xact_lock(hashtextextended(key, 8)))
        FROM (
            SELECT DISTINCT jobqueue.unique_key_for(kind, queue, args, given_key, include_queue) AS key
            FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::boolean[])
                 AS members(kind, queue, args, given_key, include_queue)
            ORDER BY key
        ) AS sorted
        """;

    /// <summary>
    /// Enqueues one job through the SQL function: kind $1, args $2, queue $3, options $4. Returns
    /// the job's id and whether it existed already.
    /// </summary>
    public const string JobEnqueueOne = "SELECT job_id, duplicate FROM jobqueue.enqueue_job($1, $2::jsonb, $3, $4::jsonb)";

    /// <summary>The jobs with the ids in $1, in any order.</summary>
    public const string JobGetMany = $"SELECT {JobSql.Columns} FROM jobqueue.jobs AS job WHERE job.id = ANY($1::bigint[])";
}
