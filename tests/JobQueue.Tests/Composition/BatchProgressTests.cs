using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;

namespace JobQueue.Tests.Composition;

/// <summary>The trigger that counts a batch's final members and enqueues its callback once.</summary>
public sealed class BatchProgressTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static NewJob Member(string queue) => new(queue, "noop", "{}", 0, 1, null, [], null, null);

    private static NewJob Callback(string queue) => new(queue, "echo", """{"report": "nightly"}""", 0, 3, null, ["done"], null, null);

    private async Task<EnqueueResult> CreateAsync(int members, NewJob? callback, string queue) =>
        await database.Jobs.EnqueueAsync(
            Enumerable.Range(0, members).Select(_ => Member(queue)).ToList(),
            new NewBatch("test batch", callback, null),
            CancellationToken.None);

    private Task<long> CallbackCountAsync(long batchId) => database.ScalarAsync<long>(
        "SELECT count(*) FROM jobqueue.jobs WHERE kind = 'echo' AND (args -> 'batch' ->> 'id')::bigint = $1", batchId);

    [Fact]
    public async Task Members_carry_batch_id()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];

        var result = await CreateAsync(3, Callback(queue), queue);

        Assert.NotNull(result.Batch);
        Assert.Equal(3, result.Batch.Total);
        Assert.Equal(3, result.Batch.Pending);
        Assert.Equal(BatchState.Active, result.Batch.State);
        Assert.All(result.Jobs, job => Assert.Equal(result.Batch.Id, job.BatchId));
    }

    [Fact]
    public async Task Last_final_member_enqueues_callback_with_counts()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var result = await CreateAsync(3, Callback(queue), queue);
        var ids = result.Jobs.Select(job => job.Id).ToArray();

        await database.ExecuteAsync("UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() WHERE id = $1", ids[0]);
        await database.ExecuteAsync("UPDATE jobqueue.jobs SET state = 'discarded', finished_at = now() WHERE id = $1", ids[1]);
        var before = await new BatchStore(database.DataSource).GetAsync(result.Batch!.Id, CancellationToken.None);
        await database.Jobs.CancelAsync(ids[2], CancellationToken.None);
        var after = await new BatchStore(database.DataSource).GetAsync(result.Batch.Id, CancellationToken.None);

        Assert.Equal(BatchState.Active, before!.State);
        Assert.Null(before.CallbackJobId);
        Assert.Equal(BatchState.Finished, after!.State);
        Assert.Equal((1, 1, 1, 0), (after.Completed, after.Cancelled, after.Discarded, after.Pending));
        var callback = await database.Jobs.GetAsync(after.CallbackJobId!.Value, CancellationToken.None);
        Assert.Equal("echo", callback!.Kind);
        Assert.Equal(queue, callback.Queue);
        Assert.Equal(["done"], callback.Tags);
        Assert.Null(callback.BatchId);
        Assert.Equal("nightly", callback.Args.GetProperty("report").GetString());
        var counts = callback.Args.GetProperty("batch");
        Assert.Equal(result.Batch.Id, counts.GetProperty("id").GetInt64());
        Assert.Equal(1, counts.GetProperty("completed").GetInt32());
        Assert.Equal(1, counts.GetProperty("cancelled").GetInt32());
        Assert.Equal(1, counts.GetProperty("discarded").GetInt32());
        Assert.Equal(3, counts.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Retry_after_finish_adjusts_counts_without_second_callback()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var result = await CreateAsync(1, Callback(queue), queue);
        var id = result.Jobs[0].Id;
        await database.ExecuteAsync("UPDATE jobqueue.jobs SET state = 'discarded', finished_at = now() WHERE id = $1", id);

        await database.Jobs.RetryAsync(id, CancellationToken.None);
        var retried = await new BatchStore(database.DataSource).GetAsync(result.Batch!.Id, CancellationToken.None);
        await database.ExecuteAsync("UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() WHERE id = $1", id);
        var done = await new BatchStore(database.DataSource).GetAsync(result.Batch.Id, CancellationToken.None);

        Assert.Equal((0, 1), (retried!.Discarded, retried.Pending));
        Assert.Equal(BatchState.Finished, retried.State);
        Assert.Equal((1, 0, 0), (done!.Completed, done.Discarded, done.Pending));
        Assert.Equal(1L, await CallbackCountAsync(result.Batch.Id));
    }

    [Fact]
    public async Task Concurrent_last_finishers_enqueue_one_callback()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var result = await CreateAsync(2, Callback(queue), queue);
        var ids = result.Jobs.Select(job => job.Id).ToArray();

        // The first transaction finishes its member and keeps the batch's row lock until it
        // commits. The second finishes the other member meanwhile, so it must wait for that lock.
        await using var first = await database.DataSource.OpenConnectionAsync();
        await using var firstTransaction = await first.BeginTransactionAsync();
        await using (var finish = new NpgsqlCommand(
            "UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() WHERE id = $1", first, firstTransaction))
        {
            finish.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ids[0] });
            await finish.ExecuteNonQueryAsync();
        }

        var second = Task.Run(() => database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() WHERE id = $1", ids[1]));
        await Task.Delay(300);
        var secondWaited = !second.IsCompleted;
        await firstTransaction.CommitAsync();
        await second.WaitAsync(TimeSpan.FromSeconds(10));

        var batch = await new BatchStore(database.DataSource).GetAsync(result.Batch!.Id, CancellationToken.None);
        Assert.True(secondWaited, "The second finisher did not wait for the batch's row lock.");
        Assert.Equal(BatchState.Finished, batch!.State);
        Assert.Equal(2, batch.Completed);
        Assert.Equal(1L, await CallbackCountAsync(result.Batch.Id));
    }

    [Fact]
    public async Task Many_parallel_finishers_enqueue_one_callback()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var result = await CreateAsync(40, Callback(queue), queue);

        await Task.WhenAll(result.Jobs.Select(job => Task.Run(() => database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() WHERE id = $1", job.Id))));

        var batch = await new BatchStore(database.DataSource).GetAsync(result.Batch!.Id, CancellationToken.None);
        Assert.Equal(40, batch!.Completed);
        Assert.NotNull(batch.CallbackJobId);
        Assert.Equal(1L, await CallbackCountAsync(result.Batch.Id));
    }

    [Fact]
    public async Task Invalid_callback_is_recorded_and_batch_finishes()
    {
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        var result = await CreateAsync(1, Callback("bad queue!"), queue);

        await database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() WHERE id = $1", result.Jobs[0].Id);

        var batch = await new BatchStore(database.DataSource).GetAsync(result.Batch!.Id, CancellationToken.None);
        var member = await database.Jobs.GetAsync(result.Jobs[0].Id, CancellationToken.None);
        Assert.Equal(JobState.Completed, member!.State);
        Assert.Equal(BatchState.Finished, batch!.State);
        Assert.Null(batch.CallbackJobId);
        Assert.Contains("queue may contain only", batch.CallbackError, StringComparison.Ordinal);
    }
}
