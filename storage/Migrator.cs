using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>
/// Applies the numbered SQL migrations embedded in this assembly, each in its own transaction.
/// A session advisory lock serialises hosts that start at the same time, so exactly one of them
/// applies each migration and the others wait, then find nothing left to do.
/// </summary>
public sealed partial class Migrator(
    [FromKeyedServices(StorageServiceCollectionExtensions.SessionDataSourceKey)] NpgsqlDataSource dataSource,
    ILogger<Migrator> logger)
{
    // Arbitrary constant shared by every host of this service. It only has to differ from the
    // advisory lock keys that other software in the same database uses.
    private const long MigrationLockKey = 0x6A6F6271_75657565; // "jobqueue" in ASCII

    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(250);

    // First line of a migration that must run outside a transaction, statement by statement,
    // such as CREATE INDEX CONCURRENTLY. Each statement ends with ';' at the end of a line.
    private const string NoTransactionMarker = "-- migration: no-transaction";

    private const string CreateHistoryTable = """
        CREATE SCHEMA IF NOT EXISTS jobqueue;
        CREATE TABLE IF NOT EXISTS jobqueue.schema_migrations (
            version    integer     PRIMARY KEY,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    /// <summary>Every migration embedded in this build, in version order.</summary>
    public static IReadOnlyList<Migration> All { get; } = LoadEmbedded();

    /// <summary>Highest migration version embedded in this build, which readiness compares the database to.</summary>
    public static int LatestVersion => All[^1].Version;

    /// <summary>Applies every migration not yet recorded and returns how many it applied.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await AcquireLockAsync(connection, cancellationToken);

        try
        {
            await using (var create = new NpgsqlCommand(CreateHistoryTable, connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var applied = await ReadAppliedVersionsAsync(connection, cancellationToken);
            var count = 0;
            foreach (var migration in All.Where(m => !applied.Contains(m.Version)))
            {
                await ApplyAsync(connection, migration, cancellationToken);
                LogApplied(migration.Version, migration.Name);
                count++;
            }

            LogUpToDate(LatestVersion, count);
            return count;
        }
        finally
        {
            await SessionLock.ReleaseAsync(connection, MigrationLockKey);
        }
    }

    // Waits with repeated tries rather than pg_advisory_lock, because a session blocked inside a
    // statement keeps a snapshot. CREATE INDEX CONCURRENTLY in the lock holder's migration would
    // wait for that snapshot to go away while the waiter waits for the lock: a deadlock.
    private static async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await SessionLock.TryAcquireAsync(connection, MigrationLockKey, cancellationToken))
            {
                return;
            }

            await Task.Delay(LockRetryDelay, cancellationToken);
        }
    }

    /// <summary>Returns the highest applied version, or 0 when the schema has never been migrated.</summary>
    public async Task<int> ReadDatabaseVersionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT CASE WHEN to_regclass('jobqueue.schema_migrations') IS NULL THEN 0
                        ELSE (SELECT coalesce(max(version), 0) FROM jobqueue.schema_migrations) END
            """);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Compares the applied migrations with this build's. The schema is current when every
    /// migration of this build is applied. Versions this build does not know are allowed, because
    /// during a rolling upgrade the old hosts keep running on the newer schema.
    /// </summary>
    public async Task<SchemaStatus> ReadSchemaStatusAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT CASE WHEN to_regclass('jobqueue.schema_migrations') IS NULL THEN ARRAY[]::integer[]
                        ELSE (SELECT coalesce(array_agg(version ORDER BY version), ARRAY[]::integer[])
                              FROM jobqueue.schema_migrations) END
            """);
        var applied = (int[])(await command.ExecuteScalarAsync(cancellationToken))!;
        var appliedSet = applied.ToHashSet();
        var known = All.Select(m => m.Version).ToHashSet();
        return new SchemaStatus(
            applied.Length == 0 ? 0 : applied[^1],
            All.Where(m => !appliedSet.Contains(m.Version)).Select(m => m.Version).ToList(),
            applied.Where(v => !known.Contains(v)).ToList());
    }

    private static async Task<HashSet<int>> ReadAppliedVersionsAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version FROM jobqueue.schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new HashSet<int>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task ApplyAsync(
        NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        if (migration.Sql.StartsWith(NoTransactionMarker, StringComparison.Ordinal))
        {
            await ApplyWithoutTransactionAsync(connection, migration, cancellationToken);
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // A migration that waits long for a lock would stall every query queued behind it on a
        // live system, so it fails fast instead and the host reports the error.
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '10s'", connection, transaction))
        {
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
        {
            await apply.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO jobqueue.schema_migrations (version, name) VALUES ($1, $2)", connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ApplyWithoutTransactionAsync(
        NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        var statements = SplitStatements(migration.Sql);

        await using (var timeout = new NpgsqlCommand("SET lock_timeout = '10s'", connection))
        {
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            foreach (var statement in statements)
            {
                await using var apply = new NpgsqlCommand(statement, connection);
                await apply.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var record = new NpgsqlCommand(
                "INSERT INTO jobqueue.schema_migrations (version, name) VALUES ($1, $2)", connection);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await using var reset = new NpgsqlCommand("RESET lock_timeout", connection);
            await reset.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    // Splits at lines that end with ';', leaving out comment lines. A line inside a dollar-quoted
    // body ($$ … $$ or $tag$ … $tag$), such as a function's, never ends a statement.
    private static List<string> SplitStatements(string sql)
    {
        var statements = new List<string>();
        var current = new System.Text.StringBuilder();
        string? openQuote = null;
        foreach (var line in sql.Split('\n'))
        {
            if (line.TrimStart().StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }

            current.AppendLine(line);
            foreach (Match quote in DollarQuote().Matches(line))
            {
                if (openQuote is null)
                {
                    openQuote = quote.Value;
                }
                else if (quote.Value == openQuote)
                {
                    openQuote = null;
                }
            }

            if (openQuote is null && line.TrimEnd().EndsWith(';'))
            {
                statements.Add(current.ToString());
                current.Clear();
            }
        }

        if (!string.IsNullOrWhiteSpace(current.ToString()))
        {
            statements.Add(current.ToString());
        }

        return statements;
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded migration {resource} could not be opened.");
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(
                int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                reader.ReadToEnd()));
        }

        // Versions must be unique but may have gaps, because parallel lines of work reserve their
        // numbers in advance. A version below one already applied is still applied later, since
        // MigrateAsync applies every version missing from the history.
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        // Versions are reserved per feature, so a build may lack some numbers; each one is applied
        // once and in order, and a number used twice is a defect.
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version < 1 || (i > 0 && migrations[i].Version == migrations[i - 1].Version))
            {
                throw new InvalidOperationException(
                    $"Migration versions must be unique and at least 1; found {migrations[i].Version} twice or below 1.");
            }
        }

        return migrations;
    }

    [GeneratedRegex(@"\$[A-Za-z_]*\$")]
    private static partial Regex DollarQuote();

    [GeneratedRegex(@"^Migrations/(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information,
        Message = "Database schema is at version {Version}; {AppliedCount} migrations applied now")]
    private partial void LogUpToDate(int version, int appliedCount);
}

/// <summary>How the database's applied migrations compare with this build's.</summary>
/// <param name="DatabaseVersion">Highest applied version, or 0 for an empty database.</param>
/// <param name="Missing">Versions of this build that are not applied.</param>
/// <param name="Unknown">Applied versions that this build does not contain, from a newer build.</param>
public sealed record SchemaStatus(int DatabaseVersion, IReadOnlyList<int> Missing, IReadOnlyList<int> Unknown)
{
    /// <summary>Whether every migration of this build is applied.</summary>
    public bool IsCurrent => Missing.Count == 0;
}

/// <summary>One numbered schema change.</summary>
public sealed record Migration(int Version, string Name, string Sql);
