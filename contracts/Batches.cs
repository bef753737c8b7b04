using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>
/// Jobs enqueued together, all or none, with an optional callback that runs once when every job
/// of the batch is completed, cancelled or discarded.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateBatchRequest
{
    /// <summary>Largest number of jobs one batch may hold.</summary>
    public const int MaxJobs = 1000;

    /// <summary>Kind of the job that delivers a batch's <c>callback_url</c>.</summary>
    public const string CallbackUrlKind = "jobqueue.batch_callback";

    /// <summary>Free text shown with the batch, at most 1000 characters.</summary>
    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary>The jobs, 1 to 1000. <c>unique</c> is not allowed on them.</summary>
    [JsonPropertyName("jobs")]
    public IReadOnlyList<EnqueueJobRequest> Jobs { get; init; } = [];

    /// <summary>
    /// A job enqueued once when the batch finishes. Its <c>args</c> (an object) gets a
    /// <c>batch</c> member with the batch's id and counts. <c>run_at</c>, <c>discard_after</c> and
    /// <c>unique</c> are not allowed. Excludes <c>callback_url</c>.
    /// </summary>
    [JsonPropertyName("callback")]
    public EnqueueJobRequest? Callback { get; init; }

    /// <summary>
    /// An http or https URL that receives one signed webhook when the batch finishes, delivered by
    /// a worker as a job of kind <c>jobqueue.batch_callback</c>. Excludes <c>callback</c>.
    /// </summary>
    [JsonPropertyName("callback_url")]
    public string? CallbackUrl { get; init; }
}

/// <summary>Whether every job of a batch is final.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchState>))]
public enum BatchState
{
    /// <summary>At least one job of the batch is not final yet.</summary>
    [JsonStringEnumMemberName("active")]
    Active,

    /// <summary>Every job of the batch was final at once; the callback, if any, was enqueued then.</summary>
    [JsonStringEnumMemberName("finished")]
    Finished,
}

/// <summary>A batch with the counts of its jobs by final state.</summary>
public sealed record Batch
{
    [JsonPropertyName("id")]
    public long Id { get; init; }

    [JsonPropertyName("state")]
    public BatchState State { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary>Jobs in the batch.</summary>
    [JsonPropertyName("total")]
    public int Total { get; init; }

    /// <summary>Jobs not in a final state.</summary>
    [JsonPropertyName("pending")]
    public int Pending { get; init; }

    [JsonPropertyName("completed")]
    public int Completed { get; init; }

    [JsonPropertyName("cancelled")]
    public int Cancelled { get; init; }

    [JsonPropertyName("discarded")]
    public int Discarded { get; init; }

    /// <summary>Kind of the callback job; <c>jobqueue.batch_callback</c> for a callback URL; null without a callback.</summary>
    [JsonPropertyName("callback_kind")]
    public string? CallbackKind { get; init; }

    [JsonPropertyName("callback_url")]
    public string? CallbackUrl { get; init; }

    /// <summary>The callback job, once the batch has finished.</summary>
    [JsonPropertyName("callback_job_id")]
    public long? CallbackJobId { get; init; }

    /// <summary>Why the callback job could not be enqueued when the batch finished; null when it was.</summary>
    [JsonPropertyName("callback_error")]
    public string? CallbackError { get; init; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the last job of the batch became final.</summary>
    [JsonPropertyName("finished_at")]
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>A created batch and its jobs, in request order.</summary>
public sealed record CreateBatchResponse
{
    [JsonPropertyName("batch")]
    public Batch Batch { get; init; } = new();

    [JsonPropertyName("jobs")]
    public IReadOnlyList<Job> Jobs { get; init; } = [];
}
