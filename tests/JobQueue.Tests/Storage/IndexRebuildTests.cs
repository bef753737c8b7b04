using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;

namespace JobQueue.Tests.Storage;

// Each test gets a database of its own, because a rebuild depends on the index sizes
// recorded for the whole jobs table.
public sealed class IndexRebuildTests
{
    // Enqueues jobs whose args and tags carry a new id each, as order ids do, then deletes them
    // and vacuums, as retention and autovacuum would. The GIN indexes keep the ids as keys.
    private static async Task ChurnAsync(TestDatabase database, int first, int count)
    {
        await database.ExecuteAsync("""
            INSERT INTO jobqueue.jobs (queue, kind, args, tags, priority, effective_priority, state, max_attempts, scheduled_at)
            SELECT 'orders', 'noop', jsonb_build_object('order_id', g), ARRAY['order:' || g], 0, 0, 'available', 3, now()
            FROM generate_series($1::int, $1::int + $2::int - 1) AS g
            """, first, count);
        await database.ExecuteAsync("DELETE FROM jobqueue.jobs");
        await database.ExecuteAsync("VACUUM jobqueue.jobs");
    }

    private static Task<long> SizeAsync(TestDatabase database, string index) =>
        database.ScalarAsync<long>("SELECT pg_relation_size(to_regclass('jobqueue.' || $1))", index);

