using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Storage.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>Enqueues with unique members or a batch, which take a transaction of several statements.</summary>
public sealed partial class JobStore
{
    /// <summary>
    /// Enqueues the jobs, all or none, in input order, and creates the batch that holds them when
    /// <paramref name="batch"/> is given. A member with <see cref="NewJob.Unique"/> that matches an
    /// existing job gets that job instead of a new one, marked in <see cref="EnqueueResult.Duplicates"/>.
    /// Jobs without either go through the single statement of <see cref="InsertManyAsync"/>.
    /// </summary>
    public async Task<EnqueueResult> EnqueueAsync(IReadOnlyList<NewJob> jobs, NewBatch? batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (batch is null && jobs.All(job => job.Unique is null))
        {
            var inserted = await InsertManyAsync(jobs, cancellationToken);
            return new EnqueueResult(inserted, new bool[inserted.Count], null);
        }

        using var send = EnqueueTelemetry.StartSend(jobs);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await WriteAsync(
                connection, transaction, jobs, batch, EnqueueTelemetry.ContextToStore(send), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            EnqueueTelemetry.Committed(send, result.Inserted);
            return result;
        }
        catch (Exception exception)
        {
            EnqueueTelemetry.Failed(send, exception);
            throw;
        }
    }

    private static async Task<EnqueueResult> WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewJob> jobs, NewBatch? batch,
        string? traceContext, CancellationToken cancellationToken)
    {
        var anyUnique = jobs.Any(job => job.Unique is not null);
        if (batch is not null && anyUnique)
        {
            throw new ArgumentException("Members of a batch cannot be unique: a duplicate would not belong to the batch.", nameof(jobs));
        }

        Batch? created = null;
        if (batch is not null)
        {
            created = await InsertBatchAsync(connection, transaction, batch, jobs.Count, cancellationToken);
        }

        if (!anyUnique)
        {
            await using var insert = new NpgsqlCommand(JobSql.JobInsertMany, connection, transaction);
            AddInsertParameters(insert, jobs, created?.Id, traceContext);
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            var inserted = await JobReader.ReadAllAsync(reader, cancellationToken);
            return new EnqueueResult(inserted, new bool[inserted.Count], created);
        }

        await LockUniqueKeysAsync(connection, transaction, jobs, cancellationToken);

        // One call per job, in input order, so a later member sees the jobs that earlier members
        // of the same request inserted.
        var ids = new long[jobs.Count];
        var duplicates = new bool[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            await using var enqueue = new NpgsqlCommand(BatchSql.JobEnqueueOne, connection, transaction);
            enqueue.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobs[i].Kind });
            enqueue.Parameters.Add(new NpgsqlParameter { Value = jobs[i].ArgsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
            enqueue.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobs[i].Queue });
            enqueue.Parameters.Add(new NpgsqlParameter { Value = ToOptionsJson(jobs[i]), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await using var reader = await enqueue.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            ids[i] = reader.GetInt64(0);
            duplicates[i] = reader.GetBoolean(1);
        }

        // The SQL function takes no delivery URLs, so a new job's own URLs are set in the same
        // transaction, before any worker can see the row.
        for (var i = 0; i < jobs.Count; i++)
        {
            if (!duplicates[i] && (jobs[i].WebhookUrl is not null || jobs[i].CallbackUrl is not null))
            {
                await using var urls = new NpgsqlCommand(JobSql.JobSetUrls, connection, transaction);
                urls.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ids[i] });
                urls.Parameters.Add(new NpgsqlParameter { Value = (object?)jobs[i].WebhookUrl ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                urls.Parameters.Add(new NpgsqlParameter { Value = (object?)jobs[i].CallbackUrl ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                await urls.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var byId = new Dictionary<long, Job>();
        await using (var get = new NpgsqlCommand(BatchSql.JobGetMany, connection, transaction))
        {
            get.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
            await using var reader = await get.ExecuteReaderAsync(cancellationToken);
            foreach (var job in await JobReader.ReadAllAsync(reader, cancellationToken))
            {
                byId[job.Id] = job;
            }
        }

        return new EnqueueResult(ids.Select(id => byId[id]).ToList(), duplicates, created);
    }

    private static async Task<Batch> InsertBatchAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, NewBatch batch, int total, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(BatchSql.BatchInsert, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)batch.Description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = total });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = batch.Callback is { } callback ? ToCallbackJson(callback) : DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Jsonb,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)batch.CallbackUrl ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return BatchStore.Read(reader);
    }

    private static async Task LockUniqueKeysAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewJob> jobs, CancellationToken cancellationToken)
    {
        var unique = jobs.Where(job => job.Unique is not null).ToList();
        if (unique.Count < 2)
        {
            return;
        }

        await using var command = new NpgsqlCommand(BatchSql.UniqueKeysLock, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = unique.Select(job => job.Kind).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = unique.Select(job => job.Queue).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = unique.Select(job => job.ArgsJson).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = unique.Select(job => job.Unique!.Key).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = unique.Select(job => job.Unique!.IncludeQueue).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The job for <c>jobqueue.enqueue_job</c> when a batch finishes: kind, queue, args and options.</summary>
    private static string ToCallbackJson(NewJob job)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", job.Kind);
            writer.WriteString("queue", job.Queue);
            writer.WritePropertyName("args");
            writer.WriteRawValue(job.ArgsJson);
            writer.WritePropertyName("options");
            writer.WriteRawValue(ToOptionsJson(job));
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// The options argument of <c>jobqueue.enqueue_job</c> for a job: the enqueue request's members
    /// other than kind, args and queue, in the request's units (seconds).
    /// </summary>
    internal static string ToOptionsJson(NewJob job)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("priority", job.Priority);
            writer.WriteNumber("max_attempts", job.MaxAttempts);
            if (job.TimeoutMs is { } timeoutMs)
            {
                writer.WriteNumber("timeout_seconds", timeoutMs / 1000m);
            }

            if (job.RunAt is { } runAt)
            {
                writer.WriteString("run_at", runAt.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
            }

            if (job.DelayMs is { } delayMs)
            {
                writer.WriteNumber("delay_seconds", delayMs / 1000m);
            }

            if (job.DiscardAfter is { } discardAfter)
            {
                writer.WriteString("discard_after", discardAfter.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
            }

            writer.WriteStartArray("tags");
            foreach (var tag in job.Tags)
            {
                writer.WriteStringValue(tag);
            }

            writer.WriteEndArray();
            if (job.Concurrency is { } concurrency)
            {
                writer.WriteStartObject("concurrency");
                writer.WriteString("key", concurrency.Key);
                writer.WriteNumber("limit", concurrency.Limit);
                writer.WriteEndObject();
            }

            if (job.RateLimit is { } rate)
            {
                writer.WriteStartObject("rate_limit");
                writer.WriteString("key", rate.Key);
                writer.WriteNumber("limit", rate.Limit);
                writer.WriteNumber("period_seconds", rate.PeriodMs / 1000m);
                writer.WriteEndObject();
            }

            if (job.Unique is { } unique)
            {
                WriteUnique(writer, unique);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteUnique(Utf8JsonWriter writer, UniqueOptions unique)
    {
        writer.WriteStartObject("unique");
        if (unique.Key is not null)
        {
            writer.WriteString("key", unique.Key);
        }

        writer.WriteBoolean("include_queue", unique.IncludeQueue);
        if (unique.States is { } states)
        {
            writer.WriteStartArray("states");
            foreach (var state in states)
            {
                writer.WriteStringValue(state);
            }

            writer.WriteEndArray();
        }

        if (unique.PeriodMs is { } periodMs)
        {
            writer.WriteNumber("period_seconds", periodMs / 1000m);
        }

        writer.WriteEndObject();
    }
}
