using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Storage;

public sealed class RetentionTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private async Task<long> FinishedJobAsync(string queue, string state, TimeSpan age)
    {
        var job = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null)], CancellationToken.None)).Single();
        await database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET state = $2, finished_at = now() - $3::interval WHERE id = $1",
            job.Id, state, $"{(long)age.TotalSeconds} seconds");
        return job.Id;
    }

    [Fact]
    public async Task Old_jobs_of_the_state_are_deleted()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var oldCompleted = await FinishedJobAsync(queue, "completed", TimeSpan.FromDays(2));
        var newCompleted = await FinishedJobAsync(queue, "completed", TimeSpan.FromHours(1));
        var oldDiscarded = await FinishedJobAsync(queue, "discarded", TimeSpan.FromDays(2));
        var running = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null)], CancellationToken.None)).Single();

        var deleted = await database.Jobs.DeleteFinishedAsync(JobState.Completed, TimeSpan.FromDays(1), 1000, CancellationToken.None);

        Assert.True(deleted >= 1);
        Assert.Null(await database.Jobs.GetAsync(oldCompleted, CancellationToken.None));
        Assert.NotNull(await database.Jobs.GetAsync(newCompleted, CancellationToken.None));
        Assert.NotNull(await database.Jobs.GetAsync(oldDiscarded, CancellationToken.None));
        Assert.NotNull(await database.Jobs.GetAsync(running.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Deletion_is_bounded_by_the_batch_size()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        for (var i = 0; i < 5; i++)
        {
            await FinishedJobAsync(queue, "cancelled", TimeSpan.FromDays(30 + i));
        }

        var first = await database.Jobs.DeleteFinishedAsync(JobState.Cancelled, TimeSpan.FromDays(20), 3, CancellationToken.None);

        Assert.Equal(3, first);
        Assert.Equal(2L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM jobqueue.jobs WHERE queue = $1 AND state = 'cancelled'", queue));
    }

    [Fact]
    public async Task Unfinished_states_cannot_be_deleted()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            database.Jobs.DeleteFinishedAsync(JobState.Available, TimeSpan.FromDays(1), 10, CancellationToken.None));
    }

    [Fact]
    public async Task Worker_deletes_jobs_past_retention()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        using var worker = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
        {
            ["Worker:Queues"] = $"{queue}:1",
            ["Worker:Retention:Completed"] = "00:00:01",
            ["Worker:RetentionInterval"] = "00:00:00.200",
        });
        var job = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null)], CancellationToken.None)).Single();
        await database.Jobs.WaitForFinalAsync(job.Id);

        var gone = false;
        for (var i = 0; i < 50 && !gone; i++)
        {
            await Task.Delay(100);
            gone = await database.Jobs.GetAsync(job.Id, CancellationToken.None) is null;
        }

        Assert.True(gone, $"job {job.Id} was still stored 5 s after it completed with a 1 s retention");
        await worker.StopAsync();
    }
}
