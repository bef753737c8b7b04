using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>
/// An endpoint to create or replace: where jobs of the listed kinds are delivered, and how. Every
/// member but <see cref="Url"/> and <see cref="Kinds"/> is optional and takes its default when
/// omitted, also on a replace.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WebhookEndpointRequest
{
    /// <summary>Absolute https URL (http when the server allows it) that receives a POST per attempt.</summary>
    [JsonPropertyName("url")]
    public string Url { get; init; } = "";

    /// <summary>Job kinds delivered here; a kind can be served by one endpoint only.</summary>
    [JsonPropertyName("kinds")]
    public IReadOnlyList<string> Kinds { get; init; } = [];

    /// <summary>Extra request headers, for example an API key the receiver expects.</summary>
    [JsonPropertyName("headers")]
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Seconds one delivery may take, connect to last byte; 30 when omitted.</summary>
    [JsonPropertyName("timeout_seconds")]
    public double? TimeoutSeconds { get; init; }

    /// <summary>Seconds to open the connection, DNS included; 10 when omitted.</summary>
    [JsonPropertyName("connect_timeout_seconds")]
    public double? ConnectTimeoutSeconds { get; init; }

    /// <summary>Seconds from sending the request until the response headers arrive; <c>timeout_seconds</c> when omitted.</summary>
    [JsonPropertyName("response_headers_timeout_seconds")]
    public double? ResponseHeadersTimeoutSeconds { get; init; }

    /// <summary>Seconds to read the response body; 10 when omitted.</summary>
    [JsonPropertyName("body_read_timeout_seconds")]
    public double? BodyReadTimeoutSeconds { get; init; }

    /// <summary>Maximum attempts of a job delivered here, when lower than the job's own <c>max_attempts</c>; no cap when omitted.</summary>
    [JsonPropertyName("max_attempts")]
    public int? MaxAttempts { get; init; }

    /// <summary>4xx statuses (other than 410) that are retried instead of discarding the job; none when omitted.</summary>
    [JsonPropertyName("retry_statuses")]
    public IReadOnlyList<int>? RetryStatuses { get; init; }

    /// <summary>Maximum deliveries to this endpoint in flight at once, across all workers; no limit when omitted.</summary>
    [JsonPropertyName("concurrency_limit")]
    public int? ConcurrencyLimit { get; init; }

    /// <summary>Maximum deliveries started per <see cref="RateLimitPeriodSeconds"/>, across all workers; no limit when omitted.</summary>
    [JsonPropertyName("rate_limit")]
    public int? RateLimit { get; init; }

    /// <summary>Sliding period of <see cref="RateLimit"/> in seconds; 1 when omitted.</summary>
    [JsonPropertyName("rate_limit_period_seconds")]
    public double? RateLimitPeriodSeconds { get; init; }

    /// <summary>Whether workers deliver to the endpoint; true when omitted. Setting it to true clears a disable.</summary>
    [JsonPropertyName("enabled")]
    public bool? Enabled { get; init; }
}

/// <summary>A webhook endpoint as stored. Its signing secrets are never part of it.</summary>
public record WebhookEndpoint
{
    [JsonPropertyName("id")]
    public long Id { get; init; }

    [JsonPropertyName("url")]
    public string Url { get; init; } = "";

    [JsonPropertyName("kinds")]
    public IReadOnlyList<string> Kinds { get; init; } = [];

    [JsonPropertyName("headers")]
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    [JsonPropertyName("timeout_seconds")]
    public double TimeoutSeconds { get; init; }

    [JsonPropertyName("connect_timeout_seconds")]
    public double ConnectTimeoutSeconds { get; init; }

    /// <summary>Null when it follows <see cref="TimeoutSeconds"/>.</summary>
    [JsonPropertyName("response_headers_timeout_seconds")]
    public double? ResponseHeadersTimeoutSeconds { get; init; }

    [JsonPropertyName("body_read_timeout_seconds")]
    public double BodyReadTimeoutSeconds { get; init; }

