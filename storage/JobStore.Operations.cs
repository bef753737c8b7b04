using JobQueue.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>The result of a bulk action: how many jobs changed, in how many batches.</summary>
public sealed record BulkOutcome(long Changed, int Batches, long UpperId);

/// <summary>Jobs that finished in one time bucket, per final state.</summary>
public sealed record FinishedBucket(DateTimeOffset Start, long Completed, long Cancelled, long Discarded);

// The operator's actions and the figures of the dashboard: discard and run one job, count and
// change every job a filter matches in bounded batches, and throughput over time.
public sealed partial class JobStore
{
    /// <summary>Jobs changed per statement of a bulk action; each batch commits on its own.</summary>
    public const int DefaultBulkBatchSize = 1000;

    /// <summary>
    /// Discards a job that has not started. Returns the changed job, or null when the job is
    /// missing, running or final.
    /// </summary>
    public Task<Job?> DiscardAsync(long id, CancellationToken cancellationToken) =>
        ChangeOneAsync(JobSql.JobDiscard, id, cancellationToken);

    /// <summary>
    /// Makes a scheduled or retryable job due now. Returns the changed job, or null when the job
    /// is missing or in another state.
    /// </summary>
    public Task<Job?> RunNowAsync(long id, CancellationToken cancellationToken) =>
        ChangeOneAsync(JobSql.JobRunNow, id, cancellationToken);

    /// <summary>
    /// Counts the jobs that match <paramref name="filter"/> and, when <paramref name="action"/> is
    /// set, that the action can change. Returns the count and the highest matching id (0 when none).
    /// </summary>
    public async Task<(long Count, long MaxId)> CountAsync(
        JobFilter filter, JobAction? action, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        var conditions = JobFilterSql.Conditions(command, filter);
        if (action is not null)
        {
            conditions.Add(JobSql.ActionStates(action.Value));
        }

        command.CommandText = JobSql.JobCountMatching(JobFilterSql.Where(conditions));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? 0 : reader.GetInt64(1));
    }

    /// <summary>
    /// Applies <paramref name="action"/> to every job that matches <paramref name="filter"/>, has
    /// an id up to <paramref name="maxId"/> (the last id at the start when null) and is in a state
    /// the action changes. It works downwards from the highest id in batches of
    /// <paramref name="batchSize"/>, each its own transaction, so row locks are held briefly and a
    /// cancelled request keeps the batches done so far. The loop ends because every batch moves the
    /// upper bound below the ids it read.
    /// </summary>
    public async Task<BulkOutcome> BulkAsync(
        JobAction action, JobFilter filter, long? maxId, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var upper = maxId ?? await LastIdAsync(cancellationToken);
        var startUpper = upper;
        long changed = 0;
        var batches = 0;
        while (upper > 0)
        {
            await using var command = dataSource.CreateCommand();
            var conditions = JobFilterSql.Conditions(command, filter);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upper });
            var upperParameter = command.Parameters.Count;
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            command.CommandText = JobSql.JobBulkBatch(action, conditions, upperParameter, command.Parameters.Count);

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var rows = reader.GetInt64(0);
            batches++;
            changed += reader.GetInt64(2);
            if (rows < batchSize || reader.IsDBNull(1))
            {
                break;
            }

            upper = reader.GetInt64(1) - 1;
        }

        return new BulkOutcome(changed, batches, startUpper);
    }

    /// <summary>
    /// Rows in the jobs table, by the planner's estimate, above which the statistics estimate the
    /// finished jobs from a sample instead of counting them.
    /// </summary>
    public const long EstimateAboveRows = 100_000;

    /// <summary>
    /// Returns job counts by state per queue, as <see cref="CountByQueueAsync"/> does, and whether
    /// the counts of the final states are estimates: they are on a table of more than
    /// <see cref="EstimateAboveRows"/> rows, where counting every finished job would take too long.
    /// </summary>
    public async Task<(IReadOnlyList<QueueSummary> Queues, bool Estimated)> CountByQueueCheaplyAsync(
        CancellationToken cancellationToken)
    {
        var estimated = await RowEstimateAsync(cancellationToken) > EstimateAboveRows;
        var sql = estimated ? JobSql.JobEstimateByQueueAndState : JobSql.JobCountByQueueAndState;
        return (await ReadQueueSummariesAsync(sql, cancellationToken), estimated);
    }

    /// <summary>Returns the planner's estimate of the rows in the jobs table.</summary>
    public async Task<long> RowEstimateAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobTableRowEstimate);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Returns the highest job id, or 0 when the table is empty.</summary>
    public async Task<long> LastIdAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobLastId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Returns, per queue with available jobs, when its longest-waiting job became due.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> OldestAvailableByQueueAsync(
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobOldestAvailableByQueue);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var oldest = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            oldest[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        return oldest;
    }

    /// <summary>
    /// Counts the jobs that finished since <paramref name="since"/> per bucket of
    /// <paramref name="bucketSeconds"/> and final state, or estimates them from a sample of 1% of
    /// the table's pages when <paramref name="estimate"/> is set. Buckets without jobs are absent.
    /// </summary>
    public async Task<IReadOnlyList<FinishedBucket>> CountFinishedPerBucketAsync(
        DateTimeOffset since, int bucketSeconds, bool estimate, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            estimate ? JobSql.JobFinishedPerBucketEstimate : JobSql.JobFinishedPerBucket);
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = bucketSeconds, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = since.ToUniversalTime() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var buckets = new SortedDictionary<DateTimeOffset, long[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var start = reader.GetFieldValue<DateTimeOffset>(0);
            if (!buckets.TryGetValue(start, out var counts))
            {
                counts = new long[3];
                buckets[start] = counts;
            }

            var index = reader.GetString(1) switch
            {
                "completed" => 0,
                "cancelled" => 1,
                _ => 2,
            };
            counts[index] = reader.GetInt64(2);
        }

        return buckets.Select(pair => new FinishedBucket(pair.Key, pair.Value[0], pair.Value[1], pair.Value[2])).ToList();
    }
}
