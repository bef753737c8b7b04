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
    /// Configuration key of an optional second connection string that reaches PostgreSQL directly,
    /// for the work that needs a session of its own: LISTEN and the migrations' advisory lock.
    /// Set it when <see cref="ConnectionStringName"/> goes through a pooler in transaction mode.
    /// </summary>
    public const string DirectConnectionStringName = "JobQueueDirect";

    /// <summary>
    /// Service key of the <see cref="NpgsqlDataSource"/> for session-bound work: the direct
    /// connection when one is configured, otherwise the same data source as everything else.
    /// </summary>
    public const string SessionDataSourceKey = "jobqueue-session";

    /// <summary>
    /// Server-side limit on a session idle inside a transaction, set on the hosts' connections
    /// unless the connection string's Options already set it.
    /// </summary>
    public const int IdleInTransactionTimeoutMs = 10_000;

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

        var direct = configuration.GetConnectionString(DirectConnectionStringName);
        var throughPooler = !string.IsNullOrWhiteSpace(direct);
        var pooled = WithPoolDefaults(WithDefaults(connectionString), throughPooler);

        // Session-bound work gets a data source of its own even without a direct connection
        // string, so that its connections are reset (UNLISTEN, session locks) when they return
        // to their pool while the pooled data source skips that round trip.
        var session = WithDefaults(throughPooler ? direct! : connectionString);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new NpgsqlDataSourceBuilder(pooled).Build());
        services.TryAddKeyedSingleton(SessionDataSourceKey, (_, _) => new NpgsqlDataSourceBuilder(session).Build());

        services.TryAddSingleton<Migrator>();
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<IdempotencyStore>();
        services.TryAddSingleton<BatchStore>();
        services.TryAddSingleton<QueueStore>();
        services.TryAddSingleton<ProcessStore>();
        services.TryAddSingleton<ScheduleStore>();
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<AuditStore>();
        services.TryAddSingleton<WebhookEndpointStore>();
        services.TryAddSingleton<IndexRebuildStore>();
        return services;
    }

    /// <summary>
    /// Maximum statements that each pooled connection prepares on the server, after their second
    /// use. Not applied when the connection string sets <c>Max Auto Prepare</c> itself, or when a
    /// direct connection string is configured: then the pooled one goes through a pooler, which
    /// may not keep prepared statements.
    /// </summary>
    public const int DefaultMaxAutoPrepare = 64;

    // Settings for the pooled connections, which carry no session state from one use to the next:
    // no DISCARD ALL when a connection returns to its pool, and prepared statements. Together they
    // raised a 60,000-job drain from 5,150 to 5,980 jobs/s (bench/run's drain).
    private static string WithPoolDefaults(string connectionString, bool throughPooler)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!HasKey(connectionString, "noresetonclose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!throughPooler && !HasKey(connectionString, "maxautoprepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }

    // Whether the connection string sets the keyword, in any of the spellings Npgsql accepts
    // ("Max Auto Prepare", "MaxAutoPrepare", any case).
    private static bool HasKey(string connectionString, string normalizedKeyword)
    {
        var parsed = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return parsed.Keys.Cast<string>().Any(key =>
            string.Equals(key.Replace(" ", "", StringComparison.Ordinal), normalizedKeyword, StringComparison.OrdinalIgnoreCase));
    }

    private static string WithDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "jobqueue";
        }

        // A claim of keyed jobs keeps row and advisory locks in an open transaction for a few
        // round trips. If its process freezes in between, the server ends the session after this
        // long, which releases the locks for other workers. The hosts never leave a transaction
        // idle on purpose. PgBouncer rejects the startup option unless told to ignore it, and then
        // the role must carry the setting instead (docs/scaling.md).
        if (builder.Options?.Contains("idle_in_transaction_session_timeout", StringComparison.Ordinal) != true)
        {
            builder.Options = $"{builder.Options} -c idle_in_transaction_session_timeout={IdleInTransactionTimeoutMs}".Trim();
        }

        return builder.ConnectionString;
    }
}
