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

    private async Task<long> BatchAsync(string queue, bool finished)
    {
        var result = await database.Jobs.EnqueueAsync(
            [new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null), new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null)],
            new NewBatch("retention", null, null), CancellationToken.None);
        var batch = result.Batch!.Id;
        if (finished)
        {
            // The batch trigger marks the batch finished when its last job becomes final.
            await database.ExecuteAsync(
                "UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() - interval '2 days' WHERE batch_id = $1", batch);
        }

        await database.ExecuteAsync(
            "UPDATE jobqueue.batches SET created_at = now() - interval '3 days', finished_at = finished_at - interval '2 days' WHERE id = $1",
            batch);
        return batch;
    }

    [Fact]
    public async Task Emptied_finished_batch_is_deleted()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var emptied = await BatchAsync(queue, finished: true);
        var withJobs = await BatchAsync(queue, finished: true);
        var unfinished = await BatchAsync(queue, finished: false);
        await database.ExecuteAsync("DELETE FROM jobqueue.jobs WHERE batch_id = $1", emptied);
        var batches = new BatchStore(database.DataSource);

        var deleted = await batches.DeleteFinishedAsync(TimeSpan.FromDays(1), 1000, CancellationToken.None);

        Assert.True(deleted >= 1);
        Assert.Null(await batches.GetAsync(emptied, CancellationToken.None));
        Assert.Equal(BatchState.Finished, (await batches.GetAsync(withJobs, CancellationToken.None))!.State);
        Assert.Equal(BatchState.Active, (await batches.GetAsync(unfinished, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Emptied_batch_waits_for_its_age()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var batch = await BatchAsync(queue, finished: true);
        await database.ExecuteAsync("DELETE FROM jobqueue.jobs WHERE batch_id = $1", batch);
        var batches = new BatchStore(database.DataSource);

        await batches.DeleteFinishedAsync(TimeSpan.FromDays(30), 1000, CancellationToken.None);
        Assert.NotNull(await batches.GetAsync(batch, CancellationToken.None));

        await batches.DeleteFinishedAsync(TimeSpan.FromDays(1), 1000, CancellationToken.None);
        Assert.Null(await batches.GetAsync(batch, CancellationToken.None));
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
    public async Task Worker_deletes_only_expired_finished_jobs()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var oldCompleted = await FinishedJobAsync(queue, "completed", TimeSpan.FromDays(3));
        var youngCompleted = await FinishedJobAsync(queue, "completed", TimeSpan.FromHours(12));
        var oldCancelled = await FinishedJobAsync(queue, "cancelled", TimeSpan.FromDays(3));
        var youngCancelled = await FinishedJobAsync(queue, "cancelled", TimeSpan.FromDays(1));
        var keptDiscarded = await FinishedJobAsync(queue, "discarded", TimeSpan.FromDays(300));
        var waiting = (await database.Jobs.InsertManyAsync(
        [
            new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null),
            new NewJob(queue, "noop", "{}", 0, 3, null, [], null, 3_600_000),
        ], CancellationToken.None)).Select(j => j.Id).ToList();
        await database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET created_at = now() - interval '400 days', scheduled_at = now() - interval '400 days' WHERE id = $1",
            waiting[0]);

        // The worker claims from another queue, so the available job stays available.
        using var worker = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
        {
            ["Worker:Queues"] = "elsewhere:1",
            ["Worker:Retention:Completed"] = "1.00:00:00",
            ["Worker:Retention:Cancelled"] = "2.00:00:00",
            ["Worker:Retention:Discarded"] = "00:00:00",
            ["Worker:RetentionInterval"] = "00:00:00.200",
        });
        var emptiedBatch = await BatchAsync(queue, finished: true);
        await database.ExecuteAsync("DELETE FROM jobqueue.jobs WHERE batch_id = $1", emptiedBatch);
        var batches = new BatchStore(database.DataSource);
        for (var i = 0; i < 50 && (await database.Jobs.GetAsync(oldCancelled, CancellationToken.None) is not null
                                   || await batches.GetAsync(emptiedBatch, CancellationToken.None) is not null); i++)
        {
            await Task.Delay(100);
        }

        await worker.StopAsync();

        Assert.Null(await database.Jobs.GetAsync(oldCompleted, CancellationToken.None));
        Assert.Null(await database.Jobs.GetAsync(oldCancelled, CancellationToken.None));
        Assert.Null(await batches.GetAsync(emptiedBatch, CancellationToken.None));
        Assert.NotNull(await database.Jobs.GetAsync(youngCompleted, CancellationToken.None));
        Assert.NotNull(await database.Jobs.GetAsync(youngCancelled, CancellationToken.None));
        Assert.NotNull(await database.Jobs.GetAsync(keptDiscarded, CancellationToken.None));
        Assert.Equal(JobState.Available, (await database.Jobs.GetAsync(waiting[0], CancellationToken.None))!.State);
        Assert.Equal(JobState.Scheduled, (await database.Jobs.GetAsync(waiting[1], CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Locked_rows_are_skipped_not_waited_for()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var locked = await FinishedJobAsync(queue, "discarded", TimeSpan.FromDays(400));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT id FROM jobqueue.jobs WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            hold.Parameters.Add(new Npgsql.NpgsqlParameter<long> { TypedValue = locked });
            await hold.ExecuteNonQueryAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await database.Jobs.DeleteFinishedAsync(JobState.Discarded, TimeSpan.FromDays(300), 1000, timeout.Token);
        Assert.NotNull(await database.Jobs.GetAsync(locked, CancellationToken.None));

        await transaction.CommitAsync();
        await database.Jobs.DeleteFinishedAsync(JobState.Discarded, TimeSpan.FromDays(300), 1000, CancellationToken.None);
        Assert.Null(await database.Jobs.GetAsync(locked, CancellationToken.None));
    }

    [Fact]
    public async Task Claims_go_on_during_an_open_deletion()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        for (var i = 0; i < 20; i++)
        {
            await FinishedJobAsync(queue, "completed", TimeSpan.FromDays(500));
        }

        var due = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "noop", "{}", 0, 3, null, [], null, null)], CancellationToken.None)).Single();

        // A deletion batch whose transaction stays open holds its row locks, as a slow batch would.
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var delete = new Npgsql.NpgsqlCommand(
            "DELETE FROM jobqueue.jobs WHERE queue = $1 AND state = 'completed'", connection, transaction))
        {
            delete.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = queue });
            Assert.Equal(20, await delete.ExecuteNonQueryAsync());
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var claimed = await database.Jobs.ClaimAsync(new QueueFilter([queue], false), 10, "w1", TimeSpan.FromMinutes(1), timeout.Token);

        Assert.Equal(due.Id, Assert.Single(claimed).Id);
        await transaction.RollbackAsync();
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
