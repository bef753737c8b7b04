using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Storage;

public sealed class LimitTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static NewJob Job(string queue, ConcurrencyLimit? concurrency = null, RateLimit? rate = null) =>
        new(queue, "noop", "{}", 0, 3, null, [], null, null) { Concurrency = concurrency, RateLimit = rate };

    [Fact]
    public async Task Concurrency_limit_holds_across_parallel_claims()
    {
        var queue = Unique("q");
        var key = new ConcurrencyLimit(Unique("customer:"), 2);
        await database.Jobs.InsertManyAsync(Enumerable.Range(0, 20).Select(_ => Job(queue, key)).ToList(), CancellationToken.None);
        var filter = new QueueFilter([queue], false);

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker =>
            database.Jobs.ClaimAsync(filter, 5, $"w{worker}", Lease, CancellationToken.None)));

        var claimed = claims.SelectMany(c => c).ToList();
        Assert.Equal(2, claimed.Count);
        Assert.All(claimed, job => Assert.Equal(key.Key, job.Concurrency!.Key));
        Assert.Equal(2L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM jobqueue.jobs WHERE state = 'running' AND concurrency_key = $1", key.Key));
    }

    [Fact]
    public async Task Finished_job_frees_its_concurrency_slot()
    {
        var queue = Unique("q");
        var key = new ConcurrencyLimit(Unique("k:"), 1);
        await database.Jobs.InsertManyAsync([Job(queue, key), Job(queue, key)], CancellationToken.None);
        var filter = new QueueFilter([queue], false);

        var first = await database.Jobs.ClaimAsync(filter, 10, "w1", Lease, CancellationToken.None);
        var blocked = await database.Jobs.ClaimAsync(filter, 10, "w2", Lease, CancellationToken.None);
        await database.Jobs.CompleteAsync(first[0].Id, first[0].Attempt, null, CancellationToken.None);
        var second = await database.Jobs.ClaimAsync(filter, 10, "w2", Lease, CancellationToken.None);

        Assert.Single(first);
        Assert.Empty(blocked);
        Assert.Single(second);
        Assert.NotEqual(first[0].Id, second[0].Id);
    }

    [Fact]
    public async Task Saturated_key_does_not_block_jobs_behind_it()
    {
        var queue = Unique("q");
        var key = new ConcurrencyLimit(Unique("k:"), 1);
        await database.Jobs.InsertManyAsync(
            [.. Enumerable.Range(0, 5).Select(_ => Job(queue, key)), Job(queue), Job(queue), Job(queue)],
            CancellationToken.None);

        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 4, "w1", Lease, CancellationToken.None);

        Assert.Equal(4, claimed.Count);
        Assert.Equal(1, claimed.Count(job => job.Concurrency is not null));
        Assert.Equal(3, claimed.Count(job => job.Concurrency is null));
    }

    [Fact]
    public async Task Rate_limit_caps_starts_in_period()
    {
        var queue = Unique("q");
        var rate = new RateLimit(Unique("api:"), 3, 60_000);
        await database.Jobs.InsertManyAsync(Enumerable.Range(0, 10).Select(_ => Job(queue, rate: rate)).ToList(), CancellationToken.None);
        var filter = new QueueFilter([queue], false);

        var first = await database.Jobs.ClaimAsync(filter, 10, "w1", Lease, CancellationToken.None);
        foreach (var job in first)
        {
            await database.Jobs.CompleteAsync(job.Id, job.Attempt, null, CancellationToken.None);
        }

        var second = await database.Jobs.ClaimAsync(filter, 10, "w2", Lease, CancellationToken.None);

        Assert.Equal(3, first.Count);
        Assert.Empty(second);
        Assert.Equal(3L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.rate_limit_starts WHERE key = $1", rate.Key));
    }

    [Fact]
    public async Task Rate_limit_window_slides()
    {
        var queue = Unique("q");
        var rate = new RateLimit(Unique("api:"), 2, 60_000);
        await database.Jobs.InsertManyAsync(Enumerable.Range(0, 4).Select(_ => Job(queue, rate: rate)).ToList(), CancellationToken.None);
        var filter = new QueueFilter([queue], false);
        var first = await database.Jobs.ClaimAsync(filter, 10, "w1", Lease, CancellationToken.None);

        // Both starts move out of the period, as if a minute had passed.
        await database.ExecuteAsync(
            "UPDATE jobqueue.rate_limit_starts SET started_at = now() - interval '61 seconds' WHERE key = $1", rate.Key);
        var second = await database.Jobs.ClaimAsync(filter, 10, "w1", Lease, CancellationToken.None);

        Assert.Equal(2, first.Count);
        Assert.Equal(2, second.Count);
    }

    [Fact]
    public async Task Limits_are_stored_and_returned()
    {
        var queue = Unique("q");
        var job = (await database.Jobs.InsertManyAsync(
            [Job(queue, new ConcurrencyLimit("tenant:7", 4), new RateLimit("smtp", 100, 1500))], CancellationToken.None)).Single();

        Assert.Equal("tenant:7", job.Concurrency!.Key);
        Assert.Equal(4, job.Concurrency.Limit);
        Assert.Equal("smtp", job.RateLimit!.Key);
        Assert.Equal(100, job.RateLimit.Limit);
        Assert.Equal(1.5, job.RateLimit.PeriodSeconds);
    }
}
