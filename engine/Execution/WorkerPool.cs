using System.Collections.Concurrent;
using System.Diagnostics;
using JobQueue.Contracts;
using JobQueue.Engine.Options;
using JobQueue.Storage;
using JobQueue.Storage.Telemetry;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobQueue.Engine.Execution;

/// <summary>
/// One isolated pool: claims due jobs of its queues, never more than it has free slots, and runs
/// each in its own task. It claims when woken (a notification for one of its queues, a freed
/// slot while work is pending) or when the poll interval passes, and keeps claiming while full
/// batches come back. A slot frees when its handler returns. The outcome is written after that,
/// in a batch with other outcomes, while the slot already runs the next job. The pool stops
/// claiming while as many outcomes as it has slots wait for their write, so a slow database
/// slows the claims too.
/// </summary>
internal sealed partial class WorkerPool : IDisposable
{
    private static readonly TimeSpan MaxErrorDelay = TimeSpan.FromSeconds(5);

    private readonly PoolDefinition _definition;
    private readonly JobStore _store;
    private readonly JobRunner _runner;
    private readonly string _workerId;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly WakeSignal _wake = new();
    private readonly ConcurrentDictionary<long, Task> _tasks = new();
    private int _busy;
    private int _writing;
    private volatile bool _workPending = true;

    // What made the pool claim last: "wake" (a notification or a freed slot) or "poll" (the
    // poll interval passed), for the claim duration metric.
    private string _trigger = "wake";