    /// <summary>Maximum attempts of a job delivered here; null when only the job's <c>max_attempts</c> applies.</summary>
    [JsonPropertyName("max_attempts")]
    public int? MaxAttempts { get; init; }

    /// <summary>4xx statuses that are retried.</summary>
    [JsonPropertyName("retry_statuses")]
    public IReadOnlyList<int> RetryStatuses { get; init; } = [];

    [JsonPropertyName("concurrency_limit")]
    public int? ConcurrencyLimit { get; init; }

    [JsonPropertyName("rate_limit")]
    public int? RateLimit { get; init; }

    [JsonPropertyName("rate_limit_period_seconds")]
    public double? RateLimitPeriodSeconds { get; init; }

    /// <summary>False after a disable over the API or after the endpoint responded with 410 Gone.</summary>
    [JsonPropertyName("enabled")]
    public bool Enabled { get; init; }

    /// <summary>Why the endpoint is disabled; null while it is enabled.</summary>
    [JsonPropertyName("disabled_reason")]
    public string? DisabledReason { get; init; }

    /// <summary>When the endpoint was disabled; null while it is enabled.</summary>
    [JsonPropertyName("disabled_at")]
    public DateTimeOffset? DisabledAt { get; init; }

    /// <summary>When the secret was last rotated; null before the first rotation.</summary>
    [JsonPropertyName("secret_rotated_at")]
    public DateTimeOffset? SecretRotatedAt { get; init; }

    /// <summary>Until when deliveries also carry a signature with the previous secret; null when they do not.</summary>
    [JsonPropertyName("previous_secret_expires_at")]
    public DateTimeOffset? PreviousSecretExpiresAt { get; init; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("updated_at")]
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// An endpoint with its new signing secret, returned only by create and by the rotate action.
/// Store the secret then: no other response contains it.
/// </summary>
public sealed record WebhookEndpointWithSecret : WebhookEndpoint
{
    /// <summary><c>whsec_</c> and base64 of 32 random bytes; receivers verify deliveries with it.</summary>
    [JsonPropertyName("secret")]
    public string Secret { get; init; } = "";
}

/// <summary>Every webhook endpoint, in id order.</summary>
public sealed record WebhookEndpointList
{
    [JsonPropertyName("items")]
    public IReadOnlyList<WebhookEndpoint> Items { get; init; } = [];
}

/// <summary>One webhook attempt of a job: the target's response, or why there was none.</summary>
public sealed record JobAttempt
{
    [JsonPropertyName("attempt")]
    public int Attempt { get; init; }

    [JsonPropertyName("started_at")]
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Milliseconds from sending the request until the response was read or the attempt failed.</summary>
    [JsonPropertyName("latency_ms")]
    public double LatencyMs { get; init; }

    /// <summary>The URL the attempt was sent to, without its query string.</summary>
    [JsonPropertyName("url")]
    public string Url { get; init; } = "";

    /// <summary>The API endpoint that served the delivery; null for configured routes and per-job URLs.</summary>
    [JsonPropertyName("endpoint_id")]
    public long? EndpointId { get; init; }

    /// <summary>Response status; null when no response arrived.</summary>
    [JsonPropertyName("status_code")]
    public int? StatusCode { get; init; }

    /// <summary>
    /// Selected response headers, by lower-case name: <c>content-type</c>, <c>content-length</c>,
    /// <c>location</c>, <c>retry-after</c>, <c>x-request-id</c>, each cut to 256 characters.
    /// </summary>
    [JsonPropertyName("response_headers")]
    public IReadOnlyDictionary<string, string> ResponseHeaders { get; init; } = new Dictionary<string, string>();

    /// <summary>The first 1024 characters of the response body; null when no response arrived.</summary>
    [JsonPropertyName("response_body")]
    public string? ResponseBody { get; init; }

    /// <summary>Why the attempt failed; null when it succeeded.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }
}
