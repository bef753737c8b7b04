using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;

namespace JobQueue.Tests.Storage;

/// <summary>Concurrent single-job inserts share statements without mixing up results.</summary>
public sealed class CoalescedStatementTests(TestDatabase database) : IClassFixture<TestDatabase>
{
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
}
