using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>Figures for a dashboard: per-queue counts and latency, and finished jobs over time.</summary>
public sealed record QueueStats
{
    /// <summary>When the figures were read; counts may be up to a few seconds old.</summary>
    [JsonPropertyName("generated_at")]
    public DateTimeOffset GeneratedAt { get; init; }

    [JsonPropertyName("queues")]
    public IReadOnlyList<QueueStatsEntry> Queues { get; init; } = [];

    /// <summary>The counts of every queue added up.</summary>
    [JsonPropertyName("totals")]
    public JobStateCounts Totals { get; init; } = new();

    /// <summary>
    /// True when the counts of completed, cancelled and discarded jobs, and the throughput of windows
    /// longer than an hour, are estimated from a sample of the table, because the table is large.
    /// The counts of the other states are always exact.
    /// </summary>
    [JsonPropertyName("estimated")]
    public bool Estimated { get; init; }

    /// <summary>Length of each throughput bucket.</summary>
    [JsonPropertyName("bucket_seconds")]
    public int BucketSeconds { get; init; }

    /// <summary>Finished jobs per bucket, oldest first, every bucket of the window included.</summary>
    [JsonPropertyName("throughput")]
    public IReadOnlyList<ThroughputBucket> Throughput { get; init; } = [];
}

/// <summary>One queue's counts by state, latency and pause.</summary>
public sealed record QueueStatsEntry
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("counts")]
    public JobStateCounts Counts { get; init; } = new();

    [JsonPropertyName("paused")]
    public bool Paused { get; init; }

    [JsonPropertyName("paused_at")]
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>When the longest-waiting available job became due; null when none is available.</summary>
    [JsonPropertyName("oldest_available_at")]
    public DateTimeOffset? OldestAvailableAt { get; init; }

    /// <summary>Seconds the longest-waiting available job has been due: the queue's latency; 0 when none.</summary>
    [JsonPropertyName("latency_seconds")]
    public double LatencySeconds { get; init; }
}

/// <summary>Jobs that reached a final state within one time bucket.</summary>
public sealed record ThroughputBucket
{
    [JsonPropertyName("start")]
    public DateTimeOffset Start { get; init; }

    [JsonPropertyName("completed")]
    public long Completed { get; init; }

    [JsonPropertyName("cancelled")]
    public long Cancelled { get; init; }

    /// <summary>Jobs that failed for good: out of attempts, not retryable, or discarded over the API.</summary>
    [JsonPropertyName("discarded")]
    public long Discarded { get; init; }
}
