using System.Text.Json;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Tests.Storage;

/// <summary>
/// Completions and lease renewals lock each of their jobs through the primary key, and test state,
/// attempt and worker only after the lock. Statistics taken while few jobs ran make the indexes on
/// running jobs look as cheap as the key. A lookup through one of them walked every running job
/// once per job in the batch. These tests take such statistics, start 1,000 jobs, and read the plans.
/// </summary>
public sealed class LockByKeyPlanTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private const string Worker = "plan-worker";

    [Fact]
    public async Task Completion_locks_through_primary_key()
    {
        var indexes = await IndexesReadAsync(JobSql.JobCompleteManyIfRunning, ids =>
            [ids, ids.Select(_ => 1).ToArray(), ids.Select(_ => (string?)null).ToArray()]);

        Assert.Equal(["jobs_pkey"], indexes);
    }

    [Fact]
    public async Task Lease_renewal_locks_through_primary_key()
    {
        var indexes = await IndexesReadAsync(JobSql.JobRenewLeases, ids => [Worker, ids, ids.Select(_ => 1).ToArray(), 30_000]);

        Assert.Equal(["jobs_pkey"], indexes);
    }

    // Returns the indexes that the statement's plan reads for 500 of 1,000 started jobs, with
    // statistics taken while all 3,000 jobs were finished. Runs in a transaction that is rolled back.
    private async Task<string[]> IndexesReadAsync(string statement, Func<long[], object[]> parameters)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, """
            INSERT INTO jobqueue.jobs (queue, kind, args, priority, effective_priority, state, attempt, max_attempts,
                                       scheduled_at, created_at, attempted_at, finished_at)
            SELECT 'default', 'noop', jsonb_build_object('n', n), 0, 0, 'completed', 1, 20, now(), now(), now(), now()
            FROM generate_series(1, 3000) AS n
            """);
        await ExecuteAsync(connection, "ANALYZE jobqueue.jobs");
        var ids = new List<long>();
        await using (var start = new NpgsqlCommand($"""
            UPDATE jobqueue.jobs
            SET state = 'running', finished_at = NULL, worker_id = '{Worker}', lease_expires_at = now() + interval '1 minute'
            WHERE id IN (SELECT id FROM jobqueue.jobs ORDER BY id DESC LIMIT 1000)
            RETURNING id
            """, connection))
        await using (var reader = await start.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + statement, connection);
        foreach (var value in parameters([.. ids.Order().Take(500)]))
        {
            explain.Parameters.Add(value is string?[] results
                ? new NpgsqlParameter { Value = results, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb }
                : new NpgsqlParameter { Value = value });
        }

        var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
        await transaction.RollbackAsync();
        return IndexesOnJobs(plan);
    }

    // Returns the distinct indexes that the plan's scans of jobqueue.jobs read, or the node type of a
    // scan that reads none.
    private static string[] IndexesOnJobs(JsonElement node)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        Collect(node, found);
        return [.. found];

        static void Collect(JsonElement node, SortedSet<string> found)
        {
            var type = node.GetProperty("Node Type").GetString()!;
            if (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "jobs" && type != "ModifyTable")
            {
                found.Add(node.TryGetProperty("Index Name", out var index) ? index.GetString()! : type);
            }

            if (node.TryGetProperty("Plans", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    Collect(child, found);
                }
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
