using JobQueue.Contracts;
using JobQueue.Engine;
using JobQueue.Engine.Handlers;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobQueue.Tests.Engine;

public sealed class DeadlineTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static string UniqueQueue() => "q" + Guid.NewGuid().ToString("N")[..10];

    private static NewJob Job(string queue, DateTimeOffset? discardAfter, long? delayMs = null, string kind = "noop") =>
        new(queue, kind, "{}", 0, 3, null, [], null, delayMs) { DiscardAfter = discardAfter };

    [Fact]
    public async Task Claim_discards_job_past_deadline()
    {
        var queue = UniqueQueue();
        var jobs = await database.Jobs.InsertManyAsync(
            [Job(queue, DateTimeOffset.UtcNow.AddMinutes(-1)), Job(queue, DateTimeOffset.UtcNow.AddHours(1)), Job(queue, null)],
            CancellationToken.None);

        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 10, "w1", Lease, CancellationToken.None);
        var late = await database.Jobs.GetAsync(jobs[0].Id, CancellationToken.None);

        Assert.Equal([jobs[1].Id, jobs[2].Id], claimed.Select(j => j.Id).Order());
        Assert.NotNull(late);
        Assert.Equal(JobState.Discarded, late.State);
        Assert.Equal(0, late.Attempt);
        Assert.NotNull(late.FinishedAt);
        var error = Assert.Single(late.Errors);
        Assert.Equal("deadline_passed", error.Reason);
        Assert.Equal(0, error.Attempt);
    }

    [Fact]
    public async Task Keyed_job_past_deadline_is_discarded()
    {
        var queue = UniqueQueue();
        var job = (await database.Jobs.InsertManyAsync(
            [Job(queue, DateTimeOffset.UtcNow.AddMinutes(-1))],
            CancellationToken.None))[0];
        var keyed = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null)
            {
                DiscardAfter = DateTimeOffset.UtcNow.AddMinutes(-1),
                Concurrency = new ConcurrencyLimit("deadline-key", 1),
            }],
            CancellationToken.None))[0];

        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 10, "w1", Lease, CancellationToken.None);

        Assert.Empty(claimed);
        Assert.Equal(JobState.Discarded, (await database.Jobs.GetAsync(job.Id, CancellationToken.None))!.State);
        Assert.Equal(JobState.Discarded, (await database.Jobs.GetAsync(keyed.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Job_due_after_its_deadline_never_reaches_handler()
    {
        var queue = UniqueQueue();
        var calls = new CallCounter();

        // Due in 300 ms, but its deadline is already over by then.
        var late = (await database.Jobs.InsertManyAsync(
            [Job(queue, DateTimeOffset.UtcNow.AddMilliseconds(100), delayMs: 300, kind: "deadline.probe")],
            CancellationToken.None))[0];
        var onTime = (await database.Jobs.InsertManyAsync(
            [Job(queue, DateTimeOffset.UtcNow.AddHours(1), kind: "deadline.probe")], CancellationToken.None))[0];
        using var worker = await WorkerHost.StartAsync(
            database,
            new Dictionary<string, string?> { ["Worker:Queues"] = $"{queue}:2" },
            services =>
            {
                services.AddSingleton(calls);
                services.AddJobHandler<CountingHandler>("deadline.probe");
            });

        var discarded = await database.Jobs.WaitForFinalAsync(late.Id);
        var completed = await database.Jobs.WaitForFinalAsync(onTime.Id);
        await worker.StopAsync();

        Assert.Equal(JobState.Discarded, discarded.State);
        Assert.Equal(0, discarded.Attempt);
        Assert.Equal("deadline_passed", Assert.Single(discarded.Errors).Reason);
        Assert.Equal(JobState.Completed, completed.State);
        Assert.Equal([onTime.Id], calls.JobIds);
    }

    private sealed class CallCounter
    {
        private readonly List<long> _jobIds = [];

        public IReadOnlyList<long> JobIds
        {
            get
            {
                lock (_jobIds)
                {
                    return _jobIds.ToList();
                }
            }
        }

        public void Add(long id)
        {
            lock (_jobIds)
            {
                _jobIds.Add(id);
            }
        }
    }

    private sealed class CountingHandler(CallCounter calls) : IJobHandler
    {
        public Task<object?> HandleAsync(JobContext job, CancellationToken cancellationToken)
        {
            calls.Add(job.Id);
            return Task.FromResult<object?>(null);
        }
    }
}
