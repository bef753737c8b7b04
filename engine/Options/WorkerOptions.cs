namespace JobQueue.Engine.Options;

/// <summary>Settings of the worker's pools and background loops, bound from the <c>Worker</c> section.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    public const string DefaultQueues = "*:10";
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultLeaseDuration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultSchedulerInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultRescueInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(25);
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromHours(1);
    public const int DefaultMaxResultBytes = 64 * 1024;
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultPriorityAgeing = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultRetentionInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultIndexCheckInterval = TimeSpan.FromMinutes(1);
    public const long DefaultIndexRebuildMinimumBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Pools in GoodJob's syntax, for example <c>mice:2;elephants:1</c> or <c>*:10</c>; see
    /// <see cref="QueueSelection"/>. Default <c>*:10</c>: one pool of 10 slots for every queue.
    /// </summary>
    public string Queues { get; set; } = DefaultQueues;

    /// <summary>
    /// How often each pool looks for due jobs without a notification. A lost notification delays
    /// a job by at most this. Default 1 second.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = DefaultPollInterval;

    /// <summary>
    /// How long a claimed job stays leased without renewal. The worker renews every third of it;
    /// a crashed worker's jobs are retried once it has passed. Default 30 seconds.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = DefaultLeaseDuration;

    /// <summary>How often due scheduled and retryable jobs are made available. Default 1 second.</summary>
    public TimeSpan SchedulerInterval { get; set; } = DefaultSchedulerInterval;

    /// <summary>How often running jobs with an expired lease are looked for. Default 5 seconds.</summary>
    public TimeSpan RescueInterval { get; set; } = DefaultRescueInterval;

    /// <summary>
    /// On shutdown, how long running jobs may take to finish before they are cancelled and given
    /// back to the queue. Keep it below the host's own stop timeout. Default 25 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>Delay before the first retry; each later retry doubles it, with ±20% jitter. Default 1 second.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = DefaultRetryBaseDelay;

    /// <summary>Upper bound of the retry delay. Default 1 hour.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = DefaultRetryMaxDelay;

    /// <summary>
    /// Largest result stored with a job, in bytes of JSON. A larger result is replaced by an object
    /// holding its size and a prefix. Default 65,536.
    /// </summary>
    public int MaxResultBytes { get; set; } = DefaultMaxResultBytes;

    /// <summary>
    /// How often the worker refreshes its row in the process registry. A process whose row is
    /// older than three intervals is taken for dead and removed. Default 10 seconds.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = DefaultHeartbeatInterval;

    /// <summary>
    /// Anti-starvation: a due job moves one priority level closer to the front for each interval
    /// of this length it has waited, so a stream of more urgent jobs delays it by at most about
    /// (its priority − theirs) × this. Zero turns ageing off. Default 1 minute.
    /// </summary>
    public TimeSpan PriorityAgeing { get; set; } = DefaultPriorityAgeing;

    /// <summary>
    /// How long finished jobs are kept, per final state, before the worker deletes them. Zero
    /// keeps them for ever. Defaults: completed 1 day, cancelled 7 days, discarded 7 days.
    /// </summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>How often the worker deletes expired finished jobs. Default 1 minute.</summary>
    public TimeSpan RetentionInterval { get; set; } = DefaultRetentionInterval;

    /// <summary>
    /// How often the worker checks the GIN indexes on the jobs' arguments and tags, and rebuilds
    /// those that have grown to more than twice what their rows need (see
    /// <c>IndexRebuildStore</c>). Zero turns the checks off. Default 1 minute.
    /// </summary>
    public TimeSpan IndexCheckInterval { get; set; } = DefaultIndexCheckInterval;

    /// <summary>Size in bytes below which those indexes are never rebuilt. Default 64 MiB.</summary>
    public long IndexRebuildMinimumBytes { get; set; } = DefaultIndexRebuildMinimumBytes;

    /// <summary>Returns the first invalid setting as a message, or null when all are valid.</summary>
    public string? Validate()
    {
        try
        {
            QueueSelection.Parse(Queues);
        }
        catch (FormatException exception)
        {
            return $"Worker:Queues is invalid: {exception.Message}";
        }

        if (PollInterval < TimeSpan.FromMilliseconds(10))
        {
            return $"Worker:PollInterval must be at least 10 ms; it is {PollInterval}.";
        }

        if (LeaseDuration < TimeSpan.FromSeconds(1))
        {
            return $"Worker:LeaseDuration must be at least 1 second; it is {LeaseDuration}.";
        }

        if (SchedulerInterval <= TimeSpan.Zero || RescueInterval <= TimeSpan.Zero)
        {
            return "Worker:SchedulerInterval and Worker:RescueInterval must be positive.";
        }

        if (HeartbeatInterval < TimeSpan.FromMilliseconds(100))
        {
            return $"Worker:HeartbeatInterval must be at least 100 ms; it is {HeartbeatInterval}.";
        }

        if (Retention.Completed < TimeSpan.Zero || Retention.Cancelled < TimeSpan.Zero || Retention.Discarded < TimeSpan.Zero)
        {
            return "Worker:Retention:Completed, :Cancelled and :Discarded must not be negative; zero keeps jobs for ever.";
        }

        if (RetentionInterval <= TimeSpan.Zero)
        {
            return $"Worker:RetentionInterval must be positive; it is {RetentionInterval}.";
        }

        if (IndexCheckInterval < TimeSpan.Zero || IndexRebuildMinimumBytes < 0)
        {
            return "Worker:IndexCheckInterval and Worker:IndexRebuildMinimumBytes must not be negative; " +
                "an interval of zero turns the index checks off.";
        }

        if (PriorityAgeing < TimeSpan.Zero)
        {
            return $"Worker:PriorityAgeing must not be negative; it is {PriorityAgeing}.";
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            return $"Worker:ShutdownTimeout must not be negative; it is {ShutdownTimeout}.";
        }

        if (RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            return "Worker:RetryBaseDelay must not be negative and Worker:RetryMaxDelay must not be below it.";
        }

        return MaxResultBytes < 1024 ? $"Worker:MaxResultBytes must be at least 1024; it is {MaxResultBytes}." : null;
    }
}

/// <summary>How long finished jobs are kept, per final state; zero keeps them for ever.</summary>
public sealed class RetentionOptions
{
    public TimeSpan Completed { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan Cancelled { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan Discarded { get; set; } = TimeSpan.FromDays(7);
}
