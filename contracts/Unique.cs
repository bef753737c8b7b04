using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>
/// Makes an enqueue return an existing job instead of adding one, when a job with the same unique
/// key is in one of <c>states</c> and, with <c>period_seconds</c>, was created within
/// that many seconds. Only jobs enqueued with <c>unique</c> have a key, so only they are found.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UniqueSpec
{
    /// <summary>
    /// The unique key, for example <c>invoice:42</c>. Without it the key is derived from the kind
    /// and the canonical form of the args (members sorted, whitespace removed).
    /// </summary>
    [JsonPropertyName("key")]
    public string? Key { get; init; }

    /// <summary>Whether the queue is part of the key, so that the same job may wait once per queue; false when omitted.</summary>
    [JsonPropertyName("include_queue")]
    public bool? IncludeQueue { get; init; }

    /// <summary>
    /// States in which an existing job counts as a duplicate; <c>scheduled</c>, <c>available</c>,
    /// <c>running</c> and <c>retryable</c> (every state that is not final) when omitted.
    /// </summary>
    [JsonPropertyName("states")]
    public IReadOnlyList<JobState>? States { get; init; }

    /// <summary>Only jobs created within this many seconds count as duplicates; 0.001 to 31,536,000 (365 days). No limit when omitted.</summary>
    [JsonPropertyName("period_seconds")]
    public double? PeriodSeconds { get; init; }
}
