using System.Diagnostics;
using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Engine;

public sealed class WorkerTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    // Each test has a queue of its own and a worker for just that queue, so that jobs another
    // test left behind in the shared database never run in this one.
    private readonly string _queue = "q" + Guid.NewGuid().ToString("N")[..10];

    private NewJob Job(string kind, string args = "{}", string? queue = null, int maxAttempts = 3, int? timeoutMs = null) =>
        new(queue ?? _queue, kind, args, 0, maxAttempts, timeoutMs, [], null, null);

    private Task<IHost> StartWorkerAsync() =>
        WorkerHost.StartAsync(database, new Dictionary<string, string?> { ["Worker:Queues"] = $"{_queue}:4" });

    private async Task<Job> EnqueueAsync(NewJob job) =>
        (await database.Jobs.InsertManyAsync([job], CancellationToken.None)).Single();

    [Fact]
    public async Task Echo_job_completes_with_args_as_result()
    {
        using var host = await StartWorkerAsync();
        var job = await EnqueueAsync(Job("echo", """{"greeting":"hello"}"""));

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal("hello", done.Result!.Value.GetProperty("greeting").GetString());
        Assert.Equal(1, done.Attempt);
        Assert.Empty(done.Errors);
        await host.StopAsync();
    }

    [Fact]
    public async Task Clock_job_reports_when_its_handler_started()
    {
        using var host = await StartWorkerAsync();
        var job = await EnqueueAsync(Job("clock", "{}"));

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        var startedAt = DateTimeOffset.UnixEpoch.AddMilliseconds(done.Result!.Value.GetProperty("started_at_ms").GetDouble());
        Assert.InRange(startedAt, done.AttemptedAt!.Value.AddSeconds(-1), done.FinishedAt!.Value.AddSeconds(1));
        await host.StopAsync();
    }

    [Fact]
    public async Task Failing_job_retries_then_is_discarded()
    {
        using var host = await StartWorkerAsync();
        var job = await EnqueueAsync(Job("fail", """{"message":"disk full"}""", maxAttempts: 3));

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal(3, done.Attempt);
        Assert.Equal([1, 2, 3], done.Errors.Select(e => e.Attempt));
        Assert.All(done.Errors, e => Assert.Equal("disk full", e.Message));
        Assert.All(done.Errors, e => Assert.Equal("exception", e.Reason));
        await host.StopAsync();
    }

    [Fact]
    public async Task Unknown_kind_is_recorded_not_dropped()
    {
        using var host = await StartWorkerAsync();
        var job = await EnqueueAsync(Job("no.such.kind", maxAttempts: 1));

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Discarded, done.State);
        var error = Assert.Single(done.Errors);
        Assert.Equal("no_handler", error.Reason);
        Assert.Contains("no.such.kind", error.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Timeout_stops_attempt_and_is_recorded()
    {
        using var host = await StartWorkerAsync();
        var job = await EnqueueAsync(Job("sleep", """{"ms":60000}""", maxAttempts: 1, timeoutMs: 300));

        var done = await database.Jobs.WaitForFinalAsync(job.Id, TimeSpan.FromSeconds(10));

        Assert.Equal(JobState.Discarded, done.State);
        var error = Assert.Single(done.Errors);
        Assert.Equal("timeout", error.Reason);
        Assert.True(done.FinishedAt - done.AttemptedAt < TimeSpan.FromSeconds(5));
        await host.StopAsync();
    }

    [Fact]
    public async Task Cancel_reaches_running_job()
    {
        using var host = await StartWorkerAsync();
        var job = await EnqueueAsync(Job("sleep", """{"ms":60000}"""));
        await database.Jobs.WaitForAsync(job.Id, j => j.State == JobState.Running);

        var flagged = await database.Jobs.CancelAsync(job.Id, CancellationToken.None);
        var done = await database.Jobs.WaitForFinalAsync(job.Id, TimeSpan.FromSeconds(10));

        Assert.NotNull(flagged!.CancelRequestedAt);
        Assert.Equal(JobState.Cancelled, done.State);
        Assert.Equal(1, done.Attempt);
        Assert.Equal("cancelled", Assert.Single(done.Errors).Reason);
        await host.StopAsync();
    }

    [Fact]
    public async Task Slow_pool_does_not_delay_other_pool()
    {
        var slow = "slow" + Guid.NewGuid().ToString("N")[..6];
        var fast = "fast" + Guid.NewGuid().ToString("N")[..6];
        using var host = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
        {
            ["Worker:Queues"] = $"{slow}:1;{fast}:1",
        });
        var sleepers = await database.Jobs.InsertManyAsync(
            Enumerable.Range(0, 3).Select(_ => Job("sleep", """{"ms":5000}""", slow)).ToList(), CancellationToken.None);
        await database.Jobs.WaitForAsync(sleepers[0].Id, j => j.State == JobState.Running);

        var quick = await EnqueueAsync(Job("noop", queue: fast));
        var done = await database.Jobs.WaitForFinalAsync(quick.Id, TimeSpan.FromSeconds(10));

        Assert.Equal(JobState.Completed, done.State);
        Assert.True(done.FinishedAt - done.CreatedAt < TimeSpan.FromSeconds(2),
            $"the fast job took {(done.FinishedAt - done.CreatedAt)!.Value.TotalMilliseconds} ms");
        var slowJobs = await Task.WhenAll(sleepers.Select(s => database.Jobs.GetAsync(s.Id, CancellationToken.None)));
        Assert.Equal(1, slowJobs.Count(j => j!.State == JobState.Running));
        Assert.Equal(2, slowJobs.Count(j => j!.State == JobState.Available));
        await host.StopAsync();
    }

    [Fact]
    public async Task Shutdown_returns_unfinished_job_at_once()
    {
        var queue = "shutdown" + Guid.NewGuid().ToString("N")[..6];
        var host = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
        {
            ["Worker:Queues"] = $"{queue}:2",
            ["Worker:ShutdownTimeout"] = "00:00:00.500",
        });
        var job = await EnqueueAsync(Job("sleep", """{"ms":60000}""", queue));
        await database.Jobs.WaitForAsync(job.Id, j => j.State == JobState.Running);

        var stopwatch = Stopwatch.StartNew();
        await host.StopAsync();
        host.Dispose();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"shutdown took {stopwatch.Elapsed}");
        var stored = await database.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Available, stored!.State);
        Assert.Null(stored.WorkerId);
        Assert.Equal("shutdown", Assert.Single(stored.Errors).Reason);
        Assert.Equal(job.MaxAttempts + 1, stored.MaxAttempts);
    }

    [Fact]
    public async Task Expired_lease_is_rescued_and_run_again()
    {
        var queue = _queue;
        var job = await EnqueueAsync(Job("noop"));

        // A worker that claimed the job and died: the lease ran out and nobody renews it.
        var claimed = await database.Jobs.ClaimAsync(
            new QueueFilter([queue], false), 1, "dead-worker", TimeSpan.FromMilliseconds(1), CancellationToken.None);
        Assert.Equal(job.Id, Assert.Single(claimed).Id);
        using var host = await StartWorkerAsync();

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(2, done.Attempt);
        var error = Assert.Single(done.Errors);
        Assert.Equal("lease_expired", error.Reason);
        Assert.Contains("dead-worker", error.Message, StringComparison.Ordinal);
        Assert.False(await database.Jobs.CompleteAsync(job.Id, 1, null, CancellationToken.None));
        await host.StopAsync();
    }

    [Fact]
    public async Task Scheduled_job_waits_for_its_time()
    {
        using var host = await StartWorkerAsync();
        var job = await EnqueueAsync(new NewJob(_queue, "noop", "{}", 0, 3, null, [], null, 1500));
        Assert.Equal(JobState.Scheduled, job.State);

        await Task.Delay(500);
        var early = await database.Jobs.GetAsync(job.Id, CancellationToken.None);
        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Scheduled, early!.State);
        Assert.Equal(JobState.Completed, done.State);
        Assert.True(done.AttemptedAt >= job.ScheduledAt);
        await host.StopAsync();
    }

    [Fact]
    public async Task Concurrency_limit_serialises_jobs_of_a_key()
    {
        using var host = await StartWorkerAsync();
        var jobs = await database.Jobs.InsertManyAsync(
            Enumerable.Range(0, 4)
                .Select(_ => Job("sleep", """{"ms":150}""") with { Concurrency = new ConcurrencyLimit("serial", 1) })
                .ToList(),
            CancellationToken.None);

        var done = new List<Job>();
        foreach (var job in jobs)
        {
            done.Add(await database.Jobs.WaitForFinalAsync(job.Id));
        }

        Assert.All(done, job => Assert.Equal(JobState.Completed, job.State));
        var ordered = done.OrderBy(job => job.AttemptedAt).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i].AttemptedAt >= ordered[i - 1].FinishedAt,
                $"job {ordered[i].Id} started at {ordered[i].AttemptedAt:O} before job {ordered[i - 1].Id} finished at {ordered[i - 1].FinishedAt:O}");
        }

        await host.StopAsync();
    }
}
