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

/// <summary>Every queue that holds at least one job.</summary>
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
