using JobQueue.Engine.Options;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Engine.Execution;

/// <summary>
/// Runs the first attempt of just-enqueued jobs in the caller, for the API's inline mode, which
/// suits tests: the enqueue request returns after the attempts finished. Jobs that are not due,
/// or that another worker claimed first, are left to the worker.
/// </summary>
public sealed class InlineExecutor(
    JobStore store, JobRunner runner, WorkerIdentity identity, IOptions<WorkerOptions> options, TimeProvider timeProvider)
{
    /// <summary>Claims the available jobs among <paramref name="ids"/> and runs each attempt, one after another.</summary>
    public async Task RunAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        var sentAt = timeProvider.GetUtcNow();
        var jobs = await store.ClaimByIdsAsync(ids, identity.Id, options.Value.LeaseDuration, cancellationToken);
        foreach (var job in jobs)
        {
            await runner.RunAsync(job, sentAt, cancellationToken);
        }
    }
}
