using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;

namespace JobQueue.Tests.Storage;

/// <summary>The outcome statements send <c>jobqueue_finished</c> exactly when the job's new state is final.</summary>
public sealed class FinishedNotificationTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static string UniqueQueue() => "q" + Guid.NewGuid().ToString("N")[..10];

    private async Task<Contracts.Job> ClaimOneAsync(int maxAttempts = 1)
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, maxAttempts, null, [], null, null)], CancellationToken.None);
        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None);
        return Assert.Single(claimed);
    }

    // Listens, runs the action, then a final marker write, and returns the payloads received up to
    // the marker's. Notifications arrive in commit order, so any sent by the action come first.
    private async Task<List<string>> NotificationsOfAsync(Func<Task> action)
    {
        var marker = await ClaimOneAsync();
        var received = new List<string>();
        await using var connection = await database.DataSource.OpenConnectionAsync();
        connection.Notification += (_, args) => received.Add(args.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN jobqueue_finished", connection))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await action();
        Assert.True(await database.Jobs.CompleteAsync(marker.Id, marker.Attempt, null, CancellationToken.None));
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (!received.Contains(marker.Id.ToString()) && DateTimeOffset.UtcNow < deadline)
        {
            await connection.WaitAsync(TimeSpan.FromMilliseconds(200));
        }

        Assert.Contains(marker.Id.ToString(), received);
        return received.Where(payload => payload != marker.Id.ToString()).ToList();
    }

    [Fact]
    public async Task Complete_notifies()
    {
        var job = await ClaimOneAsync();

        var sent = await NotificationsOfAsync(() => database.Jobs.CompleteAsync(job.Id, job.Attempt, null, CancellationToken.None));

        Assert.Equal([job.Id.ToString()], sent);
    }

    [Fact]
    public async Task Final_failure_notifies_and_retry_does_not()
    {
        var last = await ClaimOneAsync(maxAttempts: 1);
        var retried = await ClaimOneAsync(maxAttempts: 3);
        var failure = new JobFailure("exception", "boom");

        var sent = await NotificationsOfAsync(async () =>
        {
            Assert.Equal(Contracts.JobState.Retryable,
                await database.Jobs.FailAsync(retried.Id, retried.Attempt, failure, TimeSpan.Zero, retry: true, CancellationToken.None));
            Assert.Equal(Contracts.JobState.Discarded,
                await database.Jobs.FailAsync(last.Id, last.Attempt, failure, TimeSpan.Zero, retry: true, CancellationToken.None));
        });

        Assert.Equal([last.Id.ToString()], sent);
    }

    [Fact]
    public async Task Cancels_notify_when_final()
    {
        var queue = UniqueQueue();
        var waiting = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, 1, null, [], null, 3_600_000)], CancellationToken.None))[0];
        var running = await ClaimOneAsync();
        var stopped = await ClaimOneAsync();

        var sent = await NotificationsOfAsync(async () =>
        {
            Assert.NotNull(await database.Jobs.CancelAsync(waiting.Id, CancellationToken.None));
            Assert.NotNull(await database.Jobs.CancelAsync(running.Id, CancellationToken.None));
            Assert.True(await database.Jobs.CancelRunningAsync(stopped.Id, stopped.Attempt, CancellationToken.None));
        });

        Assert.Equal([waiting.Id.ToString(), stopped.Id.ToString()], sent);
    }

    [Fact]
    public async Task Rescue_notifies_discarded_jobs_only()
    {
        var last = await ClaimOneAsync(maxAttempts: 1);
        var retried = await ClaimOneAsync(maxAttempts: 3);
        await database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = ANY($1)",
            new[] { last.Id, retried.Id });

        var sent = await NotificationsOfAsync(async () =>
        {
            var rescued = await database.Jobs.RescueExpiredAsync(100, CancellationToken.None);
            Assert.Equal(2, rescued.Count(r => r.Id == last.Id || r.Id == retried.Id));
        });

        Assert.Equal([last.Id.ToString()], sent);
    }

    [Fact]
    public async Task Deadline_discard_in_claim_notifies()
    {
        var queue = UniqueQueue();
        var late = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, 1, null, [], null, null) { DiscardAfter = DateTimeOffset.UtcNow.AddMinutes(-1) }],
            CancellationToken.None))[0];

        var sent = await NotificationsOfAsync(async () =>
            Assert.Empty(await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 5, "w1", Lease, CancellationToken.None)));

        Assert.Equal([late.Id.ToString()], sent);
    }

    [Fact]
    public async Task Completion_batch_notifies_each_job_once()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync(
            Enumerable.Range(0, 700).Select(_ => new NewJob(queue, "noop", "{}", 0, 1, null, [], null, null)).ToList(),
            CancellationToken.None);
        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 700, "w1", Lease, CancellationToken.None);
        Assert.Equal(700, claimed.Count);

        var sent = await NotificationsOfAsync(async () =>
        {
            var completed = await Task.WhenAll(claimed.Select(job =>
                database.Jobs.CompleteCoalescedAsync(job.Id, job.Attempt, null, CancellationToken.None)));
            Assert.All(completed, Assert.True);
        });

        Assert.All(sent, payload => Assert.InRange(payload.Split(',').Length, 1, JobFinishedListener.MaxIdsPerNotification));
        Assert.All(sent, payload => Assert.True(payload.Length < 8000, $"A payload of {payload.Length} bytes."));
        var ids = sent.SelectMany(JobFinishedListener.ParseIds).ToList();
        Assert.Equal(claimed.Select(job => job.Id).Order(), ids.Order());
    }

    [Fact]
    public void Finished_payload_parses_to_its_ids()
    {
        Assert.Equal([42L], JobFinishedListener.ParseIds("42"));
        Assert.Equal([1L, 22L, 333L], JobFinishedListener.ParseIds("1,22,333"));
        Assert.Equal([7L], JobFinishedListener.ParseIds("x,7,,-3"));
    }
}
