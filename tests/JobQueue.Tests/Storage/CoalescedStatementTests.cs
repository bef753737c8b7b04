using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;

namespace JobQueue.Tests.Storage;

/// <summary>Concurrent single-job inserts and completions share statements without mixing up results.</summary>
public sealed class CoalescedStatementTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static string UniqueQueue() => "q" + Guid.NewGuid().ToString("N")[..10];

    private static NewJob Job(string queue, int n) => new(queue, "noop", $$"""{"n":{{n}}}""", 0, 1, null, [], null, null);

    [Fact]
    public async Task Concurrent_inserts_return_their_own_jobs()
    {
        var queue = UniqueQueue();

        var inserted = await Task.WhenAll(Enumerable.Range(0, 200).Select(n =>
            Task.Run(() => database.Jobs.InsertCoalescedAsync(Job(queue, n), CancellationToken.None))));

        Assert.Equal(200, inserted.Select(j => j.Id).Distinct().Count());
        for (var n = 0; n < inserted.Length; n++)
        {
            Assert.Equal($$"""{"n": {{n}}}""", inserted[n].Args.GetRawText());
            Assert.Equal(queue, inserted[n].Queue);
            Assert.Equal(JobState.Available, inserted[n].State);
        }

        var stored = await database.Jobs.ListAsync(new JobFilter(queue, null, null, null), null, 500, CancellationToken.None);
        Assert.Equal(200, stored.Count);
    }

    [Fact]
    public async Task Invalid_row_fails_only_its_own_insert()
    {
        var queue = UniqueQueue();

        // A queue name over 128 characters breaks a CHECK constraint; the API would reject it first.
        var tooLong = new NewJob(new string('x', 200), "noop", "{}", 0, 1, null, [], null, null);
        var good = Enumerable.Range(0, 50).Select(n => Task.Run(() => database.Jobs.InsertCoalescedAsync(Job(queue, n), CancellationToken.None))).ToList();
        var bad = Task.Run(() => database.Jobs.InsertCoalescedAsync(tooLong, CancellationToken.None));

        var exception = await Assert.ThrowsAsync<PostgresException>(() => bad);
        Assert.Equal(PostgresErrorCodes.CheckViolation, exception.SqlState);
        var stored = await Task.WhenAll(good);
        Assert.Equal(50, stored.Select(j => j.Id).Distinct().Count());
    }

    [Fact]
    public async Task Concurrent_completions_report_fenced_attempts()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync(Enumerable.Range(0, 40).Select(n => Job(queue, n)).ToList(), CancellationToken.None);
        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 40, "w1", Lease, CancellationToken.None);
        Assert.Equal(40, claimed.Count);

        // Every other completion names an attempt that is not the running one, so it is fenced off.
        var results = await Task.WhenAll(claimed.Select((job, i) => Task.Run(() =>
            database.Jobs.CompleteCoalescedAsync(job.Id, i % 2 == 0 ? job.Attempt : job.Attempt + 1, """{"ok":true}""", CancellationToken.None))));

        for (var i = 0; i < claimed.Count; i++)
        {
            var job = await database.Jobs.GetAsync(claimed[i].Id, CancellationToken.None);
            Assert.NotNull(job);
            if (i % 2 == 0)
            {
                Assert.True(results[i]);
                Assert.Equal(JobState.Completed, job.State);
                Assert.Equal("""{"ok": true}""", job.Result?.GetRawText());
                Assert.Null(job.WorkerId);
            }
            else
            {
                Assert.False(results[i]);
                Assert.Equal(JobState.Running, job.State);
            }
        }
    }

    [Fact]
    public async Task Completion_of_finished_job_is_fenced()
    {
        var queue = UniqueQueue();
        await database.Jobs.InsertManyAsync([Job(queue, 1)], CancellationToken.None);
        var job = Assert.Single(await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "w1", Lease, CancellationToken.None));

        Assert.True(await database.Jobs.CompleteCoalescedAsync(job.Id, job.Attempt, null, CancellationToken.None));
        Assert.False(await database.Jobs.CompleteCoalescedAsync(job.Id, job.Attempt, null, CancellationToken.None));
    }
}
