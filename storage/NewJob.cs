namespace JobQueue.Storage;

/// <summary>
/// A validated job ready to insert. <see cref="RunAt"/> and <see cref="DelayMs"/> are mutually
/// exclusive; with neither, the job is due at once by the database clock.
/// </summary>
public sealed record NewJob(
    string Queue,
    string Kind,
    string ArgsJson,
    short Priority,
    int MaxAttempts,
    int? TimeoutMs,
    IReadOnlyList<string> Tags,
    DateTimeOffset? RunAt,
    long? DelayMs)
{
    /// <summary>At most <see cref="ConcurrencyLimit.Limit"/> running jobs share this key, across all workers.</summary>
    public ConcurrencyLimit? Concurrency { get; init; }

    /// <summary>At most <see cref="RateLimit.Limit"/> jobs with this key start in any period.</summary>
    public RateLimit? RateLimit { get; init; }

    /// <summary>The job is not started after this time; a claim discards it instead.</summary>
    public DateTimeOffset? DiscardAfter { get; init; }
}

/// <summary>A per-key cap on running jobs.</summary>
public sealed record ConcurrencyLimit(string Key, int Limit);

/// <summary>A per-key cap on starts in any sliding period of <paramref name="PeriodMs"/> milliseconds.</summary>
public sealed record RateLimit(string Key, int Limit, int PeriodMs);

/// <summary>Filters of a job list; null members do not filter.</summary>
/// <param name="Error">Text that an error's message or reason contains, case-insensitive.</param>
/// <param name="ArgsJson">A JSON value that the job's args contain (jsonb <c>@&gt;</c>).</param>
public sealed record JobFilter(
    string? Queue, string? State, string? Kind, string? Tag, string? Error = null, string? ArgsJson = null);

/// <summary>The queue selection of one worker pool, in storage terms.</summary>
/// <param name="Queues">Queue names, or null for every queue.</param>
/// <param name="Exclude">True when <paramref name="Queues"/> lists the queues to skip.</param>
public sealed record QueueFilter(IReadOnlyList<string>? Queues, bool Exclude)
{
    public static QueueFilter Any { get; } = new(null, false);
}

/// <summary>A running attempt whose lease the rescuer ended.</summary>
public sealed record RescuedJob(long Id, string Queue, int Attempt, string State);
