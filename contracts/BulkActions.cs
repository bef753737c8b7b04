using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>An action applied to one job or to every job that a filter matches.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobActionName>))]
public enum JobActionName
{
    /// <summary>Cancel jobs that have not started; ask the workers of running jobs to stop them.</summary>
    [JsonStringEnumMemberName("cancel")]
    Cancel,

    /// <summary>Discard jobs that have not started (scheduled, available, retryable).</summary>
    [JsonStringEnumMemberName("discard")]
    Discard,

    /// <summary>Make scheduled, retryable and final jobs available now, with at least one attempt left.</summary>
    [JsonStringEnumMemberName("retry")]
    Retry,

    /// <summary>Make scheduled and retryable jobs available now.</summary>
    [JsonStringEnumMemberName("run")]
    Run,
}

/// <summary>The filters of a bulk action; they combine with AND, as in <c>GET /v1/jobs</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record JobFilterSpec
{
    [JsonPropertyName("queue")]
    public string? Queue { get; init; }

    [JsonPropertyName("state")]
    public JobState? State { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("tag")]
    public string? Tag { get; init; }

    /// <summary>Text that one of the job's errors contains in its message or reason, case-insensitive.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    /// <summary>A JSON object that the job's args contain, such as <c>{"customer_id": 42}</c>.</summary>
    [JsonPropertyName("args")]
    public JsonElement? Args { get; init; }
}

/// <summary>Body of <c>POST /v1/jobs/bulk</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BulkJobActionRequest
{
    /// <summary>The action; required.</summary>
    [JsonPropertyName("action")]
    public JobActionName? Action { get; init; }

    /// <summary>Which jobs; an empty filter matches every job that the action can change.</summary>
    [JsonPropertyName("filter")]
    public JobFilterSpec Filter { get; init; } = new();

    /// <summary>
    /// Only jobs with ids up to this one, such as the max_id of a count, so that jobs enqueued after
    /// the count are left alone. When omitted, the last id at the start of the request is used.
    /// </summary>
    [JsonPropertyName("max_id")]
    public long? MaxId { get; init; }
}

/// <summary>Outcome of a bulk action.</summary>
public sealed record BulkJobActionResult
{
    [JsonPropertyName("action")]
    public JobActionName Action { get; init; }

    /// <summary>Jobs that the action changed.</summary>
    [JsonPropertyName("changed")]
    public long Changed { get; init; }

    /// <summary>Statements run, each changing at most the batch size of jobs in its own transaction.</summary>
    [JsonPropertyName("batches")]
    public int Batches { get; init; }

    /// <summary>The highest id the action considered.</summary>
    [JsonPropertyName("max_id")]
    public long MaxId { get; init; }
}

/// <summary>The number of jobs a filter matches.</summary>
public sealed record JobCount
{
    [JsonPropertyName("count")]
    public long Count { get; init; }

    /// <summary>The highest matching id (0 when none); pass it as max_id of a bulk action.</summary>
    [JsonPropertyName("max_id")]
    public long MaxId { get; init; }
}
