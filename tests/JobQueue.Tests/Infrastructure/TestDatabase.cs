using JobQueue.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobQueue.Tests.Infrastructure;

/// <summary>
/// A migrated database of its own for one test class or collection, created on the server that
/// <c>JOBQUEUE_TEST_DATABASE</c> names and dropped afterwards. <c>scripts/test</c> sets it.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private const string AdminVariable = "JOBQUEUE_TEST_DATABASE";

    private readonly string _adminConnectionString;

    public TestDatabase()
    {
        _adminConnectionString = ServerConnectionString();
        Name = "jobqueue_test_" + Guid.NewGuid().ToString("N")[..12];
        ConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = Name }.ConnectionString;
    }

    /// <summary>The connection string of the test server's admin database, from <c>JOBQUEUE_TEST_DATABASE</c>.</summary>
    public static string ServerConnectionString() =>
        Environment.GetEnvironmentVariable(AdminVariable)
        ?? throw new InvalidOperationException(
            $"{AdminVariable} is not set. Run the tests with scripts/test, which starts PostgreSQL and sets it.");

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public JobStore Jobs { get; private set; } = null!;

    /// <summary>Configuration with only the connection string, as a host would read it.</summary>
    public IConfiguration Configuration => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:JobQueue"] = ConnectionString })
        .Build();

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await new Migrator(DataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        Jobs = new JobStore(DataSource);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a scalar query, for checks that look at rows directly.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs a statement, for tests that set up rows or move the clock of a row.</summary>
    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }
}
