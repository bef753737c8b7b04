using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>A job to enqueue. Only <see cref="Kind"/> is required.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record EnqueueJobRequest
{
    /// <summary>Job kind, which selects the handler or webhook route that runs it.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "";

    /// <summary>Queue name; <c>default</c> when omitted.</summary>
    [JsonPropertyName("queue")]
    public string? Queue { get; init; }

    /// <summary>Arguments passed to the handler: any JSON value; <c>{}</c> when omitted.</summary>
    [JsonPropertyName("args")]
    public JsonElement? Args { get; init; }

    /// <summary>Priority within the queue: lower values are claimed first; 0 when omitted.</summary>
    [JsonPropertyName("priority")]
    public int? Priority { get; init; }

    /// <summary>Earliest start time, with a UTC offset. Excludes <see cref="DelaySeconds"/>.</summary>
    [JsonPropertyName("run_at")]
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Seconds from now until the earliest start. Excludes <see cref="RunAt"/>.</summary>
    [JsonPropertyName("delay_seconds")]
    public double? DelaySeconds { get; init; }

    /// <summary>
    /// Deadline, with a UTC offset: the job is not started after this time. A worker that reaches
    /// it later discards it with the error reason <c>deadline_passed</c>, without using an attempt.
    /// </summary>
    [JsonPropertyName("discard_after")]
    public DateTimeOffset? DiscardAfter { get; init; }

    /// <summary>Attempts allowed before the job is discarded; the server default when omitted.</summary>
    [JsonPropertyName("max_attempts")]
    public int? MaxAttempts { get; init; }

    /// <summary>Seconds one attempt may run before it is cancelled and counted as failed.</summary>
    [JsonPropertyName("timeout_seconds")]
    public double? TimeoutSeconds { get; init; }

    /// <summary>Free-form labels to filter jobs by.</summary>
    [JsonPropertyName("tags")]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Caps the running jobs that share a key; the server's per-kind setting when omitted.</summary>
    [JsonPropertyName("concurrency")]
    public ConcurrencyLimitSpec? Concurrency { get; init; }

    /// <summary>Caps the starts per period of jobs that share a key; the server's per-kind setting when omitted.</summary>
    [JsonPropertyName("rate_limit")]
    public RateLimitSpec? RateLimit { get; init; }

    /// <summary>
    /// Enqueue the job only if no job with the same unique key exists in the given states. When
    /// one does, it is returned with status 200 and nothing is stored.
    /// </summary>
    [JsonPropertyName("unique")]
    public UniqueSpec? Unique { get; init; }

    /// <summary>
    /// Absolute URL that receives this job's deliveries instead of its kind's route or endpoint.
    /// Only accepted when the server allows per-job URLs (<c>Webhooks:JobUrls:Enabled</c>).
    /// </summary>
    [JsonPropertyName("webhook_url")]
    public string? WebhookUrl { get; init; }

    /// <summary>
    /// Absolute URL that receives the job's final state and result as a signed POST, retried
    /// until it is accepted. Only accepted when the server allows per-job URLs.
    /// </summary>
    [JsonPropertyName("callback_url")]
    public string? CallbackUrl { get; init; }
}
