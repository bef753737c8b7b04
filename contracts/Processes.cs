using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>The worker processes whose heartbeat is recent.</summary>
public sealed record ProcessList
{
    [JsonPropertyName("processes")]
    public IReadOnlyList<WorkerProcessInfo> Processes { get; init; } = [];
}

/// <summary>One live worker process: where it runs, its pools, and the attempts it runs now.</summary>
public sealed record WorkerProcessInfo
{
    /// <summary>The id the worker writes into the jobs it leases (<c>worker_id</c> of a job).</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    [JsonPropertyName("host")]
    public string Host { get; init; } = "";

    [JsonPropertyName("pid")]
    public int Pid { get; init; }

    /// <summary>The queue selection the worker was started with, such as <c>mice:2;elephants:1</c>.</summary>
    [JsonPropertyName("queues")]
    public string Queues { get; init; } = "";

    /// <summary>The pools as of the last heartbeat.</summary>
    [JsonPropertyName("pools")]
    public IReadOnlyList<PoolInfo> Pools { get; init; } = [];

    /// <summary>Job kinds the worker can run: its handlers and webhook routes.</summary>
    [JsonPropertyName("kinds")]
    public IReadOnlyList<string> Kinds { get; init; } = [];

    [JsonPropertyName("started_at")]
    public DateTimeOffset StartedAt { get; init; }

    [JsonPropertyName("heartbeat_at")]
    public DateTimeOffset HeartbeatAt { get; init; }

    /// <summary>Attempts the worker holds leases for now, read from the jobs themselves.</summary>
    [JsonPropertyName("running")]
    public IReadOnlyList<RunningJobInfo> Running { get; init; } = [];
}

/// <summary>One isolated pool of a worker.</summary>
public sealed record PoolInfo
{
    /// <summary>The pool's part of the queue selection, such as <c>mice:2</c>.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("slots")]
    public int Slots { get; init; }

    /// <summary>Slots in use at the last heartbeat.</summary>
    [JsonPropertyName("busy")]
    public int Busy { get; init; }
}

/// <summary>An attempt a worker runs now.</summary>
public sealed record RunningJobInfo
{
    [JsonPropertyName("id")]
    public long Id { get; init; }

    [JsonPropertyName("queue")]
    public string Queue { get; init; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "";

    [JsonPropertyName("attempt")]
    public int Attempt { get; init; }

    [JsonPropertyName("attempted_at")]
    public DateTimeOffset? AttemptedAt { get; init; }
}
