using JobQueue.Contracts;

namespace JobQueue.Storage;

/// <summary>
/// Single-job enqueues that arrive at the same time, combined into one statement. A commit costs the same for one row as for hundreds, so under load this raises the rate
/// well past one commit per job; a call alone still runs at once.
/// </summary>
public sealed partial class JobStore
{
    // Most calls per statement, and most statements in flight, per JobStore (one per process).
    private const int MaxBatch = 500;
    private const int MaxConcurrentInserts = 4;

    private StatementBatcher<NewJob, Job>? _inserts;

    /// <summary>
    /// Inserts one job in the same statement and transaction as the other single-job inserts
    /// waiting at the time, and returns it. A failure caused by another job's data does not fail
    /// this one. Cancelling stops the wait; the job may still be stored.
    /// </summary>
    public Task<Job> InsertCoalescedAsync(NewJob job, CancellationToken cancellationToken)
    {
        var batcher = LazyInitializer.EnsureInitialized(
            ref _inserts, () => new StatementBatcher<NewJob, Job>(jobs => InsertManyAsync(jobs, CancellationToken.None), MaxBatch, MaxConcurrentInserts));
        return batcher.RunAsync(job, cancellationToken);
    }
}
