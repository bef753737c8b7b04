using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace JobQueue.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Configuration key of the PostgreSQL connection string.</summary>
    public const string ConnectionStringName = "JobQueue";

    /// <summary>
    /// Registers the data source, migrator and job store, reading the connection string from
    /// <c>ConnectionStrings:JobQueue</c> (environment variable <c>ConnectionStrings__JobQueue</c>).
    /// </summary>
    public static IServiceCollection AddJobQueueStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "The connection string ConnectionStrings:JobQueue is not set. Set the environment variable " +
                "ConnectionStrings__JobQueue, for example to 'Host=127.0.0.1;Port=5432;Username=postgres;Database=jobqueue'.");
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "jobqueue";
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new NpgsqlDataSourceBuilder(builder.ConnectionString).Build());
        services.TryAddSingleton<Migrator>();
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<QueueStore>();
        services.TryAddSingleton<ProcessStore>();
        return services;
    }
}
