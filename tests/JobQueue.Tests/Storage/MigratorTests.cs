using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobQueue.Tests.Storage;

/// <summary>Migrations against an empty database of its own, as hosts starting together meet it.</summary>
public sealed class MigratorTests : IAsyncLifetime
{
    private readonly string _admin = TestDatabase.ServerConnectionString();
    private readonly string _name = "jobqueue_migrate_" + Guid.NewGuid().ToString("N")[..12];
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(_admin);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_name}\"", admin);
        await create.ExecuteNonQueryAsync();
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_admin) { Database = _name }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await using var admin = new NpgsqlConnection(_admin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Hosts_starting_together_migrate_once()
    {
        var migrators = Enumerable.Range(0, 4).Select(_ => new Migrator(_dataSource, NullLogger<Migrator>.Instance)).ToList();

        var applied = await Task.WhenAll(migrators.Select(m => m.MigrateAsync(CancellationToken.None)))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Migrator.All.Count, applied.Sum());
        Assert.Equal(Migrator.LatestVersion, await migrators[0].ReadDatabaseVersionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Gin_pending_lists_are_bounded()
    {
        await new Migrator(_dataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);

        await using var command = _dataSource.CreateCommand("""
            SELECT index.relname, coalesce(index.reloptions, '{}')
            FROM pg_index
            JOIN pg_class AS index ON index.oid = pg_index.indexrelid
            JOIN pg_am ON pg_am.oid = index.relam
            WHERE pg_index.indrelid = 'jobqueue.jobs'::regclass AND pg_am.amname = 'gin'
            ORDER BY index.relname
            """);
        var options = new Dictionary<string, string[]>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                options[reader.GetString(0)] = reader.GetFieldValue<string[]>(1);
            }
        }

        Assert.Equal(["jobs_args", "jobs_tagged"], options.Keys);
        Assert.All(options.Values, settings => Assert.Contains("gin_pending_list_limit=512", settings));
    }
}
