using JobQueue.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>The statements a worker host runs: claim, outcomes, leases, promotion and rescue.</summary>
public sealed partial class JobStore
{
    /// <summary>Completes the attempt if it is still the job's running attempt; false means the write was fenced off.</summary>
    public async Task<bool> CompleteAsync(long id, int attempt, string? resultJson, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobCompleteIfRunning);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = resultJson is null ? DBNull.Value : resultJson,
            NpgsqlDbType = NpgsqlDbType.Jsonb,
        });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Records a failed attempt. The job becomes retryable after <paramref name="retryDelay"/> when
    /// <paramref name="retry"/> is set and attempts remain, otherwise discarded (or cancelled when a
    /// cancel is pending). Returns the new state, or null when the write was fenced off.
    /// </summary>
    public async Task<JobState?> FailAsync(
        long id, int attempt, JobFailure failure, TimeSpan retryDelay, bool retry, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobFailIfRunning);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
        command.Parameters.Add(new NpgsqlParameter { Value = failure.ToJson(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)retryDelay.TotalMilliseconds });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = retry });
        var state = await command.ExecuteScalarAsync(cancellationToken);
        return state is string name ? JobStates.Parse(name) : null;
    }

    /// <summary>
    /// Gives a running attempt back without counting it, due again after <paramref name="delay"/>
    /// (zero for at once). Returns false when the write was fenced off.
    /// </summary>
    public async Task<bool> ReleaseAsync(
        long id, int attempt, JobFailure reason, TimeSpan delay, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobReleaseIfRunning);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
        command.Parameters.Add(new NpgsqlParameter { Value = reason.ToJson(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)Math.Ceiling(delay.TotalMilliseconds) });
        return await command.ExecuteScalarAsync(cancellationToken) is string;
    }

    /// <summary>
    /// Deletes up to <paramref name="limit"/> jobs in final <paramref name="state"/> that finished
    /// more than <paramref name="age"/> ago. Returns how many it deleted.
    /// </summary>
    public async Task<int> DeleteFinishedAsync(JobState state, TimeSpan age, int limit, CancellationToken cancellationToken)
    {
        if (!JobStates.IsFinal(state))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "Only final states can be deleted.");
        }

        await using var command = dataSource.CreateCommand(JobSql.JobDeleteFinished);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JobStates.ToName(state) });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)age.TotalMilliseconds });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Runs one ageing step over up to <paramref name="limit"/> jobs: see
    /// <see cref="JobSql.JobAgePriorities"/>. Returns how many jobs moved up a level.
    /// </summary>
    public async Task<int> AgePrioritiesAsync(TimeSpan step, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobAgePriorities);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)step.TotalMilliseconds });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var changed = await command.ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt32(changed, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Ends an attempt that stopped on a cancel request; false means the write was fenced off.</summary>
    public async Task<bool> CancelRunningAsync(long id, int attempt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobCancelIfRunning);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Extends the leases the worker still holds. Returns each id still held, mapped to whether a
    /// cancel was requested for it; an id missing from the result has lost its lease.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, bool>> RenewLeasesAsync(
        string workerId, IReadOnlyList<(long Id, int Attempt)> held, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobRenewLeases);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = held.Select(h => h.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = held.Select(h => h.Attempt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)lease.TotalMilliseconds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var renewed = new Dictionary<long, bool>();
        while (await reader.ReadAsync(cancellationToken))
        {
            renewed[reader.GetInt64(0)] = reader.GetBoolean(1);
        }

        return renewed;
    }

    /// <summary>Moves up to <paramref name="limit"/> due scheduled or retryable jobs to available.</summary>
    public async Task<int> PromoteDueAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobPromoteDue);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var promoted = await command.ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt32(promoted, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Ends up to <paramref name="limit"/> running attempts whose lease expired.</summary>
    public async Task<IReadOnlyList<RescuedJob>> RescueExpiredAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobRescueExpiredLeases);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rescued = new List<RescuedJob>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rescued.Add(new RescuedJob(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3)));
        }

        return rescued;
    }
}

/// <summary>Why an attempt failed, as stored in the job's <c>errors</c>.</summary>
/// <param name="Reason">One of the <see cref="JobError.Reason"/> values.</param>
/// <param name="Message">Human-readable cause; truncated to <see cref="MaxMessageLength"/> characters.</param>
/// <param name="StatusCode">HTTP status of a webhook response, when there was one.</param>
public sealed record JobFailure(string Reason, string Message, int? StatusCode = null)
{
    /// <summary>Longest error message kept per attempt, in characters.</summary>
    public const int MaxMessageLength = 4000;

    internal string ToJson()
    {
        var message = Message.Length > MaxMessageLength ? Message[..MaxMessageLength] + "…" : Message;

        // jsonb rejects U+0000, and an exception message may contain anything.
        message = message.Replace('\0', '\uFFFD');
        var entry = new Dictionary<string, object?> { ["reason"] = Reason, ["message"] = message };
        if (StatusCode is not null)
        {
            entry["status_code"] = StatusCode;
        }

        return System.Text.Json.JsonSerializer.Serialize(entry);
    }
}
