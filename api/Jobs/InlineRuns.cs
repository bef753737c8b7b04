using JobQueue.Contracts;
using JobQueue.Engine.Execution;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

/// <summary>In inline mode, runs the first attempt of just-enqueued due jobs before the response.</summary>
internal static class InlineRuns
{
    /// <summary>Returns <paramref name="stored"/> unchanged unless inline mode is on, else the jobs as they are after their attempts.</summary>
    public static async Task<IReadOnlyList<Job>> RunIfInlineAsync(
        IServiceProvider services, JobStore store, IReadOnlyList<Job> stored, CancellationToken ct) =>
        await RunIfInlineAsync(services, store, stored, new bool[stored.Count], ct);

    /// <summary>As above, but leaves out the jobs marked in <paramref name="existing"/>, which a unique enqueue only found.</summary>
    public static async Task<IReadOnlyList<Job>> RunIfInlineAsync(
        IServiceProvider services, JobStore store, IReadOnlyList<Job> stored, IReadOnlyList<bool> existing, CancellationToken ct)
    {
        // Read from the request's services: FastEndpoints caches endpoint dependencies in static
        // state, which a second host in the same process (as in tests) can replace.
        var options = services.GetRequiredService<IOptions<ApiOptions>>().Value;
        if (options.ExecutionMode != ExecutionMode.Inline)
        {
            return stored;
        }

        var due = stored.Where((job, i) => job.State == JobState.Available && !existing[i]).Select(job => job.Id).ToList();
        if (due.Count == 0)
        {
            return stored;
        }

        await services.GetRequiredService<InlineExecutor>().RunAsync(due, ct);
        var refreshed = new List<Job>(stored.Count);
        foreach (var job in stored)
        {
            refreshed.Add(await store.GetAsync(job.Id, ct) ?? job);
        }

        return refreshed;
    }
}
