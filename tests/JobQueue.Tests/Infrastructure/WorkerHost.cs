using JobQueue.Engine;
using JobQueue.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobQueue.Tests.Infrastructure;

/// <summary>Starts the worker's services in-process against a test database, with short intervals.</summary>
public static class WorkerHost
{
    public static async Task<IHost> StartAsync(
        TestDatabase database,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobQueue"] = database.ConnectionString,
            ["Worker:Queues"] = "*:4",
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Worker:SchedulerInterval"] = "00:00:00.100",
            ["Worker:RescueInterval"] = "00:00:00.200",
            ["Worker:RetryBaseDelay"] = "00:00:00.050",
            ["Worker:RetryMaxDelay"] = "00:00:00.200",

            // The tests' webhook receivers listen on plain http on loopback.
            ["Webhooks:AllowHttp"] = "true",
            ["Webhooks:AllowedNetworks:0"] = "127.0.0.0/8",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddJobQueueStorage(builder.Configuration);
        builder.Services.AddJobQueueWorker(builder.Configuration);
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

/// <summary>Bounded waits on job state, for tests that watch a worker.</summary>
public static class JobWaits
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Polls the job until <paramref name="done"/> holds and returns it; fails the test after the timeout.</summary>
    public static async Task<Contracts.Job> WaitForAsync(
        this JobStore store, long id, Func<Contracts.Job, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultTimeout);
        Contracts.Job? job = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            job = await store.GetAsync(id, CancellationToken.None);
            if (job is not null && done(job))
            {
                return job;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException(
            $"Job {id} did not reach the expected state within {(timeout ?? DefaultTimeout).TotalSeconds} s; last seen: " +
            (job is null ? "missing" : $"{job.State}, attempt {job.Attempt}, errors {job.Errors.Count}"));
    }

    /// <summary>Waits until the job is completed, cancelled or discarded.</summary>
    public static Task<Contracts.Job> WaitForFinalAsync(this JobStore store, long id, TimeSpan? timeout = null) =>
        store.WaitForAsync(id, job => JobStates.IsFinal(job.State), timeout);
}
