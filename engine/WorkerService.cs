using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Engine.Execution;
using JobQueue.Engine.Handlers;
using JobQueue.Engine.Options;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Storage.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine;

/// <summary>
/// Runs the worker: one claim loop per pool, the lease keeper, the scheduler that makes due jobs
/// available, and the rescuer of expired leases. On shutdown it stops claiming, lets running
/// attempts finish within <see cref="WorkerOptions.ShutdownTimeout"/> while their leases are
/// still renewed, then stops the rest and gives them back to the queue at once.
/// </summary>
public sealed partial class WorkerService(
    JobStore store,
    BatchStore batches,
    ProcessStore processes,
    HandlerDispatcher handlers,
    WebhookDispatcher webhooks,
    JobRunner runner,
    LeaseKeeper leaseKeeper,
    RunningAttempts running,
    NotificationListener listener,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private const int MaintenanceBatchSize = 1000;
    private static readonly TimeSpan AfterStopGrace = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = loggerFactory.CreateLogger<WorkerService>();
    private List<WorkerPool> _pools = [];

    /// <summary>The pools and how many attempts each runs now.</summary>
    public IReadOnlyList<(PoolDefinition Pool, int Busy)> Pools => _pools.Select(p => (p.Definition, p.Busy)).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        _pools = QueueSelection.Parse(settings.Queues)
            .Select(definition => new WorkerPool(definition, store, runner, identity.Id, settings, timeProvider,
                loggerFactory.CreateLogger<WorkerPool>()))
            .ToList();
        LogStarted(identity.Id, settings.Queues);

        listener.JobsAvailable += OnJobsAvailable;
        listener.Reconnected += WakeAll;
        listener.CancelRequested += OnCancelRequested;

        // Background loops outlive the claim loops, because leases must be renewed while
        // attempts drain and their outcomes are stored.
        using var background = new CancellationTokenSource();
        using var stopRunning = new CancellationTokenSource();
        var loops = new List<Task>
        {
            leaseKeeper.RunAsync(background.Token),
            RunEveryAsync(settings.SchedulerInterval, PromoteDueAsync, background.Token),
            RunEveryAsync(settings.RescueInterval, RescueAsync, background.Token),
            RunEveryAsync(settings.HeartbeatInterval, HeartbeatAsync, background.Token),
            RunEveryAsync(settings.RetentionInterval, DeleteExpiredAsync, background.Token),
        };
        if (settings.PriorityAgeing > TimeSpan.Zero)
        {
            // Ageing moves a job one level per PriorityAgeing interval. Checking every tenth of
            // it keeps a job's extra wait within 10% of an interval per level.
            loops.Add(RunEveryAsync(settings.PriorityAgeing / 10, AgePrioritiesAsync, background.Token));
        }

        try
        {
            await Task.WhenAll(_pools.Select(pool => pool.RunAsync(stoppingToken, stopRunning.Token)));
            await DrainAsync(settings.ShutdownTimeout, stopRunning);
        }
        finally
        {
            listener.JobsAvailable -= OnJobsAvailable;
            listener.Reconnected -= WakeAll;
            listener.CancelRequested -= OnCancelRequested;
            await background.CancelAsync();
            await Task.WhenAll(loops);
            await UnregisterAsync();
            foreach (var pool in _pools)
            {
                pool.Dispose();
            }

            LogStopped(identity.Id);
        }
    }

    private async Task DrainAsync(TimeSpan shutdownTimeout, CancellationTokenSource stopRunning)
    {
        // Counted from the pools, not from the running attempts: a job claimed just before the
        // stop may not have registered its attempt yet. Outcomes still waiting for their write
        // count too, so that they are stored before the process exits.
        var count = _pools.Sum(pool => pool.Unfinished);
        if (count == 0)
        {
            return;
        }

        LogDraining(count, shutdownTimeout.TotalSeconds);
        using (var deadline = new CancellationTokenSource(shutdownTimeout, timeProvider))
        {
            if (await WaitForPoolsAsync(deadline.Token))
            {
                return;
            }
        }

        // The deadline passed, so what still runs is stopped. Each job goes back to 'available'
        // without counting the attempt, and another worker can take it at once.
        LogStoppingRemaining(_pools.Sum(pool => pool.Unfinished));
        running.StopAll(StopReason.Shutdown);

        using var grace = new CancellationTokenSource(AfterStopGrace, timeProvider);
        if (!await WaitForPoolsAsync(grace.Token))
        {
            await stopRunning.CancelAsync();
            LogAbandoned(_pools.Sum(pool => pool.Unfinished));
        }
    }

    private async Task<bool> WaitForPoolsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_pools.Select(pool => pool.WaitForRunningAsync(cancellationToken)));
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task PromoteDueAsync(CancellationToken cancellationToken)
    {
        int promoted;
        do
        {
            promoted = await store.PromoteDueAsync(MaintenanceBatchSize, cancellationToken);
        }
        while (promoted == MaintenanceBatchSize);
    }

    private async Task RescueAsync(CancellationToken cancellationToken)
    {
        await processes.DeleteStaleAsync(options.Value.HeartbeatInterval * 3, cancellationToken);
        await store.PruneRateLimitStartsAsync(cancellationToken);
        var rescued = await store.RescueExpiredAsync(MaintenanceBatchSize, cancellationToken);
        foreach (var job in rescued)
        {
            JobQueueMetrics.Rescued.Add(1,
                new KeyValuePair<string, object?>(JobQueueTelemetry.DestinationAttribute, job.Queue),
                new KeyValuePair<string, object?>("jobqueue.job.state", job.State));
            LogRescued(job.Id, job.Queue, job.Attempt, job.State);
        }
    }

    private Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        var pools = JsonSerializer.Serialize(_pools.Select(p => new { name = p.Definition.Name, slots = p.Definition.Slots, busy = p.Busy }));
        var kinds = handlers.Kinds.Concat(webhooks.Kinds).ToList();
        return processes.HeartbeatAsync(identity.Id, Environment.MachineName, Environment.ProcessId,
            options.Value.Queues, pools, kinds, cancellationToken);
    }

    private async Task AgePrioritiesAsync(CancellationToken cancellationToken)
    {
        int aged;
        do
        {
            aged = await store.AgePrioritiesAsync(options.Value.PriorityAgeing, MaintenanceBatchSize, cancellationToken);
        }
        while (aged == MaintenanceBatchSize);
    }

    // Deletion runs in batches, and at most a bounded number of them per interval, so that a
    // large backlog after a retention change drains over several intervals instead of keeping
    // the database busy in one long burst.
    private async Task DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        // Deletes in batches until one comes back short, for at most one interval, so that
        // deletion keeps up with the finish rate. With at most 10 batches per run, a soak at
        // 8,800 jobs/s and a 10-second interval grew the table to 4.7 million rows under a
        // 1-minute retention.
        var retention = options.Value.Retention;
        var budget = options.Value.RetentionInterval;
        var started = timeProvider.GetTimestamp();
        var total = 0;
        foreach (var (state, age) in new[]
        {
            (JobState.Completed, retention.Completed),
            (JobState.Cancelled, retention.Cancelled),
            (JobState.Discarded, retention.Discarded),
        })
        {
            if (age <= TimeSpan.Zero)
            {
                continue;
            }

            while (true)
            {
                var deleted = await store.DeleteFinishedAsync(state, age, MaintenanceBatchSize, cancellationToken);
                total += deleted;
                if (deleted < MaintenanceBatchSize || timeProvider.GetElapsedTime(started) >= budget)
                {
                    break;
                }
            }
        }

        // A finished batch is deleted once retention has deleted all of its jobs. Its last job
        // finished when the batch did, so that takes at least the shortest retention. With every
        // retention at zero, jobs and batches are kept for ever.
        var shortest = new[] { retention.Completed, retention.Cancelled, retention.Discarded }
            .Where(age => age > TimeSpan.Zero).DefaultIfEmpty().Min();
        var batchesDeleted = 0;
        while (shortest > TimeSpan.Zero && timeProvider.GetElapsedTime(started) < budget)
        {
            var deleted = await batches.DeleteFinishedAsync(shortest, MaintenanceBatchSize, cancellationToken);
            batchesDeleted += deleted;
            if (deleted < MaintenanceBatchSize)
            {
                break;
            }
        }

        if (total > 0 || batchesDeleted > 0)
        {
            LogDeletedExpired(total, batchesDeleted);
        }
    }

    private async Task UnregisterAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), timeProvider);
            await processes.UnregisterAsync(identity.Id, timeout.Token);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The row ages out: readers ignore it after three heartbeat intervals.
            LogMaintenanceFailed(exception, nameof(UnregisterAsync));
        }
    }

    private async Task RunEveryAsync(TimeSpan interval, Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await action(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogMaintenanceFailed(exception, action.Method.Name);
            }

            try
            {
                await Task.Delay(interval, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void OnJobsAvailable(string queue)
    {
        foreach (var pool in _pools)
        {
            if (pool.Definition.Matches(queue))
            {
                pool.Wake();
            }
        }
    }

    private void WakeAll()
    {
        foreach (var pool in _pools)
        {
            pool.Wake();
        }
    }

    private void OnCancelRequested(long jobId)
    {
        if (running.TryGet(jobId, out var attempt))
        {
            LogCancelRequested(jobId, attempt.Queue, attempt.Kind, attempt.Attempt);
            attempt.Stop(StopReason.CancelRequested);
        }
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Worker {WorkerId} started with queues '{Queues}'")]
    private partial void LogStarted(string workerId, string queues);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Worker {WorkerId} stopped")]
    private partial void LogStopped(string workerId);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information,
        Message = "Waiting up to {TimeoutSeconds} s for {Count} running attempts to finish")]
    private partial void LogDraining(int count, double timeoutSeconds);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning,
        Message = "Shutdown timeout passed; stopping {Count} attempts and returning their jobs to the queue")]
    private partial void LogStoppingRemaining(int count);

    [LoggerMessage(EventId = 3305, Level = LogLevel.Error,
        Message = "{Count} attempts did not stop in time; their jobs are retried when their leases expire")]
    private partial void LogAbandoned(int count);

    [LoggerMessage(EventId = 3306, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Queue}) attempt {Attempt} lost its lease and is now {State}")]
    private partial void LogRescued(long jobId, string queue, int attempt, string state);

    [LoggerMessage(EventId = 3307, Level = LogLevel.Warning, Message = "Maintenance step {Step} failed; retrying at the next interval")]
    private partial void LogMaintenanceFailed(Exception exception, string step);

    [LoggerMessage(EventId = 3309, Level = LogLevel.Information,
        Message = "Deleted {Count} finished jobs past their retention and {Batches} finished batches without jobs")]
    private partial void LogDeletedExpired(int count, int batches);

    [LoggerMessage(EventId = 3308, Level = LogLevel.Information, Message = "Cancel requested for job {JobId} ({Queue}/{Kind}) attempt {Attempt}; stopping it")]
    private partial void LogCancelRequested(long jobId, string queue, string kind, int attempt);
}
