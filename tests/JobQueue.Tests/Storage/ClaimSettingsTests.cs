using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;

namespace JobQueue.Tests.Storage;

/// <summary>
/// The claim sends its planner settings and the claim statement in one batch without BEGIN and
/// COMMIT. These tests hold PostgreSQL to what that relies on: the settings apply to the later
/// statements of the batch and end with it, so the pooled session keeps its defaults. The
/// claim's commit keeps waiting for the WAL flush, since a lost claim would reuse its attempt
/// number.
/// </summary>
public sealed class ClaimSettingsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private const string ReadSettings = """
        SELECT current_setting('jit'), current_setting('synchronous_commit'), current_setting('enable_bitmapscan'),
               current_setting('enable_sort'), current_setting('plan_cache_mode')
        """;

    [Fact]
    public async Task Settings_last_until_batch_ends()
    {
        await using var connection = await OpenAsync();
        var before = await ReadAsync(connection);

        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(JobSql.ClaimSettingsAnyQueue));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(ReadSettings));
            await using var reader = await batch.ExecuteReaderAsync();
            await reader.NextResultAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(["off", "on", "off", "off", "force_generic_plan"], Row(reader));
        }

        Assert.Equal(before, await ReadAsync(connection));
        Assert.Equal(("on", "on"), (before[1], before[3]));
    }

    [Fact]
    public async Task Per_queue_claim_keeps_sorts()
    {
        await using var connection = await OpenAsync();
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(JobSql.ClaimSettingsInQueues));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(ReadSettings));
        await using var reader = await batch.ExecuteReaderAsync();
        await reader.NextResultAsync();
        Assert.True(await reader.ReadAsync());
        var settings = Row(reader);
        Assert.Equal(["off", "on", "on", "on"], settings[..4]);
    }

    // A session of its own that waits for the flush, whatever the test server's default.
    private async Task<NpgsqlConnection> OpenAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, Options = "-c synchronous_commit=on" };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<string[]> ReadAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(ReadSettings, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return Row(reader);
    }

    private static string[] Row(NpgsqlDataReader reader) =>
        Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray();
}
