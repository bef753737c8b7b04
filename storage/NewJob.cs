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

    /// <summary>URL the job is delivered to instead of its kind's route or endpoint.</summary>
    public string? WebhookUrl { get; init; }

    /// <summary>URL that receives the job's final state.</summary>
    public string? CallbackUrl { get; init; }

    /// <summary>When set, an existing job with the same unique key is returned instead of inserting this one.</summary>
    public UniqueOptions? Unique { get; init; }
}

/// <summary>
/// Uniqueness of an enqueue: the given <paramref name="Key"/>, or one derived from the kind and
/// args; the queue is part of it with <paramref name="IncludeQueue"/>. Existing jobs in
/// <paramref name="States"/> (null: every state that is not final) created within
/// <paramref name="PeriodMs"/> (null: any time) are duplicates.
/// </summary>
public sealed record UniqueOptions(string? Key, bool IncludeQueue, IReadOnlyList<string>? States, long? PeriodMs);

/// <summary>
/// A batch to create with its jobs: the job to enqueue when every member is final, if any, and
/// the URL it delivers to, when it is a callback URL.
/// </summary>
public sealed record NewBatch(string? Description, NewJob? Callback, string? CallbackUrl);

/// <summary>
/// The jobs of one enqueue, in input order. <see cref="Duplicates"/> marks, per position, a job
/// that existed already and was returned for a member with <see cref="NewJob.Unique"/>.
/// </summary>
public sealed record EnqueueResult(IReadOnlyList<Contracts.Job> Jobs, IReadOnlyList<bool> Duplicates, Contracts.Batch? Batch)
{
    /// <summary>Whether at least one job was inserted.</summary>
    public bool AnyInserted => Duplicates.Any(duplicate => !duplicate);

    /// <summary>The jobs this enqueue inserted, leaving out the existing jobs returned for unique members.</summary>
    public IReadOnlyList<Contracts.Job> Inserted => Jobs.Where((_, i) => !Duplicates[i]).ToList();
}

/// <summary>A per-key cap on running jobs.</summary>
public sealed record ConcurrencyLimit(string Key, int Limit);

/// <summary>A per-key cap on starts in any sliding period of <paramref name="PeriodMs"/> milliseconds.</summary>
public sealed record RateLimit(string Key, int Limit, int PeriodMs);

/// <summary>Filters of a job list; null members do not filter.</summary>
/// <param name="Error">Text that an error's message or reason contains, case-insensitive.</param>
/// <param name="ArgsJson">A JSON value that the job's args contain (jsonb <c>@&gt;</c>).</param>
public sealed record JobFilter(
    string? Queue, string? State, string? Kind, string? Tag, string? Error = null, string? ArgsJson = null)
{
    /// <summary>Only jobs of these queues, for an API key limited to them; null for every queue.</summary>
    public IReadOnlyList<string>? AllowedQueues { get; init; }
}

/// <summary>The queue selection of one worker pool, in storage terms.</summary>
/// <param name="Queues">Queue names, or null for every queue.</param>
/// <param name="Exclude">True when <paramref name="Queues"/> lists the queues to skip.</param>
public sealed record QueueFilter(IReadOnlyList<string>? Queues, bool Exclude)
{
    public static QueueFilter Any { get; } = new(null, false);
}

/// <summary>A running attempt whose lease the rescuer ended.</summary>
public sealed record RescuedJob(long Id, string Queue, int Attempt, string State);

/// <summary>Jobs of one queue in one state that is not final.</summary>
/// <param name="OldestDueAgeSeconds">Age of the oldest due job among them, or 0 when none is due or they run.</param>
public sealed record QueueDepth(string Queue, string State, long Count, double OldestDueAgeSeconds);
