using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>A job as stored, with its attempts so far.</summary>
public sealed record Job
{
    [JsonPropertyName("id")]
    public long Id { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "";

    [JsonPropertyName("queue")]
    public string Queue { get; init; } = "";

    [JsonPropertyName("state")]
    public JobState State { get; init; }

    [JsonPropertyName("args")]
    public JsonElement Args { get; init; }

    [JsonPropertyName("priority")]
    public int Priority { get; init; }

    /// <summary>Attempts started so far, counting the running one.</summary>
    [JsonPropertyName("attempt")]
    public int Attempt { get; init; }

    [JsonPropertyName("max_attempts")]
    public int MaxAttempts { get; init; }

    /// <summary>Per-attempt timeout in seconds; null when attempts run without a job-level limit.</summary>
    [JsonPropertyName("timeout_seconds")]
    public double? TimeoutSeconds { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The concurrency limit the job is claimed under; null when it has none.</summary>
    [JsonPropertyName("concurrency")]
    public ConcurrencyLimitSpec? Concurrency { get; init; }

    /// <summary>The rate limit the job is claimed under; null when it has none.</summary>
    [JsonPropertyName("rate_limit")]
    public RateLimitSpec? RateLimit { get; init; }

    /// <summary>The job is not started after this time; null when it has no deadline.</summary>
    [JsonPropertyName("discard_after")]
    public DateTimeOffset? DiscardAfter { get; init; }

    /// <summary>The key that unique enqueues compare; null for a job enqueued without <c>unique</c>.</summary>
    [JsonPropertyName("unique_key")]
    public string? UniqueKey { get; init; }

    /// <summary>The batch the job belongs to; null for a job enqueued on its own.</summary>
    [JsonPropertyName("batch_id")]
    public long? BatchId { get; init; }

    /// <summary>When the job becomes (or became) due.</summary>
    [JsonPropertyName("scheduled_at")]
    public DateTimeOffset ScheduledAt { get; init; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Start of the latest attempt.</summary>
    [JsonPropertyName("attempted_at")]
    public DateTimeOffset? AttemptedAt { get; init; }

    /// <summary>When the job reached a final state.</summary>
    [JsonPropertyName("finished_at")]
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When a cancel was requested while the job was running.</summary>
    [JsonPropertyName("cancel_requested_at")]
    public DateTimeOffset? CancelRequestedAt { get; init; }

    /// <summary>Worker process that holds the job's lease while it runs.</summary>
    [JsonPropertyName("worker_id")]
    public string? WorkerId { get; init; }

    /// <summary>End of the running attempt's lease; the worker renews it while the attempt runs.</summary>
    [JsonPropertyName("lease_expires_at")]
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>One entry per failed attempt, oldest first.</summary>
    [JsonPropertyName("errors")]
    public IReadOnlyList<JobError> Errors { get; init; } = [];

    /// <summary>What the handler or webhook returned on success; null before then.</summary>
    [JsonPropertyName("result")]
    public JsonElement? Result { get; init; }

    /// <summary>
    /// W3C trace context of the enqueue, stored as a JSON object with <c>traceparent</c> and
    /// <c>tracestate</c>, for the spans of the job's attempts. Not sent over the API.
    /// </summary>
    [JsonIgnore]
    public string? TraceContext { get; init; }

    /// <summary>URL this job is delivered to instead of its kind's route or endpoint; null for most jobs.</summary>
    [JsonPropertyName("webhook_url")]
    public string? WebhookUrl { get; init; }

    /// <summary>URL that receives the job's final state and result; null when none was given.</summary>
    [JsonPropertyName("callback_url")]
    public string? CallbackUrl { get; init; }

    /// <summary>
    /// One record per webhook attempt, oldest first. Only <c>GET /v1/jobs/{id}</c> includes it;
    /// lists leave it out.
    /// </summary>
    [JsonPropertyName("attempts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JobAttempt>? Attempts { get; init; }
}

/// <summary>Why one attempt failed.</summary>
public sealed record JobError
{
    [JsonPropertyName("attempt")]
    public int Attempt { get; init; }

    [JsonPropertyName("at")]
    public DateTimeOffset At { get; init; }

    /// <summary>
    /// Failure class: <c>exception</c> (the handler threw), <c>timeout</c> (the attempt ran past
    /// its timeout), <c>http_status</c> (the webhook answered outside 2xx), <c>http_error</c> (the
    /// webhook could not be reached), <c>no_handler</c> (no handler or route for the kind),
    /// <c>lease_expired</c> (the worker stopped renewing its lease), <c>shutdown</c> (the worker
    /// stopped before the attempt finished), <c>cancelled</c> (cancelled while running) or
    /// <c>blocked_destination</c> (the webhook resolves only to internal addresses),
    /// <c>deadline_passed</c> (the job's <c>discard_after</c> passed before it started; no attempt was used),
    /// <c>gone</c> (the webhook responded with 410 Gone), <c>endpoint_disabled</c> (the kind's endpoint is
    /// disabled) or <c>webhook_url_not_allowed</c> (the worker does not deliver to per-job URLs).
    /// </summary>
    [JsonPropertyName("reason")]
    public string Reason { get; init; } = "";

    [JsonPropertyName("message")]
    public string Message { get; init; } = "";

    /// <summary>Webhook response status, for <c>http_status</c> failures.</summary>
    [JsonPropertyName("status_code")]
    public int? StatusCode { get; init; }
}
