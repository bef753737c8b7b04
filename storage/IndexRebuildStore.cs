using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>A GIN index of the jobs table that was rebuilt: its size in bytes before and after, and how long the rebuild took.</summary>
public sealed record IndexRebuild(string Index, long SizeBefore, long SizeAfter, TimeSpan Duration);

/// <summary>
/// Rebuilds the GIN indexes of the jobs table once they have grown well past what their rows
/// need. VACUUM removes a deleted job's entries from a GIN index but keeps every key the index
/// ever held. Arguments or tags that carry a new id with every job so make the index grow with
/// every job ever enqueued, however few jobs the table keeps. B-tree indexes give their emptied
/// pages back and need no rebuild.
/// </summary>
/// <remarks>
/// An index is rebuilt when it is at least the given minimum size and more than
/// <see cref="GrowthFactor"/> times its recorded size, scaled by how the table's row count
/// changed since. The recorded size is the index's size after its last rebuild, or at its first
/// check. The first check only records, so that an upgrade does not start with a rebuild of every
/// large index. <c>REINDEX INDEX CONCURRENTLY</c> lets enqueues, claims and completions go on. A
/// rebuild that was interrupted leaves an invalid copy named <c>*_ccnew</c> or <c>*_ccold</c>,
/// which takes every write the table gets, so the next check drops it first. A session advisory
/// lock lets one process rebuild at a time. This store therefore uses the session data source,
/// which reaches PostgreSQL without a transaction-mode pooler.
/// </remarks>
public sealed class IndexRebuildStore(
    [FromKeyedServices(StorageServiceCollectionExtensions.SessionDataSourceKey)] NpgsqlDataSource dataSource,
    TimeProvider timeProvider)
{
    /// <summary>The indexes that are checked: the GIN indexes on the jobs' arguments and tags.</summary>
    public static IReadOnlyList<string> Indexes { get; } = ["jobs_args", "jobs_tagged"];

    /// <summary>How many times its expected size an index may reach before it is rebuilt.</summary>
    public const double GrowthFactor = 2;

    // The expected size is not scaled below this many rows, so that an index rebuilt on a nearly
    // empty table is not rebuilt again whenever a few thousand jobs arrive.
    private const double RowFloor = 10_000;

    // Arbitrary constant, distinct from the migrations' lock key: "jq_reidx" in ASCII.
    internal const long LockKey = 0x6A715F72_65696478;

    // The jobs table's row count: the larger of the planner's estimate, which only VACUUM and
    // ANALYZE update, and the statistics' live-row count, which follows every write. A minute
    // after a soak started, the planner's estimate still showed 29,056 rows for 380,000.
    private const string JobRows = """
        (SELECT greatest(c.reltuples, s.n_live_tup, 0)::bigint
         FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
         WHERE c.oid = 'jobqueue.jobs'::regclass)
        """;

    private const string ReadSizes = $"""
        SELECT i.relname, pg_relation_size(i.oid), {JobRows}, r.size_bytes, r.table_rows
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        LEFT JOIN jobqueue.index_sizes r ON r.index_name = i.relname
        WHERE x.indrelid = 'jobqueue.jobs'::regclass AND x.indisvalid AND i.relname = ANY($1)
        ORDER BY i.relname
        """;

    private const string ReadLeftovers = """
        SELECT i.relname
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'jobqueue.jobs'::regclass AND NOT x.indisvalid
          AND i.relname ~ ('^(' || array_to_string($1, '|') || ')_cc(new|old)[0-9]*$')
        """;

    private const string RecordSize = $"""
        INSERT INTO jobqueue.index_sizes (index_name, size_bytes, table_rows, measured_at, rebuilt)
        VALUES ($1, pg_relation_size(to_regclass('jobqueue.' || quote_ident($1))), {JobRows}, now(), $2)
        ON CONFLICT (index_name) DO UPDATE
            SET size_bytes = excluded.size_bytes, table_rows = excluded.table_rows,
                measured_at = excluded.measured_at, rebuilt = excluded.rebuilt
        RETURNING size_bytes
        """;

    /// <summary>
    /// Drops what interrupted rebuilds left, records the size of each checked index seen for the
    /// first time, and rebuilds, one after the other, those that have grown past their bound.
    /// Returns the rebuilds, none when another process holds the lock. Cancelling stops a rebuild
    /// in progress; the next call drops what it left.
    /// </summary>
    /// <param name="minimumBytes">Size below which an index is never rebuilt.</param>
    public async Task<IReadOnlyList<IndexRebuild>> RebuildGrownAsync(long minimumBytes, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await SessionLock.TryAcquireAsync(connection, LockKey, cancellationToken))
        {
            return [];
        }

        try
        {
            await DropLeftoversAsync(connection, cancellationToken);
            var rebuilds = new List<IndexRebuild>();
            foreach (var index in await ReadSizesAsync(connection, cancellationToken))
            {
                if (index.Recorded is null)
                {
                    await RecordSizeAsync(connection, index.Name, rebuilt: false, cancellationToken);
                }
                else if (index.HasOutgrown(minimumBytes))
                {
                    rebuilds.Add(await RebuildAsync(connection, index, cancellationToken));
                }
            }

            return rebuilds;
        }
        finally
        {
            await SessionLock.ReleaseAsync(connection, LockKey);
        }
    }

    private static async Task DropLeftoversAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var leftovers = new List<string>();
        await using (var read = new NpgsqlCommand(ReadLeftovers, connection))
        {
            read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Indexes.ToArray() });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                leftovers.Add(reader.GetString(0));
            }
        }

        foreach (var name in leftovers)
        {
            // The name matched the pattern above, so it contains only letters, digits and underscores.
            await using var drop = new NpgsqlCommand($"DROP INDEX CONCURRENTLY IF EXISTS jobqueue.{name}", connection)
            {
                CommandTimeout = 0,
            };
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<List<IndexSize>> ReadSizesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ReadSizes, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Indexes.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sizes = new List<IndexSize>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var recorded = reader.IsDBNull(3) ? null : new RecordedSize(reader.GetInt64(3), reader.GetInt64(4));
            sizes.Add(new IndexSize(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), recorded));
        }

        return sizes;
    }

    private async Task<IndexRebuild> RebuildAsync(NpgsqlConnection connection, IndexSize index, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();

        // The name is one of Indexes, never input. A rebuild reads the whole table twice, so it
        // has no time limit; the token still stops it.
        await using (var reindex = new NpgsqlCommand($"REINDEX INDEX CONCURRENTLY jobqueue.{index.Name}", connection) { CommandTimeout = 0 })
        {
            await reindex.ExecuteNonQueryAsync(cancellationToken);
        }

        var sizeAfter = await RecordSizeAsync(connection, index.Name, rebuilt: true, cancellationToken);
        return new IndexRebuild(index.Name, index.Size, sizeAfter, timeProvider.GetElapsedTime(started));
    }

    private static async Task<long> RecordSizeAsync(NpgsqlConnection connection, string name, bool rebuilt, CancellationToken cancellationToken)
    {
        await using var record = new NpgsqlCommand(RecordSize, connection);
        record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        record.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = rebuilt });
        return (long)(await record.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>An index's size in bytes and the jobs table's row count, as recorded in <c>jobqueue.index_sizes</c>.</summary>
    private sealed record RecordedSize(long Size, long Rows);

    /// <summary>An index's size in bytes now, the table's row count now, and the recorded size, if any.</summary>
    private sealed record IndexSize(string Name, long Size, long Rows, RecordedSize? Recorded)
    {
        /// <summary>Returns whether the index has reached the minimum and outgrown its recorded size, scaled by the rows.</summary>
        public bool HasOutgrown(long minimumBytes)
        {
            if (Recorded is not { } recorded || Size < minimumBytes)
            {
                return false;
            }

            var expected = recorded.Size * Math.Max(Rows, RowFloor) / Math.Max(recorded.Rows, RowFloor);
            return Size > GrowthFactor * expected;
        }
    }
}