    private static async Task InFreshDatabaseAsync(Func<TestDatabase, Task> test)
    {
        var database = new TestDatabase();
        await database.InitializeAsync();
        try
        {
            await test(database);
        }
        finally
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Grown_indexes_are_rebuilt_and_recorded()
    {
        await InFreshDatabaseAsync(async database =>
        {
            var store = new IndexRebuildStore(database.DataSource, TimeProvider.System);
            Assert.Empty(await store.RebuildGrownAsync(0, CancellationToken.None));
            await ChurnAsync(database, 1, 40_000);
            var grown = await SizeAsync(database, "jobs_args");
            Assert.True(grown > 512 * 1024, $"jobs_args is {grown} bytes after the churn");

            var largest = Math.Max(grown, await SizeAsync(database, "jobs_tagged"));

            Assert.Empty(await store.RebuildGrownAsync(largest + 1, CancellationToken.None));
            Assert.Equal(grown, await SizeAsync(database, "jobs_args"));

            var rebuilds = await store.RebuildGrownAsync(256 * 1024, CancellationToken.None);

            var args = Assert.Single(rebuilds, r => r.Index == "jobs_args");
            Assert.Equal(grown, args.SizeBefore);
            Assert.True(args.SizeAfter < grown / 4, $"jobs_args went from {grown} to {args.SizeAfter} bytes");
            Assert.Equal(args.SizeAfter, await SizeAsync(database, "jobs_args"));
            Assert.Equal(args.SizeAfter, await database.ScalarAsync<long>(
                "SELECT size_bytes FROM jobqueue.index_sizes WHERE index_name = 'jobs_args' AND rebuilt"));
            var tags = Assert.Single(rebuilds, r => r.Index == "jobs_tagged");
            Assert.True(tags.SizeAfter < tags.SizeBefore / 4, $"jobs_tagged went from {tags.SizeBefore} to {tags.SizeAfter} bytes");
            Assert.Equal(0L, await database.ScalarAsync<long>("""
                SELECT count(*) FROM pg_index WHERE indrelid = 'jobqueue.jobs'::regclass AND NOT indisvalid
                """));

            // The rebuilt index keeps its storage settings and still finds jobs by argument.
            Assert.Equal("gin_pending_list_limit=512", await database.ScalarAsync<string>(
                "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'jobqueue.jobs_args'::regclass"));
            await database.ExecuteAsync("""
                INSERT INTO jobqueue.jobs (queue, kind, args, priority, effective_priority, state, max_attempts, scheduled_at)
                VALUES ('orders', 'noop', '{"order_id": 7}', 0, 0, 'available', 3, now())
                """);
            Assert.Equal(1L, await database.ScalarAsync<long>(
                """SELECT count(*) FROM jobqueue.jobs WHERE args @> '{"order_id": 7}'"""));

            // Just rebuilt, so not grown past twice its recorded size, whatever the minimum.
            Assert.Empty(await store.RebuildGrownAsync(0, CancellationToken.None));

            // New ids grow it again, past the bound, and it is rebuilt again.
            await ChurnAsync(database, 100_000, 40_000);
            var again = await store.RebuildGrownAsync(0, CancellationToken.None);
            Assert.Contains(again, r => r.Index == "jobs_args" && r.SizeAfter < r.SizeBefore / 4);
        });
    }

    [Fact]
    public async Task First_check_only_records_sizes()
    {
        await InFreshDatabaseAsync(async database =>
        {
            await ChurnAsync(database, 1, 40_000);
            var grown = await SizeAsync(database, "jobs_args");
            var store = new IndexRebuildStore(database.DataSource, TimeProvider.System);

            Assert.Empty(await store.RebuildGrownAsync(0, CancellationToken.None));

            Assert.Equal(grown, await SizeAsync(database, "jobs_args"));
            Assert.Equal(grown, await database.ScalarAsync<long>(
                "SELECT size_bytes FROM jobqueue.index_sizes WHERE index_name = 'jobs_args' AND NOT rebuilt"));
            Assert.Empty(await store.RebuildGrownAsync(0, CancellationToken.None));
        });
    }

    [Fact]
    public async Task Leftover_of_an_interrupted_rebuild_is_dropped()
    {
        await InFreshDatabaseAsync(async database =>
        {
            // A CREATE INDEX CONCURRENTLY that fails leaves an invalid index behind, as a
            // REINDEX CONCURRENTLY stopped halfway leaves its copy.
            await database.ExecuteAsync("""
                INSERT INTO jobqueue.jobs (queue, kind, args, priority, effective_priority, state, max_attempts, scheduled_at)
                SELECT 'orders', 'noop', '{}', 0, 0, 'available', 3, now() FROM generate_series(1, 2)
                """);
            await Assert.ThrowsAsync<PostgresException>(() =>
                database.ExecuteAsync("CREATE UNIQUE INDEX CONCURRENTLY jobs_args_ccnew ON jobqueue.jobs ((1))"));
            Assert.False(await database.ScalarAsync<bool>(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'jobqueue.jobs_args_ccnew'::regclass"));

            var store = new IndexRebuildStore(database.DataSource, TimeProvider.System);
            Assert.Empty(await store.RebuildGrownAsync(long.MaxValue, CancellationToken.None));

            Assert.Equal(0L, await database.ScalarAsync<long>(
                "SELECT count(*) FROM pg_class WHERE relname = 'jobs_args_ccnew'"));
            Assert.True(await database.ScalarAsync<bool>(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'jobqueue.jobs_args'::regclass"));
        });
    }

    [Fact]
    public async Task Only_the_holder_of_the_lock_rebuilds()
    {
        await InFreshDatabaseAsync(async database =>
        {
            var store = new IndexRebuildStore(database.DataSource, TimeProvider.System);
            await using (var other = await database.DataSource.OpenConnectionAsync())
            {
                await using var hold = new NpgsqlCommand("SELECT pg_advisory_lock($1)", other);
                hold.Parameters.Add(new NpgsqlParameter<long> { TypedValue = IndexRebuildStore.LockKey });
                await hold.ExecuteNonQueryAsync();

                Assert.Empty(await store.RebuildGrownAsync(0, CancellationToken.None));
                Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.index_sizes"));

                await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", other);
                release.Parameters.Add(new NpgsqlParameter<long> { TypedValue = IndexRebuildStore.LockKey });
                await release.ExecuteNonQueryAsync();
            }

            Assert.Empty(await store.RebuildGrownAsync(0, CancellationToken.None));
            Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.index_sizes"));
        });
    }

    [Fact]
    public async Task Worker_checks_the_indexes_at_its_interval()
    {
        await InFreshDatabaseAsync(async database =>
        {
            using var worker = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
            {
                ["Worker:IndexCheckInterval"] = "00:00:00.200",
                ["Worker:IndexRebuildMinimumBytes"] = "0",
            });
            var recorded = 0L;
            for (var i = 0; i < 100 && recorded < 2; i++)
            {
                await Task.Delay(100);
                recorded = await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.index_sizes");
            }

            await worker.StopAsync();
            Assert.Equal(2L, recorded);
        });
    }
}
