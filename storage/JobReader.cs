using System.Text.Json;
using JobQueue.Contracts;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>Maps rows selected with <see cref="JobSql.Columns"/> to <see cref="Job"/>.</summary>
internal static class JobReader
{
    /// <summary>Reads the job whose first column is at <paramref name="offset"/>.</summary>
    public static Job Read(NpgsqlDataReader reader, int offset = 0)
    {
        var columns = new OffsetColumns(reader, offset);
        return Read(columns);
    }

    private static Job Read(OffsetColumns reader)
    {
        var timeoutMs = reader.IsDBNull(8) ? (int?)null : reader.GetInt32(8);
        return new Job
        {
            Id = reader.GetInt64(0),
            Queue = reader.GetString(1),
            Kind = reader.GetString(2),
            Args = JsonSerializer.Deserialize<JsonElement>(reader.GetString(3)),
            Priority = reader.GetInt16(4),
            State = JobStates.Parse(reader.GetString(5)),
            Attempt = reader.GetInt32(6),
            MaxAttempts = reader.GetInt32(7),
            TimeoutSeconds = timeoutMs / 1000.0,
            Tags = reader.GetFieldValue<string[]>(9),
            ScheduledAt = reader.GetFieldValue<DateTimeOffset>(10),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(11),
            AttemptedAt = ReadNullableTime(reader, 12),
            FinishedAt = ReadNullableTime(reader, 13),
            CancelRequestedAt = ReadNullableTime(reader, 14),
            WorkerId = reader.IsDBNull(15) ? null : reader.GetString(15),
            LeaseExpiresAt = ReadNullableTime(reader, 16),
            Errors = JsonSerializer.Deserialize<List<JobError>>(reader.GetString(17)) ?? [],
            Result = reader.IsDBNull(18) ? null : JsonSerializer.Deserialize<JsonElement>(reader.GetString(18)),
            Concurrency = reader.IsDBNull(19)
                ? null
                : new ConcurrencyLimitSpec { Key = reader.GetString(19), Limit = reader.GetInt32(20) },
            RateLimit = reader.IsDBNull(21)
                ? null
                : new RateLimitSpec { Key = reader.GetString(21), Limit = reader.GetInt32(22), PeriodSeconds = reader.GetInt32(23) / 1000.0 },
            DiscardAfter = ReadNullableTime(reader, 24),
            UniqueKey = reader.IsDBNull(25) ? null : reader.GetString(25),
            BatchId = reader.IsDBNull(26) ? null : reader.GetInt64(26),
            TraceContext = reader.IsDBNull(27) ? null : reader.GetString(27),
            WebhookUrl = reader.IsDBNull(28) ? null : reader.GetString(28),
            CallbackUrl = reader.IsDBNull(29) ? null : reader.GetString(29),
        };
    }

    public static async Task<List<Job>> ReadAllAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var jobs = new List<Job>();
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(Read(reader));
        }

        return jobs;
    }

    private static DateTimeOffset? ReadNullableTime(OffsetColumns reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>The reader's columns renumbered from <c>offset</c>, for rows with leading columns of their own.</summary>
    private readonly struct OffsetColumns(NpgsqlDataReader reader, int offset)
    {
        public bool IsDBNull(int ordinal) => reader.IsDBNull(offset + ordinal);

        public long GetInt64(int ordinal) => reader.GetInt64(offset + ordinal);

        public int GetInt32(int ordinal) => reader.GetInt32(offset + ordinal);

        public short GetInt16(int ordinal) => reader.GetInt16(offset + ordinal);

        public string GetString(int ordinal) => reader.GetString(offset + ordinal);

        public T GetFieldValue<T>(int ordinal) => reader.GetFieldValue<T>(offset + ordinal);
    }
}

/// <summary>The database spelling of each <see cref="JobState"/>.</summary>
public static class JobStates
{
    private static readonly Dictionary<string, JobState> ByName = new(StringComparer.Ordinal)
    {
        ["scheduled"] = JobState.Scheduled,
        ["available"] = JobState.Available,
        ["running"] = JobState.Running,
        ["retryable"] = JobState.Retryable,
        ["completed"] = JobState.Completed,
        ["cancelled"] = JobState.Cancelled,
        ["discarded"] = JobState.Discarded,
    };

    /// <summary>Every state name, in lifecycle order.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static JobState Parse(string name) => ByName.TryGetValue(name, out var state)
        ? state
        : throw new InvalidOperationException($"Unknown job state '{name}' in the database.");

    public static bool TryParse(string name, out JobState state) => ByName.TryGetValue(name, out state);

    public static string ToName(JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Available => "available",
        JobState.Running => "running",
        JobState.Retryable => "retryable",
        JobState.Completed => "completed",
        JobState.Cancelled => "cancelled",
        JobState.Discarded => "discarded",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };

    public static bool IsFinal(JobState state) =>
        state is JobState.Completed or JobState.Cancelled or JobState.Discarded;
}
