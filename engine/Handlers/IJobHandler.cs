using System.Text.Json;
using JobQueue.Contracts;

namespace JobQueue.Engine.Handlers;

/// <summary>
/// Runs jobs of one kind inside the worker process. Register an implementation with
/// <c>services.AddJobHandler&lt;THandler&gt;("kind")</c>; one instance is resolved from a new
/// scope for each attempt.
/// </summary>
public interface IJobHandler
{
    /// <summary>
    /// Runs one attempt. A returned value is stored as the job's result (serialized as JSON with
    /// snake_case names); a thrown exception fails the attempt, which is retried with backoff
    /// while attempts remain. <paramref name="cancellationToken"/> fires on timeout, on a cancel
    /// request and on shutdown: pass it to every await so that the attempt stops promptly.
    /// </summary>
    Task<object?> HandleAsync(JobContext job, CancellationToken cancellationToken);
}

/// <summary>The claimed attempt a handler runs.</summary>
public sealed class JobContext(Job job)
{
    private static readonly JsonSerializerOptions ArgsOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public long Id => job.Id;

    public string Kind => job.Kind;

    public string Queue => job.Queue;

    /// <summary>This attempt's number, starting at 1.</summary>
    public int Attempt => job.Attempt;

    public int MaxAttempts => job.MaxAttempts;

    public JsonElement Args => job.Args;

    public IReadOnlyList<string> Tags => job.Tags;

    public DateTimeOffset CreatedAt => job.CreatedAt;

    /// <summary>The job as claimed, for everything the shortcuts above leave out.</summary>
    public Job Job => job;

    /// <summary>Deserializes the arguments into <typeparamref name="T"/>, reading snake_case member names.</summary>
    public T? ArgsAs<T>() => Args.Deserialize<T>(ArgsOptions);
}
