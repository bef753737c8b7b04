using System.Text.Json;

namespace JobQueue.Engine.Handlers;

/// <summary>Completes at once with no result. Useful for checks and benchmarks.</summary>
public sealed class NoopHandler : IJobHandler
{
    public const string Kind = "noop";

    public Task<object?> HandleAsync(JobContext job, CancellationToken cancellationToken) => Task.FromResult<object?>(null);
}

/// <summary>Completes at once with its arguments as the result.</summary>
public sealed class EchoHandler : IJobHandler
{
    public const string Kind = "echo";

    public Task<object?> HandleAsync(JobContext job, CancellationToken cancellationToken) =>
        Task.FromResult<object?>(job.Args);
}

/// <summary>
/// Completes at once with <c>{"started_at_ms": T}</c>, where T is the worker's clock in Unix
/// milliseconds (with a fraction) when the handler started. Compared with the time the enqueue
/// returned, it gives the delay from enqueue to handler start. bench/run measures latency with it.
/// </summary>
public sealed class ClockHandler(TimeProvider timeProvider) : IJobHandler
{
    public const string Kind = "clock";

    public Task<object?> HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var unixMs = (now - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerMillisecond;
        return Task.FromResult<object?>(new { started_at_ms = unixMs });
    }
}

/// <summary>
/// Waits <c>args.ms</c> milliseconds (0 to 86,400,000), then completes with <c>{"slept_ms": ms}</c>.
/// Stops early when the attempt is cancelled or times out.
/// </summary>
public sealed class SleepHandler(TimeProvider timeProvider) : IJobHandler
{
    public const string Kind = "sleep";

    private const long MaxMilliseconds = 86_400_000;

    public async Task<object?> HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        if (job.Args.ValueKind != JsonValueKind.Object
            || !job.Args.TryGetProperty("ms", out var msValue)
            || !msValue.TryGetInt64(out var ms)
            || ms < 0 || ms > MaxMilliseconds)
        {
            throw new ArgumentException($"The sleep job needs args {{\"ms\": N}} with N from 0 to {MaxMilliseconds}.");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(ms), timeProvider, cancellationToken);
        return new { slept_ms = ms };
    }
}

/// <summary>Always fails, with <c>args.message</c> as the error when given.</summary>
public sealed class FailHandler : IJobHandler
{
    public const string Kind = "fail";

    public Task<object?> HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        var message = job.Args.ValueKind == JsonValueKind.Object
            && job.Args.TryGetProperty("message", out var value)
            && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : "The fail job failed as asked.";
        throw new JobFailedException(message);
    }
}

/// <summary>An expected failure of a job, recorded with its message and retried like any other.</summary>
public sealed class JobFailedException(string message) : Exception(message);
