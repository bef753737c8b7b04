using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobQueue.Tests.Storage;

/// <summary>
/// <c>ConnectionStrings:JobQueueDirect</c> carries the session-bound work, LISTEN and migrations,
/// while <c>ConnectionStrings:JobQueue</c> carries the rest. The pooled string here names a
/// database that does not exist, so only work that uses the direct string can succeed.
/// </summary>
public sealed class DirectConnectionTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Listen_and_migrations_use_direct_string()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "no_such_database_" + Guid.NewGuid().ToString("N")[..8] };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobQueue"] = unreachable.ConnectionString,
            ["ConnectionStrings:JobQueueDirect"] = database.ConnectionString,
        }).Build();
        var services = new ServiceCollection().AddLogging(logging => logging.ClearProviders());
        services.AddJobQueueStorage(configuration);
        services.AddSingleton<NotificationListener>();
        await using var provider = services.BuildServiceProvider();

        var schema = await provider.GetRequiredService<Migrator>().ReadSchemaStatusAsync(CancellationToken.None);
        Assert.True(schema.IsCurrent);

        var listener = provider.GetRequiredService<NotificationListener>();
        await listener.StartAsync(CancellationToken.None);
        try
        {
            for (var i = 0; i < 100 && !listener.IsListening; i++)
            {
                await Task.Delay(50);
            }

            Assert.True(listener.IsListening, "The listener connected through the direct connection string.");
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }

        var pooled = provider.GetRequiredService<NpgsqlDataSource>();
        var error = await Assert.ThrowsAsync<PostgresException>(async () => await pooled.OpenConnectionAsync());
        Assert.Equal(PostgresErrorCodes.InvalidCatalogName, error.SqlState);
    }
}