    public WorkerPool(PoolDefinition definition, JobStore store, JobRunner runner, string workerId,
        WorkerOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _definition = definition;
        _store = store;
        _runner = runner;
        _workerId = workerId;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public PoolDefinition Definition => _definition;

    /// <summary>Attempts whose handler runs now in this pool.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Attempts whose handler has returned and whose outcome is not stored yet.</summary>
    public int Writing => Volatile.Read(ref _writing);

    /// <summary>Attempts started by this pool whose outcome is not stored yet.</summary>
    public int Unfinished => Busy + Writing;

    /// <summary>Marks work as pending and wakes the claim loop.</summary>
    public void Wake()
    {
        _workPending = true;
        _wake.Set();
    }

    /// <summary>
    /// Claims and starts jobs until <paramref name="stopClaiming"/> fires. Attempts started here
    /// keep running afterwards; <see cref="WaitForRunningAsync"/> waits for them.
    /// <paramref name="stopRunning"/> is passed to outcome writes.
    /// </summary>
    public async Task RunAsync(CancellationToken stopClaiming, CancellationToken stopRunning)
    {
        LogPoolStarted(_definition.Name, _definition.Slots);
        var errors = 0;
        while (!stopClaiming.IsCancellationRequested)
        {
            var free = _definition.Slots - Busy;
            if (free > 0 && _workPending && Writing < _definition.Slots)
            {
                _workPending = false;
                IReadOnlyList<Job> jobs;
                var claimSentAt = _timeProvider.GetUtcNow();
                var claimStarted = _timeProvider.GetTimestamp();
                try
                {
                    jobs = await _store.ClaimAsync(_definition.Queues, free, _workerId, _options.LeaseDuration, stopClaiming);
                    errors = 0;
                    RecordClaim(claimStarted, jobs.Count == 0 ? "empty" : "claimed", jobs.Count);
                }
                catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    // A failed claim is not "no work": the pool tries again after a backoff.
                    RecordClaim(claimStarted, "error", null);
                    _workPending = true;
                    errors++;
                    var delay = TimeSpan.FromMilliseconds(Math.Min(MaxErrorDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(errors, 10))));
                    LogClaimFailed(exception, _definition.Name, delay.TotalMilliseconds);
                    await DelayQuietlyAsync(delay, stopClaiming);
                    continue;
                }

                if (jobs.Count == free)
                {
                    // A full batch suggests more due jobs; claim again as soon as a slot frees.
                    _workPending = true;
                }

                foreach (var job in jobs)
                {
                    Start(job, claimSentAt, stopRunning);
                }

                if (jobs.Count > 0)
                {
                    LogClaimed(_definition.Name, jobs.Count, free);
                }

                continue;
            }

            try
            {
                if (await _wake.WaitAsync(_options.PollInterval, stopClaiming))
                {
                    _trigger = "wake";
                }
                else
                {
                    _trigger = "poll";
                    _workPending = true;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        LogPoolStopped(_definition.Name, Busy);
    }

    /// <summary>Waits until every attempt this pool started has stored its outcome, or the token fires.</summary>
    public async Task WaitForRunningAsync(CancellationToken cancellationToken)
    {
        var tasks = _tasks.Values.ToArray();
        if (tasks.Length > 0)
        {
            await Task.WhenAll(tasks).WaitAsync(cancellationToken);
        }
    }

    private void Start(Job job, DateTimeOffset claimSentAt, CancellationToken stopRunning)
    {
        Interlocked.Increment(ref _busy);
        _tasks[job.Id] = RunOneAsync(job, claimSentAt, stopRunning);
    }

    private async Task RunOneAsync(Job job, DateTimeOffset claimSentAt, CancellationToken stopRunning)
    {
        // Leave the claim loop before running the handler, so a handler that blocks its thread
        // never holds up the claim of the next batch.
        await Task.Yield();
        var slotHeld = true;
        try
        {
            await _runner.RunAsync(job, claimSentAt, stopRunning, () =>
            {
                // The handler returned: its slot takes the next job while the outcome is written.
                slotHeld = false;
                Interlocked.Increment(ref _writing);
                Interlocked.Decrement(ref _busy);
                _wake.Set();
            });
        }
        catch (OperationCanceledException) when (stopRunning.IsCancellationRequested)
        {
            // Shutdown passed its deadline while storing the outcome; the lease expires and the
            // rescuer retries the job.
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The outcome could not be stored for a reason the runner does not expect. The lease
            // expires and the rescuer retries the job, so the pool keeps running.
            LogAttemptFailed(exception, job.Id, job.Queue, job.Kind, job.Attempt);
        }
        finally
        {
            _tasks.TryRemove(job.Id, out _);
            Interlocked.Decrement(ref slotHeld ? ref _busy : ref _writing);
            _wake.Set();
        }
    }

    private void RecordClaim(long startedAt, string result, int? count)
    {
        var tags = new TagList
        {
            { "jobqueue.pool", _definition.Name },
            { "jobqueue.claim.trigger", _trigger },
            { "jobqueue.claim.result", result },
        };
        JobQueueMetrics.ClaimDuration.Record(_timeProvider.GetElapsedTime(startedAt).TotalSeconds, tags);
        if (count is { } claimed)
        {
            JobQueueMetrics.ClaimedJobs.Record(claimed, new KeyValuePair<string, object?>("jobqueue.pool", _definition.Name));
        }

        // A claim right after this one follows a full batch or a freed slot.
        _trigger = "wake";
    }

    private async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _timeProvider, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The loop condition checks the cancellation.
        }
    }

    public void Dispose() => _wake.Dispose();

    [LoggerMessage(EventId = 3105, Level = LogLevel.Error,
        Message = "Job {JobId} ({Queue}/{Kind}) attempt {Attempt} ended with an unexpected error; " +
            "the rescuer retries it when its lease expires")]
    private partial void LogAttemptFailed(Exception exception, long jobId, string queue, string kind, int attempt);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Pool {Pool} started with {Slots} slots")]
    private partial void LogPoolStarted(string pool, int slots);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Pool {Pool} stopped claiming with {Running} attempts running")]
    private partial void LogPoolStopped(string pool, int running);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Pool {Pool} claimed {Count} jobs for {Free} free slots")]
    private partial void LogClaimed(string pool, int count, int free);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Pool {Pool} could not claim jobs; retrying in {DelayMs:0} ms")]
    private partial void LogClaimFailed(Exception exception, string pool, double delayMs);
}
