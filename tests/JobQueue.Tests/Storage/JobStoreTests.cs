using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Storage;

public sealed class JobStoreTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static NewJob Job(string queue = "default", string kind = "noop", short priority = 0,
        int maxAttempts = 3, DateTimeOffset? runAt = null, long? delayMs = null, string args = "{}") =>
        new(queue, kind, args, priority, maxAttempts, null, [], runAt, delayMs);

    private static string UniqueQueue() => "q" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Insert_many_returns_rows_in_input_order()
    {
        var queue = UniqueQueue();
        var jobs = await database.Jobs.InsertManyAsync(
            [Job(queue, "a"), Job(queue, "b", delayMs: 60_000), Job(queue, "c", args: """{"n":1}""")],
            CancellationToken.None);

        Assert.Equal(["a", "b", "c"], jobs.Select(j => j.Kind));
        Assert.Equal(JobState.Available, jobs[0].State);
        Assert.Equal(JobState.Scheduled, jobs[1].State);
        Assert.Equal(1, jobs[2].Args.GetProperty("n").GetInt32());
        Assert.True(jobs[0].Id < jobs[1].Id && jobs[1].Id < jobs[2].Id);
    }

    [Fact]
    public async Task Claim_takes_priority_then_age_and_skips_other_queues()
    {
        var queue = UniqueQueue();
        var other = UniqueQueue();
        var inserted = await database.Jobs.InsertManyAsync(
            [Job(queue, "low", priority: 5), Job(queue, "high", priority: -1), Job(other, "elsewhere"), Job(queue, "mid")],
            CancellationToken.None);

        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 10, "w1", Lease, CancellationToken.None);

        Assert.Equal(["high", "mid", "low"], claimed.Select(j => j.Kind));
        Assert.All(claimed, j => Assert.Equal(JobState.Running, j.State));
        Assert.All(claimed, j => Assert.Equal(1, j.Attempt));
        Assert.All(claimed, j => Assert.Equal("w1", j.WorkerId));
        var untouched = await database.Jobs.GetAsync(inserted[2].Id, CancellationToken.None);
        Assert.Equal(JobState.Available, untouched!.State);
    }

    [Fact]
    public async Task Claim_respects_limit_and_exclusion()
    {
        var queue = UniqueQueue();
        var excluded = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(excluded), Job(queue), Job(queue), Job(queue)], CancellationToken.None);

        var first = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 2, "w1", Lease, CancellationToken.None);
        Assert.Equal(2, first.Count);

        var rest = await database.Jobs.ClaimAsync(new QueueFilter([excluded], true), 100, "w1", Lease, CancellationToken.None);
        Assert.DoesNotContain(rest, j => j.Queue == excluded);
        Assert.Contains(rest, j => j.Queue == queue);
    }

    [Fact]
    public async Task Concurrent_claims_never_share_a_job()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync(Enumerable.Range(0, 200).Select(_ => Job(queue)).ToList(), CancellationToken.None);
        var filter = new QueueFilter([queue], false);

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            var ids = new List<long>();
            while (true)
            {
                var batch = await database.Jobs.ClaimAsync(filter, 7, $"w{worker}", Lease, CancellationToken.None);
                if (batch.Count == 0)
                {
                    return ids;
                }

                ids.AddRange(batch.Select(j => j.Id));
            }
        }));

        var all = claims.SelectMany(ids => ids).ToList();
        Assert.Equal(200, all.Count);
        Assert.Equal(200, all.Distinct().Count());
    }

    [Fact]
    public async Task Complete_is_fenced_by_attempt()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(queue)], CancellationToken.None);
        var job = (await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None)).Single();

        Assert.False(await database.Jobs.CompleteAsync(job.Id, job.Attempt + 1, null, CancellationToken.None));
        Assert.True(await database.Jobs.CompleteAsync(job.Id, job.Attempt, """{"ok":true}""", CancellationToken.None));
        Assert.False(await database.Jobs.CompleteAsync(job.Id, job.Attempt, null, CancellationToken.None));

        var stored = await database.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Completed, stored!.State);
        Assert.True(stored.Result!.Value.GetProperty("ok").GetBoolean());
        Assert.NotNull(stored.FinishedAt);
        Assert.Null(stored.WorkerId);
    }

    [Fact]
    public async Task Fail_retries_until_attempts_run_out_then_discards()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(queue, maxAttempts: 2)], CancellationToken.None);
        var filter = new QueueFilter([queue], false);

        var first = (await database.Jobs.ClaimAsync(filter, 1, "w1", Lease, CancellationToken.None)).Single();
        var afterFirst = await database.Jobs.FailAsync(
            first.Id, first.Attempt, new JobFailure("exception", "boom 1"), TimeSpan.Zero, true, CancellationToken.None);
        Assert.Equal(JobState.Retryable, afterFirst);

        Assert.True(await database.Jobs.PromoteDueAsync(100, CancellationToken.None) >= 1);
        var second = (await database.Jobs.ClaimAsync(filter, 1, "w1", Lease, CancellationToken.None)).Single();
        Assert.Equal(2, second.Attempt);
        var afterSecond = await database.Jobs.FailAsync(
            second.Id, second.Attempt, new JobFailure("exception", "boom 2\0"), TimeSpan.Zero, true, CancellationToken.None);
        Assert.Equal(JobState.Discarded, afterSecond);

        var stored = await database.Jobs.GetAsync(first.Id, CancellationToken.None);
        Assert.Equal(JobState.Discarded, stored!.State);
        Assert.Equal([1, 2], stored.Errors.Select(e => e.Attempt));
        Assert.Equal("boom 1", stored.Errors[0].Message);
        Assert.Equal("boom 2\uFFFD", stored.Errors[1].Message);
        Assert.NotNull(stored.FinishedAt);
    }

    [Fact]
    public async Task Retry_delay_keeps_job_out_of_claims()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(queue)], CancellationToken.None);
        var filter = new QueueFilter([queue], false);
        var job = (await database.Jobs.ClaimAsync(filter, 1, "w1", Lease, CancellationToken.None)).Single();
        await database.Jobs.FailAsync(
            job.Id, job.Attempt, new JobFailure("exception", "later"), TimeSpan.FromHours(1), true, CancellationToken.None);

        await database.Jobs.PromoteDueAsync(100, CancellationToken.None);

        Assert.Empty(await database.Jobs.ClaimAsync(filter, 1, "w1", Lease, CancellationToken.None));
        var stored = await database.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Retryable, stored!.State);
        Assert.True(stored.ScheduledAt > DateTimeOffset.UtcNow.AddMinutes(50));
    }

    [Fact]
    public async Task Rescue_returns_expired_lease_and_leaves_finished_jobs()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(queue), Job(queue)], CancellationToken.None);
        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 2, "w1", TimeSpan.FromMilliseconds(1), CancellationToken.None);
        Assert.True(await database.Jobs.CompleteAsync(claimed[0].Id, claimed[0].Attempt, null, CancellationToken.None));
        await Task.Delay(20);

        var rescued = await database.Jobs.RescueExpiredAsync(100, CancellationToken.None);

        var mine = Assert.Single(rescued, r => r.Queue == queue);
        Assert.Equal(claimed[1].Id, mine.Id);
        Assert.Equal("retryable", mine.State);
        var finished = await database.Jobs.GetAsync(claimed[0].Id, CancellationToken.None);
        Assert.Equal(JobState.Completed, finished!.State);
        var stale = await database.Jobs.CompleteAsync(claimed[1].Id, claimed[1].Attempt, null, CancellationToken.None);
        Assert.False(stale);
        var stored = await database.Jobs.GetAsync(claimed[1].Id, CancellationToken.None);
        Assert.Equal("lease_expired", Assert.Single(stored!.Errors).Reason);
    }

    [Fact]
    public async Task Renew_extends_only_leases_still_held()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(queue), Job(queue)], CancellationToken.None);
        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 2, "w1", Lease, CancellationToken.None);
        await database.Jobs.CompleteAsync(claimed[0].Id, claimed[0].Attempt, null, CancellationToken.None);

        var renewed = await database.Jobs.RenewLeasesAsync(
            "w1", claimed.Select(j => (j.Id, j.Attempt)).ToList(), TimeSpan.FromMinutes(10), CancellationToken.None);

        Assert.Equal([claimed[1].Id], renewed.Keys);
        Assert.False(renewed[claimed[1].Id]);
        var stolen = await database.Jobs.RenewLeasesAsync(
            "w2", [(claimed[1].Id, claimed[1].Attempt)], TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Empty(stolen);
    }

    [Fact]
    public async Task Cancel_running_job_only_flags_it()
    {
        var queue = UniqueQueue();
        var waiting = (await database.Jobs.InsertManyAsync([Job(queue), Job(queue)], CancellationToken.None))[1];
        var running = (await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None)).Single();

        var flagged = await database.Jobs.CancelAsync(running.Id, CancellationToken.None);
        var cancelled = await database.Jobs.CancelAsync(waiting.Id, CancellationToken.None);

        Assert.Equal(JobState.Running, flagged!.State);
        Assert.NotNull(flagged.CancelRequestedAt);
        Assert.Equal(JobState.Cancelled, cancelled!.State);
        Assert.Null(await database.Jobs.CancelAsync(waiting.Id, CancellationToken.None));

        var outcome = await database.Jobs.FailAsync(
            running.Id, running.Attempt, new JobFailure("exception", "stopped"), TimeSpan.Zero, true, CancellationToken.None);
        Assert.Equal(JobState.Cancelled, outcome);
    }

    [Fact]
    public async Task Retry_gives_discarded_job_one_more_attempt()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(queue, maxAttempts: 1)], CancellationToken.None);
        var filter = new QueueFilter([queue], false);
        var job = (await database.Jobs.ClaimAsync(filter, 1, "w1", Lease, CancellationToken.None)).Single();
        await database.Jobs.FailAsync(job.Id, job.Attempt, new JobFailure("exception", "x"), TimeSpan.Zero, true, CancellationToken.None);

        var retried = await database.Jobs.RetryAsync(job.Id, CancellationToken.None);

        Assert.Equal(JobState.Available, retried!.State);
        Assert.Equal(2, retried.MaxAttempts);
        Assert.Single(retried.Errors);
        Assert.Null(retried.FinishedAt);
        var again = (await database.Jobs.ClaimAsync(filter, 1, "w1", Lease, CancellationToken.None)).Single();
        Assert.Equal(2, again.Attempt);
        Assert.Null(await database.Jobs.RetryAsync(job.Id, CancellationToken.None));
    }

    [Fact]
    public async Task List_pages_newest_first_with_filters()
    {
        var queue = UniqueQueue();
        var tag = "t" + Guid.NewGuid().ToString("N")[..6];
        var inserted = await database.Jobs.InsertManyAsync(
            Enumerable.Range(0, 5).Select(i => new NewJob(queue, i % 2 == 0 ? "even" : "odd", "{}", 0, 3, null,
                i < 3 ? [tag] : [], null, null)).ToList(),
            CancellationToken.None);

        var page1 = await database.Jobs.ListAsync(new JobFilter(queue, null, null, null), null, 2, CancellationToken.None);
        var page2 = await database.Jobs.ListAsync(new JobFilter(queue, null, null, null), page1[^1].Id, 2, CancellationToken.None);
        var evens = await database.Jobs.ListAsync(new JobFilter(queue, "available", "even", null), null, 10, CancellationToken.None);
        var tagged = await database.Jobs.ListAsync(new JobFilter(null, null, null, tag), null, 10, CancellationToken.None);

        Assert.Equal(inserted.Reverse().Take(4).Select(j => j.Id), page1.Concat(page2).Select(j => j.Id));
        Assert.Equal(3, evens.Count);
        Assert.Equal(inserted.Take(3).Reverse().Select(j => j.Id), tagged.Select(j => j.Id));
    }

    [Fact]
    public async Task Migrate_twice_concurrently_applies_once()
    {
        var migrator = new Migrator(database.DataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance);

        var counts = await Task.WhenAll(migrator.MigrateAsync(CancellationToken.None), migrator.MigrateAsync(CancellationToken.None));

        Assert.Equal([0, 0], counts);
        Assert.Equal(Migrator.LatestVersion, await migrator.ReadDatabaseVersionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_index_migration_builds_valid_indexes()
    {
        var valid = await database.ScalarAsync<long>("""
            SELECT count(*) FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
            WHERE c.relname IN ('jobs_running_by_concurrency_key', 'jobs_finished') AND i.indisvalid
            """);

        Assert.Equal(2L, valid);
    }
}
