using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>A recurring schedule: a cron expression in a time zone and the job it enqueues at each slot.</summary>
public sealed record Schedule
{
    /// <summary>Name: 1 to 100 letters, digits, '.', '_' or '-'.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>Cron expression of 5 fields (minute first) or 6 fields (second first).</summary>
    [JsonPropertyName("cron")]
    public string Cron { get; init; } = "";

    /// <summary>IANA time zone the expression is read in, such as <c>Europe/Berlin</c>.</summary>
    [JsonPropertyName("time_zone")]
    public string TimeZone { get; init; } = "UTC";

    [JsonPropertyName("enabled")]
    public bool Enabled { get; init; }

    /// <summary>The job enqueued at each slot, with the server's defaults filled in.</summary>
    [JsonPropertyName("job")]
    public ScheduleJob Job { get; init; } = new();

    [JsonPropertyName("missed")]
    public MissedPolicy Missed { get; init; }

    /// <summary>Most missed slots run when <c>missed</c> is <c>catch_up</c>; the latest ones are kept.</summary>
    [JsonPropertyName("catch_up_limit")]
    public int CatchUpLimit { get; init; }

    [JsonPropertyName("overlap")]
    public OverlapPolicy Overlap { get; init; }

    /// <summary>Where the schedule is defined; one from configuration cannot be replaced over the API.</summary>
    [JsonPropertyName("source")]
    public ScheduleSource Source { get; init; }

    /// <summary>Slot time of the latest job this schedule enqueued, or the time of the latest run now.</summary>
    [JsonPropertyName("last_run_at")]
    public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>Id of the latest job this schedule enqueued.</summary>
    [JsonPropertyName("last_job_id")]
    public long? LastJobId { get; init; }

    /// <summary>The next slot; null while disabled or when the expression has no later time.</summary>
    [JsonPropertyName("next_run_at")]
    public DateTimeOffset? NextRunAt { get; init; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("updated_at")]
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Template of the job a schedule enqueues. Only <c>kind</c> is required.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ScheduleJob
{
    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "";

    /// <summary>Queue name; <c>default</c> when omitted.</summary>
    [JsonPropertyName("queue")]
    public string? Queue { get; init; }

    /// <summary>Arguments of every job; <c>{}</c> when omitted.</summary>
    [JsonPropertyName("args")]
    public JsonElement? Args { get; init; }

    /// <summary>Priority within the queue: lower values are claimed first; 0 when omitted.</summary>
    [JsonPropertyName("priority")]
    public int? Priority { get; init; }

    /// <summary>Attempts allowed before a job is discarded; the server default when omitted.</summary>
    [JsonPropertyName("max_attempts")]
    public int? MaxAttempts { get; init; }

    /// <summary>Seconds one attempt may run before it is cancelled and counted as failed.</summary>
    [JsonPropertyName("timeout_seconds")]
    public double? TimeoutSeconds { get; init; }

    /// <summary>Labels of every job. The jobs also get the tag <c>schedule:</c> followed by the schedule's name.</summary>
    [JsonPropertyName("tags")]
    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>Body of <c>PUT /v1/schedules/{name}</c>. Only <c>cron</c> and <c>job</c> are required.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PutScheduleRequest
{
    /// <summary>Cron expression of 5 fields (minute first) or 6 fields (second first).</summary>
    [JsonPropertyName("cron")]
    public string Cron { get; init; } = "";

    /// <summary>IANA time zone; <c>UTC</c> when omitted.</summary>
    [JsonPropertyName("time_zone")]
    public string? TimeZone { get; init; }

    /// <summary>True when omitted.</summary>
    [JsonPropertyName("enabled")]
    public bool? Enabled { get; init; }

    [JsonPropertyName("job")]
    public ScheduleJob? Job { get; init; }

    /// <summary><c>skip</c> when omitted.</summary>
    [JsonPropertyName("missed")]
    public MissedPolicy? Missed { get; init; }

    /// <summary>1 to 1000; 10 when omitted. Only <c>catch_up</c> uses it.</summary>
    [JsonPropertyName("catch_up_limit")]
    public int? CatchUpLimit { get; init; }

    /// <summary><c>allow</c> when omitted.</summary>
    [JsonPropertyName("overlap")]
    public OverlapPolicy? Overlap { get; init; }
}

/// <summary>Every schedule, ordered by name.</summary>
public sealed record ScheduleList
{
    [JsonPropertyName("items")]
    public IReadOnlyList<Schedule> Items { get; init; } = [];
}

/// <summary>
/// What the scheduler does with slots it reaches late, after a downtime or while every worker
/// was stopped. A slot is missed when it is reached more than <c>Cron:MissedAfter</c>
/// (30 seconds by default) after its time.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MissedPolicy>))]
public enum MissedPolicy
{
    /// <summary>Missed slots enqueue nothing.</summary>
    [JsonStringEnumMemberName("skip")]
    Skip,

    /// <summary>Any number of missed slots enqueue one job together.</summary>
    [JsonStringEnumMemberName("once")]
    Once,

    /// <summary>Each missed slot enqueues a job, up to <c>catch_up_limit</c> of the latest ones.</summary>
    [JsonStringEnumMemberName("catch_up")]
    CatchUp,
}

/// <summary>What the scheduler does at a slot while the schedule's previous job has not finished.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OverlapPolicy>))]
public enum OverlapPolicy
{
    /// <summary>The slot enqueues a job regardless.</summary>
    [JsonStringEnumMemberName("allow")]
    Allow,

    /// <summary>The slot enqueues nothing.</summary>
    [JsonStringEnumMemberName("skip")]
    Skip,
}

/// <summary>Where a schedule is defined.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleSource>))]
public enum ScheduleSource
{
    /// <summary>In the hosts' configuration (<c>Schedules:{name}:...</c>), written at each start.</summary>
    [JsonStringEnumMemberName("config")]
    Config,

    /// <summary>Over <c>PUT /v1/schedules/{name}</c>.</summary>
    [JsonStringEnumMemberName("api")]
    Api,
}
