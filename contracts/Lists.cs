using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>One page of jobs, newest first.</summary>
public sealed record JobPage
{
    [JsonPropertyName("jobs")]
    public IReadOnlyList<Job> Jobs { get; init; } = [];

    /// <summary>Opaque token for the next page; null on the last page.</summary>
    [JsonPropertyName("next_page_token")]
    public string? NextPageToken { get; init; }
}

/// <summary>Every queue that contains at least one job or is paused.</summary>
public sealed record QueueList
{
    [JsonPropertyName("queues")]
    public IReadOnlyList<QueueSummary> Queues { get; init; } = [];
}

/// <summary>Job counts of one queue by state.</summary>
public sealed record QueueSummary
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("counts")]
    public JobStateCounts Counts { get; init; } = new();

    /// <summary>Whether workers skip the queue; a paused queue still accepts jobs.</summary>
    [JsonPropertyName("paused")]
    public bool Paused { get; init; }

    /// <summary>When the queue was paused; null while it runs.</summary>
    [JsonPropertyName("paused_at")]
    public DateTimeOffset? PausedAt { get; init; }
}

public sealed record JobStateCounts
{
    [JsonPropertyName("scheduled")]
    public long Scheduled { get; init; }

    [JsonPropertyName("available")]
    public long Available { get; init; }

    [JsonPropertyName("running")]
    public long Running { get; init; }

    [JsonPropertyName("retryable")]
    public long Retryable { get; init; }

    [JsonPropertyName("completed")]
    public long Completed { get; init; }

    [JsonPropertyName("cancelled")]
    public long Cancelled { get; init; }

    [JsonPropertyName("discarded")]
    public long Discarded { get; init; }
}
