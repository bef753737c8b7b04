using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>
/// Lifecycle state of a job. <c>completed</c>, <c>cancelled</c> and <c>discarded</c> are final:
/// only an explicit retry moves a job out of them.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    /// <summary>Waiting for its run time; not yet claimable.</summary>
    [JsonStringEnumMemberName("scheduled")]
    Scheduled,

    /// <summary>Due and waiting for a worker with a free slot.</summary>
    [JsonStringEnumMemberName("available")]
    Available,

    /// <summary>Claimed by a worker that holds its lease.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>An attempt failed and attempts remain; runs again at its scheduled time.</summary>
    [JsonStringEnumMemberName("retryable")]
    Retryable,

    /// <summary>An attempt succeeded. Final.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>Cancelled over the API before or while it ran. Final.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>Failed on its last allowed attempt, or failed in a way that is not retried. Final.</summary>
    [JsonStringEnumMemberName("discarded")]
    Discarded,
}
