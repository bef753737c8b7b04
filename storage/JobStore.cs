using JobQueue.Contracts;
using JobQueue.Storage.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>
/// Reads and writes jobs for the API: enqueue, look-up, lists, cancel and retry. The statements
/// the worker runs are in <c>JobStore.Worker.cs</c>.
/// </summary>
public sealed partial class JobStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Inserts the jobs in one statement and one transaction, so either all are stored or none,
    /// and wakes the workers of each queue that received a due job. Returns them in input order.
    /// </summary>
    public async Task<IReadOnlyList<Job>> InsertManyAsync(IReadOnlyList<NewJob> jobs, CancellationToken cancellationToken)
    {
        using var send = EnqueueTelemetry.StartSend(jobs);
        try
        {
            List<Job> inserted;
            await using (var command = dataSource.CreateCommand(JobSql.JobInsertMany))
            {
                AddInsertParameters(command, jobs, null, EnqueueTelemetry.ContextToStore(send));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                inserted = await JobReader.ReadAllAsync(reader, cancellationToken);
            }

            EnqueueTelemetry.Committed(send, inserted);
            return inserted;
        }
        catch (Exception exception)
        {
            EnqueueTelemetry.Failed(send, exception);
            throw;
        }
    }

    public async Task<Job?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobGet);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? JobReader.Read(reader) : null;
    }

    /// <summary>
    /// Returns up to <paramref name="limit"/> jobs matching <paramref name="filter"/>, newest first,
    /// with ids below <paramref name="beforeId"/> when given (the keyset cursor).
    /// </summary>
    public async Task<IReadOnlyList<Job>> ListAsync(
        JobFilter filter, long? beforeId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        var conditions = JobFilterSql.Conditions(command, filter);
        if (beforeId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = beforeId.Value });
            conditions.Add("job.id < $" + command.Parameters.Count);
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var where = JobFilterSql.Where(conditions);
        command.CommandText =
            $"SELECT {JobSql.Columns} FROM jobqueue.jobs AS job {where} ORDER BY job.id DESC LIMIT ${command.Parameters.Count}";

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await JobReader.ReadAllAsync(reader, cancellationToken);
    }

    /// <summary>
    /// Cancels the job if it has not started, or asks its worker to stop it if it runs.
    /// Returns the changed job, or null when the job is missing or already final.
    /// </summary>
    public Task<Job?> CancelAsync(long id, CancellationToken cancellationToken) =>
        ChangeOneAsync(JobSql.JobCancel, id, cancellationToken);

    /// <summary>
    /// Makes a job that is not running due now. Returns the changed job, or null when the job is
    /// missing or running.
    /// </summary>
    public Task<Job?> RetryAsync(long id, CancellationToken cancellationToken) =>
        ChangeOneAsync(JobSql.JobRetry, id, cancellationToken);

    /// <summary>
    /// Returns job counts by state, and whether it is paused, for every queue that has jobs or is
    /// paused, ordered by queue name.
    /// </summary>
    public Task<IReadOnlyList<QueueSummary>> CountByQueueAsync(CancellationToken cancellationToken) =>
        ReadQueueSummariesAsync(JobSql.JobCountByQueueAndState, cancellationToken);

    // Reads the rows of JobCountByQueueAndState or a statement with the same columns.
    private async Task<IReadOnlyList<QueueSummary>> ReadQueueSummariesAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, Dictionary<JobState, long>>(StringComparer.Ordinal);
        var paused = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var order = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var queue = reader.GetString(0);
            if (!counts.TryGetValue(queue, out var byState))
            {
                byState = [];
                counts[queue] = byState;
                order.Add(queue);
            }

            if (!reader.IsDBNull(1))
            {
                byState[JobStates.Parse(reader.GetString(1))] = reader.GetInt64(2);
            }

            if (!reader.IsDBNull(3))
            {
                paused[queue] = reader.GetFieldValue<DateTimeOffset>(3);
            }
        }

        return order
            .Select(queue => new QueueSummary
            {
                Name = queue,
                Counts = ToCounts(counts[queue]),
                Paused = paused.ContainsKey(queue),
                PausedAt = paused.TryGetValue(queue, out var pausedAt) ? pausedAt : null,
            })
            .ToList();
    }

    /// <summary>
    /// Returns the number of jobs per queue and non-final state, and the age of the oldest due job
    /// of each; see <see cref="JobSql.JobDepthByQueueAndState"/>.
    /// </summary>
    public async Task<IReadOnlyList<QueueDepth>> ReadDepthAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobDepthByQueueAndState);
        command.CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var depths = new List<QueueDepth>();
        while (await reader.ReadAsync(cancellationToken))
        {
            depths.Add(new QueueDepth(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetDouble(3)));
        }

        return depths;
    }

    private static JobStateCounts ToCounts(Dictionary<JobState, long> byState) => new()
    {
        Scheduled = byState.GetValueOrDefault(JobState.Scheduled),
        Available = byState.GetValueOrDefault(JobState.Available),
        Running = byState.GetValueOrDefault(JobState.Running),
        Retryable = byState.GetValueOrDefault(JobState.Retryable),
        Completed = byState.GetValueOrDefault(JobState.Completed),
        Cancelled = byState.GetValueOrDefault(JobState.Cancelled),
        Discarded = byState.GetValueOrDefault(JobState.Discarded),
    };

    // Binds the parameters of JobSql.JobInsertMany: one array per column, in job order, the batch
    // id and the trace context that every row gets.
    internal static void AddInsertParameters(
        NpgsqlCommand command, IReadOnlyList<NewJob> jobs, long? batchId, string? traceContext)
    {
        var count = jobs.Count;
        var queues = new string[count];
        var kinds = new string[count];
        var args = new string[count];
        var priorities = new short[count];
        var maxAttempts = new int[count];
        var timeouts = new int?[count];
        var tags = new string[count];
        var runAts = new DateTimeOffset?[count];
        var delays = new long?[count];
        var concurrencyKeys = new string?[count];
        var concurrencyLimits = new int?[count];
        var rateKeys = new string?[count];
        var rateLimits = new int?[count];
        var ratePeriods = new int?[count];
        var deadlines = new DateTimeOffset?[count];
        var webhookUrls = new string?[count];
        var callbackUrls = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var job = jobs[i];
            queues[i] = job.Queue;
            kinds[i] = job.Kind;
            args[i] = job.ArgsJson;
            priorities[i] = job.Priority;
            maxAttempts[i] = job.MaxAttempts;
            timeouts[i] = job.TimeoutMs;
            tags[i] = System.Text.Json.JsonSerializer.Serialize(job.Tags);
            runAts[i] = job.RunAt?.ToUniversalTime();
            delays[i] = job.DelayMs;
            concurrencyKeys[i] = job.Concurrency?.Key;
            concurrencyLimits[i] = job.Concurrency?.Limit;
            rateKeys[i] = job.RateLimit?.Key;
            rateLimits[i] = job.RateLimit?.Limit;
            ratePeriods[i] = job.RateLimit?.PeriodMs;
            deadlines[i] = job.DiscardAfter?.ToUniversalTime();
            webhookUrls[i] = job.WebhookUrl;
            callbackUrls[i] = job.CallbackUrl;
        }

        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = queues });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
        command.Parameters.Add(new NpgsqlParameter { Value = args, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = priorities });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = maxAttempts });
        command.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = timeouts });
        command.Parameters.Add(new NpgsqlParameter { Value = tags, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = runAts });
        command.Parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = delays });
        command.Parameters.Add(new NpgsqlParameter { Value = concurrencyKeys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = concurrencyLimits });
        command.Parameters.Add(new NpgsqlParameter { Value = rateKeys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = rateLimits });
        command.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = ratePeriods });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = deadlines });
        command.Parameters.Add(new NpgsqlParameter { Value = webhookUrls, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = callbackUrls, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)batchId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)traceContext ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
    }

    private async Task<Job?> ChangeOneAsync(string sql, long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? JobReader.Read(reader) : null;
    }
}
