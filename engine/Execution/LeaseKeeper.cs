using JobQueue.Engine.Options;
using JobQueue.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine.Execution;

/// <summary>
/// Renews the leases of this worker's running attempts every third of the lease duration, and
/// stops an attempt whose lease is gone: taken over after a pause or partition, or about to
/// expire because renewals keep failing. Stopping it before the lease runs out keeps the old
/// attempt from running beside the retry that the rescuer will start elsewhere.
/// </summary>
public sealed partial class LeaseKeeper(
    JobStore store,
    RunningAttempts running,
    WorkerIdentity identity,
    IOptions<WorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<LeaseKeeper> logger)
{
    /// <summary>
    /// Share of the lease kept as a safety margin: an attempt whose renewals keep failing is
    /// stopped, and a claimed attempt is not started, when only this share of its lease is left.
    /// </summary>
    public const double SafetyMargin = 0.2;

    /// <summary>Renews or stops attempts until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var lease = options.Value.LeaseDuration;
        var renewEvery = lease / 3;
        var checkEvery = lease / 10;
        var lastRenewal = timeProvider.GetUtcNow();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(checkEvery, timeProvider, cancellationToken);
                var now = timeProvider.GetUtcNow();
                if (now - lastRenewal >= renewEvery)
                {
                    lastRenewal = now;
                    await RenewAsync(lease, cancellationToken);
                }

                StopExpiring(lease);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown: the worker has already stored or abandoned every attempt.
        }
    }

    /// <summary>Renews every running attempt's lease once.</summary>
    public async Task RenewAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        var attempts = running.Snapshot();
        if (attempts.Count == 0)
        {
            return;
        }

        var sentAt = timeProvider.GetUtcNow();
        IReadOnlyDictionary<long, bool> held;
        try
        {
            held = await store.RenewLeasesAsync(
                identity.Id, attempts.Select(a => (a.Id, a.Attempt)).ToList(), lease, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogRenewFailed(exception, attempts.Count);
            return;
        }

        foreach (var attempt in attempts)
        {
            if (!held.TryGetValue(attempt.Id, out var cancelRequested))
            {
                // Either the attempt stored its outcome after the snapshot, or it lost the lease.
                if (running.TryGet(attempt.Id, out var current) && ReferenceEquals(current, attempt))
                {
                    LogLeaseLost(attempt.Id, attempt.Attempt);
                    attempt.Stop(StopReason.LeaseLost);
                }

                continue;
            }

            attempt.LeaseValidUntil = sentAt + lease;
            if (cancelRequested)
            {
                attempt.Stop(StopReason.CancelRequested);
            }
        }
    }

    private void StopExpiring(TimeSpan lease)
    {
        var cutoff = timeProvider.GetUtcNow() + (lease * SafetyMargin);
        foreach (var attempt in running.Snapshot())
        {
            if (attempt.LeaseValidUntil <= cutoff && attempt.StopReason == StopReason.None)
            {
                LogLeaseExpiring(attempt.Id, attempt.Attempt);
                attempt.Stop(StopReason.LeaseLost);
            }
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning,
        Message = "Renewing the leases of {Count} running attempts failed; retrying at the next interval")]
    private partial void LogRenewFailed(Exception exception, int count);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning,
        Message = "Job {JobId} attempt {Attempt} lost its lease; stopping the attempt")]
    private partial void LogLeaseLost(long jobId, int attempt);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning,
        Message = "Job {JobId} attempt {Attempt} could not renew its lease before expiry; stopping the attempt")]
    private partial void LogLeaseExpiring(long jobId, int attempt);
}
