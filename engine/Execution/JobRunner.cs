using JobQueue.Contracts;
using JobQueue.Engine.Handlers;
using JobQueue.Engine.Options;
using JobQueue.Engine.Telemetry;
using JobQueue.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine.Execution;

/// <summary>
/// Runs one claimed attempt from dispatch to the stored outcome: picks the dispatcher for the
/// kind, enforces the attempt's timeout, tells a timeout, a cancel request, a lost lease and
/// shutdown apart, and writes the outcome fenced by the attempt number.
/// </summary>
public sealed partial class JobRunner(
    JobStore store,
    IEnumerable<IJobDispatcher> dispatchers,
    RetryPolicy retryPolicy,
    RunningAttempts running,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<JobRunner> logger)
{
    private static readonly TimeSpan FirstWriteRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxWriteRetryDelay = TimeSpan.FromSeconds(5);

    private readonly IJobDispatcher[] _dispatchers = dispatchers.ToArray();

    /// <summary>
    /// Runs the attempt and stores its outcome. Database errors while storing are retried, then
    /// logged; a shutdown that cuts the write short surfaces as <see cref="OperationCanceledException"/>.
    /// <paramref name="dispatched"/>, when given, is called once the handler or delivery has
    /// ended and before the outcome is written, or not at all when the attempt never started.
    /// The attempt keeps its lease, renewed by the lease keeper, until the outcome is stored.
    /// </summary>
    public async Task RunAsync(Job job, DateTimeOffset claimSentAt, CancellationToken stoppingToken, Action? dispatched = null)
    {
        using var attempt = new RunningAttempt(job.Id, job.Attempt, job.Queue, job.Kind, timeProvider.GetUtcNow())
        {
            LeaseValidUntil = claimSentAt + options.Value.LeaseDuration,
        };
        running.Add(attempt);
        using var telemetry = AttemptTelemetry.Start(job, identity.Id, timeProvider);
        try
        {
            // A worker that was paused between its claim and here (a stopped process, a long GC
            // pause) may find the lease gone and the job rescued. Running it now could overlap
            // the retry that another worker started.
            var leaseLeft = attempt.LeaseValidUntil - timeProvider.GetUtcNow();
            if (leaseLeft <= options.Value.LeaseDuration * LeaseKeeper.SafetyMargin)
            {
                LogStaleClaim(job.Id, job.Queue, job.Kind, job.Attempt, leaseLeft.TotalMilliseconds);
                telemetry.NotStarted();
                return;
            }

            var outcome = await DispatchAsync(job, attempt);
            dispatched?.Invoke();
            if (outcome is not null)
            {
                await RecordAsync(job, outcome, telemetry, stoppingToken);
            }
        }
        finally
        {
            running.Remove(attempt);
        }
    }

    /// <summary>Returns the outcome to store, or null when the attempt lost its lease and must not write.</summary>
    private async Task<AttemptOutcome?> DispatchAsync(Job job, RunningAttempt attempt)
    {
        var dispatcher = Array.Find(_dispatchers, d => d.Serves(job));
        if (dispatcher is null)
        {
            LogNoHandler(job.Id, job.Queue, job.Kind, job.Attempt, identity.Id);

            // Retried, because during a rolling deploy the worker that has the kind may not be up
            // yet. The attempts run out if none ever is.
            return new AttemptOutcome.Failed(new JobFailure("no_handler",
                $"No handler or webhook route is registered for kind '{job.Kind}' on worker {identity.Id}."));
        }

        var timeout = Shorter(
            job.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            dispatcher.DefaultTimeoutFor(job));
        using var timer = timeout is { } limit
            ? timeProvider.CreateTimer(_ => attempt.Stop(StopReason.TimedOut), null, limit, Timeout.InfiniteTimeSpan)
            : null;

        try
        {
            return await dispatcher.DispatchAsync(new JobContext(job), attempt.Stopping.Token);
        }
        catch (OperationCanceledException) when (attempt.Stopping.IsCancellationRequested)
        {
            return attempt.StopReason switch
            {
                StopReason.TimedOut => new AttemptOutcome.Failed(new JobFailure("timeout",
                    $"The attempt timed out after {timeout!.Value.TotalSeconds:0.###} s.")),
                StopReason.CancelRequested => new AttemptOutcome.Failed(new JobFailure("cancelled",
                    "Cancelled over the API while running."), Retry: false),
                StopReason.Shutdown => new AttemptOutcome.Released(new JobFailure("shutdown",
                    $"Worker {identity.Id} shut down before the attempt finished; the attempt is not counted.")),
                _ => null,
            };
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Dispatchers turn the failures they expect into outcomes; anything else is a defect,
            // recorded on the job rather than left to fault the pool's task.
            LogDispatchFailed(exception, job.Id, job.Queue, job.Kind, job.Attempt);
            return new AttemptOutcome.Failed(new JobFailure("exception", $"{exception.GetType().Name}: {exception.Message}"));
        }
    }

    private async Task RecordAsync(Job job, AttemptOutcome outcome, AttemptTelemetry telemetry, CancellationToken stoppingToken)
    {
        // A write that fails because the database is briefly unreachable is retried while the
        // lease could still be valid. After that the rescuer returns the job to the queue, so
        // the attempt may run again: delivery is at least once.
        var deadline = timeProvider.GetUtcNow() + options.Value.LeaseDuration;
        var delay = FirstWriteRetryDelay;
        while (true)
        {
            try
            {
                await WriteAsync(job, outcome, telemetry, stoppingToken);
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException && timeProvider.GetUtcNow() < deadline)
            {
                LogWriteRetry(exception, job.Id, job.Queue, job.Kind, job.Attempt, delay.TotalMilliseconds);
                await Task.Delay(delay, timeProvider, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxWriteRetryDelay.Ticks));
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogWriteFailed(exception, job.Id, job.Queue, job.Kind, job.Attempt);
                return;
            }
        }
    }

    private async Task WriteAsync(Job job, AttemptOutcome outcome, AttemptTelemetry telemetry, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case AttemptOutcome.Succeeded succeeded:
                if (await store.CompleteCoalescedAsync(job.Id, job.Attempt, succeeded.ResultJson, cancellationToken))
                {
                    telemetry.Completed();
                    LogCompleted(job.Id, job.Queue, job.Kind, job.Attempt);
                }
                else
                {
                    telemetry.Fenced();
                    LogFenced(job.Id, job.Queue, job.Kind, job.Attempt);
                }

                break;

            case AttemptOutcome.Released released:
                if (await store.ReleaseAsync(job.Id, job.Attempt, released.Reason, released.Delay, cancellationToken))
                {
                    telemetry.Released(released.Reason.Reason);
                    LogReleased(job.Id, job.Queue, job.Kind, job.Attempt);
                }
                else
                {
                    telemetry.Fenced();
                    LogFenced(job.Id, job.Queue, job.Kind, job.Attempt);
                }

                break;

            case AttemptOutcome.Failed failed:
                var delay = failed.RetryAfter ?? retryPolicy.DelayAfter(job.Attempt);
                var state = await store.FailAsync(job.Id, job.Attempt, failed.Failure, delay, failed.Retry, cancellationToken);
                switch (state)
                {
                    case null:
                        telemetry.Fenced();
                        LogFenced(job.Id, job.Queue, job.Kind, job.Attempt);
                        break;
                    case JobState.Retryable:
                        telemetry.Failed(failed.Failure.Reason, JobState.Retryable);
                        LogRetrying(job.Id, job.Queue, job.Kind, job.Attempt, failed.Failure.Reason, delay.TotalMilliseconds);
                        break;
                    default:
                        telemetry.Failed(failed.Failure.Reason, state.Value);
                        LogEnded(job.Id, job.Queue, job.Kind, job.Attempt, failed.Failure.Reason, JobStates.ToName(state.Value));
                        break;
                }

                break;
        }
    }

    private static TimeSpan? Shorter(TimeSpan? a, TimeSpan? b)
    {
        if (a is null)
        {
            return b;
        }

        if (b is null)
        {
            return a;
        }

        return a < b ? a : b;
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Error,
        Message = "Dispatching job {JobId} ({Queue}/{Kind}) attempt {Attempt} failed unexpectedly; the attempt is recorded as failed")]
    private partial void LogDispatchFailed(Exception exception, long jobId, string queue, string kind, int attempt);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug,
        Message = "Job {JobId} ({Queue}/{Kind}) completed on attempt {Attempt}")]
    private partial void LogCompleted(long jobId, string queue, string kind, int attempt);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Queue}/{Kind}) attempt {Attempt} failed ({Reason}); retrying in {DelayMs:0} ms")]
    private partial void LogRetrying(long jobId, string queue, string kind, int attempt, string reason, double delayMs);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Queue}/{Kind}) attempt {Attempt} failed ({Reason}); the job is now {State}")]
    private partial void LogEnded(long jobId, string queue, string kind, int attempt, string reason, string state);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information,
        Message = "Job {JobId} ({Queue}/{Kind}) attempt {Attempt} was returned to the queue without counting it")]
    private partial void LogReleased(long jobId, string queue, string kind, int attempt);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Queue}/{Kind}) attempt {Attempt} was not started because only {LeftMs:0} ms of its lease were left; " +
            "the rescuer retries it")]
    private partial void LogStaleClaim(long jobId, string queue, string kind, int attempt, double leftMs);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Queue}/{Kind}) attempt {Attempt} no longer holds its lease; its outcome was not stored")]
    private partial void LogFenced(long jobId, string queue, string kind, int attempt);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error,
        Message = "No handler or webhook route for job {JobId} ({Queue}/{Kind}) attempt {Attempt} on worker {WorkerId}")]
    private partial void LogNoHandler(long jobId, string queue, string kind, int attempt, string workerId);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning,
        Message = "Storing the outcome of job {JobId} ({Queue}/{Kind}) attempt {Attempt} failed; retrying in {DelayMs:0} ms")]
    private partial void LogWriteRetry(Exception exception, long jobId, string queue, string kind, int attempt, double delayMs);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error,
        Message = "Storing the outcome of job {JobId} ({Queue}/{Kind}) attempt {Attempt} failed; " +
            "the rescuer will retry the job when its lease expires")]
    private partial void LogWriteFailed(Exception exception, long jobId, string queue, string kind, int attempt);
}
