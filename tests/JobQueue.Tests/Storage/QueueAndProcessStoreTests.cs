using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Storage;

public sealed class QueueAndProcessStoreTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static string UniqueQueue() => "q" + Guid.NewGuid().ToString("N")[..10];

    private static NewJob Job(string queue, short priority = 0) => new(queue, "noop", "{}", priority, 3, null, [], null, null);

    [Fact]
    public async Task Paused_queue_accepts_but_is_not_claimed()
    {
        var queues = new QueueStore(database.DataSource);
        var queue = UniqueQueue();
        await queues.PauseAsync(queue, CancellationToken.None);

        var job = (await database.Jobs.InsertManyAsync([Job(queue)], CancellationToken.None)).Single();
        var whilePaused = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 10, "w1", Lease, CancellationToken.None);
        var anyWhilePaused = await database.Jobs.ClaimAsync(QueueFilter.Any, 1000, "w1", Lease, CancellationToken.None);
        var paused = await queues.ListPausedAsync(CancellationToken.None);
        await queues.ResumeAsync(queue, CancellationToken.None);
        var afterResume = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 10, "w1", Lease, CancellationToken.None);

        Assert.Equal(JobState.Available, job.State);
        Assert.Empty(whilePaused);
        Assert.DoesNotContain(anyWhilePaused, j => j.Queue == queue);
        Assert.True(paused.ContainsKey(queue));
        Assert.Equal(job.Id, Assert.Single(afterResume).Id);
    }

    [Fact]
    public async Task Claim_over_several_queues_keeps_priority_order()
    {
        var first = UniqueQueue();
        var second = UniqueQueue();
        await database.Jobs.InsertManyAsync(
            [Job(first, 5), Job(second, 1), Job(first, 3), Job(second, 9)], CancellationToken.None);

        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([first, second], false), 3, "w1", Lease, CancellationToken.None);

        Assert.Equal([1, 3, 5], claimed.Select(j => j.Priority).Order());
        var left = await database.Jobs.ListAsync(new JobFilter(second, "available", null, null), null, 10, CancellationToken.None);
        Assert.Equal(9, Assert.Single(left).Priority);
    }

    [Fact]
    public async Task Ageing_lets_a_waiting_job_overtake_newer_urgent_ones()
    {
        var queue = UniqueQueue();
        var patient = (await database.Jobs.InsertManyAsync([Job(queue, 2)], CancellationToken.None)).Single();

        // The low-priority job has been due for 25 minutes: with one level per 10 minutes it has
        // earned two levels and now ties with fresh priority-0 jobs, and its age wins the tie.
        await database.ExecuteAsync("UPDATE jobqueue.jobs SET scheduled_at = now() - interval '25 minutes' WHERE id = $1", patient.Id);
        await database.Jobs.InsertManyAsync([Job(queue, 0), Job(queue, 0)], CancellationToken.None);
        var steps = 0;
        for (var i = 0; i < 5; i++)
        {
            steps += await database.Jobs.AgePrioritiesAsync(TimeSpan.FromMinutes(10), 1000, CancellationToken.None);
        }

        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None);

        Assert.Equal(2, steps);
        Assert.Equal(patient.Id, Assert.Single(claimed).Id);
        Assert.Equal(2, claimed[0].Priority);
    }

    [Fact]
    public async Task Without_ageing_priority_order_holds()
    {
        var queue = UniqueQueue();
        var patient = (await database.Jobs.InsertManyAsync([Job(queue, 2)], CancellationToken.None)).Single();
        await database.ExecuteAsync("UPDATE jobqueue.jobs SET scheduled_at = now() - interval '5 minutes' WHERE id = $1", patient.Id);
        var urgent = (await database.Jobs.InsertManyAsync([Job(queue, 0)], CancellationToken.None)).Single();
        await database.Jobs.AgePrioritiesAsync(TimeSpan.FromMinutes(10), 1000, CancellationToken.None);

        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None);

        Assert.Equal(urgent.Id, Assert.Single(claimed).Id);
    }

    [Fact]
    public async Task Release_does_not_count_the_attempt()
    {
        var queue = UniqueQueue();
        var job = (await database.Jobs.InsertManyAsync([Job(queue)], CancellationToken.None)).Single();
        var claimed = (await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None)).Single();

        Assert.True(await database.Jobs.ReleaseAsync(claimed.Id, claimed.Attempt, new JobFailure("shutdown", "stopping"), TimeSpan.Zero, CancellationToken.None));
        Assert.False(await database.Jobs.ReleaseAsync(claimed.Id, claimed.Attempt, new JobFailure("shutdown", "again"), TimeSpan.Zero, CancellationToken.None));

        var stored = await database.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Available, stored!.State);
        Assert.Equal(job.MaxAttempts + 1, stored.MaxAttempts);
        Assert.Equal(1, stored.Attempt);
        Assert.Equal("shutdown", Assert.Single(stored.Errors).Reason);
    }

    [Fact]
    public async Task Processes_list_live_workers_with_running_jobs()
    {
        var processes = new ProcessStore(database.DataSource);
        var queue = UniqueQueue();
        var workerId = "proc-" + Guid.NewGuid().ToString("N")[..8];
        await processes.HeartbeatAsync(workerId, "host-a", 42, $"{queue}:2", """[{"name":"x","slots":2,"busy":1}]""",
            ["noop", "echo"], CancellationToken.None);
        var job = (await database.Jobs.InsertManyAsync([Job(queue)], CancellationToken.None)).Single();
        await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, workerId, Lease, CancellationToken.None);

        var live = await processes.ListLiveAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        var mine = Assert.Single(live, p => p.Id == workerId);
        await processes.UnregisterAsync(workerId, CancellationToken.None);
        var afterStop = await processes.ListLiveAsync(TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Equal("host-a", mine.Host);
        Assert.Equal(["echo", "noop"], mine.Kinds);
        Assert.Equal(job.Id, Assert.Single(mine.Running).Id);
        Assert.DoesNotContain(afterStop, p => p.Id == workerId);
    }

    [Fact]
    public async Task Stale_processes_are_hidden_and_deleted()
    {
        var processes = new ProcessStore(database.DataSource);
        var workerId = "stale-" + Guid.NewGuid().ToString("N")[..8];
        await processes.HeartbeatAsync(workerId, "host-b", 7, "*:1", "[]", [], CancellationToken.None);
        await database.ExecuteAsync("UPDATE jobqueue.processes SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", workerId);

        var live = await processes.ListLiveAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        var deleted = await processes.DeleteStaleAsync(TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.DoesNotContain(live, p => p.Id == workerId);
        Assert.True(deleted >= 1);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.processes WHERE id = $1", workerId));
    }

    [Fact]
    public async Task Delayed_release_schedules_without_counting()
    {
        var queue = UniqueQueue();
        var job = (await database.Jobs.InsertManyAsync([Job(queue)], CancellationToken.None)).Single();
        var claimed = (await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None)).Single();

        Assert.True(await database.Jobs.ReleaseAsync(
            claimed.Id, claimed.Attempt, new JobFailure("circuit_open", "paused"), TimeSpan.FromMinutes(5), CancellationToken.None));

        var stored = await database.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Scheduled, stored!.State);
        Assert.Equal(job.MaxAttempts + 1, stored.MaxAttempts);
        Assert.True(stored.ScheduledAt > DateTimeOffset.UtcNow.AddMinutes(4));
        Assert.Null(stored.FinishedAt);
        Assert.Equal("circuit_open", Assert.Single(stored.Errors).Reason);
    }
}
