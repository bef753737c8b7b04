using System.Data;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;
using Npgsql;

namespace JobQueue.Tests.Composition;

/// <summary>The SQL functions <c>jobqueue.enqueue</c> and <c>jobqueue.enqueue_job</c>, called as another service would.</summary>
public sealed class SqlEnqueueFunctionTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static string NewQueue() => "q" + Guid.NewGuid().ToString("N")[..10];

    private async Task<PostgresException> EnqueueFailsAsync(string options, string queue = "default")
    {
        await using var command = database.DataSource.CreateCommand("SELECT jobqueue.enqueue('noop', '{}', $1, $2::jsonb)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options });
        return await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Rolled_back_transaction_leaves_no_job()
    {
        var queue = NewQueue();
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var enqueue = new NpgsqlCommand("SELECT jobqueue.enqueue('noop', '{}', $1)", connection, transaction);
            enqueue.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
            Assert.IsType<long>(await enqueue.ExecuteScalarAsync());
            await transaction.RollbackAsync();
        }

        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE queue = $1", queue));
    }

    [Fact]
    public async Task Options_are_stored_like_the_api_stores_them()
    {
        var queue = NewQueue();
        var id = await database.ScalarAsync<long>(
            """
            SELECT jobqueue.enqueue('report.build', '{"month": "2026-11"}', $1, '{
                "priority": -3, "max_attempts": 5, "timeout_seconds": 1.5, "tags": ["monthly", "finance"],
                "delay_seconds": 3600, "discard_after": "2099-01-01T00:00:00+01:00",
                "concurrency": {"key": "reports", "limit": 2},
                "rate_limit": {"key": "smtp", "limit": 10, "period_seconds": 60}}'::jsonb)
            """,
            queue);

        var job = await database.Jobs.GetAsync(id, CancellationToken.None);
        Assert.Equal("report.build", job!.Kind);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(-3, job.Priority);
        Assert.Equal(5, job.MaxAttempts);
        Assert.Equal(1.5, job.TimeoutSeconds);
        Assert.Equal(["monthly", "finance"], job.Tags);
        Assert.Equal(new DateTimeOffset(2098, 12, 31, 23, 0, 0, TimeSpan.Zero), job.DiscardAfter);
        Assert.Equal(2, job.Concurrency!.Limit);
        Assert.Equal(60, job.RateLimit!.PeriodSeconds);
        Assert.InRange(job.ScheduledAt - job.CreatedAt, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
    }

    [Theory]
    [InlineData("""{"priority": 40000}""", "priority")]
    [InlineData("""{"priority": 1.5}""", "priority")]
    [InlineData("""{"max_attempts": 0}""", "max_attempts")]
    [InlineData("""{"timeout_seconds": 0}""", "timeout_seconds")]
    [InlineData("""{"run_at": "2026-12-24T09:00:00"}""", "run_at")]
    [InlineData("""{"run_at": "2026-12-24T09:00:00Z", "delay_seconds": 5}""", "run_at")]
    [InlineData("""{"run_at": "2026-12-24T09:00:00Z", "discard_after": "2026-12-24T08:00:00Z"}""", "discard_after")]
    [InlineData("""{"tags": ["ok", ""]}""", "tags")]
    [InlineData("""{"concurrency": {"key": "k", "limit": 0}}""", "concurrency.limit")]
    [InlineData("""{"rate_limit": {"key": "k", "limit": 1}}""", "rate_limit.period_seconds")]
    [InlineData("""{"unique": {"states": ["done"]}}""", "unique.states")]
    [InlineData("""{"unique": {"period_seconds": 0}}""", "unique.period_seconds")]
    [InlineData("""{"unique": {"key": 7}}""", "unique.key")]
    [InlineData("""{"prority": 1}""", "options")]
    public async Task Invalid_option_raises_22023_naming_field(string options, string field)
    {
        var error = await EnqueueFailsAsync(options);

        Assert.Equal("22023", error.SqlState);
        Assert.Equal(field, error.ColumnName);
        Assert.StartsWith("jobqueue: ", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_queue_raises_22023()
    {
        var error = await EnqueueFailsAsync("{}", "no spaces");

        Assert.Equal("22023", error.SqlState);
        Assert.Equal("queue", error.ColumnName);
    }

    [Fact]
    public async Task Batch_callback_kind_is_reserved()
    {
        await using var command = database.DataSource.CreateCommand(
            """SELECT jobqueue.enqueue('jobqueue.batch_callback', '{"url": "https://example.com/forged"}')""");

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());

        Assert.Equal("22023", error.SqlState);
        Assert.Equal("kind", error.ColumnName);
    }

    [Fact]
    public async Task Unique_enqueue_returns_existing_id()
    {
        var queue = NewQueue();
        const string Sql = """SELECT job_id, duplicate FROM jobqueue.enqueue_job('sync', '{"b": 1, "a": [1, 2]}', $1, '{"unique": {}}')""";

        var first = await ReadEnqueueAsync(Sql, queue);
        var second = await ReadEnqueueAsync(
            """SELECT job_id, duplicate FROM jobqueue.enqueue_job('sync', '{"a":[1,2],"b":1}', $1, '{"unique": {}}')""", queue);
        var plain = await database.ScalarAsync<long>("""SELECT jobqueue.enqueue('sync', '{"a":[1,2],"b":1}', $1)""", queue);

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.Id, second.Id);
        Assert.NotEqual(first.Id, plain);
    }

    [Fact]
    public async Task Unique_enqueue_under_repeatable_read_raises_0A000()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        await using var command = new NpgsqlCommand(
            """SELECT jobqueue.enqueue('sync', '{}', 'default', '{"unique": {"key": "rr"}}')""", connection, transaction);

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());

        Assert.Equal("0A000", error.SqlState);
    }

    [Fact]
    public async Task Due_job_notifies_its_queue_on_commit()
    {
        var queue = NewQueue();
        await using var listener = await database.DataSource.OpenConnectionAsync();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => received.TrySetResult(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN jobqueue_available", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await database.ScalarAsync<long>("SELECT jobqueue.enqueue('noop', '{}', $1)", queue);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!received.Task.IsCompleted)
        {
            await listener.WaitAsync(timeout.Token);
        }

        Assert.Equal(queue, await received.Task);
    }

    private async Task<(long Id, bool Duplicate)> ReadEnqueueAsync(string sql, string queue)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetBoolean(1));
    }
}
