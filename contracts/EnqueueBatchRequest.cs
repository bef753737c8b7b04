using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>Jobs enqueued together: either all of them are stored or none is.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record EnqueueBatchRequest
{
    /// <summary>Largest number of jobs one batch request may carry.</summary>
    public const int MaxJobs = 1000;

    [JsonPropertyName("jobs")]
    public IReadOnlyList<EnqueueJobRequest> Jobs { get; init; } = [];
}

/// <summary>The stored jobs of a batch, in request order.</summary>
public sealed record EnqueueBatchResponse
{
    [JsonPropertyName("jobs")]
    public IReadOnlyList<Job> Jobs { get; init; } = [];

    /// <summary>
    /// Positions in <c>jobs</c> (from 0) of members with <c>unique</c> that matched an
    /// existing job, which is returned there instead of a new one. Empty when every job is new.
    /// </summary>
    [JsonPropertyName("duplicates")]
    public IReadOnlyList<int> Duplicates { get; init; } = [];
}
