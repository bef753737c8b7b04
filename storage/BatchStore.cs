using JobQueue.Contracts;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>Reads batches. A batch is created with its jobs by <see cref="JobStore.EnqueueAsync"/>.</summary>
public sealed class BatchStore(NpgsqlDataSource dataSource)
{
    public async Task<Batch?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(BatchSql.BatchGet);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Deletes up to <paramref name="limit"/> batches that finished more than <paramref name="age"/>
    /// ago and whose jobs retention has deleted. Returns how many it deleted.
    /// </summary>
    public async Task<int> DeleteFinishedAsync(TimeSpan age, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(BatchSql.BatchDeleteFinished);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)age.TotalMilliseconds });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Maps a row selected with <see cref="BatchSql.Columns"/>.</summary>
    internal static Batch Read(NpgsqlDataReader reader)
    {
        var total = reader.GetInt32(2);
        var completed = reader.GetInt32(3);
        var cancelled = reader.GetInt32(4);
        var discarded = reader.GetInt32(5);
        var finishedAt = reader.IsDBNull(11) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(11);
        return new Batch
        {
            Id = reader.GetInt64(0),
            Description = reader.IsDBNull(1) ? null : reader.GetString(1),
            Total = total,
            Pending = total - completed - cancelled - discarded,
            Completed = completed,
            Cancelled = cancelled,
            Discarded = discarded,
            CallbackKind = reader.IsDBNull(6) ? null : reader.GetString(6),
            CallbackUrl = reader.IsDBNull(7) ? null : reader.GetString(7),
            CallbackJobId = reader.IsDBNull(8) ? null : reader.GetInt64(8),
            CallbackError = reader.IsDBNull(9) ? null : reader.GetString(9),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(10),
            FinishedAt = finishedAt,
            State = finishedAt is null ? BatchState.Active : BatchState.Finished,
        };
    }
}
